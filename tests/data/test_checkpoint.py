"""Checkpoints as plain data: JSON and Parquet with a format version; foreign versions are refused."""

import json
import pickle

import pyarrow as pa
import pytest

from propersim.data.checkpoint import FORMAT_VERSION, latest_checkpoint, save_checkpoint
from propersim.errors import UserError


def state():
    memory = pa.table({"persona_id": pa.array([1, 1, 2], pa.int32()), "action": ["a", "b", "c"]})
    return {"shards": [{"policies": {"pp": {"memories": memory, "version": 2, "adapter": None}},
                        "planner_failures": [{"persona_id": 1, "day": 1, "stage": "day_plan", "error": "x"}]}],
            "adapters": {"pp": {"version": 2, "paths": {"1": "checkpoints/adapters/pp/v2/1"}}}, "pending": [[2, 8]]}


def test_a_checkpoint_round_trips_tables_and_values(tmp_path):
    path = tmp_path / save_checkpoint(tmp_path, 3, state())
    assert sorted(p.name for p in path.rglob("*") if p.is_file()) == ["000.parquet", "state.json"]
    assert json.loads((path / "state.json").read_text())["format"] == FORMAT_VERSION
    day, loaded = latest_checkpoint(tmp_path)
    assert day == 3
    memory = loaded["shards"][0]["policies"]["pp"].pop("memories")
    expected = state()
    assert memory.equals(expected["shards"][0]["policies"]["pp"].pop("memories"))
    assert loaded == expected


def test_the_newest_checkpoint_is_read(tmp_path):
    save_checkpoint(tmp_path, 1, {"pending": [], "n": 1})
    save_checkpoint(tmp_path, 2, {"pending": [], "n": 2})
    assert latest_checkpoint(tmp_path) == (2, {"pending": [], "n": 2})
    assert latest_checkpoint(tmp_path / "none") is None


def test_live_objects_are_refused_when_saving(tmp_path):
    with pytest.raises(TypeError, match="plain data .* got object"):
        save_checkpoint(tmp_path, 1, {"policy": object()})
    assert not (tmp_path / "checkpoints" / "day=1").exists(), "nothing half-written is left as a checkpoint"


def test_an_unknown_format_version_is_refused_naming_both(tmp_path):
    path = tmp_path / save_checkpoint(tmp_path, 1, {"pending": []})
    doc = json.loads((path / "state.json").read_text())
    (path / "state.json").write_text(json.dumps({**doc, "format": FORMAT_VERSION + 1}))
    with pytest.raises(UserError, match=rf"checkpoint format {FORMAT_VERSION + 1}, but this propersim reads "
                                        rf"format {FORMAT_VERSION}"):
        latest_checkpoint(tmp_path)


def test_a_pickled_checkpoint_of_an_earlier_version_is_refused_clearly(tmp_path):
    old = tmp_path / "checkpoints" / "day=2"
    old.mkdir(parents=True)
    (old / "state.pkl").write_bytes(pickle.dumps({"day": 2, "shards": []}))
    with pytest.raises(UserError, match=r"day=2/state.pkl: a pickled checkpoint of an earlier propersim .* "
                                        r"--overwrite"):
        latest_checkpoint(tmp_path)
