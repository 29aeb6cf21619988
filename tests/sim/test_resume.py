"""Checkpoints and resume of the single-process runner (the same day loop drives Ray runs)."""

import shutil

import pytest

from propersim.config import load_config
from propersim.data.store import read_interactions, verify
from propersim.sim.checkpoint import latest_checkpoint
from propersim.sim.runner import run
from tests.conftest import assert_same_metrics

BASE = ["sim.personas.count=6", "sim.days=3", "sim.first_hour=6", "sim.last_hour=14", "assistant.n_candidates=2",
        "user.noise=0.05"]
KEYS = ["arm", "persona_id", "day", "tick", "candidate"]


def sorted_rows(run_dir):
    return read_interactions(run_dir).sort_by([(k, "ascending") for k in KEYS])


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    cfg = load_config("jobs/baselines.yaml", BASE)
    out = tmp_path_factory.mktemp("runs") / "full"
    summary = run(cfg, out, "jobs/baselines.yaml", progress=False)
    return cfg, out, summary


def test_every_day_leaves_a_checkpoint(full_run):
    cfg, out, _ = full_run
    day, state = latest_checkpoint(out)
    assert day == 3 and len(state["shards"]) == 1
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["day=1", "day=2", "day=3"]


def test_resume_after_a_crash_ends_with_the_same_rows_once(full_run, tmp_path):
    cfg, out, summary = full_run
    crashed = tmp_path / "crashed"
    shutil.copytree(out, crashed)
    # the crash came after day 3's shard was written but before its checkpoint, and day 2's checkpoint is lost
    for day in (2, 3):
        shutil.rmtree(crashed / "checkpoints" / f"day={day}")
    (crashed / "summary.json").unlink()
    resumed = run(cfg, crashed, "jobs/baselines.yaml", resume=True, progress=False)
    assert verify(crashed) == []
    assert sorted_rows(crashed).equals(sorted_rows(out))
    assert_same_metrics(resumed["arms"], summary["arms"])


def test_resume_refuses_a_different_config(full_run, tmp_path):
    cfg, out, _ = full_run
    other = load_config("jobs/baselines.yaml", BASE + ["sim.tick_seconds=300"])
    with pytest.raises(ValueError, match=r"different config; differs at sim.tick_seconds \(150 there, 300 now\)"):
        run(other, out, "jobs/baselines.yaml", resume=True, progress=False)
    with pytest.raises(FileNotFoundError, match="no run there"):
        run(cfg, tmp_path / "nothing", resume=True, progress=False)


def test_a_new_run_refuses_an_existing_run_dir(full_run):
    cfg, out, _ = full_run
    with pytest.raises(FileExistsError, match="--resume"):
        run(cfg, out, "jobs/baselines.yaml", progress=False)
