"""The LLM cost model of a run: requests and tokens per simulated day and for the whole run, from the config alone.

Per awake persona-tick, every LLM arm sends ``n_candidates`` requests to its engine, and the LLM judge five per
candidate of every arm (preference, too often, too rarely, timing, communication & safety); the LLM planner sends
one per persona-day. Awake ticks come from planning every persona's days (the procedural planner stands in for
the LLM one), not from simulating them. Tokens per request are those ``python -m jobs.bench.cost`` measured on
the paper's real prompts (Gemma-3 tokenizer, 2026-12-02, see :data:`TOKENS_PER_REQUEST`); other tokenizers
and prompt settings move them by some tens of percent, so the figures size a run, they do not bill it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from propersim.config import ExperimentConfig

#: Judge prompts per rated candidate (one per check).
JUDGE_PROMPTS = 5
#: (prompt, generated) tokens per request by role, measured by ``python -m jobs.bench.cost --personas 1`` on the
#: paper's configuration (assistant: day-summary memory and 5 retrieved interactions). The planner's are not
#: measured: its requests are counted, its tokens left out.
TOKENS_PER_REQUEST = {"assistant": (1075.0, 8.0), "judge": (1024.0, 23.0)}


@dataclass
class EngineLoad:
    """One engine's work per simulated day (all personas) and over the run."""

    requests: float = 0.0
    prompt_tokens: float = 0.0
    generated_tokens: float = 0.0
    roles: set[str] = field(default_factory=set)

    def add(self, role: str, requests: float) -> None:
        prompt, generated = TOKENS_PER_REQUEST.get(role, (0.0, 0.0))
        self.requests += requests
        self.prompt_tokens += requests * prompt
        self.generated_tokens += requests * generated
        self.roles.add(role)

    @property
    def tokens(self) -> float:
        return self.prompt_tokens + self.generated_tokens


def awake_ticks(cfg: ExperimentConfig, personas: list, config_path=None) -> int:
    """Awake persona-ticks inside the day window over the whole run (the planner's days, not simulated)."""
    from propersim.config import resolve_path
    from propersim.sim.wiring import day_ticks
    from propersim.world import Clock, make_planner

    clock = Clock(cfg.sim.tick_seconds, Clock.parse_date(cfg.sim.start_date))
    kind = "procedural" if cfg.world.planner == "llm" else cfg.world.planner
    planner = make_planner(kind, clock, cfg.run.seed, resolve_path(cfg.world.trace_dir, config_path))
    window = day_ticks(cfg)
    return sum(plan.tick_actions[t] is not None for p in personas for day in range(1, cfg.sim.days + 1)
               for plan in [planner.plan_day(p, day)] for t in window)


def run_cost(cfg: ExperimentConfig, persona_ticks: int, persona_days: int) -> dict[str, EngineLoad]:
    """Engine name -> its load over the whole run, given the run's awake persona-ticks and persona-days."""
    loads: dict[str, EngineLoad] = defaultdict(EngineLoad)
    candidates = sum(a.n_candidates for a in cfg.arm_configs().values())
    for arm in cfg.arm_configs().values():
        if arm.policy == "llm":
            loads[arm.engine].add("assistant", persona_ticks * arm.n_candidates)
    if cfg.user.judge == "llm":
        loads[cfg.user.judge_engine].add("judge", persona_ticks * candidates * JUDGE_PROMPTS)
    if cfg.world.planner == "llm":
        loads[cfg.world.planner_engine].add("planner", persona_days)
    return dict(loads)


def gpu_hours(cfg: ExperimentConfig, loads: dict[str, EngineLoad], tokens_per_s: float) -> dict[str, dict]:
    """Engine name -> replica-hours, GPU-hours and wall hours of its load, when one replica processes
    ``tokens_per_s`` tokens (prompt + generated) per second."""
    out = {}
    for name, load in loads.items():
        e = cfg.engines[name]
        hours = load.tokens / tokens_per_s / 3600
        out[name] = {"replica_hours": hours, "gpu_hours": hours * e.gpus_per_replica,
                     "wall_hours": hours / e.replicas}
    return out
