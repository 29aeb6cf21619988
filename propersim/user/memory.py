"""Summary memories of delivered decisions, with exact recommendation counts, and the user's evaluative memory.

:class:`SummaryMemory` keeps time-ordered events behind a bisect index and shows them as a verbatim window
of the last minutes, then summary blocks of whole hours (a :class:`Layout`), each with the exact number
of recommendations in it (counted from the stored events, never estimated). Blocks are clipped at tick 0.

:class:`EvaluativeMemory` is the user's: as in the paper, the judge sees the last 10 minutes verbatim and
older interactions summarised in four 1-hour and three 4-hour blocks. It is reset every day, as in the
original. The assistant's memory (:mod:`propersim.assistant.memory`) is another layout of the same core.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

RECENT_MINUTES = 10
HOUR_BLOCKS = 4
FOUR_HOUR_BLOCKS = 3


@dataclass(frozen=True)
class Layout:
    """How far back a summary memory shows its events, and in what pieces.

    Args:
        recent_minutes: the verbatim window just before now.
        blocks: (hours per block, number of blocks) groups going back from the verbatim window, newest
            group first.
        forget: drop, on each new event, the events that no later rendering can show: older than the
            oldest block and than the start of the current day (whose counts are shown). For memories kept
            across days.
    """

    recent_minutes: int
    blocks: tuple[tuple[int, int], ...]
    forget: bool = False


#: The user's evaluative memory: 10 minutes verbatim, four 1-hour then three 4-hour blocks.
USER_LAYOUT = Layout(RECENT_MINUTES, ((1, HOUR_BLOCKS), (4, FOUR_HOUR_BLOCKS)))


@dataclass(frozen=True)
class Event:
    """One delivered decision: the user's action and the recommendation (``None`` for an abstention)."""

    tick: int
    action: str
    recommendation: str | None


@dataclass(frozen=True)
class Block:
    """A summarised stretch, ticks [start, end), with its exact recommendation count and its events."""

    start: int
    end: int
    n_recommendations: int
    actions: tuple[str, ...]  # distinct, in the order first done
    events: tuple[Any, ...] = ()


def _no_details(block: Block) -> list[str]:
    return []


class SummaryMemory:
    """Events (with ``.action`` and ``.recommendation``) at non-decreasing ticks, shown as a :class:`Layout` says."""

    def __init__(self, tick_seconds: int, layout: Layout):
        self.tick_seconds = tick_seconds
        self.layout = layout
        self.events: list[Any] = []
        self._times: list[int] = []
        self._rec_times: list[int] = []

    def _record(self, at: int, event: Any) -> None:
        """Append ``event`` at tick ``at`` (callers check the order, with their own message)."""
        self.events.append(event)
        self._times.append(at)
        if event.recommendation is not None:
            self._rec_times.append(at)
        if self.layout.forget:
            ticks_per_day = 86400 // self.tick_seconds
            self._forget_before(min(at - self.reach, at - at % ticks_per_day))

    def _forget_before(self, horizon: int) -> None:
        k = bisect_left(self._times, horizon)
        if k:
            del self.events[:k], self._times[:k]
            del self._rec_times[:bisect_left(self._rec_times, horizon)]

    def ticks(self, minutes: float) -> int:
        """Number of ticks in ``minutes``."""
        return round(minutes * 60 / self.tick_seconds)

    @property
    def reach(self) -> int:
        """How many ticks before now a rendering shows."""
        hour = self.ticks(60)
        return self.ticks(self.layout.recent_minutes) + sum(h * n for h, n in self.layout.blocks) * hour

    def count(self, start: int, end: int) -> int:
        """Exact number of recommendations delivered in ticks [start, end)."""
        return bisect_left(self._rec_times, end) - bisect_left(self._rec_times, start)

    @property
    def n_recommendations(self) -> int:
        """Recommendations among the stored events."""
        return len(self._rec_times)

    def last_recommendation(self, before: int | None = None) -> int | None:
        """Tick of the last stored recommendation (before tick ``before``, if given), or None."""
        k = len(self._rec_times) if before is None else bisect_left(self._rec_times, before)
        return self._rec_times[k - 1] if k else None

    def between(self, start: int, end: int) -> list:
        """Events of ticks [start, end), in order."""
        return self.events[bisect_left(self._times, start):bisect_left(self._times, end)]

    def recent(self, now: int) -> list:
        """Events of the verbatim window before ``now``."""
        return self.between(now - self.ticks(self.layout.recent_minutes), now)

    def blocks(self, now: int) -> list[Block]:
        """Summary blocks before the verbatim window, oldest first; those starting before tick 0 are clipped."""
        edge, hour, spans = now - self.ticks(self.layout.recent_minutes), self.ticks(60), []
        for hours, n in self.layout.blocks:
            spans += [(edge - (i + 1) * hours * hour, edge - i * hours * hour) for i in range(n)]
            edge -= n * hours * hour
        out = []
        for start, end in reversed(spans):
            start, end = max(0, start), max(0, end)
            if start < end:
                events = tuple(self.between(start, end))
                out.append(Block(start, end, self.count(start, end),
                                 tuple(dict.fromkeys(e.action for e in events)), events))
        return out

    def render_summary(self, now: int, header: Iterable[str], heading: str, when: Callable[[int], str],
                       verbatim: Callable[[Any], str],
                       details: Callable[[Block], list[str]] = _no_details) -> str:
        """The memory as prompt text: ``header``, the non-empty blocks under ``heading``, then the verbatim window.

        Args:
            now: the tick shown as now (events at or after it are not shown).
            header: the first lines (the counts the caller shows).
            heading: the line before the blocks.
            when: how a tick reads.
            verbatim: the line of one recent event.
            details: lines a block shows after its time, count and actions.
        """
        lines = list(header)
        blocks = [b for b in self.blocks(now) if b.events]
        if blocks:
            lines.append(heading)
        for b in blocks:
            lines += [f"TIME: {when(b.start)} - {when(b.end)}", f"Number of recommendations: {b.n_recommendations}",
                      f"actions: {'; '.join(b.actions)}", *details(b)]
        recent = self.recent(now)
        if recent:
            lines.append(f"The last {self.layout.recent_minutes} minutes, verbatim:")
        lines += [verbatim(e) for e in recent]
        return "\n".join(lines)


class EvaluativeMemory(SummaryMemory):
    """Delivered decisions of the current day for one persona (and one assistant arm); ticks of that day."""

    def __init__(self, tick_seconds: int):
        super().__init__(tick_seconds, USER_LAYOUT)

    def add(self, tick: int, action: str, recommendation: str | None) -> None:
        """Record a delivered decision; ticks must not go backwards.

        Raises:
            ValueError: ``tick`` is before the last recorded one.
        """
        if self.events and tick < self.events[-1].tick:
            raise ValueError(f"memory events must be in time order: tick {tick} after {self.events[-1].tick}")
        self._record(tick, Event(tick, action, recommendation))

    @property
    def last_recommendation_tick(self) -> int | None:
        return self.last_recommendation()
