"""Daily metrics of a run: per arm and day, the means over personas of each persona's delivered-decision figures.

Counting rules (the paper's Fig. 4-7 and the original ``evaluation.ipynb``):

- Only delivered rows count; the other candidates of a tick are training data, not decisions.
- A delivered row with a null ``score_total`` is a judge failure: it counts as a decision (it was shown to the
  user, so it also counts for recommendations per hour) and in ``n_judge_failures``, but it is left out of
  every score mean, the success rate and the criterion means.
- ``mean_score`` is the mean over personas of each persona's mean score that day, so every persona weighs the
  same whatever its number of awake ticks; ``sem`` is the standard error of that mean across personas
  (sample standard deviation / sqrt(n)), null with fewer than two personas. For a single persona
  ``mean_score`` is exactly the notebook's daily "Total Score".
- ``recs_per_hour``: each delivered decision is one awake tick, so a persona's awake hours are
  ``n_decisions * tick_seconds / 3600``; its rate is recommendations / awake hours, averaged over personas.
- ``success_rate``: share of the day's delivered, scored recommendations (abstentions excluded) that score
  at least 3, pooled over personas (the paper's "successful intervention" rate); null when there are none.
- ``criteria``: mean over personas of each persona's mean of each criterion column (``schema.CRITERIA``);
  ``criteria_split`` is the same over recommendations only and over abstentions only.
- ``tokens`` (per arm): prompt, cached prompt (taken from the engine's prefix cache) and generated tokens over
  every row (all candidates, assistant and judge calls), in total and per persona-day. Cached tokens are
  summed over the rows that record them and are null when none do (runs from before the column).
- ``normalised_score`` (:func:`normalised_scores`, added by the report when the run has both reference arms):
  a day's mean placed between the best content-blind baseline (0) and the oracle_best upper bound (1).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc

from propersim.data.schema import (
    ARM,
    CACHED_PROMPT_TOKENS,
    COMPLETION_TOKENS,
    CRITERIA,
    DAY,
    DELIVERED,
    IS_RECOMMENDATION,
    PERSONA_ID,
    PROMPT_TOKENS,
    SCORE_TOTAL,
)

DEFAULT_TICK_SECONDS = 150
#: A recommendation scoring at least this total is a successful intervention (paper, Section 6.3).
SUCCESS_THRESHOLD = 3

_REQUIRED = (ARM, PERSONA_ID, DAY, DELIVERED, IS_RECOMMENDATION, SCORE_TOTAL, *CRITERIA.values())
_KEYS = [ARM, PERSONA_ID, DAY]
# Working column names of the per-row table built by _work_table.
_SCORE, _FAIL, _REC, _REC_SCORED, _REC_OK = "score", "failure", "rec", "rec_scored", "rec_success"


def _work_table(table: pa.Table) -> pa.Table:
    """Delivered rows reduced to numeric columns; criteria are nulled on judge failures."""
    rows = table.filter(pc.equal(table[DELIVERED], True))
    score = pc.cast(rows[SCORE_TOTAL], pa.float64())
    scored = pc.is_valid(score)
    is_rec = rows[IS_RECOMMENDATION]
    success = pc.fill_null(pc.and_(is_rec, pc.greater_equal(score, SUCCESS_THRESHOLD)), False)
    columns = {
        ARM: rows[ARM], PERSONA_ID: rows[PERSONA_ID], DAY: rows[DAY], IS_RECOMMENDATION: is_rec,
        _SCORE: score,
        _FAIL: pc.cast(pc.invert(scored), pa.int64()),
        _REC: pc.cast(is_rec, pa.int64()),
        _REC_SCORED: pc.cast(pc.and_(is_rec, scored), pa.int64()),
        _REC_OK: pc.cast(success, pa.int64()),
    }
    null = pa.scalar(None, pa.float64())
    for name, column in CRITERIA.items():
        columns[name] = pc.if_else(scored, pc.cast(rows[column], pa.float64()), null)
    return pa.table(columns)


def _persona_days(work: pa.Table, tick_seconds: float) -> pa.Table:
    """One row per (arm, persona, day): that persona's counts, mean score, rate and criterion means."""
    grouped = work.group_by(_KEYS).aggregate([
        (_SCORE, "mean"), (_FAIL, "count"), (_FAIL, "sum"), (_REC, "sum"), (_REC_SCORED, "sum"),
        (_REC_OK, "sum"), *((name, "mean") for name in CRITERIA),
    ])
    hours = pc.multiply(pc.cast(grouped[f"{_FAIL}_count"], pa.float64()), tick_seconds / 3600)
    rate = pc.divide(pc.cast(grouped[f"{_REC}_sum"], pa.float64()), hours)
    return grouped.append_column("recs_per_hour", rate).sort_by([(k, "ascending") for k in _KEYS])


