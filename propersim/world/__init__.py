"""The user's world: clock, day plans and planners."""

from __future__ import annotations

from propersim.config import ConfigError
from propersim.world.clock import Clock
from propersim.world.plans import Action, DayPlan, Planner


def make_planner(kind: str, clock: Clock, seed: int, trace_dir: str | None = None, engine=None,
                 retries: int = 2) -> Planner:
    """The planner named by ``world.planner`` (``llm`` needs ``engine``).

    Raises:
        ValueError: unknown planner, or ``llm`` without an engine.
    """
    if kind == "procedural":
        from propersim.world.procedural import ProceduralPlanner
        return ProceduralPlanner(clock, seed)
    if kind == "replay":
        from propersim.world.replay import ReplayPlanner
        return ReplayPlanner(clock, seed, trace_dir)
    if kind == "llm":
        if engine is None:
            raise ConfigError("world.planner=llm needs world.planner_engine naming an engine in `engines`")
        from propersim.world.llm_planner import LLMPlanner
        return LLMPlanner(engine, clock, seed, retries=retries)
    raise ConfigError(f"world.planner={kind!r} is not valid; expected procedural, replay or llm")


__all__ = ["Action", "Clock", "DayPlan", "Planner", "make_planner"]
