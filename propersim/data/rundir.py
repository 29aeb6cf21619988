"""The run directory: the name of every file a run writes, creating or replacing a run, and the resume check.

Layout (relative to RUN_DIR)::

    config.yaml                         the fully resolved config
    manifest.json                       every Parquet shard with its row count and SHA-256
    interactions/day=D/part-*.parquet   rated candidates (THE schema)
    pairs/day=D/part-*.parquet          preference pairs
    checkpoints/day=D/                  day-boundary state (state.json + tables/*.parquet)
    checkpoints/adapters/ARM/vN/KEY/    trained adapters or weights (KEY: "shared" or a persona id)
    memory/                             retrieval memories (Milvus Lite files)
    training.jsonl                      one record per adapter of every training point
    planner_failures.json               LLM plans that fell back to the procedural planner
    runtime.json                        backend, shards, restarts, seconds per day
    .lock                               held by the process running the run (see :func:`run_lock`)
    summary.json, report/index.html     metrics and the report
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CONFIG = "config.yaml"
MANIFEST = "manifest.json"
INTERACTIONS_DIR = "interactions"
PAIRS_DIR = "pairs"
CHECKPOINTS_DIR = "checkpoints"
ADAPTERS_DIR = f"{CHECKPOINTS_DIR}/adapters"
MEMORY_DIR = "memory"
TRAINING_LOG = "training.jsonl"
PLANNER_FAILURES = "planner_failures.json"
RUNTIME = "runtime.json"
SUMMARY = "summary.json"
REPORT_DIR = "report"
REPORT_INDEX = "index.html"
LOCK = ".lock"

#: The adapter key of a ``trainer.scope=shared`` adapter (per-persona adapters are keyed by persona id).
SHARED = "shared"

#: What ``--overwrite`` removes: every output of a run (the config is rewritten).
_OUTPUT_DIRS = (INTERACTIONS_DIR, PAIRS_DIR, CHECKPOINTS_DIR, MEMORY_DIR, REPORT_DIR)
_OUTPUT_FILES = (MANIFEST, SUMMARY, RUNTIME, PLANNER_FAILURES, TRAINING_LOG)


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write ``path`` through a temporary file and a rename: a reader sees the old file or the new one, whole."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    if isinstance(data, str):
        tmp.write_text(data, encoding="utf-8")
    else:
        tmp.write_bytes(data)
    os.replace(tmp, path)


def read_training_log(run_dir: str | Path) -> list[dict]:
    """The records of ``RUN_DIR/training.jsonl`` (one per adapter of every training point), oldest first; none
    when the run has not trained."""
    path = Path(run_dir) / TRAINING_LOG
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def adapter_dir(arm: str, version: int, key: str) -> str:
    """Where version ``version`` of ``arm``'s adapter ``key`` (``shared`` or a persona id) lives, relative to
    RUN_DIR (relative so that a moved run directory still finds its own)."""
    return f"{ADAPTERS_DIR}/{arm}/v{version}/{key}"


def report_index(run_dir: str | Path) -> Path:
    return Path(run_dir) / REPORT_DIR / REPORT_INDEX


def holds_run(run_dir: str | Path) -> bool:
    run_dir = Path(run_dir)
    return (run_dir / MANIFEST).exists() or (run_dir / CHECKPOINTS_DIR).exists()


def prepare_run_dir(run_dir: str | Path, overwrite: bool) -> None:
    """Create ``run_dir``; refuse to mix with an earlier run unless ``overwrite``, which removes its outputs.

    Raises:
        RunExistsError: ``run_dir`` holds a run and ``overwrite`` is false.
    """
    from propersim.errors import RunExistsError

    run_dir = Path(run_dir)
    if holds_run(run_dir):
        if not overwrite:
            raise RunExistsError(f"{run_dir} already holds a run; pass --resume to continue it, --overwrite to "
                                 "replace it, or --out another dir")
        for sub in _OUTPUT_DIRS:
            shutil.rmtree(run_dir / sub, ignore_errors=True)
        for name in _OUTPUT_FILES:
            (run_dir / name).unlink(missing_ok=True)
    run_dir.mkdir(parents=True, exist_ok=True)


@contextmanager
def run_lock(run_dir: str | Path) -> Iterator[None]:
    """Hold ``RUN_DIR/.lock`` (an advisory ``flock``; the file names its holder) while a run writes, so that a
    second copy of the run (a job submitted twice, a restarted entrypoint whose first life still runs) stops at
    once instead of interleaving its writes. The lock goes with the process, however it ends.

    Raises:
        RunInUseError: another process holds the lock.
    """
    import fcntl

    from propersim.errors import RunInUseError

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    with open(run_dir / LOCK, "a+", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise RunInUseError(f"{run_dir} is in use by {holder}; wait for that run to end or stop it, or use "
                                "--out another dir") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        fh.flush()
        yield


def check_same_config(run_dir: str | Path, cfg) -> None:
    """Refuse to continue ``run_dir`` with another config than the one it was started with; only
    ``runtime.address`` may differ (a run can move clusters).

    Raises:
        MissingInputError: ``run_dir`` holds no run.
        ConfigError: ``run_dir`` belongs to a different config (the differing keys are named).
    """
    from propersim.config import ConfigError, flat_config, load_config
    from propersim.errors import MissingInputError

    run_dir = Path(run_dir)
    if not (run_dir / CONFIG).is_file():
        raise MissingInputError(f"--resume {run_dir}: no run there (no {CONFIG})")
    old, new = flat_config(load_config(run_dir / CONFIG)), flat_config(cfg)
    diff = [f"{k} ({old.get(k)!r} there, {new.get(k)!r} now)" for k in sorted(set(old) | set(new))
            if k != "runtime.address" and old.get(k) != new.get(k)]
    if diff:
        raise ConfigError(f"--resume {run_dir}: the run there belongs to a different config; differs at "
                          + ", ".join(diff))
