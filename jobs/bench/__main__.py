"""``make bench`` / ``make bench-quick``: every benchmark in its own process, their figures printed as they
come, and ``bench-results.json`` (in the working directory) with the headline figures and every detail.

    python -m jobs.bench [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jobs.bench.common import machine_info

#: The tokenizer that counts the paper configuration's tokens (jobs.bench.cost's default).
COST_MODEL = "gemma-3-270m"

FULL = {
    "orchestration": [["--model", "tiny-random", "--repeats", "5"],
                      ["--model", "gemma-3-270m", "--personas", "4", "--hours", "1", "--tick-seconds", "900",
                       "--max-tokens", "32", "--repeats", "3"]],
    "scaling": [["--sizes", "100", "1000", "5000", "--repeats", "3"],
                ["--sizes", "100", "1000", "--repeats", "3", "--llm", "tiny-random"]],
    # 60 MB adapters one at a time: 4 replicas caching 33 of them each do not fit in 24 GB
    "push": [["--ranks", "16", "--replicas", "1", "2", "4", "--adapters", "1", "32", "--repeats", "3"],
             ["--no-tiny", "--ranks", "64", "--replicas", "1", "2", "4", "--adapters", "1", "--repeats", "3"]],
    "trainer": [["--models", "tiny-random", "--repeats", "3"],
                ["--models", "gemma-3-270m", "--pairs", "4", "--repeats", "2"]],
    "cost": [["--personas", "2"]],
    "prefix": [["--ticks", "4"]],
    "profile": [["--personas", "1000"], ["--personas", "8", "--llm", "tiny-random"]],
}
QUICK = {
    "orchestration": [["--model", "tiny-random", "--repeats", "3"]],
    "scaling": [["--sizes", "100", "1000", "--backends", "local", "--repeats", "2"]],
    "push": [["--ranks", "--replicas", "1", "2", "--adapters", "1", "--repeats", "3"]],
    "trainer": [["--models", "tiny-random", "--repeats", "2"]],
    "cost": [["--personas", "1"]],
    "profile": [["--personas", "1000"]],
}


def run_bench(name: str, args: list[str], tmp: Path) -> dict:
    """``python -m jobs.bench.<name> ARGS --json FILE``: its output streams through; its result comes back."""
    out = tmp / f"{name}-{abs(hash(tuple(args)))}.json"
    print(f"\n== {name} {' '.join(args)}", flush=True)
    start = time.perf_counter()
    env = {"VLLM_LOGGING_LEVEL": "WARNING", **os.environ}  # the figures, not vLLM's start-up log
    subprocess.run([sys.executable, "-m", f"jobs.bench.{name}", *args, "--json", str(out)], check=True, env=env)
    print(f"   ({time.perf_counter() - start:.0f} s)", flush=True)
    return json.loads(out.read_text())


def headline(results: dict) -> dict:
    """The keys every bench-results.json has (medians), from the detailed results."""
    results = {name: results.get(name, []) for name in FULL}  # a benchmark that failed has none
    orch = {r["model"]: r["orchestration_efficiency"]["median"] for r in results["orchestration"]}
    scaling = [{"backend": p["backend"], "llm": r.get("llm"), "personas": p["personas"],
                "wall_s": p["wall_s"]["median"], "peak_rss_mb": p["peak_rss_mb"]["median"],
                "cost_per_persona_tick_ms": p["cost_per_persona_tick_ms"]["median"]}
               for r in results["scaling"] for p in r["points"]]
    pushes = [p for r in results["push"] for p in r["points"]]
    # against a raw copy: the tiny adapter alone, as in the first benchmarks (for continuity)
    push = {f"{p['payload']}@{p['replicas']}": p["ratio"]["median"] for p in pushes
            if p.get("model", "tiny-random") == "tiny-random" and p.get("adapters", 1) == 1}
    overhead = {f"{p['bytes'] / 2**20:.1f}MB@{p['replicas']}x{p['adapters']}": p["overhead"]["median"]
                for p in pushes if "overhead" in p}
    trainer = {f"{p['model']}/{p['deepspeed']}": p["pairs_per_s"]["median"] for r in results["trainer"]
               for p in r["points"]}
    cost = results["cost"][0] if results["cost"] else {}
    modes = cost.get("modes", {})
    prefix = results.get("prefix")  # the full set only
    return {"orchestration_efficiency": orch.get("tiny-random", next(iter(orch.values()), None)),
            "orchestration_efficiency_by_model": orch, "scaling": scaling, "weight_push_ratio": push,
            "push_overhead_ratio": overhead,
            "trainer_pairs_per_s": trainer,
            "tokens_per_persona_day": cost.get("tokens_per_persona_day"),
            **({"tokens_per_persona_day_by_judge_mode": {
                mode: {k: m[f"{k}_per_persona_day"] for k in ("requests", "prompt_tokens", "missed_prompt_tokens",
                                                             "completion_tokens")} for mode, m in modes.items()}}
               if modes else {}),
            **({"judge_prefix_cached_share": prefix[0]["cached_share"],
                "judge_prefix_speedup": prefix[0]["speedup"]["median"]} if prefix else {})}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="the reduced set (under 10 minutes on 2 cores)")
    ap.add_argument("--out", default="bench-results.json")
    args = ap.parse_args(argv)
    plan = QUICK if args.quick else FULL
    start = time.perf_counter()
    results: dict = {}
    failed = []  # a benchmark that fails is reported, the others still run
    with tempfile.TemporaryDirectory() as tmp:
        for name, runs in plan.items():
            for bench_args in runs:
                gemma = [r for r in results.get("orchestration", []) if r["model"] == COST_MODEL]
                if name == "cost" and gemma:  # engine-hours at the throughput measured above
                    bench_args = [*bench_args, "--tokens-per-s", f"{gemma[0]['raw_tokens_per_s']['median']:.2f}"]
                try:
                    results.setdefault(name, []).append(run_bench(name, bench_args, Path(tmp)))
                except subprocess.CalledProcessError as e:
                    failed.append({"bench": name, "args": bench_args, "status": e.returncode})
                    print(f"   FAILED with status {e.returncode}: {name} {' '.join(bench_args)}", flush=True)
    summary = {**headline(results), "failed": failed, "mode": "quick" if args.quick else "full",
               "date": time.strftime("%Y-%m-%d"), "seconds": round(time.perf_counter() - start),
               "machine": machine_info(), "details": results}
    Path(args.out).write_text(json.dumps(summary, indent=1))
    print(f"\nwrote {args.out} ({summary['seconds']} s): " + json.dumps(
        {k: summary[k] for k in ("orchestration_efficiency", "push_overhead_ratio", "trainer_pairs_per_s",
                                 "tokens_per_persona_day")}))
    for f in failed:
        print(f"failed: {f['bench']} {' '.join(f['args'])} (status {f['status']})")
    return summary


if __name__ == "__main__":
    sys.exit(1 if main()["failed"] else 0)
