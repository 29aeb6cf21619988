"""Persona files in other encodings: a UTF-8 byte-order mark loads, anything not UTF-8 names file, line and byte."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from propersim.errors import InvalidInputError
from propersim.personas.importer import import_propersim
from propersim.personas.schema import dump_personas, load_personas, persona_from_dict
from tests.personas.originals import original_record

EXAMPLE = Path(__file__).parent / "example_persona.json"


@pytest.fixture
def lines() -> list[str]:
    record = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    record["name"] = "Maÿa Økafor"  # non-ASCII text must survive every encoding path
    second = {**record, "persona_id": 2}
    return [json.dumps(record, ensure_ascii=False), json.dumps(second, ensure_ascii=False)]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_utf8_bom_loads_as_without(lines, tmp_path, newline):
    body = newline.join(lines).encode("utf-8") + newline.encode()
    plain = load_personas(_write(tmp_path / "plain.jsonl", body))
    with_bom = load_personas(_write(tmp_path / "bom.jsonl", codecs.BOM_UTF8 + body))
    assert with_bom == plain and [p.name for p in with_bom] == ["Maÿa Økafor"] * 2


def test_bom_of_a_file_joined_later_loads(lines, tmp_path):
    data = codecs.BOM_UTF8 + lines[0].encode() + b"\n" + codecs.BOM_UTF8 + lines[1].encode() + b"\n"
    assert [p.persona_id for p in load_personas(_write(tmp_path / "joined.jsonl", data))] == [1, 2]


def test_a_dumped_file_with_a_bom_round_trips(lines, tmp_path):
    personas = [persona_from_dict(json.loads(line)) for line in lines]
    dump_personas(personas, tmp_path / "a.jsonl")
    bom = _write(tmp_path / "b.jsonl", codecs.BOM_UTF8 + (tmp_path / "a.jsonl").read_bytes())
    assert load_personas(bom) == personas


def test_invalid_utf8_names_file_line_and_byte(lines, tmp_path):
    latin1 = lines[1].encode("latin-1")  # ÿ and Ø as single bytes: not UTF-8
    path = _write(tmp_path / "latin.jsonl", lines[0].encode() + b"\n" + latin1 + b"\n")
    with pytest.raises(InvalidInputError) as e:
        load_personas(path)
    message = str(e.value)
    column = latin1.index("ÿ".encode("latin-1")) + 1
    assert message.startswith(f"{path}:2: not valid UTF-8 (byte 0xff at byte {column} of the line)")
    assert "\n" not in message and "UTF-8" in message


def test_utf16_is_named(lines, tmp_path):
    path = _write(tmp_path / "wide.jsonl", "\n".join(lines).encode("utf-16"))
    with pytest.raises(InvalidInputError, match=r"wide\.jsonl:1: not valid UTF-8 .*UTF-16"):
        load_personas(path)


def _original(persona_id: int) -> str:
    return json.dumps(original_record(persona_id=persona_id, name="Zoë Lin",
                                      current_interests="Zoë enjoys 1) Pruning roses.",
                                      lifestyle="Zoë typically 1) Wakes up at 8am."), ensure_ascii=False)


def test_import_propersim_reads_a_bom_and_names_bad_bytes(tmp_path):
    body = (_original(1) + "\n" + _original(2) + "\n").encode()
    plain, _ = import_propersim(_write(tmp_path / "plain.jsonl", body))
    with_bom, _ = import_propersim(_write(tmp_path / "bom.jsonl", codecs.BOM_UTF8 + body))
    assert with_bom == plain and with_bom[0].name == "Zoë Lin"
    bad = _write(tmp_path / "bad.jsonl", _original(1).encode() + b"\n" + _original(2).encode("cp1252") + b"\n")
    with pytest.raises(InvalidInputError, match=r"bad\.jsonl:2: not valid UTF-8"):
        import_propersim(bad)
