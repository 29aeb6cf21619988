"""Procedural persona generation: varied, trait-coherent personas, deterministic per seed.

Each persona draws from its own ``random.Random`` seeded by ``(seed, index)``, so persona *i* is the
same whatever ``n`` is, and the same seed gives byte-identical files via
:func:`~propersim.personas.schema.dump_personas`. Big Five combinations go round all 32 in a
seed-shuffled order, so every block of 32 consecutive personas holds each combination once.

How traits shape a persona (weights here and in :mod:`~propersim.personas.profiles` are relative,
not probabilities):

* extraversion: social and music topics, more receptive windows, more recommendations a day,
  casual tone; low: reading, gardening, quiet evenings, socializing as a do-not-disturb activity.
* agreeableness: cooking, social, gardening topics, casual tone; low: finance, news, fewer casual.
* conscientiousness: productivity, organizing, finance, learning; earlier chronotype, formal tone,
  short messages, working as a do-not-disturb activity; low: entertainment, creativity, later rising.
* openness: creativity, learning, reading, music, decor; low: routine topics (organizing, entertainment).
* neuroticism: mindfulness, rest, sleep; more do-not-disturb activities, fewer recommendations a day
  with longer windows, short messages, sensitive topics.

Receptive windows are drawn from the day's natural pauses (after waking, late morning, lunch,
afternoon, after work, evening; office workers are away from 8:30 am to 5:30 pm). The frequency
targets can always be met together: the "too rarely" gap is widened until an assistant that
recommends only inside the receptive windows can pass both frequency checks all day.

The rubric texts are rendered from the structured preferences by
:func:`~propersim.personas.rubric_writer.write_rubric`, so they agree by construction.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import asdict, replace
from functools import lru_cache

from propersim.errors import InvalidInputError
from propersim.personas.profiles import (
    DND_PROFILES,
    FIRST_NAMES,
    LAST_NAMES,
    LIVING_AREAS,
    OCCUPATIONS,
    SENSITIVE_PROFILES,
    TOPIC_FITS,
    TOPIC_PROFILES,
    WAKE_HOURS,
    Occupation,
)
from propersim.personas.rubric_writer import SENSITIVE_PHRASES, clock_text, write_rubric
from propersim.personas.schema import (
    LEVELS,
    TRAITS,
    Frequency,
    Persona,
    Preferences,
    TopicPreference,
    persona_from_dict,
)
from propersim.personas.vocab import ACTIVITY_KINDS, TOPICS

#: All 32 High/Low Big Five combinations, in E, A, C, O, N order.
TRAIT_COMBINATIONS: tuple[tuple[str, ...], ...] = tuple(itertools.product(LEVELS, repeat=len(TRAITS)))

#: The simulator's tick (the paper's 2.5 simulated minutes), for frequency feasibility.
TICK_HOURS = 2.5 / 60

_SETTING_DAYS = {
    "home": "Works from home, mostly between {start} and {end}, with a walk at lunchtime",
    "office": "Commutes to work and is away from about 8:30 am to 5:30 pm",
    "shift": "Works shifts that change from week to week and naps when they run late",
    "student": "Attends lectures and studies in the library most afternoons",
    "retired": "Fills the days with errands, hobbies and visits to the market",
}


@lru_cache(maxsize=None)
def _matches(combination: tuple[str, ...], affinity: str) -> int:
    """How many codes of ``affinity`` ("C+ E-") the trait levels (E, A, C, O, N order) match."""
    letters = [t[0].upper() for t in TRAITS]
    return sum(combination[letters.index(code[0])] == ("high" if code[1] == "+" else "low")
               for code in affinity.split())


def _weighted_sample(rng: random.Random, items: list[str], weights: list[float], k: int) -> list[str]:
    """``k`` distinct items drawn with probability proportional to weight."""
    items, weights, chosen = list(items), list(weights), []
    for _ in range(min(k, len(items))):
        i = rng.choices(range(len(items)), weights)[0]
        chosen.append(items.pop(i))
        weights.pop(i)
    return chosen


def _ceil_half(x: float) -> float:
    return math.ceil(x * 2 - 1e-9) / 2


def _chronotype(rng: random.Random, b5: dict[str, str], setting: str) -> str:
    weights = [1.0, 2.0, 1.0]  # early, intermediate, late
    weights[0] += 1.5 * (b5["conscientiousness"] == "high") + 1.5 * (setting == "retired")
    weights[2] += 1.0 * (b5["conscientiousness"] == "low") + 2.0 * (setting == "student") + 0.5 * (
        b5["openness"] == "high" and b5["extraversion"] == "high")
    if setting == "office":
        weights[2] = 0.0  # at work from 8:30 am
    return rng.choices(("early", "intermediate", "late"), weights)[0]


def _windows(rng: random.Random, wake: float, bed: float, setting: str, n: int) -> list[tuple[float, float]]:
    """``n`` receptive windows drawn from the day's natural pauses, disjoint and not touching."""
    free_by_day = setting in ("home", "retired", "student")
    offset = rng.choice((0.5, 1.0))
    slots = [(wake + offset, wake + offset + rng.choice((1.5, 2.0, 2.5)))]
    if free_by_day:
        slots.append((rng.choice((9.5, 10.0)), 11.5))
    lunch = rng.choice((12.0, 12.5))
    slots.append((lunch, lunch + rng.choice((1.0, 1.5))))
    if free_by_day:
        slots.append((rng.choice((14.0, 14.5)), rng.choice((16.5, 17.0))))
    slots.append((17.5, rng.choice((19.0, 19.5))))
    slots.append((rng.choice((20.0, 20.5)), bed - 0.5))
    kept: list[tuple[float, float]] = []
    for start, end in slots:
        if setting == "office" and start < 12 and end > 8.5:
            continue  # away at work from 8:30 am, except over lunch and after 5:30 pm
        if end - start >= 1 and end <= bed and (not kept or start > kept[-1][1]):
            kept.append((start, end))
    return sorted(rng.sample(kept, min(n, len(kept))))


