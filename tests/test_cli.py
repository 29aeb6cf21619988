"""End-to-end: the propersim command on small configs, as a user runs it."""

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO


def propersim(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "propersim.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def test_only_user_errors_are_one_line_and_bugs_keep_their_traceback(monkeypatch, capsys):
    from propersim import cli
    from propersim.errors import MissingInputError

    def fail_with(error):
        def run(args):
            raise error
        monkeypatch.setattr(cli, "_cmd_verify", run)

    fail_with(MissingInputError("runs/x: no manifest"))
    assert cli.main(["verify", "runs/x"]) == 2
    assert capsys.readouterr().err == "propersim: error: runs/x: no manifest\n"
    fail_with(ValueError("a bug, not the user's input"))
    with pytest.raises(ValueError, match="a bug"):
        cli.main(["verify", "runs/x"])


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "quick"
    r = propersim("run", "jobs/baselines.yaml", "sim.days=2", "sim.personas.count=4", "--out", out)
    assert r.returncode == 0, r.stderr
    return out, r


@pytest.mark.e2e
def test_run_writes_config_shards_manifest_summary_report(quick_run):
    out, r = quick_run
    assert (out / "config.yaml").is_file() and "days: 2" in (out / "config.yaml").read_text()
    assert sorted(p.name for p in (out / "interactions").iterdir()) == ["day=1", "day=2"]
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["arms"]) == {"never", "always", "random", "scheduled", "oracle_best"}
    assert [d["day"] for d in summary["arms"]["never"]["daily"]] == [1, 2]
    assert (out / "report" / "index.html").is_file() and list((out / "report").glob("*.png"))
    assert "report:" in r.stdout
    lines = {line.split(":")[0].strip(): line for line in r.stdout.splitlines() if "mean score" in line}
    assert set(lines) == set(summary["arms"])
    always = summary["arms"]["always"]["daily"]
    assert f"success {always[0]['success_rate']:.2f} -> {always[-1]['success_rate']:.2f}" in lines["always"]
    assert "success - -> -" in lines["never"], "a day without recommendations has no success rate"
    wide = summary["references"]["spread"] >= 0.1
    assert ("normalised" in lines["oracle_best"]) == wide and ("normalised scores left out" in r.stdout) != wide


@pytest.mark.e2e
def test_verify_ok_then_catches_corruption(quick_run, tmp_path):
    import shutil

    out, _ = quick_run
    assert propersim("verify", out).returncode == 0
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    shard = next((copy / "interactions" / "day=2").glob("*.parquet"))
    shard.write_bytes(shard.read_bytes()[:-10] + b"0123456789")
    r = propersim("verify", copy)
    assert r.returncode == 1 and "day=2" in r.stderr and shard.name in r.stderr


@pytest.mark.e2e
def test_rerun_refuses_to_mix_runs_without_overwrite(quick_run):
    out, _ = quick_run
    r = propersim("run", "jobs/baselines.yaml", "sim.days=1", "--out", out)
    assert r.returncode == 2 and "--overwrite" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.e2e
def test_report_recomputes_summary(quick_run):
    out, _ = quick_run
    before = json.loads((out / "summary.json").read_text())
    (out / "summary.json").unlink()
    assert propersim("report", out).returncode == 0
    assert json.loads((out / "summary.json").read_text())["arms"] == before["arms"]


@pytest.mark.parametrize("args, needle", [
    (["sim.dayz=1"], "sim.dayz"),
    (["sim.days=zero"], "sim.days"),
    (["arms.random.p=2"], "arms.random.p"),
    (["sim.personas.file=/nonexistent/p.jsonl"], "/nonexistent/p.jsonl"),
    (["sim.personas.ids=[999]"], "999"),
])
def test_user_errors_exit_nonzero_without_traceback(args, needle, tmp_path):
    r = propersim("run", "jobs/baselines.yaml", *args, "--out", tmp_path / "x")
    assert r.returncode == 2
    assert needle in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x" / "manifest.json").exists(), "no work done"


def test_missing_config_file(tmp_path):
    r = propersim("run", tmp_path / "none.yaml")
    assert r.returncode == 2 and "none.yaml" in r.stderr and "Traceback" not in r.stderr


def test_bad_persona_file_names_line_and_field(tmp_path):
    bad = tmp_path / "bad.jsonl"
    lines = (REPO / "tests" / "personas" / "example_persona.json").read_text().strip()
    d = json.loads(lines)
    d["persona_id"] = 2
    del d["preferences"]["frequency"]
    bad.write_text(lines + "\n" + json.dumps(d) + "\n")
    r = propersim("run", "jobs/baselines.yaml", f"sim.personas.file={bad}", "--out", tmp_path / "x")
    assert r.returncode == 2 and "bad.jsonl:2" in r.stderr and "frequency" in r.stderr


