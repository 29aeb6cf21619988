"""`propersim status` and the live summary on a real run: what the run directory says during the run and after."""

import json
import shutil

from propersim.config import load_config
from propersim.data.rundir import RUNTIME
from propersim.data.storage import Storage
from propersim.sim.runner import run
from propersim.sim.status import format_status, run_status

BASE = ["sim.personas.count=4", "sim.days=3", "sim.first_hour=7", "sim.last_hour=12"]


def test_status_and_summary_during_and_after_a_run(tmp_path, monkeypatch):
    out, snapshots = tmp_path / "run", []
    write = Storage.write

    def snapshot_after_each_day(store, rel, data):  # runtime.json is the last file a finished day writes
        write(store, rel, data)
        if rel == RUNTIME:
            snapshots.append(shutil.copytree(out, tmp_path / f"after-day-{len(snapshots) + 1}"))

    monkeypatch.setattr(Storage, "write", snapshot_after_each_day)
    summary = run(load_config("jobs/baselines.yaml", BASE), out, "jobs/baselines.yaml", progress=False)
    assert len(snapshots) == 3
    first = snapshots[0]
    live = json.loads((first / "summary.json").read_text())
    assert live["progress"]["days_done"] == 1 and live["progress"]["days_total"] == 3
    for arm, data in summary["arms"].items():
        assert live["arms"][arm]["daily"] == data["daily"][:1], "after day 1 the summary holds day 1, as at the end"
    assert "Day 1 of 3, running" in (first / "report" / "index.html").read_text()

    updated = json.loads((first / RUNTIME).read_text())["updated"]
    mid = run_status(first, now=updated + 5)
    assert (mid["days_done"], mid["day_in_progress"], mid["days_total"]) == (1, 2, 3)
    assert mid["seconds_per_day"] > 0 and abs(mid["eta_s"] - 2 * mid["seconds_per_day"]) < 1e-6
    assert mid["alive"] == "running: last day finished 5 s ago"
    assert {a: v["mean_score"] for a, v in mid["arms"].items()} == \
        {a: d["daily"][0]["mean_score"] for a, d in summary["arms"].items()}
    stalled = run_status(first, now=updated + 3 * mid["seconds_per_day"] + 61)
    assert stalled["alive"].startswith("looks stopped") and "--resume" in stalled["alive"]

    done = run_status(out)
    assert (done["days_done"], done["day_in_progress"], done["eta_s"], done["alive"]) == (3, None, None, "finished")
    assert {a: v["day"] for a, v in done["arms"].items()} == dict.fromkeys(summary["arms"], 3)
    text = format_status(done)
    assert text.startswith("run baselines: backend local, 1 shard(s)\ndays done: 3 of 3\npace: ")
    assert "progress" not in json.loads((out / "summary.json").read_text())


def test_without_live_report_the_summary_is_written_once_at_the_end(tmp_path, monkeypatch):
    out, seen = tmp_path / "run", []
    write = Storage.write

    def note(store, rel, data):
        write(store, rel, data)
        if rel == RUNTIME:
            seen.append((out / "summary.json").exists())

    monkeypatch.setattr(Storage, "write", note)
    run(load_config("jobs/baselines.yaml", BASE + ["run.live_report=false"]), out, "jobs/baselines.yaml",
        progress=False)
    assert seen == [False, False, False] and (out / "summary.json").is_file()
    assert set(json.loads((out / RUNTIME).read_text())["live_summary_seconds"]) == {"1", "2", "3"}


def test_a_run_logged_to_tensorboard_reads_back_as_its_summary_also_after_a_resume(tmp_path):
    """The must-show of the trackers: daily means in the event files equal summary.json's, and a resumed run
    continues the same event log without duplicate days."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    cfg = load_config("jobs/baselines.yaml", BASE + ["run.trackers=[tensorboard]"])
    out = tmp_path / "run"
    summary = run(cfg, out, "jobs/baselines.yaml", progress=False)
    crashed = tmp_path / "crashed"
    shutil.copytree(out, crashed)
    shutil.rmtree(crashed / "checkpoints" / "day=3")  # the crash came after day 3's rows, before its checkpoint
    run(cfg, crashed, "jobs/baselines.yaml", resume=True, progress=False)
    for run_dir in (out, crashed):
        events = EventAccumulator(str(run_dir / "tensorboard"))
        events.Reload()
        for arm, data in summary["arms"].items():
            logged = [(e.step, e.value) for e in events.Scalars(f"{arm}/mean_score")]
            expected = [(d["day"], d["mean_score"]) for d in data["daily"]]
            assert [s for s, _ in logged] == [1, 2, 3], "one value per day, none twice"
            assert all(abs(v - want) < 1e-6 for (_, v), (_, want) in zip(logged, expected))
        assert "config" in "".join(events.Tags()["tensors"]), "the resolved config is logged once"
