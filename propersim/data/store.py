"""The run directory's Parquet store: atomic shard writes, the manifest, verification and reading.

Layout: ``RUN_DIR/<dataset>/day=D/<name>.parquet`` plus ``RUN_DIR/manifest.json`` listing every shard with
its row count and SHA-256. A shard is written to a temporary file and renamed into place, then the
manifest is rewritten the same way, so a crash never leaves a half-written shard listed.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from propersim.data.rundir import INTERACTIONS_DIR, MANIFEST, PAIRS_DIR, write_atomic
from propersim.data.schema import INTERACTIONS, PAIRS
from propersim.errors import MissingInputError

#: dataset directory -> the schema of its shards
SCHEMAS = {INTERACTIONS_DIR: INTERACTIONS, PAIRS_DIR: PAIRS}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def shard_name(part: int, k: int = 0) -> str:
    """Name of shard ``k`` of part ``part`` of a day (a day runs in parts when training happens within it):
    ``part-NNNNN`` for the first part, ``part-sPPP-NNNNN`` after, so path order is simulation order."""
    return f"part-{k:05d}" if part == 0 else f"part-s{part:03d}-{k:05d}"


def load_manifest(run_dir: str | Path) -> dict:
    """The manifest of ``run_dir`` (an empty one when none exists yet)."""
    path = Path(run_dir) / MANIFEST
    if not path.exists():
        return {"shards": {}}
    return json.loads(path.read_text())


class ShardWriter:
    """Writes Parquet shards into a run directory and keeps its manifest."""

    def __init__(self, run_dir: str | Path):
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._manifest = load_manifest(self.run_dir)

    def write(self, table: pa.Table, day: int, name: str, dataset: str = INTERACTIONS_DIR) -> Path:
        """Write ``table`` as ``dataset/day=D/name.parquet`` atomically and record it in the manifest.

        Rewriting an existing shard name replaces it (a resumed day produces the same shard names).
        """
        if not table.schema.equals(SCHEMAS[dataset]):
            raise ValueError(f"shard {name!r} does not match the {dataset} schema:\n{table.schema}")
        shard_dir = self.run_dir / dataset / f"day={day}"
        shard_dir.mkdir(parents=True, exist_ok=True)
        path = shard_dir / f"{name}.parquet"
        tmp = shard_dir / f".{name}.parquet.tmp"
        try:
            pq.write_table(table, tmp, compression="zstd")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        self._register(path, table.num_rows)
        return path

    def adopt(self, files: list[Path], day: int, dataset: str = INTERACTIONS_DIR, part: int = 0) -> list[Path]:
        """Move Parquet files written elsewhere (e.g. by Ray Data) into ``dataset/day=D/`` as the shards of
        day part ``part`` (see :func:`shard_name`; renames within one file system are atomic) and record them
        in the manifest.

        Raises:
            ValueError: a file does not have its dataset's schema.
        """
        shard_dir = self.run_dir / dataset / f"day={day}"
        shard_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        for k, src in enumerate(sorted(files)):
            schema = pq.read_schema(src)
            if not schema.equals(SCHEMAS[dataset]):
                raise ValueError(f"{src} does not match the {dataset} schema:\n{schema}")
            path = shard_dir / f"{shard_name(part, k)}.parquet"
            os.replace(src, path)
            self._register(path, pq.read_metadata(path).num_rows)
            paths.append(path)
        return paths

    def clear_day(self, day: int, dataset: str = INTERACTIONS_DIR) -> None:
        """Remove a day's shards (a day re-run after a crash starts from nothing)."""
        prefix = f"{dataset}/day={day}/"
        for rel in [rel for rel in self._manifest["shards"] if rel.startswith(prefix)]:
            del self._manifest["shards"][rel]
        self._save_manifest()
        for path in (self.run_dir / prefix).glob("*.parquet"):
            path.unlink()

    def _register(self, path: Path, rows: int) -> None:
        rel = path.relative_to(self.run_dir).as_posix()
        self._manifest["shards"][rel] = {"rows": rows, "sha256": _sha256(path)}
        self._save_manifest()

    def _save_manifest(self) -> None:
        write_atomic(self.run_dir / MANIFEST, json.dumps(self._manifest, indent=1, sort_keys=True).encode())


def verify(run_dir: str | Path) -> list[str]:
    """Check every shard against the manifest.

    Returns:
        One message per problem (missing, unlisted, unreadable, row-count or checksum mismatch); empty if all good.
    """
    run_dir = Path(run_dir)
    if not (run_dir / MANIFEST).is_file():
        return [f"{run_dir / MANIFEST}: no manifest"]
    listed = load_manifest(run_dir)["shards"]
    problems = []
    for rel, meta in sorted(listed.items()):
        path = run_dir / rel
        if not path.is_file():
            problems.append(f"{rel}: listed in the manifest but missing")
            continue
        if _sha256(path) != meta["sha256"]:
            problems.append(f"{rel}: checksum mismatch (file changed or corrupted)")
            continue
        try:
            rows = pq.read_metadata(path).num_rows
        except (OSError, pa.ArrowException) as e:
            problems.append(f"{rel}: unreadable ({e})")
            continue
        if rows != meta["rows"]:
            problems.append(f"{rel}: {rows} rows, manifest says {meta['rows']}")
    on_disk = {p.relative_to(run_dir).as_posix() for p in run_dir.glob("*/day=*/*.parquet")}
    problems += [f"{rel}: shard not listed in the manifest" for rel in sorted(on_disk - set(listed))]
    return problems


def read_dataset(run_dir: str | Path, dataset: str = INTERACTIONS_DIR, day: int | None = None) -> pa.Table:
    """All rows of one dataset of a run (``interactions`` or ``pairs``), or of one ``day`` of it, in its schema,
    ordered by shard path.

    Raises:
        MissingInputError: the run has no interaction shards (a run without pairs reads as empty).
    """
    run_dir = Path(run_dir)
    prefix = f"{dataset}/" if day is None else f"{dataset}/day={day}/"
    shards = sorted(rel for rel in load_manifest(run_dir)["shards"] if rel.startswith(prefix))
    if not shards:
        if dataset != INTERACTIONS_DIR:
            return SCHEMAS[dataset].empty_table()
        raise MissingInputError(f"{run_dir}: no interaction shards{'' if day is None else f' of day {day}'} in "
                                f"{run_dir / MANIFEST}")
    return pa.concat_tables([pq.read_table(run_dir / rel, schema=SCHEMAS[dataset]) for rel in shards])


def read_interactions(run_dir: str | Path) -> pa.Table:
    """All interaction rows of a run (see :func:`read_dataset`)."""
    return read_dataset(run_dir, INTERACTIONS_DIR)
