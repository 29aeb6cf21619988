"""Experiment trackers: what each backend writes is read back with the backend's own reader, and a resumed run
continues the same tracked run."""

import sys

import pytest

from propersim.config import ConfigError
from propersim.metrics import trackers as tr
from propersim.metrics.trackers import TrackerUnavailableError, make_trackers

CONFIG = {"run": {"name": "t", "seed": 0, "trackers": ["tensorboard"]}, "sim": {"days": 3, "note": "x" * 9000}}


def day_arms(day: int, shift: float = 0.0) -> dict[str, dict]:
    """Two arms' daily entries with values distinct per arm and day; ``pp`` has no success rate."""
    def entry(base, success):
        return {"day": day, "n_decisions": 10, "n_judge_failures": 0, "mean_score": base + day + shift,
                "sem": 0.1 * day, "recs_per_hour": 2.0 + day, "success_rate": success,
                "criteria": {"preference": base, "frequency": None, "timing": base + 0.5, "communication_safety": 1.0},
                "criteria_split": {"ignored": 1}, "tokens_per_persona_day": 100.0 * day}
    return {"pp": entry(1.0, None), "base": entry(2.0, 0.25 * day)}


TRAINING = [{"day": 1, "after_tick": 300, "arm": "pp", "adapter": "shared", "pairs": 12, "version": 1, "steps": 3,
             "loss": 0.5, "train_s": 1.5, "push_s": 0.25, "push_bytes": 2048},
            {"day": 1, "after_tick": 300, "arm": "pp", "adapter": "7", "pairs": 1, "skipped": "too few pairs"}]


def test_day_and_training_scalars_name_every_logged_figure():
    scalars = dict(tr.day_scalars(day_arms(2)))
    assert scalars["pp/mean_score"] == 3.0 and scalars["pp/criteria/timing"] == 1.5
    assert scalars["base/success_rate"] == 0.5 and scalars["base/tokens_per_persona_day"] == 200.0
    assert "pp/success_rate" not in scalars and "pp/criteria/frequency" not in scalars  # nulls are skipped
    assert not any("criteria_split" in name or "n_decisions" in name for name in scalars)
    assert dict(tr.training_scalars(TRAINING)) == {
        "train/pp/shared/pairs": 12.0, "train/pp/shared/loss": 0.5, "train/pp/shared/train_s": 1.5,
        "train/pp/shared/push_s": 0.25, "train/pp/shared/push_bytes": 2048.0, "train/pp/7/pairs": 1.0}


def test_wandb_ids_are_stable_short_and_distinct():
    a = tr.wandb_run_id("My_Run-ab12cd34" * 8)
    assert a == tr.wandb_run_id("My_Run-ab12cd34" * 8) and len(a) <= 64 and a.isalnum() and a == a.lower()
    assert tr.wandb_run_id("run-1") != tr.wandb_run_id("run_1")


def test_unknown_tracker_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="run.trackers: unknown tracker.*'neptune'.*tensorboard, wandb, mlflow"):
        make_trackers(["neptune"], tmp_path, "r", resume=False)


@pytest.mark.parametrize("tracker, module, package", [("mlflow", "mlflow", "mlflow-skinny"),
                                                      ("tensorboard", "tensorboard", "tensorboard"),
                                                      ("wandb", "wandb", "wandb")])
def test_a_missing_package_is_one_line_naming_it(tmp_path, monkeypatch, tracker, module, package):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    with pytest.raises(TrackerUnavailableError) as info:
        make_trackers([tracker], tmp_path, "r", resume=False)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"run.trackers: {tracker} needs the `{package}` package: pip")
    assert isinstance(info.value, ImportError) and not list(tmp_path.iterdir())  # failed before writing anything


