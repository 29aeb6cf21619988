"""Import the original ProPerSim persona file: keep its texts verbatim and derive the structured fields.

The original format (``personas_32.jsonl``) has one JSON object per line with ``persona_id``, ``name``,
``age``, ``big_five_personality_traits`` (a sentence), ``background``, ``current_interests``,
``lifestyle``, ``daily_plan_req``, ``long_term_goals``, ``living_area`` and ``criteria`` (four
first-person rubric texts). Rubric and description texts are copied unchanged; structured fields
are derived:

* ``big_five`` from the trait sentence (required: an unreadable sentence is an error);
* ``occupation`` from the background ("... turned X", "now a X", "works as a X", else its first
  clause; "now retired" makes it "retired X");
* ``chronotype`` from wake-up clues: a wake time before 7 am is early, 9 am or later is late,
  in between intermediate; "sleeps in" / "wake up late" is late;
* preferences with :mod:`propersim.personas.rubric_parser`, then completed from the whole persona, since the
  original's judge reads the persona card beside each rubric text:

  - liked topics: the rubric's (with the activities they fit), then the topics named in ``current_interests``,
    ``lifestyle`` and ``daily_plan_req`` (what the persona does and cares about; fitting any activity, and
    freeing a rubric topic of its activity limits), then the :data:`~propersim.personas.vocab.RELATED_TOPICS`
    of the rubric's topics (fitting what their source fits; the card's topics bring none, as its long texts
    would make almost every topic liked);
  - do-not-disturb: an activity kind the preference text names as a moment for wanted suggestions ("reading
    materials when I'm writing") is dropped from the timing text's do-not-disturb kinds ("not during deep
    writing sessions"): the two texts disagree, and a judge reading both does not fail the moment.

Coverage counts only real parses. A field that cannot be parsed gets the fallback below and is
listed in ``extra["fallbacks"]`` of that persona:

=================  ==========================================================================
occupation         "unspecified"
chronotype         "intermediate"
liked              the persona card's topics and their related topics (above); "rest" if none is named
                   anywhere
disliked           none
receptive_hours    the chronotype's waking day (:data:`AWAKE_WINDOWS`)
do_not_disturb     none
frequency          :data:`FALLBACK_FREQUENCY` ("about once every 3 hours")
tone / length      "any"
sensitive_topics   none
=================  ==========================================================================
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from propersim.personas import rubric_parser
from propersim.personas.schema import TRAITS, Frequency, Persona, PersonaFileError, persona_from_dict, read_personas
from propersim.personas.vocab import RELATED_TOPICS, detect_topics

#: Original criteria key -> Rubric field.
CRITERIA_FIELDS = {
    "Personal_Preference": "personal_preference",
    "Timing": "timing",
    "Frequency": "frequency",
    "Communication_&_Safety": "communication_safety",
}
TEXT_FIELDS = ("name", "background", "current_interests", "lifestyle", "daily_plan_req", "long_term_goals",
               "living_area")
#: Fields whose parse coverage :func:`import_propersim` reports.
COVERAGE_FIELDS = ("big_five", "occupation", "chronotype", "liked", "disliked", "receptive_hours", "do_not_disturb",
                   "frequency", "tone", "length", "sensitive_topics")
#: Receptive-hours fallback: the waking day of each chronotype.
AWAKE_WINDOWS = {"early": (6.0, 21.0), "intermediate": (7.5, 22.5), "late": (9.5, 24.0)}
#: Frequency fallback, what rubric_parser reads from "about once every 3 hours".
FALLBACK_FREQUENCY = Frequency(max_per_window=1, window_hours=3.0, max_per_day=6, max_gap_hours=4.5)
FALLBACK_TOPIC = "rest"

_TRAIT = re.compile(r"\b(high|low)\s+in\s+(extraversion|agreeableness|conscientiousness|openness|neuroticism)\b", re.I)
_WAKE = re.compile(
    r"\b(?:wakes?\s+up|wake\s+up|gets?\s+up|rises|starts?\s+(?:the|her|his|their|my)\s+day)\b[^.;)]*?"
    r"\b(?:at|around|by)\s+(\d{1,2})(?::(\d{2}))?\s*(a\.?m\.?|p\.?m\.?)", re.I)
_LATE_CLUE = re.compile(r"\b(?:sleeps?\s+in|wakes?\s+up\s+late|wake\s+up\s+late|late\s+riser|night\s+owl)\b", re.I)
_EARLY_CLUE = re.compile(r"\b(?:early\s+riser|before\s+dawn|up\s+at\s+dawn)\b", re.I)
_WORKS_AS = re.compile(
    r"\bworks?\s+(?:remotely\s+|from\s+home\s+|full-time\s+|part-time\s+)?as\s+an?\s+([^,.;]+)", re.I)
_TURNED = re.compile(r"\bturned\s+([^,.;]+)", re.I)
_NOW_A = re.compile(r",\s*now\s+an?\s+([^,.;]+)", re.I)
_RETIRED = re.compile(r"\bnow\s+retired\b|\bretirement\b", re.I)
_HEAD_END = re.compile(
    r"[,.;]|\s+(?:who|with|specializing|focused|focusing|dedicated|known|passionate|fascinated|deeply|traveling"
    r"|prefers|enjoys|often|now)\b", re.I)


def parse_big_five(sentence: str) -> dict[str, str] | None:
    """Trait levels from "High in Extraversion, Low in Agreeableness, ...", or None unless all five appear once."""
    found = [(m.group(2).lower(), m.group(1).lower()) for m in _TRAIT.finditer(sentence)]
    levels = dict(found)
    if len(found) != len(TRAITS) or set(levels) != set(TRAITS):
        return None
    return {t: levels[t] for t in TRAITS}


def _occupation_case(phrase: str) -> str:
    """Lower-case capitalized words but keep acronyms ("Tech entrepreneur and AI researcher")."""
    return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in phrase.split())


def _trim(phrase: str) -> str:
    m = _HEAD_END.search(phrase)
    return (phrase if m is None else phrase[:m.start()]).strip()


def parse_occupation(background: str) -> str | None:
    """The current occupation named by a background sentence, or None when it names none."""
    for pattern in (_WORKS_AS, _TURNED, _NOW_A):
        m = pattern.search(background)
        if m and _trim(m.group(1)):
            return _occupation_case(_trim(m.group(1)))
    head = _trim(background)
    if not head:
        return None
    if _RETIRED.search(background):
        head = "retired " + re.sub(r"^(?:former|retired)\s+", "", head, flags=re.I)
    return _occupation_case(head)


def parse_wake_hour(*texts: str) -> float | None:
    """The first stated wake-up time ("Wakes up at 6am", "Starts the day ... at 7am") in ``texts``, in hours."""
    for text in texts:
        m = _WAKE.search(text)
        if m:
            hour = int(m.group(1)) % 12 + int(m.group(2) or 0) / 60
            return hour + (12 if m.group(3).lower().startswith("p") else 0)
    return None


def parse_chronotype(*texts: str) -> str | None:
    """early / intermediate / late from wake-up clues in ``texts`` (thresholds in the module docstring)."""
    wake = parse_wake_hour(*texts)
    if wake is not None:
        return "early" if wake < 7 else "late" if wake >= 9 else "intermediate"
    joined = " ".join(texts)
    if _LATE_CLUE.search(joined):
        return "late"
    if _EARLY_CLUE.search(joined):
        return "early"
    return None


def _field(d: dict, key: str, typ: type, where: str, prefix: str = "") -> Any:
    if key not in d:
        raise PersonaFileError(f"{where}: missing field '{prefix}{key}'")
    value = d[key]
    if isinstance(value, bool) or not isinstance(value, typ):
        raise PersonaFileError(f"{where}: field '{prefix}{key}' must be {typ.__name__}, got {value!r}")
    return value


#: Persona-card fields whose topics count as liked (what the persona does and is interested in).
CARD_TOPIC_FIELDS = ("current_interests", "lifestyle", "daily_plan_req")


def complete_liked(rubric_liked, d: dict) -> list[dict]:
    """Liked topics of the rubric, then of the persona card, then the rubric's related topics (module docstring).

    Args:
        rubric_liked: :class:`~propersim.personas.schema.TopicPreference` items the rubric states, or None.
        d: the persona's text fields.

    Returns:
        ``[{"topic", "during"}]`` in that order, each topic once; ``[FALLBACK_TOPIC]`` when nothing is named.
    """
    during: dict[str, list[str] | None] = {p.topic: list(p.during) for p in rubric_liked or ()}
    stated = list(during)
    for key in CARD_TOPIC_FIELDS:
        for topic in detect_topics(d[key]):
            during[topic] = []
    for topic in stated:
        kinds = list(during[topic])
        for related in RELATED_TOPICS[topic]:
            if related not in during:
                during[related] = list(kinds)
            elif during[related]:  # limited to some moments: add the source's (all moments when it has none)
                during[related] = during[related] + [k for k in kinds if k not in during[related]] if kinds else []
    if not during:
        return [{"topic": FALLBACK_TOPIC, "during": []}]
    return [{"topic": t, "during": kinds} for t, kinds in during.items()]


def wanted_moments(rubric_liked) -> set[str]:
    """Activity kinds the preference text names as moments for wanted suggestions."""
    return {k for p in rubric_liked or () for k in p.during}


def _derive(d: dict, criteria: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Derived structured fields (with fallbacks) and the names of the fields actually parsed."""
    rp = rubric_parser
    values: dict[str, Any] = {
        "occupation": parse_occupation(d["background"]),
        "chronotype": parse_chronotype(d["lifestyle"], d["daily_plan_req"], criteria["timing"]),
        "liked": rp.parse_liked_topics(criteria["personal_preference"]),
        "disliked": rp.parse_disliked_topics(criteria["personal_preference"]),
        "receptive_hours": rp.parse_receptive_hours(criteria["timing"]),
        "do_not_disturb": rp.parse_do_not_disturb(criteria["timing"]),
        "frequency": rp.parse_frequency(criteria["frequency"]),
        "tone": rp.parse_tone(criteria["communication_safety"]),
        "length": rp.parse_length(criteria["communication_safety"]),
        "sensitive_topics": rp.parse_sensitive_topics(criteria["communication_safety"]),
    }
    parsed = [k for k, v in values.items() if v is not None]
    chronotype = values["chronotype"] or "intermediate"
    fallbacks = {
        "occupation": "unspecified", "chronotype": chronotype, "liked": None, "disliked": (),
        "receptive_hours": (AWAKE_WINDOWS[chronotype],), "do_not_disturb": (), "frequency": FALLBACK_FREQUENCY,
        "tone": "any", "length": "any", "sensitive_topics": (),
    }
    out = {k: v if v is not None else fallbacks[k] for k, v in values.items()}
    out["liked"] = complete_liked(values["liked"], d)
    wanted = wanted_moments(values["liked"])
    out["do_not_disturb"] = tuple(k for k in out["do_not_disturb"] if k not in wanted)
    return out, parsed