def _meets_frequency(windows: list[tuple[float, float]], wake: float, bed: float, f: Frequency) -> bool:
    """Whether recommending only inside ``windows`` can pass both frequency checks from ``wake`` to ``bed``.

    Greedy and exact for this covering problem: each recommendation goes at the last receptive tick
    before the "too rare" deadline, which spaces them as widely as possible.
    """
    spacing = f.window_hours / f.max_per_window
    last, count = wake, 0
    while last + f.max_gap_hours < bed - 1e-9:
        latest = last + f.max_gap_hours - TICK_HOURS
        t = max((min(b - TICK_HOURS, latest) for a, b in windows if a <= min(b - TICK_HOURS, latest) + 1e-9),
                default=None)
        if t is None or t < last + (spacing if count else 0.0) - 1e-9 or count == f.max_per_day:
            return False
        last, count = t, count + 1
    return True


def _frequency(rng: random.Random, high: dict[str, bool], wake: float, bed: float,
               windows: list[tuple[float, float]]) -> Frequency:
    """Targets that an assistant recommending only inside the receptive windows can meet."""
    per_window = 2 if high["extraversion"] and rng.random() < (0.35 if high["neuroticism"] else 0.7) else 1
    window = rng.choice((2.0, 3.0)) + high["neuroticism"] + (0.0 if high["extraversion"] else rng.choice((0.0, 1.0)))
    awake = bed - wake
    target = 4 + 2 * high["extraversion"] - 2 * high["neuroticism"] + high["openness"] + rng.choice((-1, 0, 1))
    per_day = max(2, min(math.ceil(awake * per_window / window), target))
    gap = max(_ceil_half(awake / (per_day + 1)), window + (1.0 if per_window == 1 else 0.0))
    gap += rng.choice((0.0, 0.5) if high["conscientiousness"] else (0.0, 0.5, 1.0))
    frequency = Frequency(max_per_window=per_window, window_hours=window, max_per_day=per_day, max_gap_hours=gap)
    while not _meets_frequency(windows, wake, bed, frequency):  # ends: a whole-day gap needs no recommendation
        frequency = replace(frequency, max_gap_hours=frequency.max_gap_hours + 0.5)
    return frequency


