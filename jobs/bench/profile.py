"""Where a tick loop's time goes: cProfile of one simulated hour (9:00-10:00, 150 s ticks) of N generated
personas in one process (oracle judge, ``scheduled`` arm, optionally an LLM arm on a model), the functions
with the most own time.

    python -m jobs.bench.profile --personas 1000 [--llm tiny-random]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from pathlib import Path

from jobs.bench.common import finish


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--personas", type=int, default=1000)
    ap.add_argument("--llm", help="also an LLM assistant arm on this model (e.g. tiny-random)")
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--json", help="also write the result to this file")
    args = ap.parse_args(argv)

    from propersim.config import load_config
    from propersim.sim.wiring import EnginePool, build_group, select_personas

    overrides = [f"sim.personas.generate={args.personas}", "sim.first_hour=9", "sim.last_hour=10",
                 "arms.scheduled.policy=scheduled", "arms.scheduled.every_ticks=24", "arms.scheduled.n_candidates=1"]
    if args.llm:
        overrides += [f"engines.m.model={args.llm}", "engines.m.dtype=float32", "engines.m.max_model_len=1024",
                      "arms.llm.policy=llm", "arms.llm.engine=m", "arms.llm.n_candidates=1", "arms.llm.max_tokens=16"]
    cfg = load_config(None, overrides)
    engines = EnginePool(cfg)
    group = build_group(cfg, select_personas(cfg), engines=engines)
    group.run_day(1)  # warm-up: imports, caches, the engine's first batch
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    table = group.run_day(2)
    profiler.disable()
    wall = time.perf_counter() - start
    engines.close()
    stats = pstats.Stats(profiler)
    rows = sorted(((fn, st[2], st[3], st[1]) for fn, st in stats.stats.items()), key=lambda r: -r[1])[:args.top]
    top = [{"function": f"{Path(file).name}:{line}({name})", "own_s": own, "cumulative_s": cum, "calls": calls,
            "share": own / wall} for (file, line, name), own, cum, calls in rows]
    print(f"{args.personas} personas x 1 simulated hour{' + LLM arm on ' + args.llm if args.llm else ''}: "
          f"{wall:.2f} s for {table.num_rows} rated decisions (profiled)")
    print(f"{'own s':>8} {'share':>6} {'calls':>9}  function")
    for t in top:
        print(f"{t['own_s']:8.3f} {t['share']:6.1%} {t['calls']:9d}  {t['function']}")
    return finish({"personas": args.personas, "llm": args.llm, "wall_s": wall, "decisions": table.num_rows,
                   "top": top}, args.json)


if __name__ == "__main__":
    main()
