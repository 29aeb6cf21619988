"""The LLM cost model of a run: requests and tokens per simulated day and for the whole run, from the config alone.

Per awake persona-tick, every LLM arm sends ``n_candidates`` requests to its engine, and the LLM judge five per
candidate of every arm (preference, too often, too rarely, timing, communication & safety) under
``user.judge_mode=separate``, one under ``joint``; the LLM planner sends one per persona-day. Awake ticks come
from planning every persona's days (the procedural planner stands in for the LLM one), not from simulating them.
Tokens per request are those ``python -m jobs.bench.cost`` measured on the paper's real prompts (Gemma-3
tokenizer, 2026-12-02, see :data:`TOKENS_PER_REQUEST`); other tokenizers and prompt settings move them by some
tens of percent, so the figures size a run, they do not bill it.

Prompt tokens that miss the prefix cache (``missed_prompt_tokens``) follow from the prompt layout, as an engine
with automatic prefix caching and room for a tick's prompts serves them: an arm's candidates of a tick are
sampled from one prompt, so it is computed once; the judge's prompts of an arm's tick share their head (persona
card, memory, time and action: :data:`JUDGE_TOKENS`), computed once, then each candidate's block, once per
candidate, and only what each prompt asks after the candidate is computed for every prompt. Nothing is assumed
cached from one tick to the next, and cache blocks (16 tokens on CUDA, 128 on CPU) are not rounded to.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from propersim.config import ExperimentConfig

#: Judge prompts per rated candidate, by ``user.judge_mode`` (separate: one per check).
JUDGE_PROMPTS = {"separate": 5, "joint": 1}
#: (prompt, generated) tokens per request by role, measured by ``python -m jobs.bench.cost --personas 1`` on the
#: paper's configuration (assistant: day-summary memory and 5 retrieved interactions); the judge's are in
#: :data:`JUDGE_TOKENS`. The planner's are not measured: its requests are counted, its tokens left out.
TOKENS_PER_REQUEST = {"assistant": (1075.0, 8.0)}


@dataclass(frozen=True)
class JudgeTokens:
    """Tokens of one judge request: the head every prompt of an arm's tick shares (persona card, memory, time and
    action), the candidate's block, what the prompt asks after it (a check, or all five), and the answer."""

    shared: float
    candidate: float
    asked: float
    generated: float

    @property
    def prompt(self) -> float:
        return self.shared + self.candidate + self.asked


#: By ``user.judge_mode``, measured with :data:`TOKENS_PER_REQUEST` (``python -m jobs.bench.cost --personas 1``).
JUDGE_TOKENS = {"separate": JudgeTokens(811.0, 9.0, 207.0, 23.0), "joint": JudgeTokens(811.0, 9.0, 832.0, 149.0)}


@dataclass
class EngineLoad:
    """One engine's work per simulated day (all personas) and over the run."""

    requests: float = 0.0
    prompt_tokens: float = 0.0
    missed_prompt_tokens: float = 0.0
    generated_tokens: float = 0.0
    roles: set[str] = field(default_factory=set)

    def add(self, role: str, requests: float, per_request: tuple[float, float] = (0.0, 0.0),
            missed: float | None = None) -> None:
        """Count ``requests`` of ``(prompt, generated)`` tokens each; ``missed``: their prompt tokens the
        prefix cache cannot serve (None: all of them)."""
        self.requests += requests
        self.prompt_tokens += requests * per_request[0]
        self.missed_prompt_tokens += requests * per_request[0] if missed is None else missed
        self.generated_tokens += requests * per_request[1]
        self.roles.add(role)

    @property
    def tokens(self) -> float:
        return self.prompt_tokens + self.generated_tokens

    @property
    def computed_tokens(self) -> float:
        """What the engine computes with prefix caching: the prompt tokens it misses and the generated ones."""
        return self.missed_prompt_tokens + self.generated_tokens


def judge_missed_tokens(mode: str, n_candidates: int) -> float:
    """Prompt tokens of one arm's judged tick that the prefix cache cannot serve (module docstring)."""
    t = JUDGE_TOKENS[mode]
    return t.shared + n_candidates * (t.candidate + JUDGE_PROMPTS[mode] * t.asked)


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
    arms = cfg.arm_configs().values()
    assistant = TOKENS_PER_REQUEST["assistant"]
    for arm in arms:
        if arm.policy == "llm":  # the candidates of a tick are sampled from one prompt
            loads[arm.engine].add("assistant", persona_ticks * arm.n_candidates, assistant,
                                  missed=persona_ticks * assistant[0])
    if cfg.user.judge == "llm":
        mode, t = cfg.user.judge_mode, JUDGE_TOKENS[cfg.user.judge_mode]
        loads[cfg.user.judge_engine].add(
            "judge", persona_ticks * sum(a.n_candidates for a in arms) * JUDGE_PROMPTS[mode], (t.prompt, t.generated),
            missed=persona_ticks * sum(judge_missed_tokens(mode, a.n_candidates) for a in arms))
    if cfg.world.planner == "llm":
        loads[cfg.world.planner_engine].add("planner", persona_days)
    return dict(loads)


def gpu_hours(cfg: ExperimentConfig, loads: dict[str, EngineLoad], tokens_per_s: float) -> dict[str, dict]:
    """Engine name -> replica-hours, GPU-hours and wall hours of its load, when one replica processes
    ``tokens_per_s`` tokens (prompt + generated) per second; ``*_cached``: of only the tokens it computes with
    prefix caching (:attr:`EngineLoad.computed_tokens`)."""
    out = {}
    for name, load in loads.items():
        e = cfg.engines[name]
        out[name] = {}
        for suffix, tokens in (("", load.tokens), ("_cached", load.computed_tokens)):
            hours = tokens / tokens_per_s / 3600
            out[name] |= {f"replica_hours{suffix}": hours, f"gpu_hours{suffix}": hours * e.gpus_per_replica,
                          f"wall_hours{suffix}": hours / e.replicas}
    return out
