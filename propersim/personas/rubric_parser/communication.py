"""Read a communication rubric text: tone, message length and sensitive topics."""

from __future__ import annotations

import re

from propersim.personas.rubric_parser.reading import _CLAUSE_END, _normalize, _sentences, _topic_order
from propersim.personas.vocab import detect_topics

_TONE_WORDS = {
    "casual": re.compile(r"\b(?:casual\w*|friendly|warm|conversational|laid-back|relaxed|informal|playful"
                         r"|like\s+(?:a|an)\s+(?:[\w-]+\s+){0,2}friend)\b"),
    "formal": re.compile(r"\b(?:formal\w*|professional\w*|polite\w*|courteous|businesslike|neutral)\b"),
}
#: Words of a restrained manner: they ask for the register "formal" protects (no slang, no exclamations), but
#: are weaker evidence of it than a register word, so each counts :data:`RESTRAINED_WEIGHT` of a formal word.
_RESTRAINED = re.compile(r"\b(?:gentle|calm|soft|respectful|considerate|soothing)\b")
RESTRAINED_WEIGHT = 0.5
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

    Words of a restrained manner (gentle, calm, soft, respectful, considerate, soothing) count half a formal word
    each ("a gentle, respectful, and calm tone, like a friend" is formal; "a warm, gentle tone" casual).

    Args:
        text: e.g. "I prefer a friendly and casual tone."

    Returns:
        "casual" or "formal" for the register mentioned more often (negated mentions such as "not
        overly formal" do not count); "any" for a tie or "any tone"; None when no tone is named.
    """
    low = _normalize(text)
    casual, formal = (_unnegated(_TONE_WORDS[t], low) for t in ("casual", "formal"))
    formal += RESTRAINED_WEIGHT * _unnegated(_RESTRAINED, low)
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
