"""Persona schema: loading, validation errors that name line and field, and dump/load round trips."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from propersim.personas.schema import PersonaFileError, dump_personas, load_personas, persona_from_dict

EXAMPLE = Path(__file__).parent / "example_persona.json"


@pytest.fixture
def record() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def _write(path: Path, records: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), encoding="utf-8")
    return path


def test_example_persona_validates(record):
    persona = persona_from_dict(record)
    assert persona.trait_code == "HHLHL"
    assert persona.preferences.frequency.max_per_window == 2
    assert persona.preferences.receptive_hours == ((11.0, 13.0), (15.0, 19.0))


def test_dump_load_round_trip_is_identical(record, tmp_path):
    second = copy.deepcopy(record)
    second["persona_id"] = 2
    original = [persona_from_dict(record), persona_from_dict(second)]
    dump_personas(original, tmp_path / "a.jsonl")
    loaded = load_personas(tmp_path / "a.jsonl")
    assert loaded == original
    dump_personas(loaded, tmp_path / "b.jsonl")
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_bad_json_line_names_the_line(record, tmp_path):
    path = _write(tmp_path / "p.jsonl", [record, "{not json"])
    with pytest.raises(PersonaFileError, match=r"p\.jsonl:2: not valid JSON"):
        load_personas(path)


def test_missing_field_names_line_and_field(record, tmp_path):
    del record["age"]
    path = _write(tmp_path / "p.jsonl", [record])
    with pytest.raises(PersonaFileError, match=r"p\.jsonl:1 \(persona_id 1\): missing field 'age'"):
        load_personas(path)


def test_missing_nested_field_names_it(record, tmp_path):
    del record["preferences"]["frequency"]["max_gap_hours"]
    path = _write(tmp_path / "p.jsonl", [record])
    with pytest.raises(PersonaFileError, match=r"p\.jsonl:1 .*frequency: missing field 'max_gap_hours'"):
        load_personas(path)


@pytest.mark.parametrize(("mutate", "field", "value"), [
    (lambda r: r.__setitem__("chronotype", "night"), "chronotype", "night"),
    (lambda r: r["big_five"].__setitem__("openness", "medium"), "big_five.openness", "medium"),
    (lambda r: r["preferences"].__setitem__("tone", "rude"), "tone", "rude"),
    (lambda r: r["preferences"]["liked"][0].__setitem__("topic", "astrology"), "topic", "astrology"),
    (lambda r: r["preferences"].__setitem__("do_not_disturb", ["napping"]), "do_not_disturb", "napping"),
])
def test_bad_enum_value_names_field_and_value(record, tmp_path, mutate, field, value):
    mutate(record)
    path = _write(tmp_path / "p.jsonl", [record])
    with pytest.raises(PersonaFileError, match=rf"p\.jsonl:1 .*'{field}' is '{value}'; expected one of"):
        load_personas(path)


def test_bad_receptive_window_names_index(record, tmp_path):
    record["preferences"]["receptive_hours"] = [[9, 10], [14, 12]]
    path = _write(tmp_path / "p.jsonl", [record])
    with pytest.raises(PersonaFileError, match=r"'receptive_hours\[1\]' is \[14, 12\]"):
        load_personas(path)


def test_wrong_type_names_field(record, tmp_path):
    record["age"] = "34"
    path = _write(tmp_path / "p.jsonl", [record])
    with pytest.raises(PersonaFileError, match=r"field 'age' must be int, got '34'"):
        load_personas(path)


def test_duplicate_id_names_second_line(record, tmp_path):
    path = _write(tmp_path / "p.jsonl", [record, record])
    with pytest.raises(PersonaFileError, match=r"p\.jsonl:2: persona_id 1 appears twice"):
        load_personas(path)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="persona file not found"):
        load_personas(tmp_path / "absent.jsonl")


def test_empty_file_is_an_error(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(PersonaFileError, match="no personas"):
        load_personas(path)
