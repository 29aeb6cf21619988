"""Shared check for persona tests: can an assistant meet every frequency check while respecting the windows?"""

from __future__ import annotations

import pytest

TICK_HOURS = 2.5 / 60


def frequency_is_satisfiable(prefs, wake: float, bed: float) -> bool:
    """Whether recommending only inside receptive windows can pass both frequency checks all day.

    Greedy: recommend at the last receptive tick before the "too rare" deadline (wake or the last
    recommendation plus ``max_gap_hours``), which uses the fewest recommendations, then check the caps.
    Do-not-disturb activities are ignored (they depend on the day's plan).
    """
    f = prefs.frequency
    n = round((bed - wake) / TICK_HOURS)
    allowed = [any(a <= wake + i * TICK_HOURS < b for a, b in prefs.receptive_hours) for i in range(n)]
    gap_ticks = f.max_gap_hours / TICK_HOURS
    window_ticks = round(f.window_hours / TICK_HOURS)
    recs, last = [], 0
    for i in range(n):
        if i - last >= gap_ticks - 1e-9:
            return False
        later = next((k for k in range(i + 1, n) if allowed[k]), None)
        if allowed[i] and (later is None and n - last >= gap_ticks or later is not None and later - last >= gap_ticks):
            recs.append(i)
            last = i
            if sum(r > i - window_ticks for r in recs) > f.max_per_window or len(recs) > f.max_per_day:
                return False
    return True


@pytest.fixture
def satisfiable():
    return frequency_is_satisfiable
