"""Tests of the daily summary on hand-built tables with known values."""

from datetime import datetime

import pyarrow as pa
import pytest

from propersim.data import schema
from propersim.metrics.daily import daily_summary, normalised_scores

_DEFAULTS = {
    schema.RUN_ID: "r", schema.ARM: "a", schema.PERSONA_ID: 1, schema.DAY: 1, schema.TICK: 0,
    schema.SIM_TIME: datetime(2025, 2, 13), schema.ACTION: "reading", schema.LOCATION: "kitchen",
    schema.CANDIDATE: 0, schema.DELIVERED: True, schema.RECOMMENDATION: "Try a podcast.",
    schema.IS_RECOMMENDATION: True, **dict.fromkeys(schema.SCORE_COLUMNS), schema.SCORE_TOTAL: None,
    schema.REASONS: None, schema.JUDGE: "oracle", schema.JUDGE_ERROR: None, schema.ASSISTANT_ERROR: None,
    schema.POLICY_VERSION: 0,
    schema.ASSISTANT_MODEL: "m", schema.PROMPT_TOKENS: 0, schema.CACHED_PROMPT_TOKENS: 0, schema.COMPLETION_TOKENS: 0,
}


def row(persona=1, day=1, score=None, *, arm="a", delivered=True, rec=True, criteria=None):
    r = {schema.PERSONA_ID: persona, schema.DAY: day, schema.SCORE_TOTAL: score, schema.ARM: arm,
         schema.DELIVERED: delivered, schema.IS_RECOMMENDATION: rec}
    if not rec:
        r[schema.RECOMMENDATION] = "No Recommendation"
    for name, value in (criteria or {}).items():
        r[schema.CRITERIA[name]] = value
    return r


def table(rows):
    cols = schema.empty_columns()
    for r in rows:
        full = {**_DEFAULTS, **r}
        for name, values in cols.items():
            values.append(full[name])
    return schema.to_table(cols)


def day_of(summary, arm="a", day=1):
    return next(d for d in summary["arms"][arm]["daily"] if d["day"] == day)


def test_mean_is_over_personas_not_pooled():
    # Persona 1: three 4s (mean 4); persona 2: one 0. Pooled mean would be 3.0.
    t = table([row(1, score=4), row(1, score=4), row(1, score=4), row(2, score=0)])
    d = day_of(daily_summary(t))
    assert d["mean_score"] == pytest.approx(2.0)
    assert d["sem"] == pytest.approx(2.0)  # std([4, 0], ddof=1) / sqrt(2)
    assert d["n_decisions"] == 4


def test_sem_is_null_for_one_persona():
    d = day_of(daily_summary(table([row(1, score=2), row(1, score=3)])))
    assert d["mean_score"] == pytest.approx(2.5)
    assert d["sem"] is None


def test_judge_failures_are_counted_and_excluded_from_means():
    t = table([row(1, score=3, criteria={"timing": 1}), row(1, score=None, criteria={"timing": 0}),
               row(1, score=1, criteria={"timing": 0})])
    d = day_of(daily_summary(t))
    assert d["n_judge_failures"] == 1
    assert d["n_decisions"] == 3
    assert d["mean_score"] == pytest.approx(2.0)
    assert d["criteria"]["timing"] == pytest.approx(0.5)


def test_undelivered_rows_are_ignored():
    t = table([row(1, score=2), row(1, score=0, delivered=False), row(2, score=4, delivered=False)])
    s = daily_summary(t)
    d = day_of(s)
    assert d["mean_score"] == pytest.approx(2.0)
    assert d["n_decisions"] == 1
    assert list(s["arms"]["a"]["per_persona"]) == ["1"]


def test_success_rate_counts_scored_recommendations_only():
    t = table([row(1, score=3), row(1, score=4), row(2, score=2), row(2, score=4, rec=False),
               row(2, score=None)])
    assert day_of(daily_summary(t))["success_rate"] == pytest.approx(2 / 3)


def test_success_rate_is_null_without_recommendations():
    assert day_of(daily_summary(table([row(1, score=4, rec=False)])))["success_rate"] is None


