"""The replay planner: the original ProPerSim day-1 action traces, replayed exactly (the same day every day)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from propersim.config import ConfigError
from propersim.errors import InvalidInputError, MissingInputError
from propersim.personas.schema import Persona
from propersim.world.clock import Clock
from propersim.world.plans import Action, DayPlan, Planner

TRACE_TICK_SECONDS = 150  # the original simulator's sec_per_step


def split_description(text: str) -> tuple[str, str]:
    """Split an original ``"<action> @ <world>:<house>:<room>:<object>"`` into (action, room)."""
    action, _, address = text.partition(" @ ")
    parts = address.split(":")
    return action.strip(), (parts[2] if len(parts) > 2 else address).strip()


@lru_cache(maxsize=256)
def _load_trace(path: Path) -> tuple[Action, ...]:
    actions: list[Action] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            rec = json.loads(line)
            if "step" not in rec or "john_description" not in rec:
                raise InvalidInputError(f"{path}:{lineno}: not an original trace line "
                                        "(needs 'step', 'john_description')")
            if rec.get("action_for_suggestion") is None:  # asleep: no decision at this step
                continue
            tick = int(rec["step"])
            desc, room = split_description(rec["john_description"])
            last = actions[-1] if actions else None
            if last is not None and last.end == tick and last.description == desc and last.location == room:
                actions[-1] = Action(last.start, tick + 1, desc, room)
            else:
                actions.append(Action(tick, tick + 1, desc, room))
    return tuple(actions)


class ReplayPlanner(Planner):
    """Replays ``trace_dir/persona_NN_day1.jsonl`` for persona NN."""

    def __init__(self, clock: Clock, seed: int, trace_dir: str | Path):
        super().__init__(clock, seed)
        if clock.tick_seconds != TRACE_TICK_SECONDS:
            raise ConfigError(f"world.planner=replay needs sim.tick_seconds={TRACE_TICK_SECONDS} "
                             f"(the traces' step), got {clock.tick_seconds}")
        self.trace_dir = Path(trace_dir)
        if not self.trace_dir.is_dir():
            raise MissingInputError(f"world.trace_dir not found: {self.trace_dir}")

    def plan_day(self, persona: Persona, day: int) -> DayPlan:
        path = self.trace_dir / f"persona_{persona.persona_id:02d}_day1.jsonl"
        if not path.is_file():
            raise MissingInputError(f"no trace for persona {persona.persona_id}: {path}")
        return DayPlan.from_actions(day, list(_load_trace(path.resolve())), self.clock.ticks_per_day)
