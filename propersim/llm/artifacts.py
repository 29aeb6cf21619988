"""Trained policies as bytes: what moves between the trainer, the run's storage and the engines.

A training (on any node) returns an :class:`Artifact`, a LoRA adapter or full weights as its files' bytes, with
its kind stated, never guessed from the files. The driver stores it in RUN_DIR and hands it to the engines;
each node writes it once into its own cache (:func:`materialise`) before vLLM loads it from there, so no two
nodes need to share a disk.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from propersim.llm.engine import ADAPTER, WEIGHTS
from propersim.llm.models import cache_dir


@dataclass(frozen=True)
class Artifact:
    """A trained adapter (``kind`` :data:`ADAPTER`) or full weights (:data:`WEIGHTS`): relative file name ->
    bytes."""

    kind: str
    files: dict[str, bytes]

    def __post_init__(self):
        if self.kind not in (ADAPTER, WEIGHTS):
            raise ValueError(f"an artifact is {ADAPTER!r} or {WEIGHTS!r}, not {self.kind!r}")
        if not self.files:
            raise ValueError("an artifact holds at least one file")

    @classmethod
    def from_dir(cls, kind: str, path: str | Path) -> Artifact:
        path = Path(path)
        return cls(kind, {f.relative_to(path).as_posix(): f.read_bytes()
                          for f in sorted(path.rglob("*")) if f.is_file()})

    @property
    def nbytes(self) -> int:
        return sum(len(data) for data in self.files.values())

    @property
    def digest(self) -> str:
        """The first 12 hex digits of the SHA-256 of the files (names and bytes): a version's own name."""
        h = hashlib.sha256()
        for name, data in sorted(self.files.items()):
            h.update(name.encode() + b"\0" + len(data).to_bytes(8, "little") + data)
        return h.hexdigest()[:12]

    def write_to(self, path: str | Path) -> Path:
        """Write the files under directory ``path`` (created; it must not exist), through a temporary
        directory renamed into place, so the directory is whole once it exists."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        for name, data in self.files.items():
            target = (tmp / name).resolve()
            if not target.is_relative_to(tmp.resolve()):
                raise ValueError(f"artifact file {name!r} points outside its directory")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        os.replace(tmp, path)
        return path


def artifacts_root() -> Path:
    """This node's artifact cache: ``$PROPERSIM_CACHE/adapters`` (the same path on every node)."""
    return cache_dir() / "adapters"


def artifact_name(run_id: str, arm: str, version: int, key: str, artifact: Artifact) -> str:
    """Where ``artifact`` lives in every node's cache, relative to :func:`artifacts_root`; the digest makes a
    new version a new directory (vLLM never serves it cache blocks of an older one)."""
    return f"{run_id}/{arm}/v{version}/{key}-{artifact.digest}"


def cached_path(name: str) -> Path:
    return artifacts_root() / name


def materialise(artifact: Artifact, name: str) -> str:
    """The directory of ``artifact`` in this node's cache, written there first if it is not yet (once per
    node: concurrent writers wait on a file lock)."""
    import fcntl

    path = cached_path(name)
    if path.is_dir():
        return str(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.is_dir():
            artifact.write_to(path)
    return str(path)
