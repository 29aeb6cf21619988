import pytest

from propersim.user.memory import EvaluativeMemory, Event, Layout, SummaryMemory


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



class Log(SummaryMemory):
    """A summary memory with a custom layout, fed with (tick, recommendation)."""

    def add(self, tick: int, recommendation: str | None = "r") -> None:
        self._record(tick, Event(tick, f"a{tick // 12}", recommendation))


def test_a_layout_sets_the_window_and_the_blocks():
    mem = Log(tick_seconds=300, layout=Layout(recent_minutes=20, blocks=((2, 2), (1, 1))))
    for t in range(0, 120):
        mem.add(t, "r" if t % 10 == 0 else None)
    assert [e.tick for e in mem.recent(100)] == [96, 97, 98, 99]
    blocks = mem.blocks(100)
    assert [(b.start, b.end) for b in blocks] == [(36, 48), (48, 72), (72, 96)], "two 2-hour blocks, then 1 h"
    assert [b.n_recommendations for b in blocks] == [1, 3, 2] and blocks[0].actions == ("a3",)
    assert [e.tick for e in blocks[0].events] == list(range(36, 48))
    assert mem.reach == 4 + 5 * 12 and mem.last_recommendation(before=100) == 90
    assert mem.last_recommendation() == 110 and mem.last_recommendation(before=10) == 0
    assert mem.last_recommendation(before=0) is None


def test_a_forgetting_layout_keeps_today_and_what_blocks_can_show():
    mem = Log(tick_seconds=3600, layout=Layout(recent_minutes=60, blocks=((1, 2),), forget=True))  # reach 3 h
    for t in (1, 5, 20, 23, 25):
        mem.add(t)
    assert [e.tick for e in mem.events] == [23, 25], "yesterday's 23:00 is still in reach at 01:00"
    mem.add(47)
    assert [e.tick for e in mem.events] == [25, 47], "all of today stays, out of reach or not"
    assert mem.n_recommendations == 2 and mem.count(0, 100) == 2
    kept = Log(tick_seconds=3600, layout=Layout(recent_minutes=60, blocks=((1, 2),)))
    for t in (1, 5, 47):
        kept.add(t)
    assert len(kept.events) == 3, "without forget nothing is dropped"

def test_render_summary_shows_blocks_with_events_then_the_window():
    mem = EvaluativeMemory(tick_seconds=600)
    for t, rec in ((40, "Jazz?"), (41, None), (59, "Tea?")):
        mem.add(t, "sketching", rec)
    text = mem.render_summary(60, ["HEAD"], "Earlier:", lambda t: f"t{t}", lambda e: f"{e.tick}:{e.recommendation}",
                              details=lambda b: [f"{len(b.events)} events"])
    assert text == ("HEAD\nEarlier:\nTIME: t35 - t41\nNumber of recommendations: 1\nactions: sketching\n1 events\n"
                    "TIME: t41 - t47\nNumber of recommendations: 0\nactions: sketching\n1 events\n"
                    "The last 10 minutes, verbatim:\n59:Tea?")
