"""Day-boundary checkpoints as plain data: ``RUN_DIR/checkpoints/day=D/state.json`` plus Parquet tables.

A checkpoint holds what the simulation carries into day D+1 (the shards' policy memories, adapter versions,
pending training points, planner failures). It is JSON for small values and Arrow tables written as
``tables/NNN.parquet`` (referenced from the JSON as ``{"$table": "tables/NNN.parquet"}``), with a format
version; no live objects are stored, so renaming a class never breaks a resume. The directory is written
under a temporary name and renamed, so one that exists is complete. Resuming continues from the newest.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from propersim.data.rundir import CHECKPOINTS_DIR
from propersim.errors import InvalidInputError

#: Version of the checkpoint layout this code writes and reads.
FORMAT_VERSION = 1
STATE_FILE = "state.json"
#: What checkpoints of propersim before format 1 held (pickled live objects).
LEGACY_STATE_FILE = "state.pkl"
_TABLE = "$table"


def _encode(value, tables: list[pa.Table]):
    """JSON-able ``value`` with each Arrow table replaced by a reference to its file."""
    if isinstance(value, pa.Table):
        tables.append(value)
        return {_TABLE: f"tables/{len(tables) - 1:03d}.parquet"}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"checkpoint state keys must be strings, got {sorted(map(repr, value))[:5]}")
        return {k: _encode(v, tables) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v, tables) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"checkpoint state must be plain data (JSON values and Arrow tables), got "
                    f"{type(value).__name__}")


def _decode(value, root: Path):
    if isinstance(value, dict):
        if set(value) == {_TABLE}:
            return pq.read_table(root / value[_TABLE])
        return {k: _decode(v, root) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v, root) for v in value]
    return value


def save_checkpoint(run_dir: str | Path, day: int, state: dict) -> Path:
    """Write the state reached at the end of ``day`` atomically; returns its directory.

    Raises:
        TypeError: ``state`` holds something other than JSON values and Arrow tables.
    """
    root = Path(run_dir) / CHECKPOINTS_DIR
    final, tmp = root / f"day={day}", root / f".day={day}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tables: list[pa.Table] = []
    doc = {"format": FORMAT_VERSION, "day": day, "state": _encode(state, tables)}
    (tmp / "tables").mkdir(parents=True)
    for k, table in enumerate(tables):
        pq.write_table(table, tmp / "tables" / f"{k:03d}.parquet", compression="zstd")
    (tmp / STATE_FILE).write_text(json.dumps(doc))
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    return final


def latest_checkpoint_day(run_dir: str | Path) -> int | None:
    """The day of the newest checkpoint (of any format), or None; reads no state."""
    days = [int(p.name.split("=", 1)[1]) for p in (Path(run_dir) / CHECKPOINTS_DIR).glob("day=*")
            if (p / STATE_FILE).is_file() or (p / LEGACY_STATE_FILE).is_file()]
    return max(days, default=None)


def latest_checkpoint(run_dir: str | Path) -> tuple[int, dict] | None:
    """``(day, state)`` of the newest complete checkpoint, or None when there is none.

    Raises:
        InvalidInputError: the newest checkpoint is of another format version, or a pickled one written by an
            earlier propersim.
    """
    day = latest_checkpoint_day(run_dir)
    if day is None:
        return None
    path = Path(run_dir) / CHECKPOINTS_DIR / f"day={day}"
    if not (path / STATE_FILE).is_file():
        raise InvalidInputError(f"{path / LEGACY_STATE_FILE}: a pickled checkpoint of an earlier propersim "
                                f"(before checkpoint format {FORMAT_VERSION}); this version cannot resume it: "
                                "start the run again with --overwrite")
    doc = json.loads((path / STATE_FILE).read_text())
    if doc.get("format") != FORMAT_VERSION:
        raise InvalidInputError(f"{path / STATE_FILE}: checkpoint format {doc.get('format')!r}, but this "
                                f"propersim reads format {FORMAT_VERSION}; resume it with the propersim version "
                                "that wrote it, or start the run again with --overwrite")
    return doc["day"], _decode(doc["state"], path)
