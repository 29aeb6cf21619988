"""Read a frequency rubric text into a :class:`~propersim.personas.schema.Frequency`.

Days are taken as :data:`AWAKE_HOURS` (16) awake hours. Ranges are read by their upper end for the
"too often" side (so "twice every 2 to 3 hours" is at most 2 per 3-hour window) and by their
lower end for the "too rarely" side.

* Window phrases, "C times every H hours" ("about twice every 2 to 3 hours", "once every 4 hours",
  "every 3 to 4 hours", "no more than once every two hours", "at least three-hour intervals"):
  ``max_per_window = C`` (1 when no count is given), ``window_hours = H``.
* Day phrases, "C times a day" ("three times a day", "5 to 7 times a day", "two or three times
  every day", "no more than 6 a day"): ``max_per_day = C``. Without a window phrase the window is
  one recommendation per half the even spacing, ``window_hours = floor_half(16 / C / 2)``
  ("three times a day": no two within 2.5 h). Enumerated occasions ("once in the morning and once
  before bed", "... a third time in the evening") count as a day phrase when no other is given.
* Without a day phrase, ``max_per_day = ceil(16 * max_per_window / window_hours)``, the most the
  window rule allows in a waking day.
* ``max_gap_hours`` (too rarely): an explicit "at least every G hours" / "longer than G hours"
  wins; else a rate window phrase gives ``H`` (1.5 * H when it allows only one per window, so a
  single spaced recommendation stays feasible); else a rate day phrase gives
  ``1.5 * 16 / C_low`` capped at 16; else the window rule as for a rate. Gaps round up to half
  hours. Phrases preceded by "at most", "no more than", "a maximum of", ... are caps: they bound
  the "too often" side only.
"""

from __future__ import annotations

import math
import re

from propersim.personas.rubric_parser.reading import _normalize
from propersim.personas.schema import Frequency

#: Awake hours assumed for per-day conversions.
AWAKE_HOURS = 16.0

_NUMBER_WORDS = {
    "once": 1, "twice": 2, "thrice": 3, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
}
_WORDS = "|".join(sorted((w for w in _NUMBER_WORDS if w not in ("once", "twice", "thrice")), key=len, reverse=True))
_NUM = rf"(?:\d+(?:\.\d+)?|{_WORDS})"
_COUNT = rf"(?:once|twice|thrice|\d+|{_WORDS})"
_SEP = r"\s*(?:or|to|-|–)\s*"


def _duration(p: str) -> str:
    """A duration ("2 to 3 hours", "four and a half hours", "an hour", "90 minutes") with group prefix ``p``."""
    return (rf"(?:(?P<{p}h1>{_NUM})(?:{_SEP}(?P<{p}h2>{_NUM}))?(?P<{p}half>\s+and\s+a\s+half)?[\s-]*"
            rf"|(?P<{p}halfonly>half\s+(?:an?\s+)?)|(?:an?|one)\s+)?(?P<{p}unit>hours?|hrs?|minutes?|mins?)\b")


_INTERVAL = re.compile(
    rf"\b(?:(?P<c1>{_COUNT})(?:{_SEP}(?P<c2>{_COUNT}))?\s+(?:(?:times?|recommendations?|suggestions?)\s+)?)?"
    rf"(?P<prep>every|each|per|in|within)\s+(?:any\s+|a\s+single\s+)?" + _duration("i"))
_SPACING = re.compile(rf"{_duration('s')}[\s-]*(?:intervals?|apart|between)")
_GAP = re.compile(
    rf"\bat\s+least\s+(?:once\s+|one\s+)?(?:every|each|in\s+any|in)\s+{_duration('a')}"
    rf"|\blonger\s+than\s+{_duration('b')}"
    rf"|\bmore\s+than\s+{_duration('c')}\s+(?:without|with\s+no)\b"
    rf"|\bif\s+{_duration('d')}\s+(?:go\s+by|pass(?:es)?)\s+(?:with\s+nothing|without)")
_DAILY = re.compile(
    rf"\b(?P<c1>{_COUNT})(?:{_SEP}(?P<c2>{_COUNT}))?\s+"
    r"(?:(?:times?|recommendations?|suggestions?|messages?|nudges?)\s+)?"
    r"(?:a|per|each|every|in\s+a|throughout\s+the|during\s+the|over\s+the|across\s+the)\s+(?:single\s+)?day\b"
    rf"|\b(?P<d1>{_COUNT})(?:{_SEP}(?P<d2>{_COUNT}))?\s+(?:times\s+)?daily\b")
_CAP_BEFORE = re.compile(
    r"(?:at\s+most|no\s+more\s+than|not\s+more\s+than|never\s+more\s+than|maximum\s+of|max(?:imum)?|up\s+to"
    r"|limit(?:ed)?\s+to|capped\s+at)\s*$")
