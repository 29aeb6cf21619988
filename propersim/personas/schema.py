"""The Persona record: the original ProPerSim fields, the personal rubric, and machine-checkable preferences.

Persona files are JSON Lines in UTF-8 (a leading byte-order mark is allowed), one persona per line.
:func:`load_personas` validates every field and raises :class:`PersonaFileError` naming the file, line and field
at fault (or the line and byte that is not UTF-8).
"""

from __future__ import annotations

import codecs
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from propersim.errors import InvalidInputError, MissingInputError
from propersim.personas.vocab import ACTIVITY_KINDS, TOPICS

TRAITS = ("extraversion", "agreeableness", "conscientiousness", "openness", "neuroticism")
LEVELS = ("high", "low")
CHRONOTYPES = ("early", "intermediate", "late")
TONES = ("casual", "formal", "any")
LENGTHS = ("short", "medium", "any")


class PersonaFileError(InvalidInputError):
    """A persona file or record does not match the schema."""


@dataclass(frozen=True)
class Rubric:
    """The persona's own rating criteria, first-person texts (the original's ``criteria``)."""

    personal_preference: str
    timing: str
    frequency: str
    communication_safety: str


@dataclass(frozen=True)
class TopicPreference:
    """A liked recommendation topic and the activity kinds it fits (empty: fits any activity)."""

    topic: str
    during: tuple[str, ...] = ()


@dataclass(frozen=True)
class Frequency:
    """Target recommendation frequency.

    Too often: more than ``max_per_window`` within ``window_hours``, or more than ``max_per_day`` in a day.
    Too rarely: abstaining when no recommendation came for ``max_gap_hours`` (since waking or the last one).
    """

    max_per_window: int
    window_hours: float
    max_per_day: int
    max_gap_hours: float


