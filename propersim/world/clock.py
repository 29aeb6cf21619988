"""Simulated time: ticks of a fixed length from midnight, days from a start date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from propersim.config import ConfigError


@dataclass(frozen=True)
class Clock:
    """Converts (day, tick) to wall-clock times. Day 1 is ``start_date``; tick 0 is midnight."""

    tick_seconds: int = 150
    start_date: date = date(2025, 2, 13)

    @property
    def ticks_per_day(self) -> int:
        return 86400 // self.tick_seconds

    @property
    def ticks_per_hour(self) -> float:
        return 3600 / self.tick_seconds

    def tick_of(self, hour: float) -> int:
        """The tick that starts at (or just before) ``hour`` hours after midnight."""
        return min(self.ticks_per_day, int(round(hour * 3600)) // self.tick_seconds)

    def hour_of(self, tick: int) -> float:
        """Hours after midnight at the start of ``tick``."""
        return tick * self.tick_seconds / 3600

    def datetime_of(self, day: int, tick: int) -> datetime:
        """Wall-clock time of ``tick`` on 1-based ``day``."""
        return datetime.combine(self.start_date, datetime.min.time()) + timedelta(
            days=day - 1, seconds=tick * self.tick_seconds)

    def epoch_of(self, day: int, tick: int) -> int:
        """Seconds since the Unix epoch of ``tick`` on ``day``, reading simulated times as UTC."""
        return int(self.datetime_of(day, tick).replace(tzinfo=timezone.utc).timestamp())

    @staticmethod
    def parse_date(text: str) -> date:
        """Parse YYYY-MM-DD, with an error that says what is expected."""
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ConfigError(f"sim.start_date={text!r} is not a date; expected YYYY-MM-DD") from None
