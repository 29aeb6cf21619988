"""Importer of the original ProPerSim personas: verbatim texts, derived fields, coverage and input errors."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from propersim.personas.importer import (
    COVERAGE_FIELDS, FALLBACK_FREQUENCY, import_propersim, parse_big_five, parse_chronotype, parse_occupation,
)
from propersim.personas.schema import LEVELS, Frequency, PersonaFileError
from tests.personas.originals import original_record

SRC = Path(__file__).resolve().parents[3] / "shared/reference/propersim/personas_32.jsonl"


@pytest.fixture(scope="module")
def raw():
    if not SRC.is_file():
        pytest.skip(f"original ProPerSim personas not found at {SRC} (the reference data lives in ../shared next to "
                    "the repository)")
    return [json.loads(line) for line in SRC.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def imported(raw):
    return import_propersim(SRC)


def test_imports_all_32(imported):
    personas, _ = imported
    assert [p.persona_id for p in personas] == list(range(1, 33))
    assert {tuple(p.big_five.values()) for p in personas} == set(itertools.product(LEVELS, repeat=5))


def test_texts_are_kept_verbatim(raw, imported):
    personas, _ = imported
    for d, p in zip(raw, personas):
        assert p.rubric.personal_preference == d["criteria"]["Personal_Preference"]
        assert p.rubric.timing == d["criteria"]["Timing"]
        assert p.rubric.frequency == d["criteria"]["Frequency"]
        assert p.rubric.communication_safety == d["criteria"]["Communication_&_Safety"]
        for key in ("name", "age", "background", "current_interests", "lifestyle", "daily_plan_req",
                    "long_term_goals", "living_area"):
            assert getattr(p, key) == d[key]
        assert p.extra["big_five_personality_traits"] == d["big_five_personality_traits"]


def test_coverage_figures(imported):
    personas, coverage = imported
    assert set(coverage) == set(COVERAGE_FIELDS)
    for field in ("big_five", "occupation", "frequency", "receptive_hours"):
        assert coverage[field] == 32, field
    assert coverage["liked"] >= 28
    assert coverage["tone"] >= 28
    assert coverage["chronotype"] >= 24
    assert coverage["do_not_disturb"] >= 24
    for field in COVERAGE_FIELDS[1:]:  # coverage counts exactly the personas that needed no fallback
        assert coverage[field] == sum(field not in p.extra["fallbacks"] for p in personas), field


def test_specific_parses(imported):
    personas, _ = imported
    p1, p3, p10 = personas[0], personas[2], personas[9]
    assert "about twice every 2 to 3 hours" in p1.rubric.frequency
    assert p1.preferences.frequency == Frequency(max_per_window=2, window_hours=3.0, max_per_day=11, max_gap_hours=3.0)
    assert p1.preferences.receptive_hours == ((10.0, 12.0), (13.0, 17.0))  # late morning, afternoon
    assert {"eating", "journaling"} <= set(p1.preferences.do_not_disturb)  # breakfast routine, evening journaling
    assert p1.preferences.tone == "casual"
    assert "between 6:00 and 9:00 AM" in p3.rubric.timing and "after 9:00 PM" in p3.rubric.timing
    assert p3.preferences.receptive_hours == ((6.0, 9.0), (21.0, 24.0))
    assert p3.preferences.frequency == Frequency(1, 4.0, 5, 6.0)  # four to five a day, every 3 to 4 hours
    assert p10.preferences.frequency == Frequency(1, 4.0, 3, 6.0)  # once every 4 hours, no more than three a day
    assert p10.preferences.receptive_hours == ((5.0, 9.0), (15.0, 18.0))  # early morning, late afternoon
    # "a gentle, respectful, and calm tone - something that feels more like a friend": restrained, not slangy
    assert p10.preferences.tone == "formal"
    liked = {t.topic: t.during for t in p10.preferences.liked}
    assert liked["mindfulness"] == () and liked["gardening"] == ()  # the rubric's, and the card's interests
    assert "music" in liked  # related to mindfulness
    # "reading materials ... when I'm writing" makes writing a wanted moment, despite "not during deep writing"
    assert "creative" not in p10.preferences.do_not_disturb


def test_liked_topics_are_completed_from_the_card_and_related_topics():
    from propersim.personas.importer import complete_liked
    from propersim.personas.schema import TopicPreference

    card = {"current_interests": "Pruning roses.", "lifestyle": "Reads novels.", "daily_plan_req": "Rest."}
    liked = {d["topic"]: d["during"] for d in complete_liked((TopicPreference("cooking", ("cooking",)),), card)}
    assert liked["cooking"] == ["cooking"] and liked["nutrition"] == ["cooking"]  # related, same moments
    assert liked["gardening"] == liked["reading"] == liked["rest"] == []  # the card's fit any moment
    assert "learning" not in liked  # the card's topics bring no related topics
    assert list(liked)[:4] == ["cooking", "gardening", "reading", "rest"]  # rubric, then card, then related
    empty = {"current_interests": "", "lifestyle": "", "daily_plan_req": ""}
    assert complete_liked(None, empty) == [{"topic": "rest", "during": []}]


def test_derived_occupation_and_chronotype(imported):
    personas, _ = imported
    by_id = {p.persona_id: p for p in personas}
    assert by_id[7].occupation == "independent researcher"
    assert by_id[10].occupation == "freelance writer"
    assert by_id[13].occupation == "tech entrepreneur and AI researcher"
    assert by_id[18].occupation == "retired accountant"
    assert by_id[27].occupation == "customer support representative"
    assert (by_id[12].chronotype, by_id[12].extra["wake_hour"]) == ("early", 5.0)
    assert (by_id[27].chronotype, by_id[27].extra["wake_hour"]) == ("late", 11.0)
    assert by_id[17].chronotype == "late"  # "Sleeps in"
    assert by_id[1].chronotype == "intermediate" and "chronotype" in by_id[1].extra["fallbacks"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Former environmental scientist, now a freelance writer focusing on sustainability.", "freelance writer"),
    ("Former accountant, now retired and focused on a well-structured home life.", "retired accountant"),
    ("Works from home as a freelance customer service representative, often frustrated.",
     "freelance customer service representative"),
    ("Remote IT technician, prefers a structured environment.", "remote IT technician"),
])
def test_parse_occupation(text, expected):
    assert parse_occupation(text) == expected


def test_parse_chronotype_and_big_five():
    assert parse_chronotype("John typically 1) Wakes up at 9:30am.") == "late"
    assert parse_chronotype("1) Starts the day with espresso at 6am.") == "early"
    assert parse_chronotype("Starts the day with coffee.") is None
    assert parse_big_five("High in Extraversion, Low in Agreeableness, High in Conscientiousness, "
                          "Low in Openness to Experience, High in Neuroticism") == {
        "extraversion": "high", "agreeableness": "low", "conscientiousness": "high", "openness": "low",
        "neuroticism": "high"}
    assert parse_big_five("High in Extraversion, Low in Agreeableness") is None


def _write(tmp_path: Path, lines: list) -> Path:
    path = tmp_path / "orig.jsonl"
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines), encoding="utf-8")
    return path


def test_fallbacks_are_used_and_not_counted(tmp_path):
    personas, coverage = import_propersim(_write(tmp_path, [original_record()]))
    p = personas[0]
    assert p.preferences.frequency == FALLBACK_FREQUENCY
    assert p.preferences.receptive_hours == ((7.5, 22.5),)  # the intermediate waking day
    # current_interests' "Pruning roses", then daily_plan_req's "Water the garden" ("water" also reads as hydration)
    assert [t.topic for t in p.preferences.liked] == ["gardening", "nutrition"]
    assert coverage["frequency"] == coverage["receptive_hours"] == coverage["liked"] == 0
    assert coverage["big_five"] == coverage["occupation"] == coverage["chronotype"] == 1
    assert {"frequency", "receptive_hours", "liked", "tone"} <= set(p.extra["fallbacks"])


def test_missing_criteria_field_names_line_and_field(tmp_path):
    bad = original_record(persona_id=2)
    del bad["criteria"]["Timing"]
    with pytest.raises(PersonaFileError, match=r"orig\.jsonl:2 \(persona_id 2\): missing field 'criteria\.Timing'"):
        import_propersim(_write(tmp_path, [original_record(), bad]))


@pytest.mark.parametrize(("line", "pattern"), [
    ("{oops", r"orig\.jsonl:1: not valid JSON"),
    ("[1, 2]", r"orig\.jsonl:1: expected a JSON object, got list"),
    (json.dumps(original_record(age="forty")), r"orig\.jsonl:1 .*field 'age' must be int, got 'forty'"),
    (json.dumps(original_record(big_five_personality_traits="Very nice")),
     r"orig\.jsonl:1 .*field 'big_five_personality_traits' is 'Very nice'"),
])
def test_bad_input_is_reported_with_its_line(tmp_path, line, pattern):
    with pytest.raises(PersonaFileError, match=pattern):
        import_propersim(_write(tmp_path, [line]))


def test_duplicate_id_and_missing_file(tmp_path):
    with pytest.raises(PersonaFileError, match=r"orig\.jsonl:2: persona_id 1 appears twice"):
        import_propersim(_write(tmp_path, [original_record(), original_record()]))
    with pytest.raises(FileNotFoundError, match="ProPerSim persona file not found"):
        import_propersim(tmp_path / "absent.jsonl")
