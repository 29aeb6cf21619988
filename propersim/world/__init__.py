"""The user's world: clock, day plans and planners."""

from __future__ import annotations

from propersim.world.clock import Clock
from propersim.world.plans import Action, DayPlan, Planner


def make_planner(kind: str, clock: Clock, seed: int, trace_dir: str | None = None) -> Planner:
    """The planner named by ``world.planner``.

    Raises:
        ValueError: unknown planner, or ``llm`` (not available yet).
    """
    if kind == "procedural":
        from propersim.world.procedural import ProceduralPlanner
        return ProceduralPlanner(clock, seed)
    if kind == "replay":
        from propersim.world.replay import ReplayPlanner
        return ReplayPlanner(clock, seed, trace_dir)
    if kind == "llm":
        raise ValueError("world.planner=llm needs the LLM layer, which is not available yet; "
                         "use world.planner=procedural or world.planner=replay")
    raise ValueError(f"world.planner={kind!r} is not valid; expected procedural, replay or llm")


__all__ = ["Action", "Clock", "DayPlan", "Planner", "make_planner"]
