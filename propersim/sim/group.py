"""A group of personas living through days together, every assistant arm on the identical user days.

The group is plain Python: the single-process runner owns one, and a Ray PersonaShard actor can own one
per shard. A day is stepped tick by tick across all (persona, arm) pairs so that each arm's policy and the
judge see one batch per tick (what LLM engines need). A day's rows come out as one Arrow table.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache

import pyarrow as pa

from propersim.assistant.policies import Observation, Policy
from propersim.data.rows import InteractionRow, PairRow, rows_to_table, tick_pairs
from propersim.data.schema import NO_RECOMMENDATION
from propersim.personas.schema import Persona
from propersim.user.judge import CHECKS, Judge, JudgeRequest
from propersim.user.memory import EvaluativeMemory
from propersim.world.clock import Clock
from propersim.world.llm_planner import PlanFailure
from propersim.world.plans import DayPlan, Planner


@lru_cache(maxsize=4096)
def _reasons_json(reasons: tuple[str, ...]) -> str:
    return json.dumps(dict(zip(CHECKS, reasons)))


@dataclass
class Arm:
    """One assistant variant: its name, its policy, and which candidate is delivered."""

    name: str
    policy: Policy
    deliver: int = 0  # the paper's default: a fixed sampled candidate, not the best
    pairs: bool = False  # build preference pairs from its differently scored candidates


class PersonaGroup:
    """Steps ``personas`` through days for every arm and returns the rated interactions."""

    def __init__(self, personas: list[Persona], arms: list[Arm], planner: Planner, judge: Judge,
                 clock: Clock, run_id: str, ticks: range | None = None):
        """``ticks``: the simulated window of each day (default: all of it); ticks outside it are skipped."""
        self.personas = personas
        self.arms = arms
        self.planner = planner
        self.judge = judge
        self.clock = clock
        self.run_id = run_id
        self.ticks = ticks if ticks is not None else range(clock.ticks_per_day)
        self.pairs: list[PairRow] = []  # since the last take_pairs()
        self._day: list | None = None  # day, plans, wake, memories, awake counts, next tick of the day in progress

    def run_day(self, day: int, on_tick: Callable[[int], None] | None = None) -> pa.Table:
        """Simulate 1-based ``day`` for every persona and arm; one row per rated candidate.

        ``on_tick(tick)`` is called before each tick of :attr:`ticks` (progress reporting on long LLM days).
        """
        return self.run_ticks(day, self.ticks, on_tick)

    def run_ticks(self, day: int, ticks: range, on_tick: Callable[[int], None] | None = None) -> pa.Table:
        """Simulate ``ticks`` of ``day``: a day in parts (training between them). A part that starts at the
        window's first tick starts the day afresh; a later part continues the day the previous part left.

        Raises:
            ValueError: ``ticks`` neither start the window nor continue the day in progress.
        """
        if ticks.start == self.ticks.start:
            self._day = [day, *self._begin_day(day), ticks.start]
        elif self._day is None or (self._day[0], self._day[-1]) != (day, ticks.start):
            raise ValueError(f"ticks from {ticks.start} do not continue day {day}: a day starts at tick "
                             f"{self.ticks.start} and each part where the previous one stopped")
        _, plans, wake, memories, awake_count, _ = self._day
        self._day[-1] = ticks.stop
        rows: list[InteractionRow] = []
        day_start_ms, tick_ms = self.clock.epoch_of(day, 0) * 1000, self.clock.tick_seconds * 1000
        for tick in ticks:
            if on_tick is not None:
                on_tick(tick)
            live = [i for i, plan in enumerate(plans) if plan.tick_actions[tick] is not None]
            if not live:
                continue
            hour = self.clock.hour_of(tick)
            for arm in self.arms:
                obs = [Observation(self.personas[i], day, tick, awake_count[i], plans[i].tick_actions[tick])
                       for i in live]
                candidates = arm.policy.decide_batch(obs)
                requests = [JudgeRequest(o.persona, day, tick, hour, wake[i], o.action, memories[arm.name, i],
                                         c.text, k)
                            for i, o, cands in zip(live, obs, candidates) for k, c in enumerate(cands)]
                verdicts = iter(self.judge.judge_batch(requests))
                for i, o, cands in zip(live, obs, candidates):
                    judged = [next(verdicts) for _ in cands]
                    for k, (cand, verdict) in enumerate(zip(cands, judged)):
                        rows.append(self._row(arm, o, k, cand, verdict, day_start_ms + tick * tick_ms))
                    if arm.pairs and cands[0].prompt is not None:
                        self.pairs += [PairRow(self.run_id, arm.name, o.persona.persona_id, day, tick,
                                               arm.policy.version, cands[0].prompt_format, cands[0].prompt, *p)
                                       for p in tick_pairs([c.completion for c in cands],
                                                           [v.total for v in judged], arm.deliver)]
                    delivered = cands[arm.deliver]
                    memories[arm.name, i].add(tick, o.action.description, delivered.text)
                    verdict = judged[arm.deliver]
                    arm.policy.observe(o.persona.persona_id, day, tick, o.action.description, delivered.text,
                                       verdict.total, "; ".join(r for r in verdict.reasons if r))
            for i in live:
                awake_count[i] += 1
        return rows_to_table(rows)

    def _begin_day(self, day: int) -> tuple:
        """Plans, wake ticks, fresh evaluative memories and awake counts at the window's start."""
        if hasattr(self.planner, "plan_days"):  # LLM planners batch all personas' prompts
            plans: list[DayPlan] = self.planner.plan_days(self.personas, day)
        else:
            plans = [self.planner.plan_day(p, day) for p in self.personas]
        wake = [next((t for t, a in enumerate(plan.tick_actions) if a is not None), 0) for plan in plans]
        memories = {(arm.name, i): EvaluativeMemory(self.clock.tick_seconds)
                    for arm in self.arms for i in range(len(self.personas))}
        awake_count = [sum(a is not None for a in plan.tick_actions[:self.ticks.start]) for plan in plans]
        return plans, wake, memories, awake_count

    def close(self) -> None:
        """Release what the policies hold (retrieval memory connections)."""
        for arm in self.arms:
            arm.policy.close()

    def arm(self, name: str) -> Arm:
        """The arm called ``name``."""
        return next(a for a in self.arms if a.name == name)

    def take_pairs(self) -> pa.Table:
        """The preference pairs built since the last call (:data:`schema.PAIRS`)."""
        rows, self.pairs = self.pairs, []
        return rows_to_table(rows, PairRow)

    def state(self) -> dict:
        """What carries over from one day to the next: the policies' memories and the planner's failures."""
        return {"policies": {arm.name: arm.policy.state_dict() for arm in self.arms},
                "planner_failures": [asdict(f) for f in getattr(self.planner, "failures", [])]}

    def load_state(self, state: dict) -> None:
        """Continue from a :meth:`state` taken at a day boundary."""
        for arm in self.arms:
            arm.policy.load_state_dict(state["policies"][arm.name])
        if hasattr(self.planner, "failures"):
            self.planner.failures = [PlanFailure(**f) for f in state["planner_failures"]]

    def _row(self, arm, obs, k, cand, verdict, sim_time) -> InteractionRow:
        """One rated candidate; tokens (prompt, cached prompt, generated) are the candidate's plus the judge's
        on it."""
        pref, over, under, timing, comm = verdict.scores
        return InteractionRow(
            run_id=self.run_id, arm=arm.name, persona_id=obs.persona.persona_id, day=obs.day, tick=obs.tick,
            sim_time=sim_time, action=obs.action.description, location=obs.action.location, candidate=k,
            delivered=k == arm.deliver,
            recommendation=cand.text if cand.text is not None else NO_RECOMMENDATION,
            is_recommendation=cand.text is not None, score_preference=pref, score_frequency_over=over,
            score_frequency_under=under, score_frequency=verdict.frequency, score_timing=timing,
            score_communication_safety=comm, score_total=verdict.total,
            reasons=_reasons_json(verdict.reasons) if verdict.error is None else None, judge=self.judge.name,
            judge_error=verdict.error, assistant_error=cand.format_error, policy_version=arm.policy.version,
            assistant_model=arm.policy.model, prompt_tokens=cand.prompt_tokens + verdict.prompt_tokens,
            cached_prompt_tokens=cand.cached_tokens + verdict.cached_tokens,
            completion_tokens=cand.completion_tokens + verdict.completion_tokens,
        )
