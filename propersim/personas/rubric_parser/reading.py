"""Sentence reading the rubric parsers share: normalizing, splitting, positive/negative parts, vocabulary order."""

from __future__ import annotations

import re

from propersim.personas.vocab import ACTIVITY_KINDS, TOPICS

_NEG = re.compile(
    r"\b(?:don't|do\s+not|doesn't|does\s+not|didn't|not|never|avoid\w*|rather\s+not|rather\s+than|instead\s+of"
    r"|without|won't|shouldn't|skip|dislike|hate|can't\s+stand|spare\s+me|no\s+(?:interest|recommendations?"
    r"|suggestions?|interruptions?|messages?|notifications?)|stay\s+away|keep\s+away|off-limits|leave\s+out)\b")
_NOT_NEG = re.compile(r"\b(?:don't|do\s+not|doesn't|does\s+not)\s+mind\b")
_CLAUSE_END = re.compile(
    r"[;—–]|,\s*(?:as|so|since|because|which|allowing|and\s+allow\w*|but|when|while|like|then"
    r"|though|although|if|i|it|this|these|those|just)\b|\band\s+(?:allows?|lets?|gives?|helps?)\b")


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


def _kind_order(kinds) -> tuple[str, ...]:
    return tuple(k for k in ACTIVITY_KINDS if k in kinds)


def _topic_order(topics) -> tuple[str, ...]:
    return tuple(t for t in TOPICS if t in topics)