def test_recs_per_hour_is_per_persona_then_averaged():
    # 24 decisions of 150 s = 1 awake hour with 12 recommendations; 48 decisions = 2 hours with 48.
    rows = [row(1, score=2, rec=k % 2 == 0) for k in range(24)] + [row(2, score=2) for _ in range(48)]
    s = daily_summary(table(rows))
    assert day_of(s)["recs_per_hour"] == pytest.approx((12 + 24) / 2)
    per_persona = s["arms"]["a"]["per_persona"]
    assert per_persona["1"][0]["recs_per_hour"] == pytest.approx(12)
    assert per_persona["2"][0]["recs_per_hour"] == pytest.approx(24)
    assert day_of(daily_summary(table(rows), tick_seconds=300))["recs_per_hour"] == pytest.approx(9)


def test_judge_failures_count_as_awake_decisions_for_recs_per_hour():
    rows = [row(1, score=None) for _ in range(12)] + [row(1, score=2, rec=False) for _ in range(12)]
    assert day_of(daily_summary(table(rows)))["recs_per_hour"] == pytest.approx(12)


def test_criteria_and_split_are_means_over_personas():
    rec_ok = {"preference": 1, "frequency": 1, "timing": 1, "communication_safety": 1}
    zero = dict.fromkeys(rec_ok, 0)
    t = table([row(1, score=4, criteria=rec_ok), row(1, score=4, criteria=rec_ok),
               row(1, score=0, rec=False, criteria=zero), row(2, score=0, criteria=zero)])
    d = day_of(daily_summary(t))
    # Persona 1 preference mean 2/3, persona 2 mean 0.
    assert d["criteria"]["preference"] == pytest.approx(1 / 3)
    assert d["criteria_split"]["recommendation"]["preference"] == pytest.approx(0.5)
    assert d["criteria_split"]["abstention"]["preference"] == pytest.approx(0.0)


def test_split_is_null_when_a_kind_is_missing():
    d = day_of(daily_summary(table([row(1, score=2, criteria={"timing": 1})])))
    assert d["criteria_split"]["abstention"] == dict.fromkeys(schema.CRITERIA)
    assert d["criteria"]["preference"] is None


def test_arms_days_and_per_persona_layout():
    t = table([row(3, day=2, score=1, arm="b"), row(3, day=1, score=3, arm="b"), row(1, day=1, score=2, arm="a")])
    s = daily_summary(t)
    assert list(s["arms"]) == ["a", "b"]
    assert [d["day"] for d in s["arms"]["b"]["daily"]] == [1, 2]
    assert s["arms"]["b"]["per_persona"]["3"] == [
        {"day": 1, "mean_score": 3.0, "n_decisions": 1, "recs_per_hour": 24.0},
        {"day": 2, "mean_score": 1.0, "n_decisions": 1, "recs_per_hour": 24.0}]


def test_all_failed_persona_is_left_out_of_the_mean():
    d = day_of(daily_summary(table([row(1, score=None), row(2, score=3)])))
    assert d["mean_score"] == pytest.approx(3.0)
    assert d["sem"] is None
    assert d["n_judge_failures"] == 1


def test_bad_input_raises():
    t = table([row(1, score=2)])
    with pytest.raises(ValueError, match="lacks columns"):
        daily_summary(t.drop_columns([schema.SCORE_TOTAL]))
    with pytest.raises(ValueError, match="tick_seconds"):
        daily_summary(t, tick_seconds=0)


def test_empty_table_gives_no_arms():
    assert daily_summary(table([])) == {"arms": {}}


