"""Replay a scored run log through a judge: each decision as it happened, rated again by another judge.

Every delivered decision of the log (an interactions table, e.g. from
:func:`propersim.data.import_log.import_propersim_log`) is rebuilt as the :class:`~propersim.user.judge.JudgeRequest`
the user agent saw: the real recommendation, at its real tick and action, with that day's earlier delivered
decisions in a fresh :class:`~propersim.user.memory.EvaluativeMemory` (reset every day, as in the original),
and the day's first decision as the wake tick. The action's span is the run of consecutive decisions with the
same description. Days are independent, so the decisions of all days at the same position are sent to the
judge as one batch.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby

import pyarrow as pa
import pyarrow.compute as pc

from propersim.data import schema
from propersim.errors import InvalidInputError
from propersim.personas.schema import Persona
from propersim.user.judge import Judge, JudgeRequest, Verdict
from propersim.user.memory import EvaluativeMemory
from propersim.world.plans import Action


@dataclass(frozen=True)
class Decision:
    """One delivered decision of the log and its reference rating."""

    day: int
    tick: int
    action: Action
    recommendation: str | None  # None: "No Recommendation"
    reference_total: int | None  # None: the log's judge failed
    reference_reason: str | None


@dataclass(frozen=True)
class Replayed:
    """A decision of the log with the replaying judge's verdict."""

    decision: Decision
    verdict: Verdict


def _reason(cell: str | None) -> str | None:
    if cell is None:
        return None
    reasons = json.loads(cell)
    return reasons.get("joined", "; ".join(str(r) for r in reasons.values()))


def decisions_by_day(table: pa.Table) -> dict[int, list[Decision]]:
    """The delivered decisions of ``table`` (one persona, one arm), per day, in tick order.

    Raises:
        InvalidInputError: the table holds several personas or arms (replay one at a time).
    """
    delivered = table.filter(pc.equal(table[schema.DELIVERED], True))
    for column in (schema.PERSONA_ID, schema.ARM):
        values = set(delivered[column].to_pylist())
        if len(values) > 1:
            raise InvalidInputError(f"the log holds several {column} values {sorted(values)}; replay one at a time")
    rows = sorted(delivered.select([schema.DAY, schema.TICK, schema.ACTION, schema.LOCATION,
                                    schema.RECOMMENDATION, schema.IS_RECOMMENDATION, schema.SCORE_TOTAL,
                                    schema.REASONS]).to_pylist(), key=lambda r: (r[schema.DAY], r[schema.TICK]))
    days: dict[int, list[Decision]] = {}
    for (day, _), run in groupby(rows, key=lambda r: (r[schema.DAY], r[schema.ACTION])):
        run = list(run)
        first, last = run[0][schema.TICK], run[-1][schema.TICK]
        days.setdefault(day, []).extend(Decision(
            day, row[schema.TICK], Action(first, last + 1, row[schema.ACTION], row[schema.LOCATION]),
            row[schema.RECOMMENDATION] if row[schema.IS_RECOMMENDATION] else None,
            row[schema.SCORE_TOTAL], _reason(row[schema.REASONS])) for row in run)
    return days


def _positions(days: dict[int, list[Decision]]) -> Iterator[list[tuple[int, Decision]]]:
    """The k-th decision of every day that has one, for k = 0, 1, ..."""
    for k in range(max((len(d) for d in days.values()), default=0)):
        yield [(day, decisions[k]) for day, decisions in days.items() if k < len(decisions)]


def replay(table: pa.Table, persona: Persona, judge: Judge, tick_seconds: int) -> list[Replayed]:
    """Rate every delivered decision of ``table`` again with ``judge`` (method in the module docstring).

    Args:
        table: interactions of one persona and one arm (:data:`propersim.data.schema.INTERACTIONS`).
        persona: the persona the decisions were made for.
        judge: the replaying judge.
        tick_seconds: the log's tick length (150 in every original run).

    Returns:
        One :class:`Replayed` per decision, ordered by day and tick.
    """
    days = decisions_by_day(table)
    memories = {day: EvaluativeMemory(tick_seconds) for day in days}
    wake = {day: decisions[0].tick for day, decisions in days.items()}
    out: dict[tuple[int, int], Replayed] = {}
    for batch in _positions(days):
        requests = [JudgeRequest(persona, day, d.tick, d.tick * tick_seconds / 3600, wake[day], d.action,
                                 memories[day], d.recommendation) for day, d in batch]
        for (day, d), verdict in zip(batch, judge.judge_batch(requests), strict=True):
            out[day, d.tick] = Replayed(d, verdict)
            memories[day].add(d.tick, d.action.description, d.recommendation)
    return [out[key] for key in sorted(out)]
