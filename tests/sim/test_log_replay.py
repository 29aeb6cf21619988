"""Replaying a scored log through the oracle: requests as the user saw them, and the agreement report."""

import json
from pathlib import Path

import pytest

from propersim.data.import_log import import_propersim_log
from propersim.metrics.log_agreement import format_log_agreement, log_agreement, write_log_agreement
from propersim.sim.log_replay import decisions_by_day, replay
from propersim.user.judge import Judge, Verdict
from tests.data.test_import_log import step, write_log


class Recording(Judge):
    """Scores every request 2 (preference and communication pass) and keeps what it was shown."""

    def __init__(self):
        self.seen = []

    def judge_batch(self, requests):
        self.seen += [(r.day, r.tick, r.wake_tick, r.action.start, r.action.end, r.recommendation,
                       r.memory.n_recommendations, r.memory.last_recommendation_tick) for r in requests]
        return [Verdict((1, 0, 1, 0, 1), ("",) * 5) for _ in requests]


@pytest.fixture
def log(tmp_path) -> Path:
    return write_log(tmp_path / "persona_01_test.jsonl", [
        step("February 13, 2025, 07:00:00", action="sleeping", suggestion=None, score=None),
        step("February 13, 2025, 07:02:30", suggestion='"Read a poem."', score="3.0"),
        step("February 13, 2025, 07:05:00", suggestion="No Recommendation", score="2.0"),
        step("February 13, 2025, 07:07:30", action="cooking", suggestion='"Try a recipe."', score="1.0"),
        step("February 14, 2025, 09:00:00", suggestion='"Read a poem."', score="2.0"),
        step("February 14, 2025, 09:02:30", suggestion='"Read a poem."', score=None),
    ])


def test_requests_carry_the_days_delivered_decisions(log, persona):
    judge = Recording()
    out = replay(import_propersim_log(log), persona, judge, 150)
    assert len(out) == 5
    by_tick = {(s[0], s[1]): s for s in judge.seen}
    # day 1: woke at tick 169; the reading action spans ticks 169-170; memory grows decision by decision
    assert by_tick[1, 169] == (1, 169, 169, 169, 171, "Read a poem.", 0, None)
    assert by_tick[1, 170] == (1, 170, 169, 169, 171, None, 1, 169)
    assert by_tick[1, 171] == (1, 171, 169, 171, 172, "Try a recipe.", 1, 169)
    # day 2 starts with a fresh memory and its own wake tick
    assert by_tick[2, 216][2] == 216 and by_tick[2, 216][6] == 0 and by_tick[2, 217][6] == 1


def test_report_leaves_out_unscored_decisions_and_compares_totals(log, persona, tmp_path):
    report = log_agreement(replay(import_propersim_log(log), persona, Recording(), 150))
    assert report["n_decisions"] == 5 and report["n_reference_failed"] == 1
    t = report["totals"]
    assert t["n"] == 4 and t["exact"] == 0.5 and t["within_1"] == 1.0 and t["reference_mean"] == 2.0
    assert t["pearson"] is None  # the recording judge always says 2
    assert [(d["day"], d["n"], d["reference_mean"]) for d in report["daily"]] == [(1, 3, 2.0), (2, 1, 2.0)]
    assert report["criteria"]["judge"]["preference"] == 1.0 and report["criteria"]["judge"]["timing"] == 0.0
    text = format_log_agreement(report, "rec")
    assert "exact agreement 0.500" in text and "cannot be read" in text
    js, png = write_log_agreement(report, tmp_path / "out", "rec")
    assert json.loads(js.read_text())["totals"]["n"] == 4 and png.stat().st_size > 0


def test_several_personas_are_refused(log, persona):
    import pyarrow as pa

    table = import_propersim_log(log)
    two = pa.concat_tables([table, import_propersim_log(log, persona_id=2)])
    with pytest.raises(ValueError, match="replay one at a time"):
        decisions_by_day(two)


def test_oracle_agrees_with_the_papers_judge_on_the_reference_run(reference, tmp_path):
    """The calibration targets: persona 10's real No Memory run, replayed through the oracle."""
    from propersim.data.import_log import TICK_SECONDS
    from propersim.personas.importer import import_propersim
    from propersim.user.oracle import OracleJudge

    personas, _ = import_propersim(reference / "personas_32.jsonl")
    table = import_propersim_log(reference / "runs" / "persona_10_no_memory_14days.jsonl")
    report = log_agreement(replay(table, personas[9], OracleJudge(TICK_SECONDS), TICK_SECONDS))
    t = report["totals"]
    assert t["n"] == 5532 and t["reference_mean"] == pytest.approx(2.07, abs=0.005)
    assert abs(t["other_mean"] - t["reference_mean"]) <= 0.15
    assert t["exact"] >= 0.55 and t["pearson"] >= 0.3
    assert all(1.8 <= d["judge_mean"] <= 2.25 for d in report["daily"])
