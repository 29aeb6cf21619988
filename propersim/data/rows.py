"""Named builders of THE schema's rows (interactions and preference pairs), and the pairs one tick gives."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from operator import attrgetter

import pyarrow as pa

from propersim.data import schema as S


@dataclass(slots=True)
class InteractionRow:
    """One rated candidate (:data:`schema.INTERACTIONS`); fields are the columns, in order."""

    run_id: str
    arm: str
    persona_id: int
    day: int
    tick: int
    sim_time: int | datetime  # milliseconds since the epoch, or a datetime
    action: str
    location: str
    candidate: int
    delivered: bool
    recommendation: str
    is_recommendation: bool
    score_preference: int | None
    score_frequency_over: int | None
    score_frequency_under: int | None
    score_frequency: int | None
    score_timing: int | None
    score_communication_safety: int | None
    score_total: int | None
    reasons: str | None
    judge: str
    judge_error: str | None
    assistant_error: str | None
    policy_version: int
    assistant_model: str
    prompt_tokens: int
    cached_prompt_tokens: int | None
    completion_tokens: int


@dataclass(slots=True)
class PairRow:
    """One preference pair (:data:`schema.PAIRS`); fields are the columns, in order."""

    run_id: str
    arm: str
    persona_id: int
    day: int
    tick: int
    policy_version: int
    prompt_format: str
    prompt: str
    chosen: str
    rejected: str
    chosen_total: int
    rejected_total: int
    chosen_delivered: bool
    rejected_delivered: bool


#: row type -> its schema; each is checked against the schema once, here.
SCHEMAS = {InteractionRow: S.INTERACTIONS, PairRow: S.PAIRS}
for _row, _schema in SCHEMAS.items():
    _names = tuple(f.name for f in dataclasses.fields(_row))
    if _names != tuple(_schema.names):
        raise ImportError(f"{_row.__name__} fields {_names} do not match the schema's columns {_schema.names}")
_GETTERS = {row: attrgetter(*schema.names) for row, schema in SCHEMAS.items()}


def rows_to_table(rows: list, row_type: type = InteractionRow) -> pa.Table:
    """A table of ``row_type``'s schema from its rows (an empty one for no rows)."""
    schema = SCHEMAS[row_type]
    if not rows:
        return schema.empty_table()
    columns = zip(*map(_GETTERS[row_type], rows))
    return pa.Table.from_pydict(dict(zip(schema.names, map(list, columns))), schema=schema)


def tick_pairs(completions: list[str], totals: list[int | None], delivered: int) -> list[tuple]:
    """``(chosen, rejected, chosen_total, rejected_total, chosen_delivered, rejected_delivered)`` for each two
    candidates of one tick with different known totals, in candidate order; ties and judge failures give none.

    Args:
        completions: each candidate as the model is trained to write it.
        totals: each candidate's judged total (None: the judge failed).
        delivered: index of the candidate that was delivered.
    """
    out = []
    for i, j in combinations(range(len(completions)), 2):
        if totals[i] is None or totals[j] is None or totals[i] == totals[j]:
            continue
        hi, lo = (i, j) if totals[i] > totals[j] else (j, i)
        out.append((completions[hi], completions[lo], totals[hi], totals[lo], hi == delivered, lo == delivered))
    return out


#: Kinds of preference pairs: two recommendations, or a recommendation against "No Recommendation" (two
#: abstentions are only paired when the judge scored them differently).
PAIR_KINDS = ("rec_vs_rec", "rec_vs_silence", "silence_vs_silence")


def pair_kinds(pairs: pa.Table) -> dict[str, int]:
    """How many pairs of :data:`schema.PAIRS` rows are of each of :data:`PAIR_KINDS`."""
    counts = dict.fromkeys(PAIR_KINDS, 0)
    for chosen, rejected in zip(pairs[S.CHOSEN].to_pylist(), pairs[S.REJECTED].to_pylist()):
        silent = (chosen.strip() == S.NO_RECOMMENDATION) + (rejected.strip() == S.NO_RECOMMENDATION)
        counts[PAIR_KINDS[silent]] += 1
    return counts
