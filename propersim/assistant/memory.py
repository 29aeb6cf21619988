"""The LLM assistant's memory of its interactions with one persona, kept across days.

It is laid out like the user's evaluative memory (:class:`~propersim.user.memory.SummaryMemory`): the
last 10 minutes verbatim, four 1-hour blocks, then one 4-hour block as in the original assistant, with
exact recommendation counts. As in the original it is NOT reset at midnight: this morning's prompt still
shows last evening's blocks; events no rendering can show any more are dropped. "Today" counts
(recommendations so far, the last one's time) restart each day. It is saved as plain values with
:meth:`AssistantMemory.export` and rebuilt from them with :meth:`AssistantMemory.from_events`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from propersim.data.schema import NO_RECOMMENDATION
from propersim.user.memory import HOUR_BLOCKS, RECENT_MINUTES, Block, Layout, SummaryMemory
from propersim.world.clock import Clock

FOUR_HOUR_BLOCKS = 1  # the original assistant kept one 4-hour summary
MAX_LISTED = 4  # recommendations quoted per summary block (the count stays exact)
LAYOUT = Layout(RECENT_MINUTES, ((1, HOUR_BLOCKS), (4, FOUR_HOUR_BLOCKS)), forget=True)


class Interaction(NamedTuple):
    """One delivered decision as the assistant remembers it; ``at`` counts ticks from day 1, 00:00."""

    at: int
    action: str
    recommendation: str | None
    score: int | None  # total 0-4; None when the judge failed


class AssistantMemory(SummaryMemory):
    """One persona's interactions with the assistant, kept across days (see the module docstring)."""

    def __init__(self, clock: Clock):
        super().__init__(clock.tick_seconds, LAYOUT)
        self.clock = clock

    @classmethod
    def from_events(cls, clock: Clock, events: Iterable[Iterable]) -> AssistantMemory:
        """The memory that holds ``events``: (at, action, recommendation, score) values, as in :attr:`events`.

        Raises:
            ValueError: the events are not in time order.
        """
        memory = cls(clock)
        for at, action, recommendation, score in events:
            memory._add_at(at, action, recommendation, score, f"tick {at} from day 1")
        return memory

    def export(self) -> list[tuple[int, str, str | None, int | None]]:
        """The events as plain (at, action, recommendation, score) tuples, oldest first (for :meth:`from_events`)."""
        return [tuple(e) for e in self.events]

    def add(self, day: int, tick: int, action: str, recommendation: str | None, score: int | None) -> None:
        """Record a delivered decision; time must not go backwards.

        Raises:
            ValueError: (day, tick) is before the last recorded one.
        """
        self._add_at(self._at(day, tick), action, recommendation, score, f"day {day} tick {tick}")

    def _add_at(self, at: int, action: str, recommendation: str | None, score: int | None, where: str) -> None:
        if self.events and at < self.events[-1].at:
            raise ValueError(f"assistant memory must be fed in time order: {where} is too early")
        self._record(at, Interaction(at, action, recommendation, score))

    def render(self, day: int, tick: int, name: str, scores: bool) -> str:
        """The memory shown at (day, tick): today's counts, summary blocks (oldest first), recent events."""
        now = self._at(day, tick)
        n_today = self.count(self._at(day, 0), now)
        last = self.last_recommendation(before=now) if n_today else None
        header = [f"Recommendations you made today before now: {n_today}"
                  + (f", the last one at {self._when(last, day)}." if last is not None else ".")]

        def verbatim(e: Interaction) -> str:
            said = NO_RECOMMENDATION if e.recommendation is None else e.recommendation
            return (f"{self._when(e.at, day)} | {name}: {e.action} | you: {said}"
                    + (f" | score: {self._score(e.score)}" if scores else ""))

        return self.render_summary(now, header, "Earlier, summarised:", lambda at: self._when(at, day), verbatim,
                                   lambda block: self._details(block, scores))

    def _details(self, block: Block, scores: bool) -> list[str]:
        """The block's last recommendations and, with scores, how its abstentions scored."""
        recs = [e for e in block.events if e.recommendation is not None]
        lines = []
        if recs:
            shown = [f'"{e.recommendation}"' + (f" (score {self._score(e.score)})" if scores else "")
                     for e in recs[-MAX_LISTED:]]
            more = f" and {len(recs) - MAX_LISTED} earlier" if len(recs) > MAX_LISTED else ""
            lines.append(f"your recommendations: {'; '.join(shown)}{more}")
        if scores:
            quiet = [e.score for e in block.events if e.recommendation is None and e.score is not None]
            if quiet:
                lines.append(f"times you said nothing: {len(block.events) - len(recs)}, "
                             f"average score {sum(quiet) / len(quiet):.1f}/4")
        return lines

    def _at(self, day: int, tick: int) -> int:
        return (day - 1) * self.clock.ticks_per_day + tick

    def _when(self, at: int, day: int) -> str:
        """hh:mm, prefixed with "yesterday" or the day for earlier days."""
        at_day, tick = divmod(at, self.clock.ticks_per_day)
        minutes = tick * self.clock.tick_seconds // 60
        hhmm = f"{minutes // 60:02d}:{minutes % 60:02d}"
        ago = day - 1 - at_day
        return hhmm if ago <= 0 else f"yesterday {hhmm}" if ago == 1 else f"day {at_day + 1} {hhmm}"

    @staticmethod
    def _score(score: int | None) -> str:
        return "n/a" if score is None else f"{score}/4"
