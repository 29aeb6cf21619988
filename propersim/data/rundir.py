"""The run directory: the name of every file a run writes, creating or replacing a run, its lock, and the resume
check. RUN_DIR is a local path or a URI (:mod:`propersim.data.storage`).

Layout (relative to RUN_DIR)::

    config.yaml                         the fully resolved config
    manifest.json                       every Parquet shard with its row count and SHA-256
    interactions/day=D/part-*.parquet   rated candidates (THE schema)
    pairs/day=D/part-*.parquet          preference pairs
    checkpoints/day=D/                  day-boundary state (state.json + tables/*.parquet)
    checkpoints/adapters/ARM/vN/KEY/    trained adapters or weights (KEY: "shared" or a persona id)
    training.jsonl                      one record per adapter of every training point
    planner_failures.json               LLM plans that fell back to the procedural planner
    runtime.json                        backend, shards, restarts, seconds per day
    .lock                               held by the process running the run (see :func:`run_lock`)
    summary.json, report/index.html     metrics and the report
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from propersim.data.storage import Storage

CONFIG = "config.yaml"
MANIFEST = "manifest.json"
INTERACTIONS_DIR = "interactions"
PAIRS_DIR = "pairs"
CHECKPOINTS_DIR = "checkpoints"
ADAPTERS_DIR = f"{CHECKPOINTS_DIR}/adapters"
TRAINING_LOG = "training.jsonl"
PLANNER_FAILURES = "planner_failures.json"
RUNTIME = "runtime.json"
SUMMARY = "summary.json"
REPORT_DIR = "report"
REPORT_INDEX = "index.html"
LOCK = ".lock"

#: The adapter key of a ``trainer.scope=shared`` adapter (per-persona adapters are keyed by persona id).
SHARED = "shared"
#: How long a run's lock on an object store (a lease, see :func:`run_lock`) stays valid without renewal.
LEASE_S = 120.0
#: How long a driver waits after writing its lease before reading it back (object stores have no exclusive
#: create through pyarrow; the later of two simultaneous writers wins and the other one sees it).
_LEASE_SETTLE_S = 1.0

#: What ``--overwrite`` removes: every output of a run (the config is rewritten).
_OUTPUT_DIRS = (INTERACTIONS_DIR, PAIRS_DIR, CHECKPOINTS_DIR, REPORT_DIR)
_OUTPUT_FILES = (MANIFEST, SUMMARY, RUNTIME, PLANNER_FAILURES, TRAINING_LOG)


def read_training_log(run_dir: str | Path | Storage) -> list[dict]:
    """The records of ``RUN_DIR/training.jsonl`` (one per adapter of every training point), oldest first; none
    when the run has not trained."""
    store = Storage.of(run_dir)
    if not store.is_file(TRAINING_LOG):
        return []
    return [json.loads(line) for line in store.read_text(TRAINING_LOG).splitlines() if line]


def adapter_dir(arm: str, version: int, key: str) -> str:
    """Where version ``version`` of ``arm``'s adapter ``key`` (``shared`` or a persona id) lives, relative to
    RUN_DIR (relative so that a moved run directory still finds its own)."""
    return f"{ADAPTERS_DIR}/{arm}/v{version}/{key}"


def report_index(run_dir: str | Path | Storage) -> str:
    return Storage.of(run_dir).uri(f"{REPORT_DIR}/{REPORT_INDEX}")


def holds_run(run_dir: str | Path | Storage) -> bool:
    store = Storage.of(run_dir)
    return store.exists(MANIFEST) or store.exists(CHECKPOINTS_DIR)


def prepare_run_dir(run_dir: str | Path | Storage, overwrite: bool) -> None:
    """Create ``run_dir``; refuse to mix with an earlier run unless ``overwrite``, which removes its outputs.

    Raises:
        RunExistsError: ``run_dir`` holds a run and ``overwrite`` is false.
    """
    from propersim.errors import RunExistsError

    store = Storage.of(run_dir)
    if holds_run(store):
        if not overwrite:
            raise RunExistsError(f"{store} already holds a run; pass --resume to continue it, --overwrite to "
                                 "replace it, or --out another dir")
        for name in _OUTPUT_DIRS + _OUTPUT_FILES:
            store.delete(name)
    store.makedirs()


@contextmanager
def run_lock(run_dir: str | Path | Storage) -> Iterator[None]:
    """Hold ``RUN_DIR/.lock`` while a run writes, so that a second copy of the run (a job submitted twice, a
    restarted entrypoint whose first life still runs) stops at once instead of interleaving its writes. The lock
    names its holder.

    On a local disk it is an advisory ``flock``, which goes with the process however it ends. On an object
    store it is a lease: an object renewed every third of :data:`LEASE_S` while the run goes and removed at its
    end; one that was not renewed for :data:`LEASE_S` (its driver died) is taken over.

    Raises:
        RunInUseError: another process holds the lock.
    """
    store = Storage.of(run_dir)
    store.makedirs()
    holder = f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%Y-%m-%d %H:%M:%S')}"
    if store.local:
        with _flock(store, holder):
            yield
    else:
        with _lease(store, holder):
            yield


def _in_use(store: Storage, holder: str):
    from propersim.errors import RunInUseError

    return RunInUseError(f"{store} is in use by {holder or 'another process'}; wait for that run to end or stop "
                         "it, or use --out another dir")


@contextmanager
def _flock(store: Storage, holder: str) -> Iterator[None]:
    import fcntl

    with open(store.path(LOCK), "a+", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            raise _in_use(store, fh.read().strip()) from None
        fh.seek(0)
        fh.truncate()
        fh.write(holder + "\n")
        fh.flush()
        yield


@contextmanager
def _lease(store: Storage, holder: str) -> Iterator[None]:
    if store.is_file(LOCK):
        lease = json.loads(store.read_text(LOCK))
        if lease["expires"] > time.time():
            raise _in_use(store, lease["holder"])
    stop = threading.Event()

    def renew() -> None:
        store.write(LOCK, json.dumps({"holder": holder, "expires": time.time() + LEASE_S}))

    def keep() -> None:
        while not stop.wait(LEASE_S / 3):
            renew()

    renew()
    time.sleep(_LEASE_SETTLE_S)  # two drivers that wrote at once: the one whose lease was overwritten stops
    lease = json.loads(store.read_text(LOCK))
    if lease["holder"] != holder:
        raise _in_use(store, lease["holder"])
    thread = threading.Thread(target=keep, name="run-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        store.delete(LOCK)


def check_same_config(run_dir: str | Path | Storage, cfg) -> None:
    """Refuse to continue ``run_dir`` with another config than the one it was started with; only
    ``runtime.address`` may differ (a run can move clusters).

    Raises:
        MissingInputError: ``run_dir`` holds no run.
        ConfigError: ``run_dir`` belongs to a different config (the differing keys are named).
    """
    from propersim.config import ConfigError, flat_config
    from propersim.errors import MissingInputError

    store = Storage.of(run_dir)
    if not store.is_file(CONFIG):
        raise MissingInputError(f"--resume {store}: no run there (no {CONFIG})")
    old, new = flat_config(load_run_config(store)), flat_config(cfg)
    diff = [f"{k} ({old.get(k)!r} there, {new.get(k)!r} now)" for k in sorted(set(old) | set(new))
            if k != "runtime.address" and old.get(k) != new.get(k)]
    if diff:
        raise ConfigError(f"--resume {store}: the run there belongs to a different config; differs at "
                          + ", ".join(diff))


def load_run_config(run_dir: str | Path | Storage):
    """The config a run was started with (``RUN_DIR/config.yaml``).

    Raises:
        MissingInputError: ``run_dir`` holds no run.
    """
    from propersim.config import load_config
    from propersim.errors import MissingInputError

    store = Storage.of(run_dir)
    if not store.is_file(CONFIG):
        raise MissingInputError(f"{store}: no run there (no {CONFIG})")
    return load_config(store.uri(CONFIG), text=store.read_text(CONFIG))
