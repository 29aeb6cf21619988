"""``propersim plan``: a run's placement on a cluster and its LLM cost, before any GPU is spent."""

from __future__ import annotations

from dataclasses import asdict

from propersim.config import ExperimentConfig
from propersim.placement import place
from propersim.sim.cost import awake_ticks, gpu_hours, run_cost
from propersim.sim.wiring import select_personas, used_engines


def plan(cfg: ExperimentConfig, nodes: list[float], config_path=None, tokens_per_s: float | None = None) -> dict:
    """The placement of ``cfg`` on ``nodes`` (GPUs per node), its cost per simulated day and for the whole run,
    and, at ``tokens_per_s`` per replica, its GPU-hours.

    Raises:
        ConfigError: the layout cannot be placed (:func:`propersim.placement.place`).
    """
    personas = select_personas(cfg, config_path)
    engines = used_engines(cfg)
    placement = place(cfg, nodes, engines, len(personas))
    ticks = awake_ticks(cfg, personas, config_path)
    loads = run_cost(cfg, ticks, len(personas) * cfg.sim.days)
    days = cfg.sim.days
    report = {
        "nodes": list(nodes), "personas": len(personas), "days": days,
        "engines": {n: {"model": cfg.engines[n].model, "replicas": cfg.engines[n].replicas,
                        "tensor_parallel_size": cfg.engines[n].tensor_parallel_size,
                        "gpus_per_replica": cfg.engines[n].gpus_per_replica,
                        "nodes": [r.node for r in placement.replicas if r.engine == n]} for n in sorted(engines)},
        "free_gpus": list(placement.free),
        "trainer": {"method": cfg.trainer.method, "scope": cfg.trainer.scope,
                    "tasks_per_point": placement.trainings_per_point, "gpus_per_task": placement.trainer_gpus,
                    "concurrent": placement.concurrent_trainings},
        "awake_persona_ticks_per_day": ticks / days,
        "cost": {n: {"roles": sorted(load.roles),
                     "per_day": {k: v / days for k, v in _totals(load).items()}, "run": _totals(load)}
                 for n, load in sorted(loads.items())},
    }
    if tokens_per_s:
        report["tokens_per_s"] = tokens_per_s
        report["gpu_hours"] = gpu_hours(cfg, loads, tokens_per_s)
    return report


def _totals(load) -> dict:
    d = asdict(load)
    return {k: d[k] for k in ("requests", "prompt_tokens", "missed_prompt_tokens", "generated_tokens")}


def _n(count: float, word: str) -> str:
    return f"{count:g} {word}{'s' * (count != 1)}"


def format_plan(report: dict, source: str) -> str:
    """The plan as lines of text; ``source`` says where the cluster's size came from."""
    nodes = report["nodes"]
    held = sum(e["replicas"] * e["gpus_per_replica"] for e in report["engines"].values())
    lines = [f"cluster: {_n(len(nodes), 'node')}, {_n(sum(nodes), 'GPU')} ({source}); engine replicas hold {held:g}",
             "placement:"]
    for name, e in report["engines"].items():
        where = "on nodes " + ", ".join(str(n) for n in e["nodes"]) if e["gpus_per_replica"] else "on CPU"
        lines.append(f"  engines.{name}: {e['model']}, {_n(e['replicas'], 'replica')} x {e['gpus_per_replica']:g} GPU "
                     f"(tensor_parallel_size {e['tensor_parallel_size']}), {where}")
    t = report["trainer"]
    if not t["tasks_per_point"]:
        lines.append("  trainer: nothing is trained (no learning arm)")
    elif t["gpus_per_task"]:
        free = ", ".join(f"node {i}: {f:g}" for i, f in enumerate(report["free_gpus"]) if f)
        lines.append(f"  trainer: {t['method']}, {_n(t['tasks_per_point'], 'training task')} a point ({t['scope']}), "
                     f"{t['gpus_per_task']:g} GPU each, {t['concurrent']} at once on the GPUs no replica holds "
                     f"({free})")
    else:
        lines.append(f"  trainer: {t['method']}, {_n(t['tasks_per_point'], 'training task')} a point ({t['scope']}), "
                     "on CPU (1 CPU each)")
    lines.append(f"cost: {report['personas']} personas x {report['days']} days, "
                 f"{report['awake_persona_ticks_per_day']:,.0f} awake persona-ticks a day (measured tokens per "
                 "request, propersim/sim/cost.py)")
    if not report["cost"]:
        lines.append("  no LLM requests (no role of the run is played by an LLM)")
    else:
        lines.append(f"  {'engine':<12} {'':<9} {'requests':>12} {'prompt tokens':>15} {'cache misses':>15} "
                     f"{'generated':>13}")
    for name, c in report["cost"].items():
        for span in ("per_day", "run"):
            v = c[span]
            label = "a day" if span == "per_day" else "whole run"
            lines.append(f"  {name if span == 'per_day' else '':<12} {label:<9} {v['requests']:>12,.0f} "
                         f"{v['prompt_tokens']:>15,.0f} {v['missed_prompt_tokens']:>15,.0f} "
                         f"{v['generated_tokens']:>13,.0f}")
    if "gpu_hours" in report:
        gh = report["gpu_hours"]
        engines = report["engines"]
        parts = [f"{n} {h['gpu_hours']:,.1f} ({h['wall_hours']:,.1f} h on {_n(engines[n]['replicas'], 'replica')}"
                 f"{'' if engines[n]['gpus_per_replica'] else ', on CPU'})" for n, h in gh.items()]
        lines.append(f"GPU-hours at {report['tokens_per_s']:,.0f} tokens/s per replica: {', '.join(parts)}; total "
                     f"{sum(h['gpu_hours'] for h in gh.values()):,.1f}, "
                     f"{sum(h['gpu_hours_cached'] for h in gh.values()):,.1f} computing only the cache misses "
                     "(training not counted)")
    return "\n".join(lines)