_ONCE_OCCASION = re.compile(
    r"\bonce\s+(?:every|in|at|during|before|after|around)\s+(?:[\w']+\s+){0,2}?"
    r"(?:morning|afternoon|evening|night|breakfast|lunch|dinner|bed|noon|midday)")
_ORDINAL_TIME = re.compile(r"\b(?:a|the)\s+(second|third|fourth|fifth|sixth)\s+time\b")
_ORDINALS = {"second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6}


def _number(word: str) -> float:
    return float(_NUMBER_WORDS[word]) if word in _NUMBER_WORDS else float(word)


def _hours(m: re.Match, p: str) -> tuple[float, float]:
    """(low, high) hours of a :func:`_duration` match with prefix ``p``."""
    scale = 1 / 60 if m.group(f"{p}unit").startswith("m") else 1.0
    if m.group(f"{p}h1") is None:
        value = (0.5 if m.group(f"{p}halfonly") else 1.0) * scale
        return value, value
    half = 0.5 if m.group(f"{p}half") else 0.0
    low = _number(m.group(f"{p}h1")) + half
    high = _number(m.group(f"{p}h2")) + half if m.group(f"{p}h2") else low
    return low * scale, high * scale


def _counts(m: re.Match, g1: str, g2: str) -> tuple[int, int] | None:
    if m.group(g1) is None:
        return None
    low = int(_number(m.group(g1)))
    return low, int(_number(m.group(g2))) if m.group(g2) else low


def _ceil_half(x: float) -> float:
    return math.ceil(x * 2 - 1e-9) / 2


def _floor_half(x: float) -> float:
    return max(0.5, math.floor(x * 2 + 1e-9) / 2)


def _is_cap(text: str, start: int) -> bool:
    return _CAP_BEFORE.search(text[:start]) is not None


def _gap_for_window(count_low: int, hours: float) -> float:
    return _ceil_half(hours if count_low >= 2 else 1.5 * hours)


def parse_frequency(text: str) -> Frequency | None:
    """Read a frequency rubric text (mapping documented in the module docstring).

    Args:
        text: first-person text, e.g. "about twice every 2 to 3 hours".

    Returns:
        The frequency target, or None when the text has no window, day or occasion phrase.
    """
    low = _normalize(text)
    gap, gap_spans = None, []
    for m in _GAP.finditer(low):
        p = next(p for p in "abcd" if m.group(f"{p}unit"))
        gap = gap if gap is not None else _hours(m, p)[0]
        gap_spans.append(m.span())
    windows = []  # (count_low, count_high, hours_high, is_cap)
    for m in _INTERVAL.finditer(low):
        if any(s < m.end() and m.start() < e for s, e in gap_spans):
            continue
        counts = _counts(m, "c1", "c2")
        if counts is None and m.group("prep") not in ("every", "each"):
            continue
        c_low, c_high = counts or (1, 1)
        windows.append((c_low, c_high, _hours(m, "i")[1], _is_cap(low, m.start())))
    for m in _SPACING.finditer(low):
        windows.append((1, 1, _hours(m, "s")[0], True))
    days = []  # (count_low, count_high, is_cap)
    for m in _DAILY.finditer(low):
        c_low, c_high = _counts(m, "c1", "c2") or _counts(m, "d1", "d2")
        days.append((c_low, c_high, _is_cap(low, m.start())))
    if not days:
        occasions = max(len(_ONCE_OCCASION.findall(low)),
                        max((_ORDINALS[o] for o in _ORDINAL_TIME.findall(low)), default=0))
        if occasions:
            days.append((occasions, occasions, False))
    if not windows and not days:
        return None
    window = next((w for w in windows if w[3]), windows[0] if windows else None)
    if window is not None:
        max_per_window, window_hours = window[1], window[2]
    max_per_day = min((d[1] for d in days), default=None)
    if window is None:
        max_per_window, window_hours = 1, _floor_half(AWAKE_HOURS / max_per_day / 2)
    if max_per_day is None:
        max_per_day = math.ceil(AWAKE_HOURS * max_per_window / window_hours - 1e-9)
    if gap is None:
        rate_window = next((w for w in windows if not w[3]), None)
        rate_day = next((d for d in days if not d[2]), None)
        if rate_window is not None:
            gap = _gap_for_window(rate_window[0], rate_window[2])
        elif rate_day is not None:
            gap = _ceil_half(min(AWAKE_HOURS, 1.5 * AWAKE_HOURS / rate_day[0]))
        else:
            gap = _gap_for_window(max_per_window, window_hours)
    return Frequency(max_per_window=max_per_window, window_hours=float(window_hours),
                     max_per_day=max_per_day, max_gap_hours=float(gap))