def import_record(d: Any, where: str) -> tuple[Persona, list[str]]:
    """Convert one original persona record.

    Args:
        d: the decoded JSON object.
        where: location for error messages (file and line).

    Returns:
        The persona and the names of the :data:`COVERAGE_FIELDS` that were really parsed.

    Raises:
        PersonaFileError: a field is missing, has the wrong type, or the trait sentence is unreadable.
    """
    if not isinstance(d, dict):
        raise PersonaFileError(f"{where}: expected a JSON object, got {type(d).__name__}")
    pid = _field(d, "persona_id", int, where)
    where = f"{where} (persona_id {pid})"
    age = _field(d, "age", int, where)
    texts = {k: _field(d, k, str, where) for k in TEXT_FIELDS}
    sentence = _field(d, "big_five_personality_traits", str, where)
    big_five = parse_big_five(sentence)
    if big_five is None:
        raise PersonaFileError(f"{where}: field 'big_five_personality_traits' is {sentence!r}; expected 'High in "
                               f"Extraversion, Low in Agreeableness, ...' naming each of the five traits once")
    raw = _field(d, "criteria", dict, where)
    criteria = {field: _field(raw, key, str, where, "criteria.") for key, field in CRITERIA_FIELDS.items()}
    derived, parsed = _derive(texts, criteria)
    prefs = {k: derived[k] for k in ("liked", "disliked", "do_not_disturb", "frequency", "tone", "length",
                                     "sensitive_topics")}
    prefs.update(
        disliked=list(prefs["disliked"]), do_not_disturb=list(prefs["do_not_disturb"]),
        sensitive_topics=list(prefs["sensitive_topics"]),
        receptive_hours=[list(w) for w in derived["receptive_hours"]],
        frequency={k: getattr(prefs["frequency"], k) for k in Frequency.__dataclass_fields__},
    )
    extra = {"source": "propersim", "big_five_personality_traits": sentence,
             "fallbacks": [f for f in COVERAGE_FIELDS if f != "big_five" and f not in parsed]}
    extra.update({k: d[k] for k in ("first_name", "last_name") if k in d})
    wake = parse_wake_hour(texts["lifestyle"], texts["daily_plan_req"], criteria["timing"])
    if wake is not None:
        extra["wake_hour"] = wake
    record = {"persona_id": pid, "age": age, "big_five": big_five, "occupation": derived["occupation"],
              "chronotype": derived["chronotype"], "rubric": criteria, "preferences": prefs, "extra": extra, **texts}
    return persona_from_dict(record, where), ["big_five"] + parsed


def import_propersim(src_path: str | Path) -> tuple[list[Persona], dict[str, int]]:
    """Read an original ProPerSim persona JSONL file.

    Args:
        src_path: e.g. ``../shared/reference/propersim/personas_32.jsonl``.

    Returns:
        The personas in file order, and per-field parse coverage: :data:`COVERAGE_FIELDS` -> number
        of personas whose field was parsed rather than filled by its fallback.

    Raises:
        FileNotFoundError: the file does not exist.
        PersonaFileError: a line is not JSON, a field is missing or invalid (the message names the
            line and field), an id repeats, or the file holds no persona.
    """
    built = read_personas(src_path, import_record, kind="ProPerSim persona")
    coverage = dict.fromkeys(COVERAGE_FIELDS, 0)
    for _, parsed in built:
        for f in parsed:
            coverage[f] += 1
    personas = [p for p, _ in built]
    return personas, coverage
