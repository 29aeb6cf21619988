"""When training points run and when their adapters reach the policy.

A position ``(day, k)`` is the moment after the first ``k`` ticks of ``day``'s window (``k`` = the window's
length: the day's end). Cadences: ``day`` (end of every day, the paper), ``days:K``, ``half_day`` (middle and
end of every day), ``ticks:N`` (every N simulated ticks, across days), ``never``.

A synchronous training point (the paper) pushes where it trains: the simulation waits. An asynchronous one
lets the simulation go on with the old policy and pushes ``max_staleness`` ticks later, waiting there only if
training has not finished; the rows are then the same however fast the trainer is. A training point first
pushes any earlier one still pending (it continues that adapter), so staleness never exceeds the cadence.
"""

from __future__ import annotations

from dataclasses import dataclass

CADENCES = "day, days:K, half_day, ticks:N (K, N >= 1) or never"


def training_positions(cadence: str, days: int, window: int) -> list[tuple[int, int]]:
    """The training points of a run of ``days`` days of ``window`` ticks, in order. A point at the run's very
    end is left out: no simulated tick would use what it trains.

    Raises:
        ValueError: an unknown cadence.
    """
    return [p for p in _positions(cadence, days, window) if p != (days, window)]


def _positions(cadence: str, days: int, window: int) -> list[tuple[int, int]]:
    if cadence == "never":
        return []
    if cadence == "day":
        return [(d, window) for d in range(1, days + 1)]
    if cadence == "half_day":
        return sorted({(d, k) for d in range(1, days + 1) for k in (window // 2, window) if k})
    head, _, n = cadence.partition(":")
    if n.isdigit() and int(n) >= 1:
        if head == "days":
            return [(d, window) for d in range(int(n), days + 1, int(n))]
        if head == "ticks":
            return [_position(g, window) for g in range(int(n), days * window + 1, int(n))]
    raise ValueError(f"trainer.cadence={cadence!r} is not valid; expected {CADENCES}")


def _position(ticks_done: int, window: int) -> tuple[int, int]:
    return (ticks_done - 1) // window + 1, (ticks_done - 1) % window + 1


@dataclass(frozen=True)
class Schedule:
    """Training points and the position each one's adapter is pushed at."""

    window: int
    push_at: dict[tuple[int, int], tuple[int, int]]  # training point -> push position

    @classmethod
    def of(cls, cadence: str, days: int, window: int, asynchronous: bool = False,
           max_staleness: int = 0) -> Schedule:
        points = training_positions(cadence, days, window) if window else []
        last = days * window
        lag = max_staleness if asynchronous else 0
        return cls(window, {p: _position(min((p[0] - 1) * window + p[1] + lag, last), window) for p in points})

    def segments(self, day: int) -> list[range]:
        """The parts ``day`` is simulated in (offsets into the window): cut at every training and push point."""
        cuts = sorted({k for d, k in (*self.push_at, *self.push_at.values()) if d == day} | {self.window})
        return [range(a, b) for a, b in zip([0, *cuts], cuts) if b > a]
