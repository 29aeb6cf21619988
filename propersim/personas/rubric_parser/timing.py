"""Read a timing rubric text: receptive windows, in hours since midnight, and do-not-disturb activities.

Only sentences that ask for recommendations (prefer, receive, ideal, appreciate, receptive, ...)
count, and only their positive part. Clock times need am/pm, a colon, "noon" or "midnight"
(a bare h:mm reads as a 24-hour clock). "between A and B" / "from A to B" / "A-B" -> [A, B]
(a start without am/pm takes the end's when that keeps it earlier); "after T" -> [T, 24] from
5 pm on, else [T, T+3]; "before T" -> [T-2, T]; "around/at T" -> [T-1, T+1]. Named periods map
to :data:`PERIODS` ("late morning" 10-12, "in the evening" 18-21, "before bed" 21-23, "at lunch"
12-14, ...) unless a clock time follows within 30 characters (it is the more precise) or they are
used as an adjective ("my evening journaling", "morning recommendations") or a purpose ("ideas for
the evening"). Windows are clipped to 0-24 (no window crosses midnight), then overlapping or
touching ones are merged.
"""

from __future__ import annotations

import re

from propersim.personas.rubric_parser.reading import _kind_order, _sentences, _split_negative
from propersim.personas.vocab import detect_kinds

#: Named day periods -> (start, end) hours.
PERIODS: dict[str, tuple[float, float]] = {
    "early morning": (5.0, 9.0),
    "late morning": (10.0, 12.0),
    "morning": (7.0, 11.0),
    "midday": (12.0, 14.0),
    "early afternoon": (12.0, 14.0),
    "late afternoon": (15.0, 18.0),
    "afternoon": (13.0, 17.0),
    "early evening": (17.0, 19.0),
    "late evening": (21.0, 23.0),
    "evening": (18.0, 21.0),
    "night": (20.0, 23.0),
    "bedtime": (21.0, 23.0),
    "breakfast": (7.0, 9.0),
    "lunch": (12.0, 14.0),
    "dinner": (18.0, 20.0),
}

_WANT_CUE = re.compile(
    r"\b(?:prefer\w*|receiv\w*|recommend\w*|suggest\w*|ideal\w*|appreciat\w*|best|open\s+to|welcome|like|love"
    r"|want|happy|fine|receptive|send|reach\s+me|hear|works?|suits?|good|great)\b")
_CALENDAR_WORDS = re.compile(r"\b(?:schedul\w*|routines?|plans?)\b")

_MERIDIEM = r"(?P<mer>a\.?\s?m\b\.?|p\.?\s?m\b\.?)"
_CLOCK = re.compile(rf"\b(?P<h>\d{{1,2}})(?::(?P<m>\d{{2}}))?\s*{_MERIDIEM}|\b(?P<h24>\d{{1,2}}):(?P<m24>\d{{2}})\b"
                    r"|\b(?P<word>noon|midnight)\b"
                    r"|\b(?P<bare>\d{1,2})(?=\s*(?:and|to|until|till|-|–)\s*\d{1,2}(?::\d{2})?\s*[ap]\.?\s?m\b)")
_PERIOD = re.compile(
    r"\b(?P<p>early\s+morning|late\s+morning|early\s+afternoon|late\s+afternoon|early\s+evening|late\s+evening"
    r"|morning|afternoon|evening|midday)s?\b"
    r"|\b(?P<night>(?:at|during\s+the|late\s+at)\s+night)\b"
    r"|\b(?P<bed>before\s+(?:\w+\s+)?(?:to\s+)?bed|bedtime)\b"
    r"|\b(?:during|at|over|with|after|while\s+(?:i'm\s+|i\s+am\s+)?(?:having|eating))\s+(?:my\s+|the\s+|a\s+)?"
    r"(?:\w+\s+)?(?P<meal>breakfast|lunch|dinner)\b")
_PERIOD_ADVERBIAL_AFTER = re.compile(
    r"\s*(?:$|[,.;:!?()—–-]|(?:when|while|or|and|after|before|between|around|at|from|until|till|to|is|are|as|so"
    r"|because|since|if|i|i'm|hours|time|times|by|with|during|would|will|should|could|might|can|once|too|again"
    r"|ideally|preferably|especially|only)\b)")
_NOT_A_TIME_BEFORE = re.compile(r"\b(?:my|our|his|her|their|your)\s+(?:\w+\s+)?$|\b(?:for|of|next|this)\s+(?:the\s+)?$")
_LIST_JOIN = re.compile(r"\b(?:and|or)\b")
_RANGE_JOIN = re.compile(r"^\s*(?:and|to|until|till|through|-|–)\s*$")
_RANGE_START = re.compile(r"\b(?:between|from)\s*$")
_AFTER = re.compile(r"\bafter\s*$")
_BEFORE = re.compile(r"\bbefore\s*$")


