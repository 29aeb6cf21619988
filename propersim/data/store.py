"""The run directory's Parquet store: atomic shard writes, the manifest, verification and reading.

Layout: ``RUN_DIR/<dataset>/day=D/<name>.parquet`` plus ``RUN_DIR/manifest.json`` listing every shard with
its row count and SHA-256. A shard is written whole (:meth:`Storage.write`), then the manifest is rewritten
the same way, so a crash never leaves a half-written shard listed. RUN_DIR is a path or a URI
(:mod:`propersim.data.storage`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from propersim.data.rundir import INTERACTIONS_DIR, MANIFEST, PAIRS_DIR
from propersim.data.schema import INTERACTIONS, PAIRS
from propersim.data.storage import Storage
from propersim.errors import MissingInputError

#: dataset directory -> the schema of its shards
SCHEMAS = {INTERACTIONS_DIR: INTERACTIONS, PAIRS_DIR: PAIRS}


def shard_name(part: int, k: int = 0) -> str:
    """Name of shard ``k`` of part ``part`` of a day (a day runs in parts when training happens within it):
    ``part-NNNNN`` for the first part, ``part-sPPP-NNNNN`` after, so path order is simulation order."""
    return f"part-{k:05d}" if part == 0 else f"part-s{part:03d}-{k:05d}"


def load_manifest(run_dir: str | Path | Storage) -> dict:
    """The manifest of ``run_dir`` (an empty one when none exists yet)."""
    store = Storage.of(run_dir)
    if not store.is_file(MANIFEST):
        return {"shards": {}}
    return json.loads(store.read_text(MANIFEST))


class ShardWriter:
    """Writes Parquet shards into a run directory and keeps its manifest."""

    def __init__(self, run_dir: str | Path | Storage):
        self.store = Storage.of(run_dir)
        self.store.makedirs()
        self._manifest = load_manifest(self.store)

    def write(self, table: pa.Table, day: int, name: str, dataset: str = INTERACTIONS_DIR) -> str:
        """Write ``table`` as ``dataset/day=D/name.parquet`` atomically and record it in the manifest; returns
        its path relative to RUN_DIR.

        Rewriting an existing shard name replaces it (a resumed day produces the same shard names).
        """
        if not table.schema.equals(SCHEMAS[dataset]):
            raise ValueError(f"shard {name!r} does not match the {dataset} schema:\n{table.schema}")
        rel = f"{dataset}/day={day}/{name}.parquet"
        self.store.write_table(rel, table)
        self._register(rel, table.num_rows)
        return rel

    def adopt(self, files: list[str], day: int, dataset: str = INTERACTIONS_DIR, part: int = 0) -> list[str]:
        """Move Parquet files written elsewhere in the run's storage (``files``: relative to RUN_DIR, e.g. by
        Ray Data) into ``dataset/day=D/`` as the shards of day part ``part`` (see :func:`shard_name`) and record
        them in the manifest (each after its move, so the manifest never lists a shard not in place).

        Raises:
            ValueError: a file does not have its dataset's schema.
        """
        rels = []
        for k, src in enumerate(sorted(files)):
            schema = self.store.read_schema(src)
            if not schema.equals(SCHEMAS[dataset]):
                raise ValueError(f"{self.store.uri(src)} does not match the {dataset} schema:\n{schema}")
            rel = f"{dataset}/day={day}/{shard_name(part, k)}.parquet"
            self.store.move(src, rel)
            self._register(rel, self.store.num_rows(rel))
            rels.append(rel)
        return rels

    def clear_day(self, day: int, dataset: str = INTERACTIONS_DIR) -> None:
        """Remove a day's shards (a day re-run after a crash starts from nothing)."""
        prefix = f"{dataset}/day={day}/"
        for rel in [rel for rel in self._manifest["shards"] if rel.startswith(prefix)]:
            del self._manifest["shards"][rel]
        self._save_manifest()
        self.store.delete(prefix.rstrip("/"))

    def _register(self, rel: str, rows: int) -> None:
        self._manifest["shards"][rel] = {"rows": rows, "sha256": self.store.sha256(rel)}
        self._save_manifest()

    def _save_manifest(self) -> None:
        self.store.write(MANIFEST, json.dumps(self._manifest, indent=1, sort_keys=True))


def _is_shard(rel: str) -> bool:
    parts = rel.split("/")
    return len(parts) == 3 and parts[1].startswith("day=") and parts[2].endswith(".parquet")


def verify(run_dir: str | Path | Storage) -> list[str]:
    """Check every shard against the manifest.

    Returns:
        One message per problem (missing, unlisted, unreadable, row-count or checksum mismatch); empty if all good.
    """
    store = Storage.of(run_dir)
    if not store.is_file(MANIFEST):
        return [f"{store.uri(MANIFEST)}: no manifest"]
    listed = load_manifest(store)["shards"]
    stored = {rel for dataset in SCHEMAS for rel in store.files(dataset) if _is_shard(rel)}
    problems = []
    for rel, meta in sorted(listed.items()):
        if rel not in stored:
            problems.append(f"{rel}: listed in the manifest but missing")
            continue
        if store.sha256(rel) != meta["sha256"]:
            problems.append(f"{rel}: checksum mismatch (file changed or corrupted)")
            continue
        try:
            rows = store.num_rows(rel)
        except (OSError, pa.ArrowException) as e:
            problems.append(f"{rel}: unreadable ({e})")
            continue
        if rows != meta["rows"]:
            problems.append(f"{rel}: {rows} rows, manifest says {meta['rows']}")
    problems += [f"{rel}: shard not listed in the manifest" for rel in sorted(stored - set(listed))]
    return problems


def read_dataset(run_dir: str | Path | Storage, dataset: str = INTERACTIONS_DIR, day: int | None = None) -> pa.Table:
    """All rows of one dataset of a run (``interactions`` or ``pairs``), or of one ``day`` of it, in its schema,
    ordered by shard path.

    Raises:
        MissingInputError: the run has no interaction shards (a run without pairs reads as empty).
    """
    store = Storage.of(run_dir)
    prefix = f"{dataset}/" if day is None else f"{dataset}/day={day}/"
    shards = sorted(rel for rel in load_manifest(store)["shards"] if rel.startswith(prefix))
    if not shards:
        if dataset != INTERACTIONS_DIR:
            return SCHEMAS[dataset].empty_table()
        raise MissingInputError(f"{store}: no interaction shards{'' if day is None else f' of day {day}'} in "
                                f"{store.uri(MANIFEST)}")
    return pa.concat_tables([store.read_table(rel, SCHEMAS[dataset]) for rel in shards])


def read_interactions(run_dir: str | Path | Storage) -> pa.Table:
    """All interaction rows of a run (see :func:`read_dataset`)."""
    return read_dataset(run_dir, INTERACTIONS_DIR)
