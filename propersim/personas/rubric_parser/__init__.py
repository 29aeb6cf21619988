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

The parsers, one module per rubric text (the inverse of :mod:`propersim.personas.rubric_writer`):
:mod:`.frequency`, :mod:`.timing` (receptive windows, do-not-disturb activities), :mod:`.preference`
(liked and disliked topics) and :mod:`.communication` (tone, length, sensitive topics); :mod:`.reading`
holds the sentence reading they share.
"""

from __future__ import annotations

from propersim.personas.rubric_parser.communication import parse_length, parse_sensitive_topics, parse_tone
from propersim.personas.rubric_parser.frequency import parse_frequency
from propersim.personas.rubric_parser.preference import parse_disliked_topics, parse_liked_topics
from propersim.personas.rubric_parser.timing import parse_do_not_disturb, parse_receptive_hours

__all__ = [
    "parse_disliked_topics", "parse_do_not_disturb", "parse_frequency", "parse_length", "parse_liked_topics",
    "parse_receptive_hours", "parse_sensitive_topics", "parse_tone",
]
