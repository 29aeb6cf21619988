"""What a run directory says about its run while it goes and after: progress, pace, last training, latest scores."""

from __future__ import annotations

import json
import time
from pathlib import Path

from propersim.data.checkpoint import latest_checkpoint_day
from propersim.data.rundir import RUNTIME, SUMMARY, load_run_config, read_training_log
from propersim.data.storage import Storage

#: A run whose last day finished longer ago than this many mean day lengths (plus a minute) looks stopped.
STALL_DAYS = 3


def run_status(run_dir: str | Path | Storage, now: float | None = None) -> dict:
    """The state of the run in ``run_dir`` from its files (config, runtime.json, checkpoints, training log,
    summary), without touching the run.

    Raises:
        MissingInputError: ``run_dir`` holds no run.
    """
    run_dir, now = Storage.of(run_dir), time.time() if now is None else now
    cfg = load_run_config(run_dir)
    runtime = json.loads(run_dir.read_text(RUNTIME)) if run_dir.is_file(RUNTIME) else {}
    days_done = latest_checkpoint_day(run_dir) or 0
    seconds = [float(s) for s in runtime.get("day_seconds", {}).values()]
    per_day = sum(seconds) / len(seconds) if seconds else None
    finished = days_done >= cfg.sim.days
    updated = runtime.get("updated")
    age = now - updated if updated is not None else None
    if finished:
        alive = "finished"
    elif age is None:
        alive = "no day finished yet"
    elif per_day is not None and age > STALL_DAYS * per_day + 60:
        alive = f"looks stopped: nothing new for {age:.0f} s (a day takes {per_day:.0f} s); --resume continues it"
    else:
        alive = f"running: last day finished {age:.0f} s ago"
    training = None
    if records := read_training_log(run_dir):
        last = (records[-1]["day"], records[-1]["after_tick"])
        training = [r for r in records if (r["day"], r["after_tick"]) == last]
    arms = {}
    if run_dir.is_file(SUMMARY):
        for arm, data in json.loads(run_dir.read_text(SUMMARY))["arms"].items():
            latest = data["daily"][-1]
            arms[arm] = {"day": latest["day"], "mean_score": latest["mean_score"],
                         "recs_per_hour": latest["recs_per_hour"]}
    return {"name": cfg.run.name, "backend": runtime.get("backend", "ray" if cfg.runtime.address else "local"),
            "shards": runtime.get("shards"), "days_done": days_done, "days_total": cfg.sim.days,
            "day_in_progress": None if finished else days_done + 1, "seconds_per_day": per_day,
            "eta_s": per_day * (cfg.sim.days - days_done) if per_day is not None and not finished else None,
            "last_training": training, "arms": arms, "alive": alive}


def format_status(status: dict) -> str:
    """:func:`run_status` as lines for a terminal."""
    s = status
    lines = [f"run {s['name']}: backend {s['backend']}, {s['shards'] or '?'} shard(s)"]
    progress = f"days done: {s['days_done']} of {s['days_total']}"
    if s["day_in_progress"] is not None:
        progress += f"; day {s['day_in_progress']} in progress"
    lines.append(progress)
    if s["seconds_per_day"] is not None:
        eta = f", ETA {_duration(s['eta_s'])}" if s["eta_s"] is not None else ""
        lines.append(f"pace: {s['seconds_per_day']:.1f} s per simulated day{eta}")
    if s["last_training"]:
        first = s["last_training"][0]
        trained = [r for r in s["last_training"] if "version" in r]
        losses = [r["loss"] for r in trained if r.get("loss") is not None]
        lines.append(f"last training point: day {first['day']} after tick {first['after_tick']}: {len(trained)} "
                     f"adapter(s) trained on {sum(r['pairs'] for r in trained)} pairs"
                     + (f", mean loss {sum(losses) / len(losses):.3f}" if losses else ""))
    for arm, a in s["arms"].items():
        mean = "n/a" if a["mean_score"] is None else f"{a['mean_score']:.2f}"
        lines.append(f"  {arm:>12}: day {a['day']} mean score {mean}, recs/hour {a['recs_per_hour']:.2f}")
    lines.append(s["alive"])
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"