def _clock_value(m: re.Match) -> tuple[float, str | None]:
    """(hour on the 12-hour dial, "a"/"p" or None for a 24-hour clock) of a clock match."""
    if m.group("word"):
        return 12.0, "p" if m.group("word") == "noon" else "a"
    if m.group("h24") is not None:
        return int(m.group("h24")) + int(m.group("m24")) / 60, None
    if m.group("bare") is not None:
        return float(m.group("bare")), None
    return int(m.group("h")) + int(m.group("m") or 0) / 60, m.group("mer")[0]


def _to_24h(hour: float, mer: str | None, is_end: bool = False) -> float:
    """Hours since midnight; midnight is 24 when it ends a window."""
    if mer is not None:
        hour = hour % 12 + (12 if mer == "p" else 0)
    return 24.0 if is_end and hour == 0 else hour


def _clock_windows(part: str) -> tuple[list[tuple[float, float]], list[tuple[int, int]]]:
    """Windows from clock expressions in ``part`` and the spans they cover."""
    clocks = [m for m in _CLOCK.finditer(part) if not (m.group("h24") and int(m.group("h24")) > 24)]
    windows, spans, i = [], [], 0
    while i < len(clocks):
        m = clocks[i]
        hour, mer = _clock_value(m)
        before = part[:m.start()]
        nxt = clocks[i + 1] if i + 1 < len(clocks) else None
        joiner = part[m.end():nxt.start()] if nxt is not None else ""
        # "A and B" is a range only after "between"/"from"; "A to B", "A-B" always are.
        if nxt is not None and _RANGE_JOIN.match(joiner) and (joiner.strip() != "and" or _RANGE_START.search(before)):
            end_hour, end_mer = _clock_value(nxt)
            end = _to_24h(end_hour, end_mer, is_end=True)
            if mer is None and hour <= 12:
                start = _to_24h(hour, end_mer)
                start = start if start < end else _to_24h(hour, "a")
            else:
                start = _to_24h(hour, mer)
            windows.append((start, end if end > start else 24.0))
            spans.append((m.start(), nxt.end()))
            i += 2
            continue
        if _AFTER.search(before):
            t = _to_24h(hour, mer)
            windows.append((t, 24.0 if t >= 17 else t + 3))
        elif _BEFORE.search(before):
            t = _to_24h(hour, mer, is_end=True)
            windows.append((t - 2, t))
        else:
            t = _to_24h(hour, mer)
            windows.append((t - 1, t + 1))
        spans.append(m.span())
        i += 1
    return windows, spans


def _period_windows(part: str, clock_spans: list[tuple[int, int]]) -> list[tuple[float, float]]:
    windows = []
    for m in _PERIOD.finditer(part):
        if m.group("meal"):
            key = m.group("meal")
        elif m.group("night"):
            key = "night"
        elif m.group("bed"):
            key = "bedtime"
        else:
            key = re.sub(r"\s+", " ", m.group("p"))
            if _NOT_A_TIME_BEFORE.search(part[:m.start()]) or not _PERIOD_ADVERBIAL_AFTER.match(part, m.end()):
                continue
        if any(0 <= s - m.end() <= 30 or (0 <= m.start() - e <= 10 and not _LIST_JOIN.search(part, e, m.start()))
               for s, e in clock_spans):
            continue  # "in the morning between 6 and 9 am", "8 pm in the evening": the clock time is more precise
        windows.append(PERIODS[key])
    return windows


def _merge(windows: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    merged: list[list[float]] = []
    for start, end in sorted((max(0.0, s), min(24.0, e)) for s, e in windows):
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((s, e) for s, e in merged)


def parse_receptive_hours(text: str) -> tuple[tuple[float, float], ...] | None:
    """Read the receptive windows of a timing rubric text (rules in the module docstring).

    Args:
        text: e.g. "between 6:00 and 9:00 AM ... and after 9:00 PM".

    Returns:
        Sorted, merged ``(start, end)`` hour windows, or None when no time phrase is found.
    """
    windows = []
    for sentence in _sentences(text):
        positive, _ = _split_negative(sentence)
        if not _WANT_CUE.search(positive):
            continue
        clock, spans = _clock_windows(positive)
        windows += clock + _period_windows(positive, spans)
    merged = _merge(windows)
    return merged or None


def parse_do_not_disturb(text: str) -> tuple[str, ...] | None:
    """Activity kinds named in the negative parts of a timing text ("don't interrupt my breakfast").

    Calendar words (schedule, routine, plans) are ignored: they frame an activity, not name one.

    Args:
        text: e.g. "I'd rather not be interrupted during my breakfast routine or evening journaling."

    Returns:
        Kinds in :data:`~propersim.personas.vocab.ACTIVITY_KINDS` order, or None when none is found.
    """
    kinds: set[str] = set()
    for sentence in _sentences(text):
        kinds |= detect_kinds(_CALENDAR_WORDS.sub(" ", _split_negative(sentence)[1]))
    return _kind_order(kinds) or None