def test_tokens_per_arm_and_persona_day():
    cols = schema.empty_columns()
    for pid, day, tok, cached in [(1, 1, 10, 6), (1, 1, 20, None), (1, 2, 30, 9), (2, 1, 40, 0)]:
        r = {**_DEFAULTS, schema.SCORE_TOTAL: 2, schema.PERSONA_ID: pid, schema.DAY: day,
             schema.PROMPT_TOKENS: tok, schema.CACHED_PROMPT_TOKENS: cached, schema.COMPLETION_TOKENS: 1}
        for c in schema.COLUMNS:
            cols[c].append(r[c])
    table = schema.to_table(cols)
    tokens = daily_summary(table)["arms"]["a"]["tokens"]
    assert tokens == {"prompt": 100, "cached": 15, "completion": 4, "per_persona_day": 104 / 3,
                      "prompt_per_persona_day": 100 / 3, "cached_per_persona_day": 5.0,
                      "completion_per_persona_day": 4 / 3}
    # a run from before the cached column: its rows read it as null, and so do its figures
    old = daily_summary(table.set_column(table.schema.get_field_index(schema.CACHED_PROMPT_TOKENS),
                                         schema.CACHED_PROMPT_TOKENS, pa.nulls(4, pa.int32())))
    assert old["arms"]["a"]["tokens"]["cached"] is None and old["arms"]["a"]["tokens"]["cached_per_persona_day"] is None
    assert old["arms"]["a"]["tokens"]["prompt_per_persona_day"] == 100 / 3


def _means(**arms):
    """A summary whose arm ``name`` has the given daily means (day 1, 2, ...); None is a day without a score."""
    return {"arms": {name: {"daily": [{"day": d, "mean_score": m} for d, m in enumerate(means, 1)]}
                     for name, means in arms.items()}}


def test_normalised_scores_place_arms_between_the_references():
    summary = _means(never=[3.0, 3.0], scheduled=[3.2, 3.4], oracle_best=[3.8, 3.9], llm=[3.5, 3.65])
    norm = normalised_scores(summary, ["never", "scheduled", "always"], ["oracle_best"])
    assert (norm["lower"], norm["upper"]) == ("scheduled", "oracle_best")
    assert norm["content_blind"] == {"never": pytest.approx(3.0), "scheduled": pytest.approx(3.3)}
    assert norm["spread"] == pytest.approx(3.85 - 3.3)
    # day by day against the references' means of the same day
    assert norm["arms"]["llm"]["daily"] == {1: pytest.approx(0.5), 2: pytest.approx(0.5)}
    assert norm["arms"]["scheduled"]["daily"] == {1: 0.0, 2: 0.0}
    assert norm["arms"]["oracle_best"]["daily"] == {1: 1.0, 2: 1.0}
    assert norm["arms"]["never"]["daily"][1] == pytest.approx(-0.2 / 0.6)
    assert norm["arms"]["llm"]["mean"] == pytest.approx((3.575 - 3.3) / (3.85 - 3.3))


def test_lower_reference_is_one_arm_chosen_by_its_run_mean():
    # random wins day 2 but scheduled has the better mean: scheduled is the reference on both days
    summary = _means(random=[3.0, 3.5], scheduled=[3.4, 3.3], oracle_best=[3.9, 3.9])
    norm = normalised_scores(summary, ["random", "scheduled"], ["oracle_best"])
    assert norm["lower"] == "scheduled"
    assert norm["arms"]["random"]["daily"][2] == pytest.approx((3.5 - 3.3) / (3.9 - 3.3))


def test_normalised_scores_need_both_references_and_a_positive_spread():
    assert normalised_scores(_means(never=[3.0], llm=[3.5]), ["never"], ["oracle_best"]) is None
    assert normalised_scores(_means(oracle_best=[3.9], llm=[3.5]), ["never"], ["oracle_best"]) is None
    # a day where the upper reference is not above the lower one, or a mean is missing, is null
    summary = _means(never=[3.0, 3.5, 3.0], oracle_best=[3.8, 3.5, None], llm=[3.4, 3.5, 3.1])
    norm = normalised_scores(summary, ["never"], ["oracle_best"])
    assert norm["arms"]["llm"]["daily"] == {1: pytest.approx(0.5), 2: None, 3: None}
    assert normalised_scores(_means(never=[3.9], oracle_best=[3.5]), ["never"], ["oracle_best"])["arms"][
        "never"]["mean"] is None
