"""Rubric writer: its phrase tables and the round trip through the rubric parser."""

from __future__ import annotations

import pytest

from propersim.personas import rubric_parser as rp
from propersim.personas.rubric_writer import (
    KIND_PHRASES, SENSITIVE_PHRASES, TOPIC_PHRASES, clock_text, number_text, write_rubric,
)
from propersim.personas.schema import Frequency, Preferences, TopicPreference
from propersim.personas.vocab import ACTIVITY_KINDS, TOPICS, detect_kinds, detect_topics


def test_phrase_tables_detect_exactly_their_entry():
    assert set(TOPIC_PHRASES) == set(TOPICS)
    assert set(KIND_PHRASES) == set(ACTIVITY_KINDS)
    for topic, phrase in TOPIC_PHRASES.items():
        assert detect_topics(phrase) == (topic,), phrase
    for kind, phrase in KIND_PHRASES.items():
        assert detect_kinds(f"while I'm {phrase}") == {kind}, phrase
    for topic, phrase in SENSITIVE_PHRASES.items():
        assert detect_topics(phrase) == (topic,), phrase


@pytest.mark.parametrize(("hour", "text"), [(7, "7 am"), (7.5, "7:30 am"), (12, "noon"), (12.5, "12:30 pm"),
                                            (13, "1 pm"), (23.75, "11:45 pm"), (24, "midnight"), (0.5, "12:30 am")])
def test_clock_text(hour, text):
    assert clock_text(hour) == text


def test_number_text():
    texts = [number_text(x) for x in (1, 4.5, 12, 13.5, 25)]
    assert texts == ["one", "four and a half", "twelve", "thirteen and a half", "25"]


@pytest.mark.parametrize("variant", range(6))
def test_round_trip_through_parser(variant):
    prefs = Preferences(
        liked=(TopicPreference("cooking", ("cooking", "planning")), TopicPreference("music", ("creative",)),
               TopicPreference("reading", ())),
        disliked=("finance", "news"),
        receptive_hours=((6.5, 8.0), (12.0, 13.5), (21.0, 24.0)),
        do_not_disturb=("hygiene", "working", "socializing"),
        frequency=Frequency(max_per_window=3, window_hours=4.0, max_per_day=14, max_gap_hours=2.5),
        tone=("casual", "formal", "any")[variant % 3],
        length=("short", "medium", "any")[variant % 3],
        sensitive_topics=("social", "finance") if variant % 2 else (),  # in TOPICS order
    )
    rubric = write_rubric(prefs, variant)
    assert rp.parse_liked_topics(rubric.personal_preference) == prefs.liked
    assert rp.parse_disliked_topics(rubric.personal_preference) == prefs.disliked
    assert rp.parse_receptive_hours(rubric.timing) == prefs.receptive_hours
    assert rp.parse_do_not_disturb(rubric.timing) == prefs.do_not_disturb
    assert rp.parse_frequency(rubric.frequency) == prefs.frequency
    assert rp.parse_tone(rubric.communication_safety) == prefs.tone
    assert rp.parse_length(rubric.communication_safety) == prefs.length
    assert rp.parse_sensitive_topics(rubric.communication_safety) == prefs.sensitive_topics


def test_unknown_sensitive_topic_is_rejected():
    prefs = Preferences(liked=(TopicPreference("music"),), disliked=(), receptive_hours=((9.0, 10.0),),
                        do_not_disturb=(), frequency=Frequency(1, 3.0, 5, 4.5), sensitive_topics=("gardening",))
    with pytest.raises(ValueError, match="no sensitive-topic phrase for \\['gardening'\\]"):
        write_rubric(prefs)
