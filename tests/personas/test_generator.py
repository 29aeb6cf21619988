"""Procedural persona generator: determinism, validity, variety, trait coherence and rubric agreement."""

from __future__ import annotations

import itertools
import json
import statistics

import pytest

from propersim.personas import rubric_parser as rp
from propersim.personas.generator import generate_personas
from propersim.personas.schema import LEVELS, dump_personas, persona_from_dict


@pytest.fixture(scope="module")
def personas():
    return generate_personas(320, seed=11)


def test_same_seed_gives_identical_bytes(tmp_path):
    dump_personas(generate_personas(64, seed=7), tmp_path / "a.jsonl")
    dump_personas(generate_personas(64, seed=7), tmp_path / "b.jsonl")
    dump_personas(generate_personas(64, seed=8), tmp_path / "c.jsonl")
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert (tmp_path / "a.jsonl").read_bytes() != (tmp_path / "c.jsonl").read_bytes()


def test_persona_does_not_depend_on_n():
    assert generate_personas(10, seed=5) == generate_personas(40, seed=5)[:10]


def test_personas_validate_through_the_schema(personas):
    for p in personas[:200]:
        assert persona_from_dict(json.loads(json.dumps(p.to_dict()))) == p
    assert [p.persona_id for p in personas] == list(range(1, 321))


def test_every_block_of_32_covers_all_trait_combinations(personas):
    everything = set(itertools.product(LEVELS, repeat=5))
    for start in range(0, 320, 32):
        assert {tuple(p.big_five.values()) for p in personas[start:start + 32]} == everything


@pytest.mark.parametrize("n", [0, -3, 2.5, True])
def test_bad_n_is_rejected(n):
    with pytest.raises(ValueError, match="n must be a positive integer"):
        generate_personas(n, seed=1)


def test_variety(personas):
    assert len({p.name for p in personas}) > 250
    assert len({p.occupation for p in personas}) >= 35
    assert {p.age // 10 * 10 for p in personas} >= {20, 30, 40, 50, 60, 70}
    assert {p.chronotype for p in personas} == {"early", "intermediate", "late"}
    assert len({p.rubric.frequency for p in personas}) > 100


def test_rubric_reparses_to_the_preferences(personas):
    for p in personas[:120]:
        prefs, rubric = p.preferences, p.rubric
        assert rp.parse_frequency(rubric.frequency) == prefs.frequency, rubric.frequency
        assert rp.parse_receptive_hours(rubric.timing) == prefs.receptive_hours, rubric.timing
        assert rp.parse_do_not_disturb(rubric.timing) == prefs.do_not_disturb, rubric.timing
        assert rp.parse_liked_topics(rubric.personal_preference) == prefs.liked, rubric.personal_preference
        assert rp.parse_disliked_topics(rubric.personal_preference) == prefs.disliked
        assert rp.parse_tone(rubric.communication_safety) == prefs.tone
        assert rp.parse_length(rubric.communication_safety) == prefs.length
        assert (rp.parse_sensitive_topics(rubric.communication_safety) or ()) == prefs.sensitive_topics


def test_preferences_are_internally_consistent(personas):
    for p in personas:
        prefs = p.preferences
        liked = {t.topic for t in prefs.liked}
        assert not liked & set(prefs.disliked)
        assert not liked & set(prefs.sensitive_topics)
        assert not {k for t in prefs.liked for k in t.during} & set(prefs.do_not_disturb)
        assert prefs.receptive_hours and prefs.do_not_disturb
        for start, end in prefs.receptive_hours:
            assert p.extra["wake_hour"] < start < end <= p.extra["bedtime_hour"]
        f = prefs.frequency
        assert f.max_gap_hours >= f.window_hours / f.max_per_window
        awake = p.extra["bedtime_hour"] - p.extra["wake_hour"]
        assert (f.max_per_day + 1) * f.max_gap_hours >= awake  # the gap rule and the day cap can both be met
        if p.extra["work_setting"] == "retired":
            assert "working" not in prefs.do_not_disturb and p.age >= 60


def _share(personas, trait, level, value):
    return statistics.mean(value(p) for p in personas if p.big_five[trait] == level)


@pytest.mark.parametrize(("trait", "value", "margin"), [
    ("extraversion", lambda p: p.preferences.frequency.max_per_day, 1.5),
    ("extraversion", lambda p: len(p.preferences.receptive_hours), 0.3),
    ("extraversion", lambda p: any(t.topic == "social" for t in p.preferences.liked), 0.1),
    ("extraversion", lambda p: p.preferences.tone == "casual", 0.1),
    ("neuroticism", lambda p: len(p.preferences.do_not_disturb), 0.5),
    ("neuroticism", lambda p: bool(p.preferences.sensitive_topics), 0.3),
    ("neuroticism", lambda p: p.preferences.frequency.window_hours, 0.3),
    ("conscientiousness", lambda p: p.preferences.tone == "formal", 0.2),
    ("conscientiousness", lambda p: p.chronotype == "early", 0.1),
    ("conscientiousness", lambda p: any(t.topic in ("productivity", "organizing", "finance")
                                        for t in p.preferences.liked), 0.1),
    ("openness", lambda p: any(t.topic in ("creativity", "learning") for t in p.preferences.liked), 0.1),
    ("agreeableness", lambda p: p.preferences.tone == "casual", 0.1),
])
def test_high_trait_raises_the_expected_preference(personas, trait, value, margin):
    assert _share(personas, trait, "high", value) > _share(personas, trait, "low", value) + margin


def test_high_neuroticism_lowers_daily_frequency(personas):
    per_day = lambda p: p.preferences.frequency.max_per_day  # noqa: E731
    assert _share(personas, "neuroticism", "low", per_day) > _share(personas, "neuroticism", "high", per_day) + 1.5


def test_frequency_targets_can_all_be_met_inside_the_windows(personas, satisfiable):
    for p in personas:
        assert satisfiable(p.preferences, p.extra["wake_hour"], p.extra["bedtime_hour"]), p.persona_id
