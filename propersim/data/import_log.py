"""Conversion of an original ProPerSim run log (JSON Lines, one line per 2.5-minute step) into interaction rows.

The original writes one record per simulation step with the fields ``step``, ``time``
("February 13, 2025, 07:02:30"), ``walking``, ``john_description``
("<action> @ <world>:<house>:<room>:<object>"), ``action_for_suggestion``, ``suggestion``, ``score``
(the 0-4 total as a string such as "2.0", or null) and ``reason`` (the judge's reasons joined).

Which steps become rows: a step is a decision when the assistant produced a ``suggestion`` while the user
was awake (the action before " @ " is not "sleeping"). The original's evaluator returns nothing for a
sleeping user by design, and at every midnight the assistant, whose state lags one step behind the user's,
still emits a suggestion for the sleeping user; those midnight steps are neither scored nor seen by anyone,
so they are dropped (14 of them in the persona-10 reference run) rather than counted as judge failures.
A decision with a null score is a judge failure: ``score_total`` null and ``judge_error`` set.

Other conversions: ``day`` is the 1-based index of the calendar date counted from the log's first date,
``tick`` the seconds since midnight divided by the tick length; ``location`` is the room of the location
path; one pair of literal double quotes around a suggestion is removed (the original's parser keeps them);
a suggestion reading "No Recommendation" (any case, or "Abstention" as in old logs) becomes
``NO_RECOMMENDATION`` with ``is_recommendation`` false. Per-criterion scores are null because the log
only has totals; ``reasons`` is ``{"joined": reason}``.

What the joined reason reliably tells (:func:`read_joined_reason`): the original joins its per-criterion reasons
with single spaces in the order :data:`REASON_ORDER`, and each reason is free prose of one or more sentences, so
the boundaries between them cannot be found and no per-criterion score is written. What is reliably there is
the original's fail-safe text :data:`FAILSAFE_REASON`, written for a criterion whose evaluation failed five
times and silently scored 0: markers at the start of the text belong to the first criteria in order, one at
the end to the last (frequency); a marker elsewhere is known to be some middle criterion's only.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa

from propersim.data import schema
from propersim.data.schema import NO_RECOMMENDATION
from propersim.errors import InvalidInputError, MissingInputError

IMPORTED = "imported"
TIME_FORMAT = "%B %d, %Y, %H:%M:%S"
#: Seconds per step in every original run (``sec_per_step`` in the original ``meta.json``).
TICK_SECONDS = 150
JUDGE_ERROR_MISSING = "missing score in source log"
_PERSONA_IN_NAME = re.compile(r"persona_(\d+)")
_SLEEPING = "sleeping"
#: The original's reason for a criterion whose evaluation failed (scored 0 by its fail-safe).
FAILSAFE_REASON = "Evaluation Failed"
#: The order in which the original joins its per-criterion reasons into one text.
REASON_ORDER = ("preference", "timing", "communication_safety", "frequency")


def persona_id_from_name(path: str | Path) -> int:
    """The persona number in a file name such as ``persona_10_no_memory_14days.jsonl``.

    Raises:
        ValueError: the name holds no ``persona_NN``.
    """
    match = _PERSONA_IN_NAME.search(Path(path).name)
    if match is None:
        raise InvalidInputError(f"cannot tell the persona from the file name {Path(path).name!r}; "
                         "name it persona_NN_... or pass persona_id")
    return int(match.group(1))


def read_joined_reason(joined: str) -> tuple[tuple[str, ...], int]:
    """The criteria the original's fail-safe scored 0, as far as a joined reason shows which.

    Args:
        joined: the ``reason`` of an original log line.

    Returns:
        (criteria of :data:`REASON_ORDER` known to have failed evaluation, number of further fail-safe markers
        whose criterion cannot be told).
    """
    parts = [p.strip() for p in joined.split(FAILSAFE_REASON)]
    n_markers = len(parts) - 1
    if n_markers == 0:
        return (), 0
    leading = next((i for i, p in enumerate(parts) if p), len(parts) - 1)  # markers before the first prose
    leading = min(leading, n_markers, len(REASON_ORDER))
    known = list(REASON_ORDER[:leading])
    rest = n_markers - leading
    if rest and not parts[-1] and REASON_ORDER[-1] not in known:  # the text ends with a marker
        known.append(REASON_ORDER[-1])
        rest -= 1
    return tuple(known), rest


def _recommendation(suggestion: str) -> tuple[str, bool]:
    text = suggestion.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1].strip()
    low = text.lower()
    if low.startswith("no recomm") or low == "abstention":
        return NO_RECOMMENDATION, False
    return text, True


def _score(raw, where: str) -> int | None:
    if raw is None:
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise InvalidInputError(f"{where}: score {raw!r} is not a number; expected a 0-4 total such as "
                                '"2.0"') from None
    if value not in (0, 1, 2, 3, 4):
        raise InvalidInputError(f"{where}: score {raw!r} is not a whole total between 0 and 4")
    return int(value)


def _parse_line(line: str, where: str) -> dict:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as e:
        raise InvalidInputError(f"{where}: not valid JSON ({e.msg})") from None
    missing = [k for k in ("time", "john_description", "suggestion", "score", "reason") if k not in record]
    if missing:
        raise InvalidInputError(f"{where}: missing fields {missing}; expected an original ProPerSim movement log line")
    try:
        record["time"] = datetime.strptime(record["time"], TIME_FORMAT)
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"{where}: time {record['time']!r} does not match e.g. 'February 13, 2025, 07:02:30'") from None
    return record


def import_propersim_log(src: str | Path, run_id: str = IMPORTED, persona_id: int | None = None) -> pa.Table:
    """Read an original ProPerSim run log into an interactions table (rules in the module docstring).

    Args:
        src: path of the JSON Lines log.
        run_id: value of the ``run_id`` column.
        persona_id: the persona; by default parsed from a ``persona_NN`` in the file name.

    Returns:
        One delivered row (candidate 0, arm, judge and model "imported") per decision step, in log order,
        in the ``schema.INTERACTIONS`` layout.

    Raises:
        FileNotFoundError: ``src`` does not exist.
        ValueError: the persona cannot be told from the name, or a line is malformed (named by line number).
    """
    src = Path(src)
    if not src.is_file():
        raise MissingInputError(f"run log not found: {src}")
    pid = persona_id if persona_id is not None else persona_id_from_name(src)
    cols = schema.empty_columns()
    first_date: date | None = None
    with src.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{src}:{lineno}"
            record = _parse_line(line, where)
            when: datetime = record["time"]
            first_date = first_date or when.date()
            action, _, place = record["john_description"].partition(" @ ")
            if record["suggestion"] is None or action.strip() == _SLEEPING:
                continue
            text, is_rec = _recommendation(record["suggestion"])
            total = _score(record["score"], where)
            rooms = place.split(":")
            row = {
                schema.RUN_ID: run_id, schema.ARM: IMPORTED, schema.PERSONA_ID: pid,
                schema.DAY: (when.date() - first_date).days + 1,
                schema.TICK: (when.hour * 3600 + when.minute * 60 + when.second) // TICK_SECONDS,
                schema.SIM_TIME: when, schema.ACTION: action.strip(),
                schema.LOCATION: rooms[2] if len(rooms) > 2 else place,
                schema.CANDIDATE: 0, schema.DELIVERED: True,
                schema.RECOMMENDATION: text, schema.IS_RECOMMENDATION: is_rec,
                schema.SCORE_TOTAL: total,
                schema.REASONS: None if record["reason"] is None else json.dumps({"joined": record["reason"].strip()}),
                schema.JUDGE: IMPORTED,
                schema.JUDGE_ERROR: JUDGE_ERROR_MISSING if total is None else None, schema.ASSISTANT_ERROR: None,
                schema.POLICY_VERSION: 0, schema.ASSISTANT_MODEL: IMPORTED,
                schema.PROMPT_TOKENS: 0, schema.CACHED_PROMPT_TOKENS: 0, schema.COMPLETION_TOKENS: 0,
            }
            for name in schema.SCORE_COLUMNS:
                row[name] = None
            for name, values in cols.items():
                values.append(row[name])
    return schema.to_table(cols)
