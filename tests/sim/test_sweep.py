import csv

import pytest

from propersim.config import ConfigError
from propersim.sim.sweep import grid_points, sweep

BASE = ["sim.personas.count=3", "sim.days=2", "sim.first_hour=8", "sim.last_hour=12"]


def test_grid_is_the_product_of_its_axes():
    assert grid_points(["a.b=1,2", "c=x"]) == [["a.b=1", "c=x"], ["a.b=2", "c=x"]]
    with pytest.raises(ConfigError, match="key=value1,value2"):
        grid_points(["novalue"])
    with pytest.raises(ConfigError, match="twice"):
        grid_points(["a=1", "a=2"])


def test_sweep_runs_each_point_and_compares(tmp_path):
    out = tmp_path / "sweep"
    summaries = sweep("jobs/baselines.yaml", BASE, ["user.noise=0,0.3"], out, progress=False)
    assert list(summaries) == ["user.noise=0", "user.noise=0.3"]
    assert all((out / name / "summary.json").is_file() for name in summaries)
    rows = list(csv.DictReader((out / "comparison.csv").open()))
    assert len(rows) == 2 * 5 * 2, "settings x arms x days"
    noisy = {r["arm"]: float(r["mean_score"]) for r in rows if r["setting"] == "user.noise=0.3" and r["day"] == "1"}
    clean = {r["arm"]: float(r["mean_score"]) for r in rows if r["setting"] == "user.noise=0" and r["day"] == "1"}
    assert noisy["never"] < clean["never"], "feedback noise lowers the abstaining arm's score"
    table = (out / "comparison.md").read_text()
    assert "| user.noise=0.3 | always |" in table and (out / "comparison.png").stat().st_size > 0
    mtime = (out / "user.noise=0" / "summary.json").stat().st_mtime
    sweep("jobs/baselines.yaml", BASE, ["user.noise=0,0.3"], out, progress=False)
    assert (out / "user.noise=0" / "summary.json").stat().st_mtime == mtime, "finished points are not re-run"


def test_a_bad_grid_value_fails_before_any_run(tmp_path):
    with pytest.raises(ConfigError, match="user.noise"):
        sweep("jobs/baselines.yaml", BASE, ["user.noise=0,7"], tmp_path / "s", progress=False)
    assert not (tmp_path / "s").exists()
