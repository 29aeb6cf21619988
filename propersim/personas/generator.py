"""Procedural persona generation: varied, trait-coherent personas, deterministic per seed.

Each persona draws from its own ``random.Random`` seeded by ``(seed, index)``, so persona *i* is the
same whatever ``n`` is, and the same seed gives byte-identical files via
:func:`~propersim.personas.schema.dump_personas`. Big Five combinations go round all 32 in a
seed-shuffled order, so every block of 32 consecutive personas holds each combination once.

How traits shape a persona (weights below are relative, not probabilities):

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
from typing import NamedTuple

from propersim.personas.rubric_writer import SENSITIVE_PHRASES, clock_text, write_rubric
from propersim.personas.schema import (
    LEVELS, TRAITS, Frequency, Persona, Preferences, TopicPreference, persona_from_dict,
)
from propersim.personas.vocab import ACTIVITY_KINDS, TOPICS

#: All 32 High/Low Big Five combinations, in E, A, C, O, N order.
TRAIT_COMBINATIONS: tuple[tuple[str, ...], ...] = tuple(itertools.product(LEVELS, repeat=len(TRAITS)))

#: The simulator's tick (the paper's 2.5 simulated minutes), for frequency feasibility.
TICK_HOURS = 2.5 / 60
#: Chronotype -> possible wake-up hours.
WAKE_HOURS = {"early": (5.5, 6.0, 6.5), "intermediate": (7.0, 7.5, 8.0), "late": (8.5, 9.0, 9.5, 10.0)}


class Occupation(NamedTuple):
    """A job with its daily setting, age range, trait affinities ("C+ E-") and related topics."""

    title: str
    setting: str  # home, office, shift, student or retired
    ages: tuple[int, int]
    affinity: str
    topics: tuple[str, ...]
    blurb: str


OCCUPATIONS = (
    Occupation("freelance illustrator", "home", (22, 55), "O+ C-", ("creativity",),
               "who draws book covers and posters from a corner of the living room"),
    Occupation("remote software developer", "home", (23, 58), "C+ E-", ("productivity", "learning"),
               "who builds web services for a small company from home"),
    Occupation("freelance translator", "home", (25, 68), "E- O+", ("reading", "learning"),
               "who translates novels and technical manuals from home"),
    Occupation("copy editor", "home", (26, 64), "C+ E-", ("reading",),
               "who edits magazine features from a home office"),
    Occupation("online language tutor", "home", (21, 60), "E+ A+", ("learning", "social"),
               "who teaches video lessons to students in several time zones"),
    Occupation("graphic designer", "home", (22, 50), "O+", ("creativity", "home_decor"),
               "who designs brand identities for small businesses from home"),
    Occupation("novelist", "home", (28, 75), "O+ E-", ("reading", "creativity"),
               "who is drafting a third mystery novel at the kitchen table"),
    Occupation("podcast producer", "home", (24, 45), "E+ O+", ("music", "learning"),
               "who edits interview shows in a home studio"),
    Occupation("data analyst", "home", (24, 55), "C+ A-", ("productivity", "finance"),
               "who builds sales dashboards for a retailer, mostly from home"),
    Occupation("bookkeeper", "home", (30, 66), "C+", ("finance", "organizing"),
               "who keeps the accounts of a dozen local shops from a home office"),
    Occupation("customer support agent", "home", (20, 50), "A+ E+", ("social", "entertainment"),
               "who answers chat tickets for an online store from home"),
    Occupation("ceramicist", "home", (30, 70), "O+ A+", ("creativity", "home_decor"),
               "who throws pots in a garage studio and sells them at weekend markets"),
    Occupation("stay-at-home parent", "home", (27, 48), "A+", ("cooking", "organizing"),
               "who runs a busy household with two school-age children"),
    Occupation("online shop owner", "home", (25, 60), "E+ C+", ("finance", "productivity"),
               "who sells handmade candles through an online shop"),
    Occupation("secondary school teacher", "office", (24, 64), "E+ A+ C+", ("learning", "reading"),
               "who teaches history at the local secondary school"),
    Occupation("civil engineer", "office", (25, 64), "C+ O-", ("productivity",),
               "who inspects bridges and roads for the city"),
    Occupation("pharmacist", "office", (26, 66), "C+ A+", ("nutrition",),
               "who runs the counter at a neighbourhood pharmacy"),
    Occupation("bank clerk", "office", (22, 62), "C+ O-", ("finance",),
               "who handles loans and accounts at a branch downtown"),
    Occupation("architect", "office", (27, 66), "O+ C+", ("home_decor", "creativity"),
               "who designs small housing projects at a city firm"),
    Occupation("sales manager", "office", (28, 60), "E+ A-", ("social", "productivity"),
               "who leads a team selling office furniture"),
    Occupation("librarian", "office", (25, 66), "E- A+", ("reading", "learning"),
               "who runs the children's section of the public library"),
    Occupation("dental hygienist", "office", (23, 60), "C+ A+", ("nutrition",),
               "who works at a busy family dental practice"),
    Occupation("electrician", "office", (20, 64), "C+ O-", ("organizing",),
               "who wires new houses for a local contractor"),
    Occupation("HR coordinator", "office", (24, 60), "A+ E+", ("social", "productivity"),
               "who organizes hiring and training at a logistics company"),
    Occupation("lab technician", "office", (22, 60), "C+ E-", ("learning",),
               "who runs blood tests at a hospital laboratory"),
    Occupation("physiotherapist", "office", (25, 62), "A+ E+", ("fitness",),
               "who treats sports injuries at a small clinic"),
    Occupation("journalist", "office", (23, 65), "O+ A-", ("news", "reading"),
               "who covers local politics for a regional newspaper"),
    Occupation("barista", "office", (19, 35), "E+ C-", ("music", "social"),
               "who works the morning shift at a busy café"),
    Occupation("bakery owner", "office", (30, 65), "C+ A+", ("cooking",), "who opens a small bakery before dawn"),
    Occupation("postal carrier", "office", (21, 64), "C+ O-", ("fitness",),
               "who delivers mail on foot in the old town"),
    Occupation("nurse", "shift", (22, 64), "A+ C+", ("rest", "nutrition"),
               "who works rotating shifts on a hospital ward"),
    Occupation("paramedic", "shift", (23, 58), "E+ N-", ("fitness", "rest"), "who works twelve-hour ambulance shifts"),
    Occupation("restaurant chef", "shift", (23, 60), "O+ E+", ("cooking", "music"),
               "who runs the kitchen of a busy bistro in the evenings"),
    Occupation("bus driver", "shift", (25, 64), "A+ O-", ("music", "rest"),
               "who drives city routes on early and late shifts"),
    Occupation("security guard", "shift", (20, 64), "E- O-", ("entertainment", "rest"),
               "who guards an office tower on rotating shifts"),
    Occupation("university student in biology", "student", (18, 25), "O+", ("learning", "gardening"),
               "in the third year of a biology degree"),
    Occupation("graduate student in economics", "student", (23, 30), "C+ O+", ("finance", "learning"),
               "writing a master's thesis on housing markets"),
    Occupation("nursing student", "student", (19, 28), "A+ C+", ("fitness", "learning"),
               "balancing lectures with hospital placements"),
    Occupation("art school student", "student", (18, 26), "O+ C-", ("creativity", "music"),
               "studying painting and sharing a flat with two classmates"),
    Occupation("law student", "student", (21, 28), "C+ E+", ("reading", "news"), "preparing for the bar exam"),
    Occupation("retired postal worker", "retired", (63, 80), "A+ O-", ("gardening", "entertainment"),
               "who spent forty years delivering letters and now keeps an allotment"),
    Occupation("retired history teacher", "retired", (63, 80), "O+ E+", ("reading", "learning"),
               "who volunteers at the town museum"),
    Occupation("retired civil servant", "retired", (62, 79), "C+ O-", ("news", "organizing"),
               "who worked at the tax office for three decades"),
    Occupation("retired carpenter", "retired", (64, 80), "C+ E-", ("home_decor", "gardening"),
               "who still builds furniture in the garden shed"),
    Occupation("retired nurse", "retired", (62, 80), "A+", ("cooking", "social"),
               "who looks after the grandchildren twice a week"),
    Occupation("retired bank manager", "retired", (63, 79), "C+ A-", ("finance", "news"),
               "who manages the family's savings"),
)

FIRST_NAMES = (
    "Amara", "Bilal", "Camille", "Dmitri", "Esther", "Farid", "Greta", "Hiroshi", "Ines", "Jamal", "Keiko", "Lars",
    "Mariana", "Nikhil", "Olufemi", "Paola", "Quentin", "Rania", "Sven", "Tamar", "Umar", "Valentina", "Wen", "Ximena",
    "Yusuf", "Zofia", "Aiko", "Bruno", "Chiara", "Darius", "Elif", "Felix", "Gabriela", "Hamza", "Ingrid", "Joaquin",
    "Kwame", "Leila", "Mateo", "Nadia", "Oskar", "Priyanka", "Ruth", "Santiago", "Thandiwe", "Ulla", "Viktor",
    "Wanjiru", "Xavier", "Yara", "Zane", "Anika", "Bao", "Celeste", "Diego", "Emeka", "Freya", "Goran", "Hana", "Ivan",
    "Jun", "Kalani", "Lucia", "Malik", "Noor", "Orla", "Pedro", "Rosa", "Sanjay", "Tova", "Uriel", "Vera",
)
LAST_NAMES = (
    "Abebe", "Bergström", "Castillo", "Dubois", "Eriksen", "Fernandes", "Gallagher", "Haddad", "Ivanova", "Jovanović",
    "Kowalski", "Lindqvist", "Mensah", "Nakamura", "Okonkwo", "Petrov", "Quispe", "Rossi", "Schneider", "Tanaka",
    "Urquhart", "Varga", "Wójcik", "Xu", "Yilmaz", "Zhang", "Acheampong", "Bianchi", "Chowdhury", "Delgado", "Esposito",
    "Fitzgerald", "García", "Hoffmann", "Iyer", "Jensen", "Kim", "Lopez", "Moreau", "Novak", "Oyelaran", "Park",
    "Reyes", "Santos", "Takahashi", "Uddin", "Van Dijk", "Williams", "Yamamoto", "Zapata",
)
LIVING_AREAS = (
    "a one-bedroom flat above a bakery",
    "a studio apartment near the train station",
    "a terraced house with a small garden",
    "a shared flat with two housemates",
    "a bungalow at the edge of town",
    "a top-floor apartment with a balcony",
    "a converted loft in the old mill district",
    "a semi-detached house on a quiet street",
    "a small cottage with a vegetable patch",
    "a high-rise apartment overlooking the harbour",
    "a ground-floor flat with a courtyard",
    "a townhouse close to the park",
)

#: topic -> (trait affinity, interest phrases, a daily plan item, a long-term goal). A repeated code counts twice.
TOPIC_PROFILES: dict[str, tuple[str, tuple[str, ...], str, str]] = {
    "music": ("E+ O+", ("Discovering new albums and live recordings", "Playing the piano for fun"),
             "Practice an instrument for 20 minutes", "Playing in a small band at a local café"),
    "cooking": ("A+", ("Cooking dishes from different regions", "Baking bread at the weekend"),
               "Cook a new recipe for dinner", "Putting together a family cookbook"),
    "nutrition": ("C+ N+", ("Planning balanced meals", "Trying healthy snack recipes"),
                 "Prepare healthy lunches for the week", "Building lasting healthy eating habits"),
    "fitness": ("C+ E+", ("Running in the park", "Following home workout routines"),
               "Do a 30-minute workout", "Running a half marathon"),
    "mindfulness": ("N+ O+", ("Meditating in the mornings", "Breathing exercises to stay calm"),
                   "Meditate for 15 minutes", "Building a steady meditation practice"),
    "reading": ("E- O+", ("Reading historical novels", "Keeping up with a book club list"),
               "Read two chapters of a novel", "Reading fifty books in a year"),
    "productivity": ("C+", ("Trying new planning systems", "Streamlining daily routines"),
                    "Plan tomorrow's priorities", "Running a calm, well-planned week every week"),
    "social": ("E+ E+ A+", ("Hosting dinners for friends", "Keeping in touch with family abroad"),
              "Call a friend in the evening", "Organizing a reunion with old friends"),
    "home_decor": ("O+ A+", ("Rearranging furniture for a fresh look", "Collecting vintage lamps"),
                  "Rearrange one corner of the living room", "Turning the flat into a cosy, personal home"),
    "gardening": ("A+ E-", ("Growing herbs on the windowsill", "Tending a small vegetable patch"),
                 "Water and prune the plants", "Growing most of the summer vegetables at home"),
    "learning": ("O+ C+", ("Learning a new language", "Taking short online courses"),
                "Study a language lesson for 30 minutes", "Becoming fluent in a second language"),
    "creativity": ("O+ C-", ("Sketching street scenes", "Keeping an art journal"),
                  "Sketch for half an hour", "Holding a small exhibition of personal artwork"),
    "rest": ("N+ C-", ("Taking long naps on weekends", "Slow afternoons with tea"),
            "Take a proper lunch break", "Finding a calmer pace of life"),
    "finance": ("C+ A-", ("Tracking expenses in a spreadsheet", "Reading about investing"),
               "Review the monthly budget", "Saving enough to buy a home"),
    "news": ("A- E-", ("Following international politics", "Reading several newspapers a day"),
            "Read the morning headlines", "Writing letters to the editor that get published"),
    "entertainment": ("C- O-", ("Watching crime series", "Playing board games"),
                     "Watch an episode of a favourite series", "Seeing every film on a classic-cinema list"),
    "organizing": ("C+ N+", ("Decluttering one drawer at a time", "Labelling everything in the pantry"),
                  "Tidy one room", "Keeping a clutter-free home for good"),
    "sleep": ("N+", ("Trying calming bedtime routines", "Reading about sleep science"),
             "Switch off screens an hour before bed", "Sleeping eight hours a night"),
}

#: topic -> activity kinds a recommendation on it may fit.
TOPIC_FITS: dict[str, tuple[str, ...]] = {
    "music": ("creative", "relaxing", "chores", "cooking", "exercise"), "cooking": ("cooking", "planning"),
    "nutrition": ("eating", "cooking", "working"), "fitness": ("exercise", "working", "relaxing"),
    "mindfulness": ("meditation", "relaxing", "journaling"), "reading": ("reading", "relaxing"),
    "productivity": ("working", "planning"), "social": ("socializing", "relaxing", "planning"),
    "home_decor": ("creative", "chores", "planning"), "gardening": ("gardening", "planning"),
    "learning": ("reading", "chores", "working"), "creativity": ("creative", "journaling", "relaxing"),
    "rest": ("working", "relaxing"), "finance": ("planning", "working"), "news": ("eating", "relaxing"),
    "entertainment": ("relaxing", "eating"), "organizing": ("chores", "planning"), "sleep": ("relaxing", "hygiene"),
}

#: do-not-disturb kind -> (base weight, trait affinity).
DND_PROFILES = {
    "working": (2.0, "C+"), "meditation": (0.5, "N+"), "journaling": (0.5, "N+ O+"), "eating": (1.0, "C+"),
    "hygiene": (1.0, "N+"), "exercise": (0.5, "C+"), "reading": (0.5, "E-"), "socializing": (0.5, "E-"),
    "creative": (0.5, "O+"), "cooking": (0.5, ""),
}
#: sensitive topic -> trait affinity.
SENSITIVE_PROFILES = {
    "finance": "N+ C-", "news": "N+", "sleep": "N+", "fitness": "N+ E-", "nutrition": "N+", "social": "E-",
}

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
        raise ValueError(f"n must be a positive integer, got {n!r}")
    personas, order = [], []
    for index in range(n):
        if index % len(TRAIT_COMBINATIONS) == 0:
            order = list(TRAIT_COMBINATIONS)
            random.Random(f"propersim-traits:{seed}:{index // len(order)}").shuffle(order)
        d = _persona_dict(index, seed, order[index % len(order)])
        personas.append(persona_from_dict(d, where=f"generated persona {index + 1} (seed {seed})"))
    return personas
