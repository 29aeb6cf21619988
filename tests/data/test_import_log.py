"""Tests of the original-log importer, on the real persona-10 run and on small hand-written logs."""

import json
import statistics
from datetime import datetime
from pathlib import Path

import pytest

from propersim.data import schema
from propersim.data.import_log import JUDGE_ERROR_MISSING, import_propersim_log, persona_id_from_name
from propersim.metrics.daily import daily_summary

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "propersim"
RUN_LOG = REFERENCE / "runs" / "persona_10_no_memory_14days.jsonl"


@pytest.fixture(scope="module")
def persona10():
    if not RUN_LOG.is_file():
        pytest.skip(f"reference run log not found at {RUN_LOG} (shared reference data not mounted)")
    return import_propersim_log(RUN_LOG)


def notebook_daily_means(path: Path) -> list[float]:
    """The original notebook's daily metric, computed independently: mean of each date's scored steps."""
    by_date: dict[str, list[float]] = {}
    with path.open() as fh:
        for line in fh:
            record = json.loads(line)
            if record["score"] is not None:
                by_date.setdefault(record["time"].rsplit(",", 1)[0], []).append(float(record["score"]))
    order = sorted(by_date, key=lambda d: datetime.strptime(d, "%B %d, %Y"))
    return [statistics.mean(by_date[d]) for d in order]


def test_persona10_schema_and_rows(persona10):
    assert persona10.schema.equals(schema.INTERACTIONS)
    assert persona10.num_rows == 5532  # every scored step; the 14 midnight steps of a sleeping user are dropped
    assert set(persona10[schema.PERSONA_ID].to_pylist()) == {10}
    assert persona10[schema.SCORE_TOTAL].null_count == 0
    assert sorted(set(persona10[schema.DAY].to_pylist())) == list(range(1, 16))


def test_persona10_daily_means_match_the_notebook(persona10):
    daily = daily_summary(persona10)["arms"]["imported"]["daily"]
    assert [d["day"] for d in daily] == list(range(1, 16))
    means = [d["mean_score"] for d in daily]
    assert means == pytest.approx(notebook_daily_means(RUN_LOG), abs=1e-12)
    assert all(1.95 <= m <= 2.19 for m in means)
    assert all(d["sem"] is None and d["n_judge_failures"] == 0 for d in daily)


def test_persona10_recommends_about_24_per_hour(persona10):
    daily = daily_summary(persona10)["arms"]["imported"]["daily"]
    assert all(23.0 <= d["recs_per_hour"] <= 24.0 + 1e-9 for d in daily)  # at most one per 2.5-min tick
    assert sum(not r for r in persona10[schema.IS_RECOMMENDATION].to_pylist()) == 19


def write_log(path: Path, records: list[dict]) -> Path:
    base = {"walking": "no", "action_for_suggestion": "x", "reason": None}
    path.write_text("".join(json.dumps({**base, "step": k, **r}) + "\n" for k, r in enumerate(records)))
    return path


def step(time, action="reading a book", suggestion='"Read a poem."', score="3.0", room="common room"):
    return {"time": time, "john_description": f"{action} @ the Ville:Lin family's house:{room}:shelf",
            "suggestion": suggestion, "score": score}


def test_small_log_conversion(tmp_path):
    log = write_log(tmp_path / "persona_07_test.jsonl", [
        step("February 13, 2025, 00:00:00", action="sleeping", suggestion=None, score=None),
        step("February 13, 2025, 07:02:30", suggestion="No Recommendation", score="2.0", room="kitchen"),
        step("February 13, 2025, 07:05:00", score=None),
        step("February 14, 2025, 00:00:00", action="sleeping", suggestion='"Sleep well."', score=None),
        {**step("February 14, 2025, 09:00:00"), "reason": " Fine. "},
    ])
    rows = import_propersim_log(log, run_id="r9").to_pylist()
    assert [(r[schema.DAY], r[schema.TICK]) for r in rows] == [(1, 169), (1, 170), (2, 216)]
    first, failed, last = rows
    assert first[schema.PERSONA_ID] == 7 and first[schema.RUN_ID] == "r9"
    assert first[schema.RECOMMENDATION] == "No Recommendation" and not first[schema.IS_RECOMMENDATION]
    assert first[schema.LOCATION] == "kitchen" and first[schema.ACTION] == "reading a book"
    assert first[schema.SIM_TIME] == datetime(2025, 2, 13, 7, 2, 30)
    assert first[schema.SCORE_TOTAL] == 2 and first[schema.SCORE_TIMING] is None
    assert failed[schema.SCORE_TOTAL] is None and failed[schema.JUDGE_ERROR] == JUDGE_ERROR_MISSING
    assert failed[schema.RECOMMENDATION] == "Read a poem." and failed[schema.IS_RECOMMENDATION]
    assert json.loads(last[schema.REASONS]) == {"joined": "Fine."}
    assert all(r[schema.DELIVERED] and r[schema.CANDIDATE] == 0 for r in rows)


def test_persona_id_from_name_or_parameter(tmp_path):
    assert persona_id_from_name("runs/persona_10_no_memory_14days.jsonl") == 10
    log = write_log(tmp_path / "baseline.jsonl", [step("February 13, 2025, 08:00:00")])
    with pytest.raises(ValueError, match="persona_id"):
        import_propersim_log(log)
    assert import_propersim_log(log, persona_id=3)[schema.PERSONA_ID].to_pylist() == [3]


def test_malformed_logs_raise(tmp_path):
    with pytest.raises(FileNotFoundError):
        import_propersim_log(tmp_path / "persona_1.jsonl")
    bad_score = write_log(tmp_path / "persona_1.jsonl", [step("February 13, 2025, 08:00:00", score="2.5")])
    with pytest.raises(ValueError, match=r"persona_1.jsonl:1: score"):
        import_propersim_log(bad_score)
    bad_time = write_log(tmp_path / "persona_2.jsonl", [step("2025-02-13 08:00")])
    with pytest.raises(ValueError, match="does not match"):
        import_propersim_log(bad_time)


@pytest.mark.parametrize("joined, known, unplaced", [
    (" The idea fits. The timing is good.", (), 0),
    (" Evaluation Failed The timing is good. Fine tone. Too often.", ("preference",), 0),
    (" Evaluation Failed Evaluation Failed Fine tone. Too often.", ("preference", "timing"), 0),
    (" Fits. Good time. Fine tone. Evaluation Failed", ("frequency",), 0),
    (" Fits. Evaluation Failed Fine tone. Too often.", (), 1),
    (" " + " ".join(["Evaluation Failed"] * 4), ("preference", "timing", "communication_safety", "frequency"), 0),
])
def test_read_joined_reason_places_only_what_the_order_shows(joined, known, unplaced):
    from propersim.data.import_log import read_joined_reason

    assert read_joined_reason(joined) == (known, unplaced)
