"""Read a personal-preference rubric text: liked topics with the activities they fit, and disliked topics."""

from __future__ import annotations

import re

from propersim.personas.rubric_parser.reading import _kind_order, _sentences, _split_negative, _topic_order
from propersim.personas.schema import TopicPreference
from propersim.personas.vocab import detect_kinds, detect_topics

_LIKE_CUE = re.compile(
    r"\b(?:like|love|enjoy\w*|prefer\w*|appreciat\w*|welcome|want|fond|happy|glad|delight\w*|open\s+to|interested)\b")
_ACTIVITY_MARKER = re.compile(r"\b(?:when(?:ever)?|while|during|as\s+soon\s+as)\b")
_ACTIVITY_END = re.compile(
    r"[,;.:!?—–(]|\band\b(?=\s+(?:\w+\s+){0,4}?(?:ideas?|suggestions?|tips?|recommendations?|prompts?|picks?"
    r"|inspiration)\b)")
_REASON_CLAUSE = re.compile(r",\s*(?:as|since|because|so\s+that|which)\b[^,;.—–]*")


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