def _tone(rng: random.Random, high: dict[str, bool]) -> tuple[str, str]:
    """(tone, length): extraversion and agreeableness pull casual, conscientiousness formal and short."""
    casual = high["extraversion"] + high["agreeableness"] + 0.5 * high["openness"]
    formal = 1.5 * high["conscientiousness"] + 0.5 * (not high["agreeableness"])
    lead = "casual" if casual >= max(1.0, formal + 0.5) else "formal" if formal >= max(1.0, casual + 0.5) else "any"
    tone = lead if rng.random() < 0.8 else rng.choice(("casual", "formal", "any"))
    concise = high["neuroticism"] or high["conscientiousness"]
    length = rng.choices(("short", "medium", "any"), (3, 1, 1) if concise else (1, 2, 2))[0]
    return tone, length


def _topics(rng: random.Random, combo: tuple[str, ...], occupation: Occupation, age: int) -> tuple[list, list]:
    """(liked, disliked) topic names: liked by trait and job affinity, disliked among the least affine."""
    high = dict(zip(TRAITS, (level == "high" for level in combo)))
    names = list(TOPICS)
    weights = [1 + 3 * _matches(combo, TOPIC_PROFILES[t][0]) + 3 * (t in occupation.topics)
               + (t == "gardening" and age >= 55) for t in names]
    n_liked = 2 + high["openness"] + (high["extraversion"] and rng.random() < 0.5)
    liked = _weighted_sample(rng, names, weights, n_liked)
    rest = [t for t in names if t not in liked]
    disliked = _weighted_sample(rng, rest, [1 / weights[names.index(t)] ** 2 for t in rest],
                                1 + (high["neuroticism"] or not high["agreeableness"]))
    return liked, disliked


def _preferences(rng: random.Random, combo: tuple[str, ...], occupation: Occupation, age: int,
                 wake: float, bed: float) -> Preferences:
    high = dict(zip(TRAITS, (level == "high" for level in combo)))
    liked_topics, disliked = _topics(rng, combo, occupation, age)
    retired = occupation.setting == "retired"
    usable = [k for k in DND_PROFILES if not (k == "working" and retired)]
    dnd_count = 1 + high["neuroticism"] + (high["conscientiousness"] and rng.random() < 0.5) + (
        not high["extraversion"] and rng.random() < 0.5)
    dnd_weights = [DND_PROFILES[k][0] * (1 + 2 * _matches(combo, DND_PROFILES[k][1])) for k in usable]
    dnd = _weighted_sample(rng, usable, dnd_weights, dnd_count)
    liked = []
    for topic in liked_topics:
        fits = [k for k in TOPIC_FITS[topic] if k not in dnd and not (k == "working" and retired)]
        during = rng.sample(fits, min(len(fits), rng.choice((1, 1, 2)))) if fits and rng.random() < 0.75 else []
        liked.append(TopicPreference(topic, tuple(k for k in ACTIVITY_KINDS if k in during)))
    liked.sort(key=lambda p: not p.during)  # any-time topics last, as the rubric states them
    pool = [t for t in SENSITIVE_PHRASES if t not in liked_topics]
    n_sensitive = rng.choice((1, 2)) if high["neuroticism"] else int(rng.random() < 0.25)
    sensitive = _weighted_sample(rng, pool, [1 + 2 * _matches(combo, SENSITIVE_PROFILES[t]) for t in pool], n_sensitive)
    n_windows = max(1, min(4, 2 + high["extraversion"] - high["neuroticism"] + (rng.random() < 0.5)))
    windows = _windows(rng, wake, bed, occupation.setting, n_windows)
    tone, length = _tone(rng, high)
    return Preferences(
        liked=tuple(liked),
        disliked=tuple(t for t in TOPICS if t in disliked),
        receptive_hours=tuple(windows),
        do_not_disturb=tuple(k for k in ACTIVITY_KINDS if k in dnd),
        frequency=_frequency(rng, high, wake, bed, windows),
        tone=tone,
        length=length,
        sensitive_topics=tuple(t for t in TOPICS if t in sensitive),
    )


