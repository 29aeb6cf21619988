"""Derive structured persona preferences from free first-person rubric texts.

Every ``parse_*`` function returns ``None`` when the text gives it nothing to go on; it never
substitutes a default. Callers (the importer) choose fallbacks and count them.

How texts are read
------------------
Text is lower-cased, curly quotes are straightened and it is split into sentences. A negative cue
("don't", "not", "avoid", "rather than", "without", "skip", ...) opens a negative part that runs to
the end of its clause; the rest of the sentence is positive ("I don't mind" counts as positive).
Positive parts state what the persona wants, negative parts what they do not want. Topics and
activity kinds are detected with :func:`propersim.personas.vocab.detect_topics` /
:func:`~propersim.personas.vocab.detect_kinds`.

Frequency phrases -> :class:`~propersim.personas.schema.Frequency`
-------------------------------------------------------------------
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

Time phrases -> receptive windows, in hours since midnight
-----------------------------------------------------------
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

import math
import re

from propersim.personas.schema import Frequency, TopicPreference
from propersim.personas.vocab import ACTIVITY_KINDS, TOPICS, detect_kinds, detect_topics

#: Awake hours assumed for per-day conversions.
AWAKE_HOURS = 16.0

#: Named day periods -> (start, end) hours.
PERIODS: dict[str, tuple[float, float]] = {
    "early morning": (6.0, 8.0),
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

_NEG = re.compile(
    r"\b(?:don't|do\s+not|doesn't|does\s+not|didn't|not|never|avoid\w*|rather\s+not|rather\s+than|instead\s+of"
    r"|without|won't|shouldn't|skip|dislike|hate|can't\s+stand|spare\s+me|no\s+(?:interest|recommendations?"
    r"|suggestions?|interruptions?|messages?|notifications?)|stay\s+away|keep\s+away|off-limits|leave\s+out)\b")
_NOT_NEG = re.compile(r"\b(?:don't|do\s+not|doesn't|does\s+not)\s+mind\b")
_WANT_CUE = re.compile(
    r"\b(?:prefer\w*|receiv\w*|recommend\w*|suggest\w*|ideal\w*|appreciat\w*|best|open\s+to|welcome|like|love"
    r"|want|happy|fine|receptive|send|reach\s+me|hear|works?|suits?|good|great)\b")
_LIKE_CUE = re.compile(
    r"\b(?:like|love|enjoy\w*|prefer\w*|appreciat\w*|welcome|want|fond|happy|glad|delight\w*|open\s+to|interested)\b")
_CLAUSE_END = re.compile(
    r"[;—–]|,\s*(?:as|so|since|because|which|allowing|and\s+allow\w*|but|when|while|like|then"
    r"|though|although|if|i|it|this|these|those|just)\b|\band\s+(?:allows?|lets?|gives?|helps?)\b")
_ACTIVITY_MARKER = re.compile(r"\b(?:when(?:ever)?|while|during|as\s+soon\s+as)\b")
_ACTIVITY_END = re.compile(
    r"[,;.:!?—–(]|\band\b(?=\s+(?:\w+\s+){0,4}?(?:ideas?|suggestions?|tips?|recommendations?|prompts?|picks?"
    r"|inspiration)\b)")
_REASON_CLAUSE = re.compile(r",\s*(?:as|since|because|so\s+that|which)\b[^,;.—–]*")
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

_TONE_WORDS = {
    "casual": re.compile(r"\b(?:casual\w*|friendly|warm|conversational|laid-back|relaxed|informal|playful"
                         r"|like\s+a\s+(?:good\s+)?friend)\b"),
    "formal": re.compile(r"\b(?:formal\w*|professional\w*|polite\w*|courteous|businesslike|neutral)\b"),
}
_ANY_TONE = re.compile(r"\bany\s+tone\b|\btone\s+(?:doesn't|does\s+not)\s+matter\b")
_LENGTH_WORDS = {
    "short": re.compile(r"\b(?:short|brief\w*|concise\w*|succinct\w*|to\s+the\s+point|minimal\w*|one-liners?"
                        r"|a\s+sentence\s+or\s+two)\b"),
    "medium": re.compile(r"\b(?:a\s+few\s+sentences|some\s+detail|a\s+bit\s+of\s+detail|medium-length|moderate\s+length"
                         r"|detailed|thorough|in-depth)\b"),
}
_NO_FLUFF = re.compile(r"\b(?:no|without)\s+(?:\w+\s+)?fluff\b")
_ANY_LENGTH = re.compile(r"\bany\s+length\b|\blength\s+(?:doesn't|does\s+not)\s+matter\b")
_CLAUSE_NEG = re.compile(r"\b(?:not|nothing|never|avoid\w*|too|overly|don't|no|without|rather\s+than|instead\s+of)\b")
_SENSITIVE_CUE = re.compile(
    r"\b(?:never|don't|do\s+not)\s+(?:\w+\s+)?(?:bring\s+up|mention|talk\s+about|discuss|raise|touch\s+on)"
    r"|\bavoid\w*\s+(?:\w+\s+)?(?:topics?|subjects?|talk\w*|mention\w*|discuss\w*)|\bstay\s+away\s+from|\boff-limits"
    r"|\bsensitive\s+(?:about|topics?|subjects?|areas?)|\bcareful\s+(?:with|around|about)|\bleave\s+out")
_NOTHING_OFF_LIMITS = re.compile(r"\b(?:nothing|no\s+topic)\s+is\s+off-limits\b|\bno\s+off-limits\s+topics?\b")


def _normalize(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'").lower()


def _sentences(text: str) -> list[str]:
    """Lower-cased sentences (a new sentence starts after . ! ? and a space, unless a lower-case word follows)."""
    return [_normalize(s) for s in re.split(r"(?<=[.!?])\s+(?=[^a-z\s])", text) if s.strip()]


def _split_negative(sentence: str) -> tuple[str, str]:
    """(positive parts, negative parts) of a sentence.

    A negative part runs from a negative cue to the end of its clause (a semicolon, a dash, or a
    comma that opens a new clause: ", as", ", so", ", like", ...), so a list ("working, reading or
    cooking") stays in one part; the text after it is positive again.
    """
    masked = _NOT_NEG.sub(lambda m: "x" * len(m.group()), sentence)
    positive, negative, pos = [], [], 0
    while (m := _NEG.search(masked, pos)) is not None:
        end = _CLAUSE_END.search(masked, m.end())
        stop = len(sentence) if end is None else end.start()
        positive.append(sentence[pos:m.start()])
        negative.append(sentence[m.start():stop])
        pos = stop
    positive.append(sentence[pos:])
    return " ; ".join(positive), " ; ".join(negative)


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


def _kind_order(kinds) -> tuple[str, ...]:
    return tuple(k for k in ACTIVITY_KINDS if k in kinds)


def _topic_order(topics) -> tuple[str, ...]:
    return tuple(t for t in TOPICS if t in topics)


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


def _activity_clauses(part: str) -> list[tuple[int, int]]:
    spans = []
    for m in _ACTIVITY_MARKER.finditer(part):
        if spans and m.start() < spans[-1][1]:
            continue
        end = _ACTIVITY_END.search(part, m.end())
        spans.append((m.start(), len(part) if end is None else end.start()))
    return spans


def parse_liked_topics(text: str) -> tuple[TopicPreference, ...] | None:
    """Liked topics, each with the activity kinds it fits, from a personal-preference text.

    In each positive part with a liking cue (like, love, enjoy, prefer, appreciate, ...), "when/while/
    during ..." clauses name activities and the rest names topics: topics get the kinds of the clause
    that follows them (or of a leading clause), and fit any activity when no clause goes with them.

    Args:
        text: e.g. "I like music ideas while I'm drawing, and recipe ideas when I'm cooking."

    Returns:
        Topics in order of first mention, or None when no liked topic is found.
    """
    found: dict[str, list[str]] = {}
    for sentence in _sentences(text):
        positive = _REASON_CLAUSE.sub(" ; ", _split_negative(sentence)[0])
        if not _LIKE_CUE.search(positive):
            continue
        clauses = _activity_clauses(positive)
        edges = [0] + [x for span in clauses for x in span] + [len(positive)]
        segments = [positive[edges[2 * i]:edges[2 * i + 1]] for i in range(len(clauses) + 1)]
        clause_kinds = [_kind_order(detect_kinds(positive[s:e])) for s, e in clauses]
        previous_named_topics = True
        for i, segment in enumerate(segments):
            topics = detect_topics(segment)
            if i < len(clauses):
                kinds = clause_kinds[i]
            elif i > 0 and not previous_named_topics:  # a leading clause: "When I'm cooking, I like recipe ideas"
                kinds = clause_kinds[i - 1]
            else:
                kinds = ()
            for topic in topics:
                merged = found.setdefault(topic, [])
                merged += [k for k in kinds if k not in merged]
            previous_named_topics = bool(topics)
    if not found:
        return None
    return tuple(TopicPreference(t, _kind_order(kinds)) for t, kinds in found.items())


def parse_disliked_topics(text: str) -> tuple[str, ...] | None:
    """Topics named in negative parts of a personal-preference text.

    Args:
        text: e.g. "Please skip finance and news suggestions."

    Returns:
        Topics in :data:`~propersim.personas.vocab.TOPICS` order, or None when none is found.
    """
    topics: set[str] = set()
    for sentence in _sentences(text):
        topics |= set(detect_topics(_split_negative(sentence)[1]))
    return _topic_order(topics) or None


def parse_sensitive_topics(text: str) -> tuple[str, ...] | None:
    """Topics a communication text rules out.

    Args:
        text: e.g. "Never bring up my finances." / "Please avoid topics like my family."

    Returns:
        Topics in TOPICS order; ``()`` when the text says nothing is off-limits; None otherwise.
    """
    topics: set[str] = set()
    for sentence in _sentences(text):
        for cue in _SENSITIVE_CUE.finditer(sentence):
            end = _CLAUSE_END.search(sentence, cue.end())
            topics |= set(detect_topics(sentence[cue.end():len(sentence) if end is None else end.start()]))
    if topics:
        return _topic_order(topics)
    return () if _NOTHING_OFF_LIMITS.search(_normalize(text)) else None


def _unnegated(pattern: re.Pattern[str], low: str) -> int:
    """Number of matches of ``pattern`` not negated within their clause ("not overly formal")."""
    hits = 0
    for m in pattern.finditer(low):
        clause_start = max(low.rfind(c, 0, m.start()) for c in ",;.—–!?")
        if not _CLAUSE_NEG.search(low[clause_start + 1:m.start()]):
            hits += 1
    return hits


def parse_tone(text: str) -> str | None:
    """Tone from a communication text: casual/friendly/warm -> "casual", formal/professional/polite -> "formal".

    Args:
        text: e.g. "I prefer a friendly and casual tone."

    Returns:
        "casual" or "formal" for the register mentioned more often (negated mentions such as "not
        overly formal" do not count); "any" for a tie or "any tone"; None when no tone is named.
    """
    low = _normalize(text)
    casual, formal = (_unnegated(_TONE_WORDS[t], low) for t in ("casual", "formal"))
    if casual or formal:
        return "casual" if casual > formal else "formal" if formal > casual else "any"
    return "any" if _ANY_TONE.search(low) else None


def parse_length(text: str) -> str | None:
    """Message length from a communication text: short/concise/brief -> "short", "a few sentences" -> "medium".

    Args:
        text: e.g. "Keep it short."

    Returns:
        "short", "medium", "any" (for "any length" or a tie), or None when no length is named.
    """
    low = _normalize(text)
    short = _unnegated(_LENGTH_WORDS["short"], low) + len(_NO_FLUFF.findall(low))
    medium = _unnegated(_LENGTH_WORDS["medium"], low)
    if short or medium:
        return "short" if short > medium else "medium" if medium > short else "any"
    return "any" if _ANY_LENGTH.search(low) else None
