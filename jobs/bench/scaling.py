"""Scaling: wall time and peak memory of N generated personas x 1 simulated hour (9:00-10:00, 150 s ticks,
oracle judge, ``scheduled`` arm), in one process and on a local Ray, and the cost per persona-tick.

Each point runs in a fresh child process; the parent samples the resident memory of the child's whole process
tree (driver, Ray's daemons and workers) and keeps the peak.

    python -m jobs.bench.scaling --sizes 100 1000 --backends local ray --repeats 3
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from jobs.bench.common import finish, fmt, spread


def tree_rss(proc: psutil.Process) -> int:
    """Resident bytes of ``proc`` and all its descendants."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def one_point(n: int, backend: str, shards: int, llm: str | None) -> None:
    """Child process: run one point and print its figures as JSON."""
    from propersim.cli import simulator
    from propersim.config import load_config
    from propersim.data.rundir import RUNTIME
    from propersim.sim.runner import run

    overrides = [f"sim.personas.generate={n}", "sim.days=1", "sim.first_hour=9", "sim.last_hour=10",
                 "arms.scheduled.policy=scheduled", "arms.scheduled.every_ticks=24", "arms.scheduled.n_candidates=1"]
    if llm:
        overrides += [f"engines.m.model={llm}", "engines.m.dtype=float32", "engines.m.max_model_len=1024",
                      "arms.llm.policy=llm", "arms.llm.engine=m", "arms.llm.n_candidates=1",
                      "arms.llm.max_tokens=16", "arms.llm.memory_mode=no_memory"]
    if backend == "ray":
        overrides += ["runtime.address=local", f"runtime.shards={shards}", "runtime.object_store_mb=512"]
    cfg = load_config(None, overrides)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        summary = run(cfg, Path(tmp) / "run", progress=False, simulator=simulator)
        wall = time.perf_counter() - start
        day_s = json.loads((Path(tmp) / "run" / RUNTIME).read_text())["day_seconds"]["1"]
    decisions = summary["run"]["n_rows"]
    print(json.dumps({"wall_s": wall, "day_s": day_s, "decisions": decisions}))


def measure(n: int, backend: str, shards: int, llm: str | None) -> dict:
    cmd = [sys.executable, "-m", "jobs.bench.scaling", "--one", str(n), backend, "--shards", str(shards)]
    cmd += ["--llm", llm] if llm else []
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    proc, peak = psutil.Process(child.pid), 0
    while child.poll() is None:
        peak = max(peak, tree_rss(proc))
        time.sleep(0.05)
    out = child.stdout.read().strip().splitlines()
    if child.returncode != 0 or not out:
        raise RuntimeError(f"{' '.join(cmd)} failed with status {child.returncode}")
    return {**json.loads(out[-1]), "peak_rss_mb": peak / 2**20}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    ap.add_argument("--backends", nargs="+", default=["local", "ray"], choices=("local", "ray"))
    ap.add_argument("--shards", type=int, default=2, help="PersonaShard actors on Ray")
    ap.add_argument("--llm", help="also an LLM assistant arm on this model (e.g. tiny-random)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", help="also write the result to this file")
    ap.add_argument("--one", nargs=2, metavar=("N", "BACKEND"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        return one_point(int(args.one[0]), args.one[1], args.shards, args.llm)

    ticks = 24  # 1 hour of 150 s ticks
    points = []
    print(f"{'backend':>8} {'personas':>9} {'wall s':>16} {'day s':>16} {'peak MB':>16} {'ms/persona-tick':>18}")
    for backend in args.backends:
        for n in args.sizes:
            runs = [measure(n, backend, args.shards, args.llm) for _ in range(args.repeats)]
            cost = [1000 * r["day_s"] / (n * ticks) for r in runs]
            point = {"backend": backend, "personas": n, "wall_s": spread([r["wall_s"] for r in runs]),
                     "day_s": spread([r["day_s"] for r in runs]),
                     "peak_rss_mb": spread([r["peak_rss_mb"] for r in runs]),
                     "cost_per_persona_tick_ms": spread(cost), "decisions": runs[0]["decisions"]}
            points.append(point)
            print(f"{backend:>8} {n:>9} {fmt(point['wall_s'], digits=1):>16} {fmt(point['day_s']):>16} "
                  f"{fmt(point['peak_rss_mb'], digits=0):>16} {fmt(point['cost_per_persona_tick_ms'], digits=3):>18}")
    for backend in args.backends:
        mine = [p for p in points if p["backend"] == backend]
        if len(mine) >= 2:
            lo, hi = mine[0], mine[-1]
            per_persona = (hi["peak_rss_mb"]["median"] - lo["peak_rss_mb"]["median"]) / (hi["personas"] - lo["personas"])
            ratio = hi["cost_per_persona_tick_ms"]["median"] / lo["cost_per_persona_tick_ms"]["median"]
            print(f"{backend}: memory per added persona {1024 * per_persona:.1f} KB; cost per persona-tick at "
                  f"{hi['personas']} / at {lo['personas']} = {ratio:.2f}x")
    return finish({"llm": args.llm, "points": points}, args.json)


if __name__ == "__main__":
    main()