def test_tensorboard_events_read_back_and_resume_purges_the_rerun_day(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    (tracker,) = make_trackers(["tensorboard"], tmp_path, "r", resume=False)
    tracker.log_config(CONFIG)
    for day in (1, 2):
        tracker.log_day(day, day_arms(day))
    tracker.log_training(1, TRAINING)
    tracker.close()
    (resumed,) = make_trackers(["tensorboard"], tmp_path, "r", resume=True)
    resumed.log_config(CONFIG)  # not logged twice
    resumed.log_day(2, day_arms(2, shift=10.0))  # day 2 re-run after a crash
    resumed.close()

    events = EventAccumulator(str(tmp_path / "tensorboard"))
    events.Reload()
    def points(tag):
        return [(e.step, e.value) for e in events.Scalars(tag)]
    assert points("pp/mean_score") == [(1, 2.0), (2, 13.0)]
    assert points("base/success_rate") == [(1, 0.25), (2, 0.5)]
    assert points("pp/criteria/timing") == [(1, 1.5), (2, 1.5)]
    assert points("train/pp/shared/loss") == [(1, 0.5)] and points("train/pp/7/pairs") == [(1, 1.0)]
    assert "pp/success_rate" not in events.Tags()["scalars"]
    assert len(events.Tensors("config/text_summary")) == 1


def test_mlflow_local_store_reads_back_and_resume_finds_the_same_run(tmp_path, monkeypatch):
    import mlflow  # installed by `make install` (see the Makefile)

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    (tracker,) = make_trackers(["mlflow"], tmp_path, "run-ab12", resume=False)
    tracker.log_config(CONFIG)
    tracker.log_day(1, day_arms(1))
    tracker.log_training(1, TRAINING)
    tracker.close()
    (resumed,) = make_trackers(["mlflow"], tmp_path, "run-ab12", resume=True)
    resumed.log_day(2, day_arms(2))
    resumed.close()

    assert resumed.mlflow_run_id == tracker.mlflow_run_id and tracker.tracking_uri.startswith("file:")
    client = mlflow.tracking.MlflowClient(tracker.tracking_uri)
    history = client.get_metric_history(tracker.mlflow_run_id, "pp/mean_score")
    assert sorted((m.step, m.value) for m in history) == [(1, 2.0), (2, 3.0)]
    assert [m.value for m in client.get_metric_history(tracker.mlflow_run_id, "train/pp/shared/push_bytes")] == [2048]
    experiment = client.get_experiment_by_name("propersim")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1 and runs[0].data.tags[tr.MLFLOW_RUN_TAG] == "run-ab12"
    params = runs[0].data.params
    assert params["run.trackers"] == '["tensorboard"]' and params["sim.days"] == "3"
    assert 0 < len(params["sim.note"]) < 9000  # truncated to mlflow's limit
    assert runs[0].info.status == "FINISHED"


def test_wandb_offline_run_is_under_the_run_dir_and_resume_keeps_its_id(tmp_path, monkeypatch):
    monkeypatch.delenv("WANDB_MODE", raising=False)  # the default must be offline
    for var in ("WANDB_CONFIG_DIR", "WANDB_CACHE_DIR", "WANDB_DATA_DIR"):
        monkeypatch.setenv(var, str(tmp_path / "home"))
    (tracker,) = make_trackers(["wandb"], tmp_path, "run-ab12", resume=False)
    tracker.log_config(CONFIG)
    tracker.log_day(1, day_arms(1))
    tracker.log_samples(1, [{"arm": "pp", "persona_id": i, "day": 1, "tick": i, "action": "recommend",
                             "recommendation": "a walk", "score_total": 4.0, "reasons": "{}"} for i in range(30)])
    tracker.close()
    (resumed,) = make_trackers(["wandb"], tmp_path, "run-ab12", resume=True)
    resumed.log_day(2, day_arms(2))
    resumed.close()

    expected = tr.wandb_run_id("run-ab12")
    assert tracker.run.id == resumed.run.id == expected and tracker.run.offline
    run_dirs = sorted((tmp_path / "wandb").glob(f"offline-run-*-{expected}"))
    assert run_dirs and all((d / f"run-{expected}.wandb").stat().st_size > 0 for d in run_dirs)
    assert b"pp/mean_score" in b"".join((d / f"run-{expected}.wandb").read_bytes() for d in run_dirs)
