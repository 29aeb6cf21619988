"""Where can two catalogue suggestions get different oracle totals? A scan to choose demo personas and windows.

Usage: .venv/bin/python scripts/content_scan.py [--run RUN_DIR --arm pp] [--personas FILE] [--window-hours 2]
       [--days 3] [--tick-seconds 900] [--seed 0] [--top 12]

For every persona of the file and every window of ``--window-hours`` starting on the hour, it plans the
persona's days with the procedural planner (as a run with that seed does) and rates every catalogue item at
every tick of the window with the oracle judge, as a first recommendation of the day. What a tick offers a
preference learner is the chance that two suggestions the model makes get different totals: with ``--run``,
the model's suggestions are weighted by how often it delivered each in that run (all personas pooled), else
every catalogue item counts the same. Printed per (persona, window), best first:

- ``contrast``: the probability that two independent draws of suggestions differ in total and the better one
  scores 3 or more (a pair that teaches a successful suggestion over another), mean over ticks;
- ``fit``: the share of ticks where some catalogue item scores 4 (something worth learning to say);
- ``habit``: the mean total of the model's suggestions, weighted as above.

No LLM runs: it takes seconds.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from propersim.assistant.catalogue import ITEMS
from propersim.data import schema as S
from propersim.data.store import read_interactions
from propersim.errors import InvalidInputError, UserError
from propersim.personas.schema import load_personas
from propersim.user.judge import JudgeRequest
from propersim.user.memory import EvaluativeMemory
from propersim.user.oracle import OracleJudge
from propersim.world import Clock, make_planner

DEFAULT_PERSONAS = Path(__file__).resolve().parents[1] / "personas" / "reference32.jsonl"


def suggestion_weights(run_dir: str | None, arm: str) -> dict[str, float]:
    """Catalogue item -> share of the arm's delivered catalogue suggestions in ``run_dir`` (uniform without one)."""
    if run_dir is None:
        return {item: 1 / len(ITEMS) for item in ITEMS}
    table = read_interactions(run_dir).select([S.ARM, S.RECOMMENDATION, S.IS_RECOMMENDATION])
    counts = Counter(r[S.RECOMMENDATION] for r in table.to_pylist()
                     if r[S.ARM] == arm and r[S.IS_RECOMMENDATION] and r[S.RECOMMENDATION] in ITEMS)
    if not counts:
        raise InvalidInputError(f"{run_dir}: arm {arm!r} delivered no catalogue suggestion (a free-output arm, or "
                                "one that never recommended)")
    total = sum(counts.values())
    return {item: n / total for item, n in counts.items()}


class TickFigures(NamedTuple):
    """One tick's figures (see the module docstring)."""

    contrast: float
    fit: bool
    habit: float


def _tick_figures(totals: dict[str, int], weights: dict[str, float]) -> TickFigures:
    """The figures of one tick whose catalogue items got ``totals``."""
    by_total: Counter = Counter()
    for item, w in weights.items():
        by_total[totals[item]] += w
    contrast = sum(p * q for a, p in by_total.items() for b, q in by_total.items() if a != b and max(a, b) >= 3)
    return TickFigures(contrast, max(totals.values()) == 4, sum(t * p for t, p in by_total.items()))


def scan(personas_file: Path, weights: dict[str, float], window_hours: int, days: int, tick_seconds: int,
         seed: int) -> list[dict]:
    """One row per (persona, window) with awake ticks: ``ticks``, ``contrast``, ``fit`` and ``habit`` (means over
    the window's awake ticks of all ``days``), highest contrast first. ``weights`` need not sum to 1."""
    clock = Clock(tick_seconds)
    planner = make_planner("procedural", clock, seed)
    judge = OracleJudge(tick_seconds)
    total_weight = sum(weights.values())
    shares = {item: w / total_weight for item, w in weights.items()}
    out = []
    for persona in load_personas(personas_file):
        by_tick: dict[int, list[TickFigures]] = {}  # every awake tick of the day, rated once a day
        for day in range(1, days + 1):
            plan = planner.plan_day(persona, day)
            awake = plan.awake_ticks
            for tick in awake:
                action = plan.tick_actions[tick]
                totals = {item: judge.judge(JudgeRequest(persona, day, tick, clock.hour_of(tick), awake[0], action,
                                                         EvaluativeMemory(tick_seconds), item)).total
                          for item in ITEMS}
                by_tick.setdefault(tick, []).append(_tick_figures(totals, shares))
        for start in range(0, 24 - window_hours + 1):
            figures = [f for tick in range(clock.tick_of(start), clock.tick_of(start + window_hours))
                       for f in by_tick.get(tick, ())]
            if figures:
                means = {name: sum(column) / len(figures) for name, column in zip(TickFigures._fields, zip(*figures))}
                out.append({"persona": persona.persona_id, "window": f"{start:02d}-{start + window_hours:02d}",
                            "ticks": len(figures), **means})
    return sorted(out, key=lambda r: -r["contrast"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="a run directory whose delivered suggestions weight the catalogue")
    parser.add_argument("--arm", default="pp")
    parser.add_argument("--personas", type=Path, default=DEFAULT_PERSONAS)
    parser.add_argument("--window-hours", type=int, default=2)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--tick-seconds", type=int, default=900)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    try:
        weights = suggestion_weights(args.run, args.arm)
        rows = scan(args.personas, weights, args.window_hours, args.days, args.tick_seconds, args.seed)
    except UserError as e:
        raise SystemExit(f"content_scan: {e}") from None
    print("suggestions weighted by " + (f"{args.arm}'s deliveries in {args.run}: " + ", ".join(
        f"{w:.2f} {item[:32]!r}" for item, w in sorted(weights.items(), key=lambda kv: -kv[1])[:6])
        if args.run else "nothing: every catalogue item the same"))
    print(f"{'persona':>7} {'window':>6} {'ticks':>5} {'contrast':>8} {'fit':>5} {'habit':>5}")
    for r in rows[:args.top]:
        print(f"{r['persona']:>7} {r['window']:>6} {r['ticks']:>5} {r['contrast']:>8.3f} {r['fit']:>5.2f} "
              f"{r['habit']:>5.2f}")


if __name__ == "__main__":
    main()
