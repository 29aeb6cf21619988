import json
import re
from dataclasses import replace

import pytest

from propersim.llm.engine import Generation
from propersim.world.clock import Clock
from propersim.world.llm_planner import (DAY_PLAN_PREFIX, DAY_PLAN_SCHEMA, DECOMPOSE_PREFIX, DECOMPOSE_SCHEMA,
                                         ROOMS, LLMPlanner, PlanError, PlanFailure, parse_actions, parse_day_plan)
from propersim.world.procedural import ProceduralPlanner
from tests.fakes import ScriptedEngineBase

DAY = {"wake_up": "07:30", "bedtime": "22:00", "schedule": [
    {"start": "07:30", "activity": "wash and dress"}, {"start": "08:00", "activity": "breakfast"},
    {"start": "09:00", "activity": "sketch the commission"}, {"start": "12:00", "activity": "lunch"},
    {"start": "13:00", "activity": "sketch more"}, {"start": "18:00", "activity": "cook dinner"},
    {"start": "19:30", "activity": "call friends and read"}]}


class ScriptedEngine(ScriptedEngineBase):
    """Answers day-plan and decomposition prompts with ``day(attempt)`` and ``parts(start, end, attempt)``."""

    def __init__(self, day=lambda attempt: json.dumps(DAY), parts=None, chat: bool = True):
        super().__init__(chat)
        self.day = day
        self.parts = parts or (lambda start, end, attempt: back_to_back(start, end))

    def answer(self, requests):
        attempt = sum(stage_of(c[0]) == stage_of(requests[0]) for c in self.calls) - 1
        out = []
        for r in requests:
            text = text_of(r)
            if stage_of(r) == "day_plan":
                answer = self.day(attempt)
            else:
                start, end = re.search(r"from (\d\d:\d\d) to (\d\d:\d\d)\.", text).groups()
                answer = self.parts(start, end, attempt)
            prefix = DAY_PLAN_PREFIX if stage_of(r) == "day_plan" else DECOMPOSE_PREFIX
            out.append(Generation(answer if self.chat else answer.removeprefix(prefix), 50, 20))
        return out


def text_of(request) -> str:
    return request.prompt if isinstance(request.prompt, str) else request.prompt[-1]["content"]


def stage_of(request) -> str:
    return "day_plan" if text_of(request).startswith("Plan one day") else "decompose"


def minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def hhmm(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


def back_to_back(start: str, end: str, step: int = 20, room: str = "study") -> str:
    a, b, actions = minutes(start), minutes(end), []
    while a < b:
        actions.append({"start": hhmm(a), "end": hhmm(min(b, a + step)), "description": f"doing part {hhmm(a)}",
                        "location": room})
        a += step
    return json.dumps({"actions": actions})


def actions_of(plan):
    return list(dict.fromkeys(a for a in plan.tick_actions if a is not None))


def test_valid_plans_in_one_call_per_stage(personas):
    clock = Clock()
    engine = ScriptedEngine()
    planner = LLMPlanner(engine, clock, seed=0)
    plans = planner.plan_days(personas, 2)
    assert planner.failures == [] and len(engine.calls) == 2
    assert [stage_of(r) for r in engine.calls[0]] == ["day_plan"] * len(personas)
    assert all(r.json_schema == DAY_PLAN_SCHEMA for r in engine.calls[0])
    assert all(r.json_schema == DECOMPOSE_SCHEMA for r in engine.calls[1])
    first = text_of(engine.calls[0][0])
    assert personas[0].name in first and "Friday February 14, 2025" in first and personas[0].daily_plan_req in first
    for plan in plans:
        awake = plan.awake_ticks
        assert awake == list(range(clock.tick_of(7.5), clock.tick_of(22.0)))
        actions = actions_of(plan)
        assert all(4 <= a.end - a.start <= 12 and a.location in ROOMS for a in actions), "10-30 min, known rooms"
        assert all(a.end == b.start for a, b in zip(actions, actions[1:]))
        assert plan.hourly[0] == "07:30 wash and dress" and len(plan.hourly) == 16  # long blocks cut to <= 1 h
    assert len(engine.calls[1]) == 16 * len(personas)
    assert "from 09:00 to 10:00." in text_of(engine.calls[1][2])


def test_plans_depend_only_on_the_engine_outputs(persona):
    a = LLMPlanner(ScriptedEngine(), Clock(), seed=0).plan_day(persona, 1)
    b = LLMPlanner(ScriptedEngine(), Clock(), seed=5).plan_day(persona, 1)
    assert a == b


def test_only_failed_prompts_are_asked_again(persona):
    def parts(start, end, attempt):
        if start == "09:00" and attempt == 0:  # overlapping actions: re-asked, not repaired
            return json.dumps({"actions": [action("09:00", "09:40", "a"), action("09:30", "10:00", "b")]})
        return back_to_back(start, end)

    engine = ScriptedEngine(parts=parts)
    planner = LLMPlanner(engine, Clock(), seed=0, temperature=0.0, retry_temperature=0.8)
    plan = planner.plan_day(persona, 1)
    assert planner.failures == [] and [len(c) for c in engine.calls] == [1, 16, 1]
    assert "from 09:00 to 10:00." in text_of(engine.calls[2][0]) and engine.calls[2][0].temperature == 0.8
    assert engine.calls[1][0].temperature == 0.0
    assert actions_of(plan)[0].description == "doing part 07:30"


@pytest.mark.parametrize("stage", ["day_plan", "decompose"])
def test_fallback_to_procedural_is_recorded(personas, stage):
    def bad(*_):
        return '{"wake_up": "07:30"'  # truncated JSON

    engine = ScriptedEngine(day=bad) if stage == "day_plan" else ScriptedEngine(
        parts=lambda start, end, attempt: bad() if start == "12:00" else back_to_back(start, end))
    planner = LLMPlanner(engine, Clock(), seed=3, retries=1)
    plans = planner.plan_days(personas[:2], 4)
    procedural = ProceduralPlanner(Clock(), 3)
    assert plans == [procedural.plan_day(p, 4) for p in personas[:2]]
    assert [(f.persona_id, f.day, f.stage) for f in planner.failures] == [
        (p.persona_id, 4, stage) for p in personas[:2]]
    assert all(isinstance(f, PlanFailure) and "after 2 attempts" in f.error and "not a JSON object" in f.error
               for f in planner.failures)
    if stage == "decompose":
        assert "'lunch'" in planner.failures[0].error


def test_one_persona_failing_leaves_the_others(personas):
    other = replace(personas[1], name="Zed Quill")
    engine = ScriptedEngine(parts=lambda start, end, attempt: back_to_back(start, end, room="attic"))
    planner = LLMPlanner(engine, Clock(), seed=0, retries=0)
    plans = planner.plan_days([personas[0], other], 1)
    assert len(planner.failures) == 2 and "'attic' is not a room" in planner.failures[0].error
    assert plans[0] == ProceduralPlanner(Clock(), 0).plan_day(personas[0], 1)


def test_base_models_complete_the_object_on_one_line(persona):
    engine = ScriptedEngine(chat=False)
    planner = LLMPlanner(engine, Clock(), seed=0)
    plan = planner.plan_day(persona, 1)
    assert planner.failures == [] and len(plan.awake_ticks) > 0
    day_req, part_req = engine.calls[0][0], engine.calls[1][0]
    assert day_req.prompt.endswith("JSON answer: " + DAY_PLAN_PREFIX) and day_req.json_schema is None
    assert part_req.prompt.endswith("JSON answer: " + DECOMPOSE_PREFIX) and part_req.stop == ("\n",)


def test_day_plan_repairs():
    s = parse_day_plan(json.dumps({"wake_up": "08:00", "bedtime": "00:30", "schedule": [
        {"start": "09:00", "activity": "work"}, {"start": "07:00", "activity": "sleep in"},
        {"start": "08:30", "activity": "coffee"}, {"start": "08:35", "activity": "shower"},
        {"start": "10:30", "activity": "lunch"}, {"start": "23:55", "activity": "go to bed"},
        {"start": "11:00", "activity": "read"}]}))
    assert (s.wake, s.bedtime) == (8 * 60, 24 * 60), "bedtime after midnight ends the day"
    spans = [(hhmm(b.start), hhmm(b.end), b.text) for b in s.blocks]
    assert spans[:4] == [("08:00", "08:35", "sleep in; coffee"), ("08:35", "09:00", "shower"),
                         ("09:00", "09:45", "work"), ("09:45", "10:30", "work")], "sorted, joined, cut"
    assert spans[-1][1:] == ("24:00", "read; go to bed")
    assert all(b.end - b.start <= 60 and a.end == b.start for a, b in zip(s.blocks, s.blocks[1:]))


@pytest.mark.parametrize("answer, error", [
    ("Wake at 7", "not a JSON object"),
    ({"wake_up": "07:00", "bedtime": "22:00"}, "expected exactly the keys"),
    ({"wake_up": "7 am", "bedtime": "22:00", "schedule": [{"start": "07:00", "activity": "x"}]}, "not a time"),
    ({"wake_up": "12:00", "bedtime": "11:00", "schedule": [{"start": "12:00", "activity": "x"}]}, "at least 6 h"),
    ({"wake_up": "07:00", "bedtime": "22:00", "schedule": [{"start": "07:00", "activity": "x"},
                                                           {"start": "07:00", "activity": "y"}]}, "two entries"),
    ({"wake_up": "07:00", "bedtime": "22:00", "schedule": [{"start": "07:00", "activity": " "}]}, "non-empty text"),
    ({"wake_up": "07:00", "bedtime": "22:00", "schedule": [{"start": "23:00", "activity": "x"}]}, "no entry between"),
])
def test_day_plan_errors(answer, error):
    with pytest.raises(PlanError, match=error):
        parse_day_plan(answer if isinstance(answer, str) else json.dumps(answer))


def action(start, end, desc="x", room="study"):
    return {"start": start, "end": end, "description": desc, "location": room}


def test_action_repairs():
    got = parse_actions(json.dumps({"actions": [
        action("09:20", "09:25", "glance at mail"), action("08:55", "09:15", "make tea", "Living_Room"),
        action("09:25", "10:25", "long sketch"), action("10:25", "10:50", "tidy up", "KITCHEN")]}),
        9 * 60, 10 * 60 + 40)
    assert [(hhmm(b.start), hhmm(b.end), b.text, b.location) for b in got] == [
        ("09:00", "09:25", "make tea", "living room"),  # clipped, gap closed, the short mail check folded in
        ("09:25", "09:55", "long sketch", "study"), ("09:55", "10:25", "long sketch", "study"),  # cut in two
        ("10:25", "10:40", "tidy up", "kitchen")]
    first_short = parse_actions(json.dumps({"actions": [action("09:00", "09:05", "a"), action("09:05", "09:30", "b")]}),
                                9 * 60, 9 * 60 + 30)
    assert [(b.start, b.end, b.text) for b in first_short] == [(540, 570, "b")]
    (only,) = parse_actions(json.dumps({"actions": [action("07:30", "07:35")]}), 7 * 60 + 30, 7 * 60 + 35)
    assert (only.start, only.end) == (450, 455), "a part shorter than 10 min keeps one short action"


@pytest.mark.parametrize("actions, error", [
    ([action("09:00", "09:40"), action("09:30", "10:00")], "overlap"),
    ([action("09:00", "09:30", room="attic")], "not a room"),
    ([action("09:30", "09:00")], "before it starts"),
    ([action("11:00", "11:30")], "no action inside"),
    ([], "non-empty list"),
    ([{"start": "09:00", "end": "09:30", "description": "x"}], "expected exactly the keys"),
])
def test_action_errors(actions, error):
    with pytest.raises(PlanError, match=error):
        parse_actions(json.dumps({"actions": actions}), 9 * 60, 10 * 60)