def _describe(rng: random.Random, first: str, occupation: Occupation, chronotype: str, extravert: bool,
              wake: float, bed: float, prefs: Preferences) -> dict[str, str]:
    """The free-text fields, in the original's style ("X enjoys 1) ... 2) ...")."""
    topics = [p.topic for p in prefs.liked]
    topics += [t for t in occupation.topics if t not in topics]
    interests = [rng.choice(TOPIC_PROFILES[t][1]) for t in topics[:3]]
    morning = {"early": "enjoys the quiet before anyone else is up", "late": "starts slowly with a strong coffee",
               "intermediate": "eats breakfast before starting the day"}[chronotype]
    day = _SETTING_DAYS[occupation.setting].format(start=clock_text(max(wake + 1.5, 9.0)),
                                                   end=clock_text(min(bed - 4, 17.5)))
    evening = "Spends evenings out with friends or on the phone" if extravert else "Spends quiet evenings at home"
    article = "An" if occupation.title[0] in "aeiou" else "A"
    return {
        "occupation": occupation.title,
        "background": f"{article} {occupation.title} {occupation.blurb}.",
        "current_interests": f"{first} enjoys " + " ".join(f"{i + 1}) {text}." for i, text in enumerate(interests)),
        "lifestyle": f"{first} typically 1) Wakes up at {clock_text(wake)} and {morning}. 2) {day}. "
                     f"3) {evening} and goes to bed around {clock_text(bed)}.",
        "daily_plan_req": " ".join(f"{i + 1}) {TOPIC_PROFILES[t][2]}." for i, t in enumerate(topics[:3])),
        "long_term_goals": TOPIC_PROFILES[topics[0]][3] + ".",
        "living_area": rng.choice(LIVING_AREAS),
    }


def _preferences_record(prefs: Preferences) -> dict:
    """``prefs`` as the JSON-style dict that :func:`persona_from_dict` validates."""
    return {
        "liked": [{"topic": p.topic, "during": list(p.during)} for p in prefs.liked],
        "disliked": list(prefs.disliked),
        "receptive_hours": [list(w) for w in prefs.receptive_hours],
        "do_not_disturb": list(prefs.do_not_disturb),
        "frequency": asdict(prefs.frequency),
        "tone": prefs.tone,
        "length": prefs.length,
        "sensitive_topics": list(prefs.sensitive_topics),
    }


def _persona_dict(index: int, seed: int, combo: tuple[str, ...]) -> dict:
    rng = random.Random(f"propersim-persona:{seed}:{index}")
    b5 = dict(zip(TRAITS, combo))
    occupation = rng.choices(OCCUPATIONS, [1 + 2 * _matches(combo, o.affinity) for o in OCCUPATIONS])[0]
    age = rng.randint(*occupation.ages)
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    chronotype = _chronotype(rng, b5, occupation.setting)
    wake = rng.choice([w for w in WAKE_HOURS[chronotype] if occupation.setting != "office" or w <= 7.5])
    bed = min(24.0, wake + 16 + rng.choice((-1.0, -0.5, 0.0, 0.5)))
    prefs = _preferences(rng, combo, occupation, age, wake, bed)
    rubric = write_rubric(prefs, variant=rng.randrange(6))
    texts = _describe(rng, first, occupation, chronotype, b5["extraversion"] == "high", wake, bed, prefs)
    return {
        "persona_id": index + 1, "name": f"{first} {last}", "age": age, "big_five": b5, "chronotype": chronotype,
        **texts,
        "rubric": asdict(rubric),
        "preferences": _preferences_record(prefs),
        "extra": {"source": "generated", "seed": seed, "wake_hour": wake, "bedtime_hour": bed,
                  "work_setting": occupation.setting},
    }


def generate_personas(n: int, seed: int) -> list[Persona]:
    """Generate ``n`` coherent personas with ids 1..n.

    Args:
        n: how many personas (>= 1).
        seed: any integer; the same ``(n, seed)`` always gives the same personas, and persona *i*
            does not depend on ``n``.

    Returns:
        Validated personas; each block of 32 consecutive ids covers all Big Five combinations.

    Raises:
        ValueError: ``n`` is not a positive integer.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidInputError(f"n must be a positive integer, got {n!r}")
    personas, order = [], []
    for index in range(n):
        if index % len(TRAIT_COMBINATIONS) == 0:
            order = list(TRAIT_COMBINATIONS)
            random.Random(f"propersim-traits:{seed}:{index // len(order)}").shuffle(order)
        d = _persona_dict(index, seed, order[index % len(order)])
        personas.append(persona_from_dict(d, where=f"generated persona {index + 1} (seed {seed})"))
    return personas