@dataclass(frozen=True)
class Preferences:
    """Structured preferences that make the rubric checkable by the oracle judge."""

    liked: tuple[TopicPreference, ...]
    disliked: tuple[str, ...]
    receptive_hours: tuple[tuple[float, float], ...]
    do_not_disturb: tuple[str, ...]
    frequency: Frequency
    tone: str = "any"
    length: str = "any"
    sensitive_topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class Persona:
    """One simulated user."""

    persona_id: int
    name: str
    age: int
    big_five: dict[str, str]
    occupation: str
    chronotype: str
    background: str
    current_interests: str
    lifestyle: str
    daily_plan_req: str
    long_term_goals: str
    living_area: str
    rubric: Rubric
    preferences: Preferences
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def trait_code(self) -> str:
        """Big Five as a five-letter H/L code in E, A, C, O, N order."""
        return "".join(self.big_five[t][0].upper() for t in TRAITS)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; the inverse of :func:`persona_from_dict`."""
        return json.loads(json.dumps(asdict(self)))  # tuples become lists, as in a JSONL file


def _require(d: dict, key: str, typ: type | tuple[type, ...], where: str) -> Any:
    if key not in d:
        raise PersonaFileError(f"{where}: missing field '{key}'")
    value = d[key]
    if isinstance(value, bool) or not isinstance(value, typ):
        names = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
        raise PersonaFileError(f"{where}: field '{key}' must be {names}, got {value!r}")
    return value


def _choice(value: str, allowed, key: str, where: str) -> str:
    if value not in allowed:
        raise PersonaFileError(f"{where}: field '{key}' is {value!r}; expected one of {sorted(allowed)}")
    return value


def _preferences(d: dict, where: str) -> Preferences:
    liked = []
    for i, item in enumerate(_require(d, "liked", list, where)):
        w = f"{where}.liked[{i}]"
        topic = _choice(_require(item, "topic", str, w), TOPICS, "topic", w)
        during = tuple(_choice(k, ACTIVITY_KINDS, "during", w) for k in item.get("during", []))
        liked.append(TopicPreference(topic, during))
    if not liked:
        raise PersonaFileError(f"{where}: field 'liked' must name at least one topic")
    disliked = tuple(_choice(t, TOPICS, "disliked", where) for t in _require(d, "disliked", list, where))
    windows = []
    for i, w in enumerate(_require(d, "receptive_hours", list, where)):
        if (not isinstance(w, list) or len(w) != 2 or not all(isinstance(x, (int, float)) for x in w)
                or not 0 <= w[0] < w[1] <= 24):
            raise PersonaFileError(
                f"{where}: field 'receptive_hours[{i}]' is {w!r}; expected [start, end] hours with 0 <= start < end <= 24")
        windows.append((float(w[0]), float(w[1])))
    dnd = tuple(_choice(k, ACTIVITY_KINDS, "do_not_disturb", where) for k in _require(d, "do_not_disturb", list, where))
    f = _require(d, "frequency", dict, where)
    fw = f"{where}.frequency"
    freq = Frequency(
        max_per_window=_require(f, "max_per_window", int, fw),
        window_hours=float(_require(f, "window_hours", (int, float), fw)),
        max_per_day=_require(f, "max_per_day", int, fw),
        max_gap_hours=float(_require(f, "max_gap_hours", (int, float), fw)),
    )
    if freq.max_per_window < 1 or freq.window_hours <= 0 or freq.max_per_day < 1 or freq.max_gap_hours <= 0:
        raise PersonaFileError(f"{fw}: counts must be >= 1 and hours > 0, got {f!r}")
    return Preferences(
        liked=tuple(liked),
        disliked=disliked,
        receptive_hours=tuple(windows),
        do_not_disturb=dnd,
        frequency=freq,
        tone=_choice(d.get("tone", "any"), TONES, "tone", where),
        length=_choice(d.get("length", "any"), LENGTHS, "length", where),
        sensitive_topics=tuple(_choice(t, TOPICS, "sensitive_topics", where) for t in d.get("sensitive_topics", [])),
    )


def persona_from_dict(d: dict, where: str = "persona") -> Persona:
    """Validate one persona record.

    Raises:
        PersonaFileError: naming ``where`` and the field at fault.
    """
    if not isinstance(d, dict):
        raise PersonaFileError(f"{where}: expected a JSON object, got {type(d).__name__}")
    pid = _require(d, "persona_id", int, where)
    where = f"{where} (persona_id {pid})"
    age = _require(d, "age", int, where)
    if not 16 <= age <= 110:
        raise PersonaFileError(f"{where}: field 'age' is {age}; expected 16..110")
    b5 = _require(d, "big_five", dict, where)
    if set(b5) != set(TRAITS):
        raise PersonaFileError(f"{where}: field 'big_five' must have exactly the keys {list(TRAITS)}, got {sorted(b5)}")
    for t in TRAITS:
        _choice(b5[t], LEVELS, f"big_five.{t}", where)
    r = _require(d, "rubric", dict, where)
    rubric = Rubric(**{k: _require(r, k, str, f"{where}.rubric") for k in Rubric.__dataclass_fields__})
    text = {k: _require(d, k, str, where) for k in (
        "name", "occupation", "background", "current_interests", "lifestyle", "daily_plan_req",
        "long_term_goals", "living_area")}
    return Persona(
        persona_id=pid,
        age=age,
        big_five={t: b5[t] for t in TRAITS},
        chronotype=_choice(_require(d, "chronotype", str, where), CHRONOTYPES, "chronotype", where),
        rubric=rubric,
        preferences=_preferences(_require(d, "preferences", dict, where), f"{where}.preferences"),
        extra=d.get("extra", {}),
        **text,
    )


def load_personas(path: str | Path) -> list[Persona]:
    """Read and validate a persona JSONL file.

    Raises:
        FileNotFoundError: the file does not exist.
        PersonaFileError: a line is not UTF-8 or not JSON, a field is missing or invalid, or an id repeats.
    """
    return [p for p, _ in read_personas(path, lambda d, where: (persona_from_dict(d, where), None))]


def read_personas(path: str | Path, build: Callable[[dict, str], tuple[Persona, Any]],
                  kind: str = "persona") -> list[tuple[Persona, Any]]:
    """Build a persona from every non-blank line of a JSONL file, rejecting repeated ids.

    Args:
        path: the JSONL file.
        build: ``(record, "path:line") -> (persona, extra)``; raises PersonaFileError on a bad record.
        kind: what the file holds, for the not-found message.

    Raises:
        FileNotFoundError: the file does not exist.
        PersonaFileError: a line is not UTF-8 or not JSON, a record is invalid, an id repeats, or there is no
            persona.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(f"{kind} file not found: {path}")
    built, seen = [], set()
    with path.open("rb") as fh:  # bytes, so that a decoding error names its line
        for lineno, raw in enumerate(fh, 1):
            where = f"{path}:{lineno}"
            line = _decode_line(raw, where)
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise PersonaFileError(f"{where}: not valid JSON ({e.msg})") from None
            persona, extra = build(record, where)
            if persona.persona_id in seen:
                raise PersonaFileError(f"{where}: persona_id {persona.persona_id} appears twice")
            seen.add(persona.persona_id)
            built.append((persona, extra))
    if not built:
        raise PersonaFileError(f"{path}: no personas in file")
    return built


def _decode_line(raw: bytes, where: str) -> str:
    """One line of a persona file as text: UTF-8, without the byte-order mark that some editors write at the
    start of a file (also dropped at the start of a later line, as in files joined together).

    Raises:
        PersonaFileError: the line is not valid UTF-8, naming the file, line and byte.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        utf16 = raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        fix = "it looks like UTF-16; save it as UTF-8" if utf16 else "save the file as UTF-8"
        raise PersonaFileError(f"{where}: not valid UTF-8 (byte 0x{raw[e.start]:02x} at byte {e.start + 1} of the "
                               f"line); {fix}") from None
    return text.removeprefix("\ufeff")


def dump_personas(personas, path: str | Path) -> None:
    """Write personas as JSONL (stable key order, so the same personas give the same bytes)."""
    with Path(path).open("w", encoding="utf-8") as fh:
        for p in personas:
            fh.write(json.dumps(p.to_dict(), ensure_ascii=False, sort_keys=True) + "\n")
