"""Rubric parser: frequency, time windows, activities, topics, tone and length from free first-person text."""

from __future__ import annotations

import pytest

from propersim.personas import rubric_parser as rp
from propersim.personas.schema import Frequency, TopicPreference


@pytest.mark.parametrize(("text", "expected"), [
    # window phrases: upper end of a range for "too often", gap = window (1.5x when one per window)
    ("I prefer receiving recommendations about twice every 2 to 3 hours.", (2, 3.0, 11, 3.0)),
    ("once every 4 hours", (1, 4.0, 4, 6.0)),
    ("around twice every two hours", (2, 2.0, 16, 2.0)),
    ("three times every three hours", (3, 3.0, 16, 3.0)),
    ("no more than once every two hours", (1, 2.0, 8, 3.0)),
    ("every 90 minutes or so", (1, 1.5, 11, 2.5)),
    # day phrases: window = half the even spacing, gap = 1.5 x spacing of the lower count
    ("three times a day", (1, 2.5, 3, 8.0)),
    ("5 to 7 times a day", (1, 1.0, 7, 5.0)),
    ("two or three times a day", (1, 2.5, 3, 12.0)),
    ("twice every day", (1, 4.0, 2, 12.0)),
    ("once a day", (1, 8.0, 1, 16.0)),
    # both kinds, caps and explicit gaps
    ("about 5 to 7 times a day ... suggestions come every 2 to 3 hours", (1, 3.0, 7, 4.5)),
    ("every 3 to 4 hours, with a maximum of five times per day", (1, 4.0, 5, 6.0)),
    ("no more than once every two hours, ideally just two to three times a day", (1, 2.0, 3, 12.0)),
    ("At most twice every 3 hours, no more than 6 a day, and I'd like to hear something at least every 4 hours "
     "while I'm awake.", (2, 3.0, 6, 4.0)),
    ("Please send no more than one every 2 hours, 6 a day at most, and don't let me go longer than five and a half "
     "hours without one.", (1, 2.0, 6, 5.5)),
    ("Twice every two hours is my limit; if three hours go by with nothing from you, that's too quiet.",
     (2, 2.0, 16, 3.0)),
    # enumerated occasions and minimum spacing
    ("once every morning and once before going to bed", (1, 4.0, 2, 12.0)),
    ("once every morning and once in the early afternoon, followed by a third time in the evening ... at least "
     "three-hour intervals between recommendation periods", (1, 3.0, 3, 8.0)),
])
def test_parse_frequency(text, expected):
    assert rp.parse_frequency(text) == Frequency(*expected)


@pytest.mark.parametrize("text", ["", "I like a balance between suggestions and quiet.", "within an hour of waking"])
def test_parse_frequency_returns_none_without_a_phrase(text):
    assert rp.parse_frequency(text) is None


@pytest.mark.parametrize(("text", "expected"), [
    ("I prefer recommendations in the morning between 6:00 and 9:00 AM and after 9:00 PM.", ((6, 9), (21, 24))),
    ("I prefer to receive recommendations in the late morning or early afternoon.", ((10, 14),)),
    ("I'd like suggestions in the evening.", ((18, 21),)),
    ("I prefer recommendations around 8am.", ((7, 9),)),
    ("I prefer recommendations shortly after my morning meditation around 6:30am and at lunch.",
     ((5.5, 7.5), (12, 14))),
    ("Recommendations are ideal between 10 a.m. and 2 p.m., and again in the evening after 8:30 p.m.",
     ((10, 14), (20.5, 24))),
    ("I'd like suggestions between 6 and 9 pm, from noon to 1:30 pm, or between 10 pm and midnight.",
     ((12, 13.5), (18, 21), (22, 24))),
    ("I prefer recommendations before going to bed.", ((21, 23),)),
    ("I don't mind occasional recommendations in the evening.", ((18, 21),)),
])
def test_parse_receptive_hours(text, expected):
    assert rp.parse_receptive_hours(text) == tuple((float(s), float(e)) for s, e in expected)


def test_receptive_hours_ignore_negative_and_non_request_sentences():
    text = ("I prefer recommendations between 10 a.m. and 2 p.m. These times fit my morning meditation. "
            "I do not wish to receive recommendations during meditation (around 7:00-7:30 a.m.) or after 9:00 p.m.")
    assert rp.parse_receptive_hours(text) == ((10.0, 14.0),)


def test_receptive_hours_skip_adjectival_periods():
    text = "I prefer recommendations in the late afternoon, around 4pm, so I can plan my evening networking."
    assert rp.parse_receptive_hours(text) == ((15.0, 17.0),)


def test_parse_receptive_hours_returns_none_without_times():
    assert rp.parse_receptive_hours("I prefer recommendations when I'm calm.") is None


@pytest.mark.parametrize(("text", "expected"), [
    ("I'd rather not be interrupted during my morning breakfast routine or my evening journaling time.",
     ("eating", "journaling")),
    ("Please don't interrupt me while I'm working, meditating or showering.", ("hygiene", "working", "meditation")),
    ("I prefer mornings, so they don't interfere with my work schedule or my relaxation time.",
     ("working", "relaxing")),
    ("Don't interrupt my breakfast routine or journaling.", ("eating", "journaling")),
])
def test_parse_do_not_disturb(text, expected):
    assert rp.parse_do_not_disturb(text) == expected


def test_parse_do_not_disturb_returns_none_when_nothing_is_excluded():
    assert rp.parse_do_not_disturb("I prefer recommendations between 9 and 11 am.") is None


def test_parse_liked_topics_pairs_topics_with_activities():
    text = ("I like music ideas while I am drawing or relaxing, and recipe ideas when I am cooking. "
            "Book recommendations are welcome at any time. Please skip finance and news suggestions entirely.")
    assert rp.parse_liked_topics(text) == (
        TopicPreference("music", ("creative", "relaxing")),
        TopicPreference("cooking", ("cooking",)),
        TopicPreference("reading", ()),
    )
    assert rp.parse_disliked_topics(text) == ("finance", "news")


def test_parse_liked_topics_with_a_leading_clause():
    expected = (TopicPreference("cooking", ("cooking",)),)
    assert rp.parse_liked_topics("When I'm cooking, I like recipe ideas.") == expected


def test_topic_parsers_return_none_when_nothing_is_named():
    assert rp.parse_liked_topics("I prefer recommendations that suit my current context.") is None
    assert rp.parse_disliked_topics("I like recipe ideas.") is None


@pytest.mark.parametrize(("text", "expected"), [
    ("I prefer recommendations in a friendly and casual tone.", "casual"),
    ("Please keep a polite, formal style.", "formal"),
    ("Calm, polite and respectful, avoiding anything too casual.", "formal"),
    ("Something warm, thoughtful, and not overly formal.", "casual"),
    ("A polite and friendly style.", "any"),
    ("Any tone is fine with me.", "any"),
    ("A direct but thoughtful tone.", None),
])
def test_parse_tone(text, expected):
    assert rp.parse_tone(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Formal and concise, please.", "short"),
    ("Keep it short.", "short"),
    ("Clear, without unnecessary fluff.", "short"),
    ("A few sentences with some detail are welcome.", "medium"),
    ("Any length is fine.", "any"),
    ("A friendly tone.", None),
])
def test_parse_length(text, expected):
    assert rp.parse_length(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Talk to me casually. Never bring up my finances or the news.", ("finance", "news")),
    ("Please avoid topics like my family.", ("social",)),
    ("No topic is off-limits.", ()),
    ("Respect my privacy and boundaries.", None),
])
def test_parse_sensitive_topics(text, expected):
    assert rp.parse_sensitive_topics(text) == expected
