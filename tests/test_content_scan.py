"""scripts/content_scan.py: the chance that two of the model's suggestions get different oracle totals, per persona
and window (plain Python, the real oracle and planner)."""

import json

from scripts.content_scan import scan
from tests.conftest import example_dict

JAZZ = "How about a mellow jazz playlist in the background?"  # Maya likes music while creative or relaxing
BUDGET = "How about a quick look at this month's budget?"  # finance: disliked and sensitive


def maya_file(tmp_path):
    path = tmp_path / "maya.jsonl"
    path.write_text(json.dumps(example_dict()) + "\n")
    return path


def by_window(rows):
    return {r["window"]: r for r in rows}


def test_one_habitual_suggestion_never_contrasts_and_a_liked_one_beside_a_disliked_one_does(tmp_path):
    path = maya_file(tmp_path)
    alone = scan(path, {JAZZ: 1.0}, window_hours=2, days=2, tick_seconds=900, seed=0)
    assert alone and all(r["contrast"] == 0 for r in alone)
    both = by_window(scan(path, {JAZZ: 0.5, BUDGET: 0.5}, window_hours=2, days=2, tick_seconds=900, seed=0))
    receptive, closed = both["16-18"], both["20-22"]  # her hours are 11-13 and 15-19
    assert 0 < receptive["contrast"] <= 0.5, "two equally likely suggestions differ at most half the time"
    assert receptive["contrast"] > closed["contrast"], "outside her hours neither reaches 3 as often"
    assert receptive["habit"] > closed["habit"]
