"""The user's evaluative memory of one day's interactions, with exact recommendation counts.

As in the paper, the judge sees the last 10 minutes verbatim and older interactions summarised in four
1-hour and three 4-hour blocks, each with the exact number of recommendations in it (counted from the
stored events, never estimated). The memory is reset every day, as in the original.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

RECENT_MINUTES = 10
HOUR_BLOCKS = 4
FOUR_HOUR_BLOCKS = 3


@dataclass(frozen=True)
class Event:
    """One delivered decision: the user's action and the recommendation (``None`` for an abstention)."""

    tick: int
    action: str
    recommendation: str | None


@dataclass(frozen=True)
class Block:
    """A summarised stretch of the day, ticks [start, end), with its exact recommendation count."""

    start: int
    end: int
    n_recommendations: int
    actions: tuple[str, ...]


class EvaluativeMemory:
    """Delivered decisions of the current day for one persona (and one assistant arm)."""

    def __init__(self, tick_seconds: int):
        self.tick_seconds = tick_seconds
        self.events: list[Event] = []
        self._rec_ticks: list[int] = []

    def add(self, tick: int, action: str, recommendation: str | None) -> None:
        """Record a delivered decision; ticks must not go backwards."""
        if self.events and tick < self.events[-1].tick:
            raise ValueError(f"memory events must be in time order: tick {tick} after {self.events[-1].tick}")
        self.events.append(Event(tick, action, recommendation))
        if recommendation is not None:
            self._rec_ticks.append(tick)

    def count(self, start: int, end: int) -> int:
        """Exact number of recommendations delivered in ticks [start, end)."""
        return bisect_left(self._rec_ticks, end) - bisect_left(self._rec_ticks, start)

    @property
    def n_recommendations(self) -> int:
        return len(self._rec_ticks)

    @property
    def last_recommendation_tick(self) -> int | None:
        return self._rec_ticks[-1] if self._rec_ticks else None

    def ticks(self, minutes: float) -> int:
        """Number of ticks in ``minutes``."""
        return round(minutes * 60 / self.tick_seconds)

    def recent(self, now: int) -> list[Event]:
        """Events of the last 10 minutes before ``now``, verbatim."""
        start = now - self.ticks(RECENT_MINUTES)
        return [e for e in self.events if start <= e.tick < now]

    def blocks(self, now: int) -> list[Block]:
        """Summary blocks before the recent window, oldest first: three 4-hour then four 1-hour blocks.

        Blocks that would start before midnight are clipped (the memory holds one day).
        """
        edge = now - self.ticks(RECENT_MINUTES)
        hour, spans = self.ticks(60), []
        for i in range(HOUR_BLOCKS):
            spans.append((edge - (i + 1) * hour, edge - i * hour))
        far = edge - HOUR_BLOCKS * hour
        for i in range(FOUR_HOUR_BLOCKS):
            spans.append((far - (i + 1) * 4 * hour, far - i * 4 * hour))
        out = []
        for start, end in reversed(spans):
            start, end = max(0, start), max(0, end)
            if start >= end:
                continue
            acts = tuple(dict.fromkeys(e.action for e in self.events if start <= e.tick < end))
            out.append(Block(start, end, self.count(start, end), acts))
        return out