def _arm_days(persona_days: pa.Table) -> pa.Table:
    """One row per (arm, day): means over personas, the SEM, and pooled counts."""
    return persona_days.group_by([ARM, DAY]).aggregate([
        (f"{_SCORE}_mean", "mean"), (f"{_SCORE}_mean", "stddev", pc.VarianceOptions(ddof=1)),
        (f"{_SCORE}_mean", "count"), (f"{_FAIL}_count", "sum"), (f"{_FAIL}_sum", "sum"),
        ("recs_per_hour", "mean"), (f"{_REC_SCORED}_sum", "sum"), (f"{_REC_OK}_sum", "sum"),
        *((f"{name}_mean", "mean") for name in CRITERIA),
    ])


def _split_criteria(work: pa.Table) -> dict[tuple, dict[str, float | None]]:
    """(arm, day, is_recommendation) -> criterion means over personas of per-persona means."""
    per_persona = work.group_by([*_KEYS, IS_RECOMMENDATION]).aggregate([(name, "mean") for name in CRITERIA])
    per_day = per_persona.group_by([ARM, DAY, IS_RECOMMENDATION]).aggregate(
        [(f"{name}_mean", "mean") for name in CRITERIA])
    return {(r[ARM], r[DAY], r[IS_RECOMMENDATION]): {name: r[f"{name}_mean_mean"] for name in CRITERIA}
            for r in per_day.to_pylist()}


def _sem(std: float | None, n: int) -> float | None:
    return None if std is None or n < 2 else std / math.sqrt(n)


def daily_summary(table: pa.Table, tick_seconds: float = DEFAULT_TICK_SECONDS) -> dict:
    """Summarise an interactions table per arm and simulated day (counting rules in the module docstring).

    Args:
        table: rows in the ``propersim.data.schema.INTERACTIONS`` layout (extra columns are ignored).
        tick_seconds: simulated seconds per tick, used to turn decisions into awake hours.

    Returns:
        ``{"arms": {arm: {"daily": [...], "per_persona": {persona_id: [...]}}}}``. Each ``daily`` entry has
        ``day, n_decisions, n_judge_failures, mean_score, sem, recs_per_hour, success_rate, criteria,
        criteria_split`` (``recommendation`` / ``abstention``); each ``per_persona`` entry (keyed by the
        persona id as a string, for JSON) has ``day, mean_score, n_decisions, recs_per_hour``. Days are
        ascending; a mean with nothing to average is ``None``. Arms without delivered rows are absent.

    Raises:
        ValueError: a required column is missing, or ``tick_seconds`` is not positive.
    """
    missing = [c for c in _REQUIRED if c not in table.column_names]
    if missing:
        raise ValueError(f"interactions table lacks columns {missing}; build it with propersim.data.schema.to_table")
    if not tick_seconds > 0:
        raise ValueError(f"tick_seconds must be > 0, got {tick_seconds!r}")
    work = _work_table(table)
    persona_days = _persona_days(work, tick_seconds)
    split = _split_criteria(work)
    arms: dict[str, dict] = {}
    for r in persona_days.to_pylist():
        entry = arms.setdefault(r[ARM], {"daily": [], "per_persona": {}})
        entry["per_persona"].setdefault(str(r[PERSONA_ID]), []).append({
            "day": r[DAY], "mean_score": r[f"{_SCORE}_mean"], "n_decisions": r[f"{_FAIL}_count"],
            "recs_per_hour": r["recs_per_hour"]})
    for r in _arm_days(persona_days).sort_by([(ARM, "ascending"), (DAY, "ascending")]).to_pylist():
        n_recs = r[f"{_REC_SCORED}_sum_sum"]
        arms[r[ARM]]["daily"].append({
            "day": r[DAY],
            "n_decisions": r[f"{_FAIL}_count_sum"],
            "n_judge_failures": r[f"{_FAIL}_sum_sum"],
            "mean_score": r[f"{_SCORE}_mean_mean"],
            "sem": _sem(r[f"{_SCORE}_mean_stddev"], r[f"{_SCORE}_mean_count"]),
            "recs_per_hour": r["recs_per_hour_mean"],
            "success_rate": r[f"{_REC_OK}_sum_sum"] / n_recs if n_recs else None,
            "criteria": {name: r[f"{name}_mean_mean"] for name in CRITERIA},
            "criteria_split": {
                kind: split.get((r[ARM], r[DAY], flag), dict.fromkeys(CRITERIA))
                for kind, flag in (("recommendation", True), ("abstention", False))},
        })
    for arm, tokens in _tokens(table).items():
        if arm in arms:
            arms[arm]["tokens"] = tokens
    return {"arms": {arm: arms[arm] for arm in sorted(arms)}}


