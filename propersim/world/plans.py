"""Day plans and the Planner interface: what the user does at every tick of a day, and where."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from propersim.personas.schema import Persona
from propersim.world.clock import Clock


@dataclass(frozen=True)
class Action:
    """One user action: ``description`` at ``location`` from ``start`` to ``end`` (ticks, end exclusive)."""

    start: int
    end: int
    description: str
    location: str


@dataclass(frozen=True)
class DayPlan:
    """A day: the hourly plan and the action at every tick (``None`` while asleep)."""

    day: int
    hourly: tuple[str, ...]
    tick_actions: tuple[Action | None, ...]

    @property
    def awake_ticks(self) -> list[int]:
        """Ticks at which the user is awake, i.e. the assistant decides."""
        return [t for t, a in enumerate(self.tick_actions) if a is not None]

    @classmethod
    def from_actions(cls, day: int, actions: list[Action], n_ticks: int, hourly: tuple[str, ...] = ()) -> DayPlan:
        """Lay ``actions`` on a ``n_ticks`` timeline; ticks no action covers are asleep."""
        ticks: list[Action | None] = [None] * n_ticks
        for a in actions:
            for t in range(max(0, a.start), min(n_ticks, a.end)):
                ticks[t] = a
        return cls(day, hourly, tuple(ticks))


class Planner(ABC):
    """Makes a persona's plan for one day; deterministic given (seed, persona, day)."""

    def __init__(self, clock: Clock, seed: int):
        self.clock = clock
        self.seed = seed

    @abstractmethod
    def plan_day(self, persona: Persona, day: int) -> DayPlan:
        """The plan of 1-based ``day`` for ``persona``."""
