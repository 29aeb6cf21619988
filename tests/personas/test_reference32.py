"""The project's own 32 reference personas: all trait combinations, variety, rubrics that agree with preferences."""

from __future__ import annotations

import itertools
import json
import re
import statistics
from pathlib import Path

import pytest

from propersim.personas import rubric_parser as rp
from propersim.personas.schema import LEVELS, load_personas

REFERENCE = Path(__file__).resolve().parents[2] / "personas" / "reference32.jsonl"
ORIGINALS = Path(__file__).resolve().parents[3] / "shared" / "reference" / "propersim" / "personas_32.jsonl"


@pytest.fixture(scope="module")
def personas():
    return load_personas(REFERENCE)


def test_ids_and_trait_combinations(personas):
    assert [p.persona_id for p in personas] == list(range(1, 33))
    combos = {tuple(p.big_five.values()) for p in personas}
    assert combos == set(itertools.product(LEVELS, repeat=5))


def test_variety(personas):
    decades = {p.age // 10 * 10 for p in personas}
    assert {20, 30, 40, 50, 60, 70} <= decades
    assert len({p.name for p in personas}) == 32
    assert len({p.name.split()[-1] for p in personas}) == 32
    assert len({p.occupation for p in personas}) >= 28
    assert {p.chronotype for p in personas} == {"early", "intermediate", "late"}
    assert {p.extra["work_setting"] for p in personas} == {"home", "office", "shift", "student", "retired"}
    assert {p.preferences.tone for p in personas} == {"casual", "formal", "any"}


@pytest.mark.parametrize("pid", range(1, 33))
def test_rubric_agrees_with_preferences(personas, pid):
    p = personas[pid - 1]
    prefs, rubric = p.preferences, p.rubric
    assert rp.parse_frequency(rubric.frequency) == prefs.frequency
    assert rp.parse_receptive_hours(rubric.timing) == prefs.receptive_hours
    assert set(rp.parse_do_not_disturb(rubric.timing) or ()) == set(prefs.do_not_disturb)
    liked = rp.parse_liked_topics(rubric.personal_preference) or ()
    assert {t.topic: set(t.during) for t in liked} == {t.topic: set(t.during) for t in prefs.liked}
    assert set(rp.parse_disliked_topics(rubric.personal_preference) or ()) == set(prefs.disliked)
    assert rp.parse_tone(rubric.communication_safety) == prefs.tone
    assert rp.parse_length(rubric.communication_safety) == prefs.length
    assert set(rp.parse_sensitive_topics(rubric.communication_safety)) == set(prefs.sensitive_topics)


def test_preferences_are_internally_consistent(personas):
    for p in personas:
        prefs = p.preferences
        liked = {t.topic for t in prefs.liked}
        assert not liked & set(prefs.disliked), p.persona_id
        assert not liked & set(prefs.sensitive_topics), p.persona_id
        assert not {k for t in prefs.liked for k in t.during} & set(prefs.do_not_disturb), p.persona_id
        for start, end in prefs.receptive_hours:
            assert p.extra["wake_hour"] <= start < end <= p.extra["bedtime_hour"], p.persona_id
        f = prefs.frequency
        assert f.max_gap_hours >= f.window_hours / f.max_per_window, p.persona_id


def _mean(personas, trait, level, value):
    return statistics.mean(value(p) for p in personas if p.big_five[trait] == level)


def test_traits_shape_preferences(personas):
    per_day = lambda p: p.preferences.frequency.max_per_day  # noqa: E731
    assert _mean(personas, "extraversion", "high", per_day) > _mean(personas, "extraversion", "low", per_day) + 2
    assert _mean(personas, "neuroticism", "low", per_day) > _mean(personas, "neuroticism", "high", per_day) + 2
    dnd = lambda p: len(p.preferences.do_not_disturb)  # noqa: E731
    assert _mean(personas, "neuroticism", "high", dnd) > _mean(personas, "neuroticism", "low", dnd) + 1
    formal = lambda p: p.preferences.tone == "formal"  # noqa: E731
    assert _mean(personas, "conscientiousness", "high", formal) > _mean(personas, "conscientiousness", "low", formal)
    sensitive = lambda p: bool(p.preferences.sensitive_topics)  # noqa: E731
    assert _mean(personas, "neuroticism", "high", sensitive) > _mean(personas, "neuroticism", "low", sensitive)
    social = lambda p: any(t.topic == "social" for t in p.preferences.liked)  # noqa: E731
    assert _mean(personas, "extraversion", "high", social) > _mean(personas, "extraversion", "low", social)


def _shingles(text: str, n: int = 8) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z']+", text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def test_texts_are_not_taken_from_the_original_personas(personas):
    if not ORIGINALS.is_file():
        pytest.skip(f"original personas not found at {ORIGINALS}")
    original = set()
    for line in ORIGINALS.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        for text in [*d["criteria"].values(), d["background"], d["lifestyle"], d["current_interests"]]:
            original |= _shingles(text)
    for p in personas:
        ours = set()
        for text in [*vars(p.rubric).values(), p.background, p.lifestyle, p.current_interests]:
            ours |= _shingles(text)
        assert not ours & original, (p.persona_id, sorted(ours & original)[:3])


def test_frequency_targets_can_all_be_met_inside_the_windows(personas, satisfiable):
    for p in personas:
        assert satisfiable(p.preferences, p.extra["wake_hour"], p.extra["bedtime_hour"]), p.persona_id