def _tokens(table: pa.Table) -> dict[str, dict]:
    """Per arm: its :func:`token_figures` over every row (module docstring)."""
    grouped = table.group_by(ARM).aggregate([(c, "sum") for c in (PROMPT_TOKENS, CACHED_PROMPT_TOKENS,
                                                                   COMPLETION_TOKENS)])
    persona_days = table.group_by([ARM, PERSONA_ID, DAY]).aggregate([]).group_by(ARM).aggregate([(DAY, "count")])
    n_days = dict(zip(persona_days[ARM].to_pylist(), persona_days[f"{DAY}_count"].to_pylist()))
    return {r[ARM]: token_figures(r[f"{PROMPT_TOKENS}_sum"], r[f"{CACHED_PROMPT_TOKENS}_sum"],
                                  r[f"{COMPLETION_TOKENS}_sum"], n_days.get(r[ARM]))
            for r in grouped.to_pylist()}


def token_figures(prompt: int, cached: int | None, completion: int, persona_days: int | None) -> dict:
    """An arm's ``tokens`` entry: the totals, and each per persona-day (``per_persona_day``: prompt + generated);
    rates are null without persona-days, the cached ones also without cached counts."""
    def rate(n):
        return n / persona_days if persona_days and n is not None else None
    return {"prompt": prompt, "cached": cached, "completion": completion,
            "per_persona_day": rate(prompt + completion), "prompt_per_persona_day": rate(prompt),
            "cached_per_persona_day": rate(cached), "completion_per_persona_day": rate(completion)}


def normalised_scores(summary: dict, content_blind: Iterable[str], oracle_best: Iterable[str]) -> dict | None:
    """Each arm's daily mean as a share of the way from the best content-blind arm to the oracle_best arm.

    ``normalised = (score - lower) / (upper - lower)``, day by day, where ``lower`` and ``upper`` are that
    day's mean scores of the two reference arms: 0 is as good as the best content-blind baseline, 1 as good
    as the reference upper bound. The lower reference is one arm for the whole run: the content-blind arm
    with the highest mean over the run's days (its daily means, each day weighing the same; ties go to the
    first name), so a day's figure never jumps because another baseline happened to win that day, and each
    day compares the same user days. With several oracle_best arms, the one with the highest mean is used.
    A day is null when a mean is missing or the upper reference is not above the lower one that day.

    Args:
        summary: the output of :func:`daily_summary` (or a merged live summary).
        content_blind: names of the arms whose policies choose without the persona (never, always, random,
            scheduled); names not in the summary are ignored.
        oracle_best: names of the arms running the oracle_best reference policy.

    Returns:
        None unless the summary has an arm of each kind; else ``{"lower", "upper"`` (arm names),
        ``"lower_mean", "upper_mean", "spread"`` (upper minus lower, over the run), ``"content_blind"`` (arm ->
        mean over days), ``"arms"``: arm -> ``{"daily": {day: normalised}, "mean": normalised run mean}}``.
    """
    arms = summary["arms"]
    means = {arm: _run_mean(arms[arm]["daily"]) for arm in arms}
    lower_arms = sorted(arm for arm in set(content_blind) if arm in arms and means[arm] is not None)
    upper_arms = sorted(arm for arm in set(oracle_best) if arm in arms and means[arm] is not None)
    if not lower_arms or not upper_arms:
        return None
    lower = max(lower_arms, key=lambda arm: (means[arm], -lower_arms.index(arm)))
    upper = max(upper_arms, key=lambda arm: (means[arm], -upper_arms.index(arm)))
    by_day = {ref: {d["day"]: d["mean_score"] for d in arms[ref]["daily"]} for ref in (lower, upper)}
    out = {}
    for arm, data in arms.items():
        daily = {d["day"]: _share(d["mean_score"], by_day[lower].get(d["day"]), by_day[upper].get(d["day"]))
                 for d in data["daily"]}
        out[arm] = {"daily": daily, "mean": _share(means[arm], means[lower], means[upper])}
    return {"lower": lower, "upper": upper, "lower_mean": means[lower], "upper_mean": means[upper],
            "spread": means[upper] - means[lower], "content_blind": {arm: means[arm] for arm in lower_arms},
            "arms": out}


def _run_mean(daily: list[dict]) -> float | None:
    scores = [d["mean_score"] for d in daily if d["mean_score"] is not None]
    return sum(scores) / len(scores) if scores else None


def _share(score: float | None, lower: float | None, upper: float | None) -> float | None:
    if score is None or lower is None or upper is None or not upper > lower:
        return None
    return (score - lower) / (upper - lower)
