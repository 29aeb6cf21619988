"""The live summary: day-by-day aggregates give exactly the summary of all rows, and are written while a run goes."""

import json

import pyarrow.compute as pc
import pytest

from propersim.data import schema
from propersim.metrics.live import LiveSummary
from propersim.metrics.report import summarize
from tests.metrics.test_report import make_table


def test_days_added_one_by_one_give_the_summary_of_all_rows(tmp_path):
    table = make_table(failures=3)
    live = LiveSummary(tmp_path, tick_seconds=150, days_total=3)
    live.add(table.filter(pc.equal(table[schema.DAY], 2)))  # any order, and several days at once
    live.add(table.filter(pc.not_equal(table[schema.DAY], 2)))
    assert live.summary() == summarize(table, 150)
    with pytest.raises(ValueError, match=r"days \[2\] were already added"):
        live.add(table.filter(pc.equal(table[schema.DAY], 2)))


def test_a_running_summary_says_how_far_the_run_is(tmp_path):
    table = make_table()
    live = LiveSummary(tmp_path, tick_seconds=150, days_total=14)
    live.add(table.filter(pc.less_equal(table[schema.DAY], 2)))
    written = live.write(running=True)
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk == written and on_disk["progress"]["days_done"] == 2 and on_disk["progress"]["days_total"] == 14
    assert [d["day"] for d in on_disk["arms"]["propera"]["daily"]] == [1, 2]
    assert "Day 2 of 14, running; last updated" in (tmp_path / "report" / "index.html").read_text()
    live.add(table.filter(pc.equal(table[schema.DAY], 3)))
    final = live.write(running=False)
    assert "progress" not in json.loads((tmp_path / "summary.json").read_text()) and final["run"]["last_day"] == 3
    assert ", running; last updated" not in (tmp_path / "report" / "index.html").read_text()


def test_a_running_report_redraws_only_the_run_wide_figures_and_not_too_often(tmp_path):
    table = make_table()
    live = LiveSummary(tmp_path, tick_seconds=150, days_total=3)
    index, headline = tmp_path / "report" / "index.html", tmp_path / "report" / "daily_mean.png"
    live.add(table.filter(pc.equal(table[schema.DAY], 1)))
    live.write(running=True)
    drawn = headline.stat().st_mtime_ns
    assert "daily_mean.png" in index.read_text() and "personas_" not in index.read_text()
    live.add(table.filter(pc.equal(table[schema.DAY], 2)))
    live.write(running=True)  # within FIGURE_INTERVAL_S: the tables are new, the figure is the one drawn last
    assert headline.stat().st_mtime_ns == drawn and "Day 2 of 3, running" in index.read_text()
    assert "daily_mean.png" in index.read_text()
    live.add(table.filter(pc.equal(table[schema.DAY], 3)))
    live.write(running=False)
    assert headline.stat().st_mtime_ns != drawn and "personas_propera.png" in index.read_text()
