"""Trainer throughput: DPO preference pairs per second of one training point (model load included), LoRA r=16,
with and without DeepSpeed ZeRO-2, on prompts of the assistant's real few-shot template.

    python -m jobs.bench.trainer --models tiny-random gemma-3-270m --pairs 8 --repeats 3
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from jobs.bench.common import finish, fmt, spread

ACTIONS = ["eating breakfast at the kitchen table (kitchen)", "reading a novel on the sofa (living room)",
           "answering work emails (study)", "cooking dinner (kitchen)", "stretching before a run (bedroom)",
           "watering the plants (balcony)", "watching the evening news (living room)", "tidying the desk (study)"]


def bench_pairs(n: int):
    """``n`` (prompt, chosen, rejected) pairs in the PAIRS schema, prompts from the assistant's template."""
    from propersim.assistant.llm_policy import PROMPT_DIR
    from propersim.data.rows import PairRow, rows_to_table
    from propersim.llm.prompts import load_template

    template = load_template(PROMPT_DIR, "base_fewshot")
    rows = []
    for k in range(n):
        prompt = template.substitute(name="Maya", now=f"Monday {8 + k % 12:02d}:00", action=ACTIONS[k % len(ACTIONS)],
                                     memory_section="Recommendations you made today before now: 2.\n\n")
        rows.append(PairRow("bench", "pp", 1, 1, k, 0, "text", prompt, " No Recommendation\n",
                     " How about a short walk outside before lunch?\n", 4, 1, True, False))
    return rows_to_table(rows, PairRow)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="+", default=["tiny-random", "gemma-3-270m"])
    ap.add_argument("--pairs", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--deepspeed", nargs="+", default=["off", "zero2"], choices=("off", "zero2"))
    ap.add_argument("--json", help="also write the result to this file")
    args = ap.parse_args(argv)

    from propersim.config import TrainerConfig
    from propersim.llm.models import resolve_model
    from trainers.preference import train_preference

    pairs = bench_pairs(args.pairs)
    points = []
    print(f"{'model':>14} {'deepspeed':>9} {'pairs/s':>24} {'s per point':>22}")
    for model in args.models:
        path = str(resolve_model(model))
        for ds in args.deepspeed:
            cfg = TrainerConfig(method="dpo", epochs=1, lora_r=16, lora_alpha=32, deepspeed=None if ds == "off" else ds)
            seconds = []
            for _ in range(args.repeats):
                with tempfile.TemporaryDirectory() as tmp:
                    seconds.append(train_preference(path, pairs, cfg, Path(tmp) / "out").seconds)
            point = {"model": model, "deepspeed": ds, "pairs": args.pairs, "seconds": spread(seconds),
                     "pairs_per_s": spread([args.pairs / s for s in seconds])}
            points.append(point)
            print(f"{model:>14} {ds:>9} {fmt(point['pairs_per_s'], digits=3):>24} "
                  f"{fmt(point['seconds'], digits=1):>22}")
    return finish({"pairs": args.pairs, "points": points}, args.json)


if __name__ == "__main__":
    main()
