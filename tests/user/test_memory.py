import pytest

from propersim.user.memory import EvaluativeMemory


def test_counts_are_exact():
    mem = EvaluativeMemory(tick_seconds=150)
    recs = {10, 11, 30, 100, 101, 102, 300}
    for t in range(0, 400):
        mem.add(t, f"action {t // 8}", "idea" if t in recs else None)
    assert mem.n_recommendations == len(recs)
    assert mem.count(0, 400) == 7
    assert mem.count(11, 101) == 3  # 11, 30, 100
    assert mem.count(102, 300) == 1 and mem.count(301, 400) == 0
    assert mem.last_recommendation_tick == 300


def test_blocks_are_ten_minutes_then_four_hours_then_three_four_hour_blocks():
    mem = EvaluativeMemory(tick_seconds=150)
    now = 24 * 20  # 20:00
    rec_ticks = {now - 1, now - 5, now - 30, now - 100, now - 200, now - 390}
    for t in range(0, now):
        mem.add(t, "a", "r" if t in rec_ticks else None)
    assert [e.tick for e in mem.recent(now)] == [now - 4, now - 3, now - 2, now - 1]
    blocks = mem.blocks(now)
    lengths = [b.end - b.start for b in blocks]
    assert lengths == [96, 96, 96, 24, 24, 24, 24]  # 3 x 4 h, then 4 x 1 h (150 s ticks)
    assert blocks[-1].end == now - 4, "blocks end where the verbatim window begins"
    # Every recommendation between the recent window and 16 h before it is in exactly one block.
    horizon = now - 4 - 16 * 24
    assert sum(b.n_recommendations for b in blocks) == len([t for t in rec_ticks if horizon <= t < now - 4]) == 4
    assert blocks[-1].n_recommendations == 1  # now-5 ... hour before the recent window: now-28..now-4
    assert blocks[-2].n_recommendations == 1  # now-30


def test_blocks_clip_at_midnight():
    mem = EvaluativeMemory(tick_seconds=150)
    for t in range(0, 30):
        mem.add(t, "a", "r")
    blocks = mem.blocks(30)
    assert blocks[0].start == 0 and sum(b.n_recommendations for b in blocks) == 26


def test_events_must_be_in_time_order():
    mem = EvaluativeMemory(150)
    mem.add(5, "a", None)
    with pytest.raises(ValueError, match="time order"):
        mem.add(4, "a", None)
