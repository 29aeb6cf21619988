"""Day-boundary checkpoints: ``RUN_DIR/checkpoints/day=D/state.pkl`` holds what the simulation carries into
day D+1 (the shards' policy memories and planner failures; policy versions and replay buffers once the
learning loop adds them). A checkpoint directory is written under a temporary name and renamed, so one that
exists is complete. Resuming continues from the newest one.
"""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

CHECKPOINTS_DIR = "checkpoints"


def save_checkpoint(run_dir: str | Path, day: int, state: dict) -> Path:
    """Write the state reached at the end of ``day`` atomically; returns its directory."""
    root = Path(run_dir) / CHECKPOINTS_DIR
    final, tmp = root / f"day={day}", root / f".day={day}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with (tmp / "state.pkl").open("wb") as fh:
        pickle.dump({"day": day, **state}, fh, protocol=pickle.HIGHEST_PROTOCOL)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    return final


def latest_checkpoint(run_dir: str | Path) -> tuple[int, dict] | None:
    """``(day, state)`` of the newest complete checkpoint, or None when there is none."""
    root = Path(run_dir) / CHECKPOINTS_DIR
    days = sorted(int(p.name.split("=", 1)[1]) for p in root.glob("day=*") if (p / "state.pkl").is_file())
    if not days:
        return None
    with (root / f"day={days[-1]}" / "state.pkl").open("rb") as fh:
        state = pickle.load(fh)
    return state.pop("day"), state