@pytest.mark.e2e
def test_sigterm_stops_a_run_cleanly_at_a_checkpoint(tmp_path):
    import signal
    import time

    from propersim.data.checkpoint import latest_checkpoint

    out = tmp_path / "long"
    proc = subprocess.Popen([sys.executable, "-m", "propersim.cli", "run", "jobs/baselines.yaml", "sim.days=300",
                             "--out", str(out)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out / "checkpoints" / "day=1").is_dir() and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    day, state = latest_checkpoint(out)
    assert day >= 1 and state["shards"], "the last checkpoint is whole: --resume can continue"


@pytest.mark.e2e
def test_status_of_a_finished_run_and_of_no_run(quick_run, tmp_path):
    out, _ = quick_run
    r = propersim("status", out)
    assert r.returncode == 0, r.stderr
    assert "days done: 2 of 2" in r.stdout and r.stdout.rstrip().endswith("finished")
    assert json.loads(propersim("status", out, "--json").stdout)["days_done"] == 2
    missing = propersim("status", tmp_path / "nothing")
    assert missing.returncode == 2 and missing.stderr.strip().endswith("no run there (no config.yaml)")


@pytest.mark.parametrize("args, needle", [
    ([], "not neither"),
    (["jobs/baselines.yaml", "--log", "x.jsonl"], "not both"),
    (["jobs/baselines.yaml", "--judges", "joint", "joint"], "two different ones of oracle, separate, joint"),
    (["jobs/baselines.yaml", "--judges", "oracle", "gemini"], "not oracle and gemini"),
])
def test_judge_agreement_takes_a_config_or_a_log(capsys, args, needle):
    from propersim import cli

    assert cli.main(["judge-agreement", *args]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1


def test_judge_agreement_replays_the_reference_log(reference, tmp_path, capsys):
    from propersim import cli

    personas = tmp_path / "originals.jsonl"
    assert cli.main(["personas", "import-propersim", str(reference / "personas_32.jsonl"), "--out", str(personas)]) == 0
    log = reference / "runs" / "persona_10_no_memory_14days.jsonl"
    assert cli.main(["judge-agreement", "--log", str(log), "--personas", str(personas), "--out",
                     str(tmp_path / "agree")]) == 0
    out = capsys.readouterr().out
    assert "5532 decisions rated by both" in out and "mean total: log 2.07" in out
    report = json.loads((tmp_path / "agree" / "agreement.json").read_text())
    assert len(report["daily"]) == 15 and (tmp_path / "agree" / "daily_mean.png").is_file()


def test_a_full_disk_is_one_line_and_the_run_resumes_after_it(monkeypatch, capsys, tmp_path):
    import errno

    from propersim import cli
    from propersim.data import store
    from propersim.data.storage import Storage

    real_put = Storage._put

    def full_on_day_two(storage, rel, data):
        if "day=2" in rel:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_put(storage, rel, data)

    out = tmp_path / "run"
    args = ["run", "jobs/baselines.yaml", "sim.days=3", "sim.personas.count=2", "--out", str(out)]
    monkeypatch.setattr(Storage, "_put", full_on_day_two)
    assert cli.main(args) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    line = err.splitlines()[-1]
    assert line.startswith(f"propersim: error: day 2: writing {out}/interactions/day=2/"), err[-300:]
    assert "failed: no space left on the device; the days before day 2 are intact" in line
    assert "--resume" in err and store.verify(out) == []
    assert {rel.split("/")[1] for rel in store.load_manifest(out)["shards"]} == {"day=1"}, "day 1 was kept"
    monkeypatch.setattr(Storage, "_put", real_put)
    assert cli.main(["run", "jobs/baselines.yaml", "sim.days=3", "sim.personas.count=2", "--resume", str(out)]) == 0
    assert sorted(p.name for p in (out / "interactions").iterdir()) == ["day=1", "day=2", "day=3"]


def test_resume_or_start_starts_then_continues_the_same_run(capsys, tmp_path):
    import shutil

    from propersim import cli
    from propersim.data.store import load_manifest, verify

    out = tmp_path / "run"
    args = ["run", "jobs/baselines.yaml", "sim.days=2", "sim.personas.count=2", "--out", str(out), "--resume-or-start"]
    assert cli.main(args) == 0, "nothing there yet: a new run"
    day_one = {k: v for k, v in load_manifest(out)["shards"].items() if "day=1" in k}
    shutil.rmtree(out / "checkpoints" / "day=2")  # the job died before day 2's checkpoint
    assert cli.main(args) == 0, "the restarted entrypoint continues the run"
    assert "resumed_at_day\": 2" in (out / "runtime.json").read_text() and verify(out) == []
    assert {k: v for k, v in load_manifest(out)["shards"].items() if "day=1" in k} == day_one
    assert cli.main([*args, "--overwrite"]) == 2
    assert "--resume-or-start decides by itself" in capsys.readouterr().err


def test_a_second_process_on_the_same_run_directory_stops_at_once(tmp_path):
    from propersim.data.rundir import run_lock
    from propersim.errors import RunInUseError

    out = tmp_path / "run"
    with run_lock(out):  # this process runs there
        r = propersim("run", "jobs/baselines.yaml", "sim.days=1", "sim.personas.count=2", "--out", out)
        assert r.returncode == 2 and r.stderr.startswith(f"propersim: error: {out} is in use by pid "), r.stderr
        assert not (out / "config.yaml").exists(), "the second copy wrote nothing"
        with pytest.raises(RunInUseError):
            with run_lock(out):
                pass
    r = propersim("run", "jobs/baselines.yaml", "sim.days=1", "sim.personas.count=2", "--out", out)
    assert r.returncode == 0, "the lock goes with its holder"
