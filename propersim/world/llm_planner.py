"""The LLM planner: each morning an LLM writes the persona's wake time and hourly plan, then splits it into actions.

Two stages, each one ``generate`` call for all personas of :meth:`LLMPlanner.plan_days` (prompts in
``prompts/v1/``):

1. ``day_plan``: wake-up time, bedtime and a schedule of ``{"start", "activity"}`` entries.
   :func:`parse_day_plan` repairs what is unambiguous: entries are sorted, entries that ended before waking
   or start at bedtime are dropped, the first entry starts at waking, a bedtime before 04:00 means
   midnight (the simulated day ends there), and an entry too short for one action (< 10 min) is joined to
   its neighbour. Blocks longer than an hour are cut into equal parts of at most an hour.
2. ``decompose``: each part becomes actions of 10-30 minutes, each in a room of :data:`ROOMS`.
   :func:`parse_actions` sorts them, normalises room spelling, clips them to the part, closes gaps by
   extending the earlier action, joins actions shorter than 10 minutes to a neighbour and cuts actions
   longer than 30 minutes into equal pieces.

What cannot be repaired (not JSON, missing fields, bad times, overlapping actions, unknown rooms, a
bedtime before waking) is asked again, only for the failed prompts, up to ``retries`` times. A persona-day
still failing falls back to :class:`ProceduralPlanner` and is recorded in :attr:`LLMPlanner.failures`.
The result depends only on the engine's outputs (and ``seed`` through the fallback).

Output protocol (:mod:`propersim.llm.structured`): chat models get one user message and a JSON schema.
Base models get a plain completion that ends inside the object (:data:`DAY_PLAN_PREFIX`,
:data:`DECOMPOSE_PREFIX`) and stops at the end of the line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from propersim.llm.engine import Engine
from propersim.llm.prompts import load_template
from propersim.llm.structured import JsonAsker, JsonForm, OutputError, load_json
from propersim.personas.schema import Persona
from propersim.world.clock import Clock
from propersim.world.plans import Action, DayPlan, Planner
from propersim.world.procedural import ProceduralPlanner

PROMPT_DIR = Path(__file__).parent / "prompts" / "v1"
ROOMS = ("bedroom", "bathroom", "kitchen", "living room", "study", "dining room", "garden", "laundry room")
MIN_ACTION_MINUTES, MAX_ACTION_MINUTES = 10, 30
MAX_PART_MINUTES = 60
MIN_AWAKE_HOURS = 6
#: A bedtime earlier than this is read as after midnight.
LATEST_BEDTIME_AFTER_MIDNIGHT = 4 * 60
DAY_PLAN_PREFIX = '{"wake_up": "'
DECOMPOSE_PREFIX = '{"actions": ['

_TIME = {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$"}
_END_TIME = {"type": "string", "pattern": r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"}
_PHRASE = {"type": "string", "minLength": 1, "maxLength": 120}
DAY_PLAN_SCHEMA = {
    "type": "object",
    "properties": {
        "wake_up": _TIME,
        "bedtime": _END_TIME,
        "schedule": {"type": "array", "minItems": 1, "maxItems": 24, "items": {
            "type": "object", "properties": {"start": _TIME, "activity": _PHRASE},
            "required": ["start", "activity"], "additionalProperties": False}},
    },
    "required": ["wake_up", "bedtime", "schedule"],
    "additionalProperties": False,
}
DECOMPOSE_SCHEMA = {
    "type": "object",
    "properties": {"actions": {"type": "array", "minItems": 1, "maxItems": 8, "items": {
        "type": "object",
        "properties": {"start": _TIME, "end": _END_TIME, "description": _PHRASE,
                       "location": {"type": "string", "enum": list(ROOMS)}},
        "required": ["start", "end", "description", "location"], "additionalProperties": False}}},
    "required": ["actions"],
    "additionalProperties": False,
}
#: How the two stages ask for their answer objects (base models: one line after the prefix).
DAY_PLAN_FORM = JsonForm(DAY_PLAN_SCHEMA, DAY_PLAN_PREFIX, stop=("\n",))
DECOMPOSE_FORM = JsonForm(DECOMPOSE_SCHEMA, DECOMPOSE_PREFIX, stop=("\n",))

_CLOCK_TIME = re.compile(r"(\d{1,2}):(\d{2})")


class PlanError(OutputError):
    """An LLM answer is not a usable day plan or decomposition."""


@dataclass(frozen=True)
class Block:
    """A stretch of the day in minutes after midnight, [start, end), with what happens in it."""

    start: int
    end: int
    text: str
    location: str = ""  # set for actions only


@dataclass(frozen=True)
class DaySchedule:
    """A parsed ``day_plan`` answer: minutes after midnight and the blocks between them."""

    wake: int
    bedtime: int
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class PlanFailure:
    """A persona-day whose LLM plan failed after retries and was replaced by the procedural plan."""

    persona_id: int
    day: int
    stage: str  # "day_plan" or "decompose"
    error: str


def _load_object(text: str) -> dict:
    obj = load_json(text, PlanError)
    if not isinstance(obj, dict):
        raise PlanError(f"expected a JSON object, got {type(obj).__name__}")
    return obj


def _fields(obj, keys: tuple[str, ...], where: str) -> list:
    if not isinstance(obj, dict) or set(obj) != set(keys):
        got = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
        raise PlanError(f"{where}: expected exactly the keys {list(keys)}, got {got}")
    return [obj[k] for k in keys]


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(value, where: str, end: bool = False) -> int:
    match = _CLOCK_TIME.fullmatch(value) if isinstance(value, str) else None
    hours, minutes = (int(match.group(1)), int(match.group(2))) if match else (-1, -1)
    if not (0 <= hours < 24 and 0 <= minutes < 60) and not (end and (hours, minutes) == (24, 0)):
        raise PlanError(f"{where}: {value!r} is not a time HH:MM")
    return hours * 60 + minutes


def _phrase(value, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PlanError(f"{where}: expected a non-empty text, got {value!r}")
    return " ".join(value.split())


def _join_short(blocks: list[Block], merge) -> list[Block]:
    """Fold each block shorter than an action into its predecessor (the first into its successor)."""
    i = 0
    while len(blocks) > 1 and i < len(blocks):
        b = blocks[i]
        if b.end - b.start >= MIN_ACTION_MINUTES:
            i += 1
        elif i > 0:
            blocks[i - 1:i + 1] = [merge(blocks[i - 1], b, blocks[i - 1].start, b.end)]
        else:
            blocks[0:2] = [merge(blocks[1], b, b.start, blocks[1].end)]
    return blocks


def _cut(block: Block, longest: int) -> list[Block]:
    """``block`` in equal pieces (whole minutes) of at most ``longest`` minutes."""
    n = math.ceil((block.end - block.start) / longest)
    edges = [block.start + round((block.end - block.start) * k / n) for k in range(n + 1)]
    return [Block(a, b, block.text, block.location) for a, b in zip(edges, edges[1:])]


def parse_day_plan(text: str) -> DaySchedule:
    """Read and repair a ``day_plan`` answer (see the module docstring).

    Returns:
        The schedule, with blocks of at most :data:`MAX_PART_MINUTES` minutes covering wake to bedtime.

    Raises:
        PlanError: not JSON, wrong keys, bad times, bedtime before waking or too soon after it, entries
            starting at the same time, or no entry between waking and bedtime.
    """
    wake_text, bed_text, entries = _fields(_load_object(text), ("wake_up", "bedtime", "schedule"), "day plan")
    wake, bedtime = _minutes(wake_text, "wake_up"), _minutes(bed_text, "bedtime", end=True)
    if bedtime < LATEST_BEDTIME_AFTER_MIDNIGHT:
        bedtime = 24 * 60
    if bedtime - wake < MIN_AWAKE_HOURS * 60:
        raise PlanError(f"bedtime {bed_text} is not at least {MIN_AWAKE_HOURS} h after wake_up {wake_text}")
    if not isinstance(entries, list) or not entries:
        raise PlanError(f"schedule: expected a non-empty list, got {entries!r}")
    starts = []
    for i, entry in enumerate(entries):
        start, activity = _fields(entry, ("start", "activity"), f"schedule[{i}]")
        starts.append((_minutes(start, f"schedule[{i}].start"), _phrase(activity, f"schedule[{i}].activity")))
    starts.sort(key=lambda s: s[0])
    for (a, _), (b, _) in zip(starts, starts[1:]):
        if a == b:
            raise PlanError(f"schedule: two entries start at {_hhmm(a)}")
    ends = [s for s, _ in starts[1:]] + [bedtime]
    blocks = [Block(max(s, wake), e, t) for (s, t), e in zip(starts, ends) if e > wake and s < bedtime]
    if not blocks:
        raise PlanError(f"schedule: no entry between wake_up {wake_text} and bedtime {bed_text}")
    blocks[0] = Block(wake, blocks[0].end, blocks[0].text)
    blocks[-1] = Block(blocks[-1].start, bedtime, blocks[-1].text)
    blocks = _join_short(blocks, lambda keep, short, s, e: Block(
        s, e, f"{keep.text}; {short.text}" if short.start > keep.start else f"{short.text}; {keep.text}"))
    return DaySchedule(wake, bedtime, tuple(p for b in blocks for p in _cut(b, MAX_PART_MINUTES)))


def _room(value, where: str) -> str:
    room = " ".join(value.lower().replace("_", " ").replace("-", " ").split()) if isinstance(value, str) else value
    if room not in ROOMS:
        raise PlanError(f"{where}: {value!r} is not a room; expected one of {list(ROOMS)}")
    return room


def parse_actions(text: str, start: int, end: int) -> list[Block]:
    """Read and repair a ``decompose`` answer for the part [start, end) (minutes after midnight).

    Returns:
        Back-to-back actions covering [start, end), each 10-30 minutes long unless the part is shorter.

    Raises:
        PlanError: not JSON, wrong keys, bad times, an action ending before it starts, overlapping
            actions, an unknown room, or no action inside the part.
    """
    (items,) = _fields(_load_object(text), ("actions",), "decomposition")
    if not isinstance(items, list) or not items:
        raise PlanError(f"actions: expected a non-empty list, got {items!r}")
    actions = []
    for i, item in enumerate(items):
        a, b, desc, room = _fields(item, ("start", "end", "description", "location"), f"actions[{i}]")
        a, b = _minutes(a, f"actions[{i}].start"), _minutes(b, f"actions[{i}].end", end=True)
        if b <= a:
            raise PlanError(f"actions[{i}]: ends at {item['end']} before it starts at {item['start']}")
        actions.append(Block(a, b, _phrase(desc, f"actions[{i}].description"), _room(room, f"actions[{i}].location")))
    actions.sort(key=lambda x: x.start)
    for prev, cur in zip(actions, actions[1:]):
        if cur.start < prev.end:
            raise PlanError(f"actions overlap: {prev.text!r} until {_hhmm(prev.end)} "
                            f"and {cur.text!r} from {_hhmm(cur.start)}")
    actions = [x for x in actions if x.end > start and x.start < end]
    if not actions:
        raise PlanError("no action inside the part to plan")
    nexts = [x.start for x in actions[1:]] + [end]
    actions = [Block(x.start, nxt, x.text, x.location) for x, nxt in zip(actions, nexts)]  # close gaps
    actions[0] = Block(start, actions[0].end, actions[0].text, actions[0].location)
    actions = _join_short(actions, lambda keep, short, s, e: Block(s, e, keep.text, keep.location))
    return [p for x in actions for p in _cut(x, MAX_ACTION_MINUTES)]


class LLMPlanner(Planner):
    """Plans days with an LLM; see the module docstring for stages, repairs, retries and the fallback."""

    def __init__(self, engine: Engine, clock: Clock, seed: int, retries: int = 2, temperature: float = 0.7,
                 retry_temperature: float = 0.7, max_tokens: tuple[int, int] = (768, 384)):
        """
        Args:
            engine: the model that plans.
            clock: tick length and calendar of the simulation.
            seed: seed of the sampled plans (with each prompt) and of the procedural fallback.
            retries: how many times a prompt whose answer could not be used is asked again.
            temperature: sampling temperature of the first attempt (above 0 so days differ).
            retry_temperature: of the re-asks.
            max_tokens: caps on the ``day_plan`` and ``decompose`` answers.

        Raises:
            ValueError: ``retries`` is negative.
        """
        super().__init__(clock, seed)
        self.engine = engine
        self.max_tokens = max_tokens
        self.asker = JsonAsker(engine, retries, temperature, retry_temperature, seed)
        self.fallback = ProceduralPlanner(clock, seed)
        #: Persona-days that fell back to the procedural planner, in the order they happened.
        self.failures: list[PlanFailure] = []
        self._day_plan = load_template(PROMPT_DIR, "day_plan")
        self._decompose = load_template(PROMPT_DIR, "decompose")

    def plan_day(self, persona: Persona, day: int) -> DayPlan:
        return self.plan_days([persona], day)[0]

    def plan_days(self, personas: list[Persona], day: int) -> list[DayPlan]:
        """The plans of 1-based ``day`` for all ``personas``, with one ``generate`` call per stage and attempt."""
        date = self.clock.datetime_of(day, 0).strftime("%A %B %d, %Y")
        days = self.asker.ask([self._day_plan_prompt(p, date) for p in personas], DAY_PLAN_FORM,
                              lambda _, text: parse_day_plan(text), self.max_tokens[0])
        schedules = [a.value for a in days]
        parts = [(i, block) for i, s in enumerate(schedules) if s is not None for block in s.blocks]
        prompts = [self._decompose_prompt(personas[i], schedules[i], block) for i, block in parts]
        decomposed = self.asker.ask(prompts, DECOMPOSE_FORM, lambda k, text: parse_actions(
            text, parts[k][1].start, parts[k][1].end), self.max_tokens[1])
        actions = [a.value for a in decomposed]
        plans = []
        for i, persona in enumerate(personas):
            if schedules[i] is None:
                plans.append(self._fall_back(persona, day, "day_plan", [days[i].error]))
                continue
            mine = [k for k, (owner, _) in enumerate(parts) if owner == i]
            bad = [f"{parts[k][1].text!r}: {decomposed[k].error}" for k in mine if actions[k] is None]
            if bad:
                plans.append(self._fall_back(persona, day, "decompose", bad))
                continue
            plans.append(DayPlan.from_actions(
                day, [self._action(a) for k in mine for a in actions[k]], self.clock.ticks_per_day,
                tuple(f"{_hhmm(b.start)} {b.text}" for b in schedules[i].blocks)))
        return plans

    def _fall_back(self, persona: Persona, day: int, stage: str, errors: list[str]) -> DayPlan:
        self.failures.append(PlanFailure(persona.persona_id, day, stage, self.asker.gave_up(errors)))
        return self.fallback.plan_day(persona, day)

    def _action(self, block: Block) -> Action:
        step = self.clock.tick_seconds
        return Action(block.start * 60 // step, block.end * 60 // step, block.text, block.location)

    def _day_plan_prompt(self, persona: Persona, date: str) -> str:
        return self._day_plan.substitute(
            name=persona.name, living_area=persona.living_area, age=persona.age, occupation=persona.occupation,
            traits=", ".join(f"{level} {trait}" for trait, level in persona.big_five.items()),
            chronotype=persona.chronotype, background=persona.background, interests=persona.current_interests,
            lifestyle=persona.lifestyle, daily_plan=persona.daily_plan_req, goals=persona.long_term_goals,
            date=date)

    def _decompose_prompt(self, persona: Persona, schedule: DaySchedule, block: Block) -> str:
        lines = [f"{_hhmm(b.start)}-{_hhmm(b.end)} {b.text}" for b in schedule.blocks]
        return self._decompose.substitute(
            name=persona.name, schedule="\n".join(lines), activity=block.text, start=_hhmm(block.start),
            end=_hhmm(block.end), rooms=", ".join(ROOMS))
