import json
import pickle

import pytest

from propersim.assistant.memory import AssistantMemory
from propersim.world.clock import Clock

H = 24  # ticks per hour at 150 s


def interactions():
    """Two and a half days of (day, tick, action, recommendation, score) every half hour from 07:00."""
    for day in (1, 2, 3):
        for tick in range(7 * H, (23 if day < 3 else 12) * H, H // 2):
            rec = f"Idea {day}-{tick}?" if tick % (3 * H // 2) == 0 else None
            yield day, tick, f"doing {tick // (2 * H)}", rec, None if tick % 5 == 0 else tick % 5


def fed(clock: Clock) -> AssistantMemory:
    memory = AssistantMemory(clock)
    for day, tick, action, rec, score in interactions():
        memory.add(day, tick, action, rec, score)
    return memory


def test_events_round_trip_as_plain_values_and_render_the_same():
    clock = Clock()
    memory = fed(clock)
    events = memory.export()
    assert events and all(type(e) is tuple and len(e) == 4 for e in events)
    assert b"propersim" not in pickle.dumps(events), "no project class is needed to load them"
    again = AssistantMemory.from_events(clock, json.loads(json.dumps(events)))
    assert again.export() == events
    for day, tick in ((3, 11 * H + 14), (3, 12 * H + 5), (3, 15 * H), (4, 2 * H)):
        for scores in (False, True):
            assert again.render(day, tick, "Maya", scores) == memory.render(day, tick, "Maya", scores)
    text = again.render(3, 11 * H + 14, "Maya", True)  # 11:35
    assert "today before now: 3, the last one at 10:30." in text and "your recommendations: " in text
    assert text.endswith("The last 10 minutes, verbatim:\n11:30 | Maya: doing 5 | you: No Recommendation | score: 1/4")


def test_rebuilding_from_all_events_forgets_as_feeding_did():
    clock = Clock()
    memory = fed(clock)
    assert memory.events[0].at >= 2 * clock.ticks_per_day, "days before yesterday are out of reach"
    everything = [((day - 1) * clock.ticks_per_day + tick, *rest) for day, tick, *rest in interactions()]
    assert AssistantMemory.from_events(clock, everything).export() == memory.export()


def test_rebuilding_needs_time_order():
    with pytest.raises(ValueError, match="time order"):
        AssistantMemory.from_events(Clock(), [(10, "a", None, 1), (9, "b", "x", 2)])


def test_one_four_hour_block_before_four_hours():
    memory = AssistantMemory(Clock())
    for tick in range(0, 20 * H, 6):
        memory.add(1, tick, "reading", None, 3)
    text = memory.render(1, 20 * H, "Maya", scores=False)
    times = [line for line in text.split("\n") if line.startswith("TIME: ")]
    assert times == ["TIME: 11:50 - 15:50", "TIME: 15:50 - 16:50", "TIME: 16:50 - 17:50", "TIME: 17:50 - 18:50",
                     "TIME: 18:50 - 19:50"]
