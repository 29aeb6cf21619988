"""Day-boundary checkpoints as plain data: ``RUN_DIR/checkpoints/day=D/state.json`` plus Parquet tables.

A checkpoint holds what the simulation carries into day D+1 (the shards' policy memories, adapter versions,
pending training points, planner failures). It is JSON for small values and Arrow tables written as
``tables/NNN.parquet`` (referenced from the JSON as ``{"$table": "tables/NNN.parquet"}``), with a format
version; no live objects are stored, so renaming a class never breaks a resume. ``state.json`` is written
last, so a checkpoint that has one is complete (on object stores too, which have no rename). Resuming
continues from the newest.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from propersim.data.rundir import CHECKPOINTS_DIR
from propersim.data.storage import Storage
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


def _decode(value, store: Storage, root: str):
    if isinstance(value, dict):
        if set(value) == {_TABLE}:
            return store.read_table(f"{root}/{value[_TABLE]}")
        return {k: _decode(v, store, root) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v, store, root) for v in value]
    return value


def save_checkpoint(run_dir: str | Path | Storage, day: int, state: dict) -> str:
    """Write the state reached at the end of ``day``, its ``state.json`` last; returns its directory (relative
    to RUN_DIR).

    Raises:
        TypeError: ``state`` holds something other than JSON values and Arrow tables.
    """
    store, root = Storage.of(run_dir), f"{CHECKPOINTS_DIR}/day={day}"
    tables: list[pa.Table] = []
    doc = {"format": FORMAT_VERSION, "day": day, "state": _encode(state, tables)}
    store.delete(root)
    for k, table in enumerate(tables):
        store.write_table(f"{root}/tables/{k:03d}.parquet", table)
    store.write(f"{root}/{STATE_FILE}", json.dumps(doc))
    return root


def latest_checkpoint_day(run_dir: str | Path | Storage) -> int | None:
    """The day of the newest checkpoint (of any format), or None; reads no state."""
    days = [int(rel.split("/")[1].split("=", 1)[1]) for rel in Storage.of(run_dir).files(CHECKPOINTS_DIR)
            if rel.split("/")[1].startswith("day=") and rel.split("/")[-1] in (STATE_FILE, LEGACY_STATE_FILE)
            and rel.count("/") == 2]
    return max(days, default=None)


def latest_checkpoint(run_dir: str | Path | Storage) -> tuple[int, dict] | None:
    """``(day, state)`` of the newest complete checkpoint, or None when there is none.

    Raises:
        InvalidInputError: the newest checkpoint is of another format version, or a pickled one written by an
            earlier propersim.
    """
    store = Storage.of(run_dir)
    day = latest_checkpoint_day(store)
    if day is None:
        return None
    root = f"{CHECKPOINTS_DIR}/day={day}"
    if not store.is_file(f"{root}/{STATE_FILE}"):
        raise InvalidInputError(f"{store.uri(root)}/{LEGACY_STATE_FILE}: a pickled checkpoint of an earlier "
                                f"propersim (before checkpoint format {FORMAT_VERSION}); this version cannot resume "
                                "it: start the run again with --overwrite")
    doc = json.loads(store.read_text(f"{root}/{STATE_FILE}"))
    if doc.get("format") != FORMAT_VERSION:
        raise InvalidInputError(f"{store.uri(root)}/{STATE_FILE}: checkpoint format {doc.get('format')!r}, but "
                                f"this propersim reads format {FORMAT_VERSION}; resume it with the propersim version "
                                "that wrote it, or start the run again with --overwrite")
    return doc["day"], _decode(doc["state"], store, root)
