"""Runs on a real local Ray: sharded runs equal single-process runs, shard crashes, driver crash and resume."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from propersim.config import load_config
from propersim.data.store import read_interactions, verify
from propersim.runtime.driver import RaySimulator
from propersim.sim.runner import run
from propersim.sim.wiring import run_id_of
from tests.conftest import REPO, assert_same_metrics

pytestmark = pytest.mark.integration

CONFIG = "jobs/baselines.yaml"
BASE = ["sim.personas.count=12", "sim.days=2", "assistant.n_candidates=2", "user.noise=0.05"]
KEYS = ["arm", "persona_id", "day", "tick", "candidate"]


def sorted_rows(run_dir):
    return read_interactions(run_dir).sort_by([(k, "ascending") for k in KEYS])


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "local"
    return out, run(load_config(CONFIG, BASE), out, CONFIG, progress=False)


def test_two_shards_on_ray_equal_one_process(ray_local, local_run, tmp_path):
    local_dir, local_summary = local_run
    summary = run(load_config(CONFIG, BASE + ["runtime.address=local", "runtime.shards=2"]), tmp_path, CONFIG,
                  progress=False, simulator=RaySimulator)
    assert verify(tmp_path) == []
    assert sorted_rows(tmp_path).equals(sorted_rows(local_dir))
    assert_same_metrics(summary["arms"], local_summary["arms"])
    info = json.loads((tmp_path / "runtime.json").read_text())
    assert info["backend"] == "ray" and info["shards"] == 2 and info["shard_restarts"] == 0
    assert not list((tmp_path / "interactions").glob(".tmp-*")), "Ray Data's temporary files are gone"


def test_a_shard_killed_mid_day_is_rerun_and_rows_appear_once(ray_local, local_run, tmp_path):
    local_dir, local_summary = local_run
    cfg = load_config(CONFIG, BASE + ["runtime.address=local", "runtime.shards=2"])
    result = {}
    worker = threading.Thread(target=lambda: result.update(run(cfg, tmp_path, CONFIG, progress=False,
                                                               simulator=RaySimulator)))
    worker.start()
    shard = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            shard = shard or ray_local.get_actor(f"{run_id_of(cfg)}/shard-1")
            day, tick = ray_local.get(shard.progress.remote(), timeout=5)
        except ValueError:  # not created yet
            time.sleep(0.01)
            continue
        if day == 2 and tick >= 10 * 24:  # 10:00 on day 2: in the middle of the day
            ray_local.kill(shard, no_restart=False)
            break
    worker.join(timeout=300)
    assert not worker.is_alive() and result, "the run finished"
    info = json.loads((tmp_path / "runtime.json").read_text())
    assert info["shard_restarts"] == 1, "the kill landed mid-day and the shard was restarted"
    assert verify(tmp_path) == []
    assert sorted_rows(tmp_path).equals(sorted_rows(local_dir)), "every row exactly once, same values"
    assert_same_metrics(result["arms"], local_summary["arms"])


@pytest.mark.e2e
def test_driver_killed_then_resumed(local_run, tmp_path):
    """The driver process (and the Ray it started) dies after day 1; --resume finishes the run."""
    local_dir, local_summary = local_run
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "propersim.cli", "run", CONFIG, *BASE, "runtime.shards=2",
           "runtime.object_store_mb=128", "--address", "local", "--out", str(out)]
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}  # its own Ray, not the tests'
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env=env)
    deadline = time.monotonic() + 240
    while not (out / "checkpoints" / "day=1").is_dir() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, f"the run ended before it could be killed: {proc.stderr.read()[-2000:]}"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "summary.json").exists()
    done = subprocess.run(cmd[:-2] + ["--resume", str(out)], cwd=REPO, capture_output=True, text=True, timeout=600,
                          env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert verify(out) == []
    assert sorted_rows(out).equals(sorted_rows(local_dir))
    assert json.loads((out / "runtime.json").read_text())["resumed_at_day"] == 2
    assert_same_metrics(json.loads((out / "summary.json").read_text())["arms"], local_summary["arms"])


def test_more_gpus_than_the_cluster_has_is_a_clear_error(ray_local, tmp_path):
    have = int(ray_local.cluster_resources().get("GPU", 0))  # logical GPUs here, real ones on a GPU machine
    cfg = load_config(CONFIG, BASE + ["runtime.address=local", "engines.big.model=tiny-random",
                                      f"engines.big.replicas={have + 1}", "engines.big.gpus_per_replica=1",
                                      "arms.llm.policy=llm", "arms.llm.engine=big"])
    with pytest.raises(ValueError, match=rf"asks for {have + 1} GPUs \(engines.big: {have + 1} x 1 GPU\) but the "
                                         rf"cluster has {have} \(1 node\)"):
        run(cfg, tmp_path, CONFIG, progress=False, simulator=RaySimulator)


@pytest.mark.e2e
def test_unreachable_address_is_a_clear_error(tmp_path):
    r = subprocess.run([sys.executable, "-m", "propersim.cli", "run", CONFIG, "--address", "127.0.0.1:9",
                        "--out", str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "runtime.address='127.0.0.1:9': cannot reach 127.0.0.1:9" in r.stderr
    assert "Traceback" not in r.stderr


def test_a_push_that_hangs_times_out_with_a_clear_error(ray_local):
    from propersim.llm.artifacts import Artifact
    from propersim.runtime.driver import RaySimulator
    from propersim.runtime.replicas import ReplicaRouter

    @ray_local.remote(num_cpus=0)
    class Hung:
        def load_artifact(self, kind, name):
            return f"/cache/{name}"

        def put(self, adapter, name, boxed):
            pass

        def use_policy(self, arm, version, kind, paths):
            time.sleep(60)

    sim = object.__new__(RaySimulator)  # only the push path: a replica that loads, shards that never answer
    sim.cfg = load_config(None, ["trainer.push_timeout_s=1", "engines.m.model=tiny-random", "arms.pp.policy=llm",
                                 "arms.pp.engine=m"])
    sim.shards, sim._owner, sim._journal, sim.registry = [Hung.remote(), Hung.remote()], {}, [], Hung.remote()
    sim.routers = {"m": ReplicaRouter([Hung.remote()], "tiny-random", False, timeout_s=1)}
    start = time.monotonic()
    with pytest.raises(TimeoutError, match=r"pushing version 1 of arm 'pp' \(1 adapters\) to 2 shards did not "
                                           r"finish in trainer.push_timeout_s=1 s"):
        sim.push_policy("pp", 1, {"shared": Artifact("adapter", {"adapter_config.json": b"{}"})})
    assert time.monotonic() - start < 30
    for shard in sim.shards:
        ray_local.kill(shard)


def test_a_points_trainings_run_as_ray_tasks(ray_local, tmp_path):
    from propersim.runtime.driver import RaySimulator
    from tests.trainers.test_preference import pairs
    from trainers.preference import TrainJob, train_job

    sim = object.__new__(RaySimulator)  # only the training path: real DPO on the tiny model in Ray tasks
    sim.replicas = {}
    sim.cfg = load_config(None, ["trainer.method=dpo", "trainer.lora_r=4", "trainer.lora_alpha=8",
                                 "trainer.epochs=1", "engines.m.model=tiny-random", "arms.pp.policy=llm",
                                 "arms.pp.engine=m", "arms.pp.learn=true"])
    first, = sim.train(train_job, [TrainJob("tiny-random", pairs(), None, sim.cfg.trainer)])
    # the second continues the first: its starting adapter travels as bytes too
    second, = sim.train(train_job, [TrainJob("tiny-random", pairs(), first.artifact, sim.cfg.trainer, seed=1)])
    for r in (first, second):
        assert r.steps >= 1 and r.path is None and r.artifact.kind == "adapter"
        assert "adapter_config.json" in r.artifact.files and r.artifact.nbytes > 1000
    assert second.artifact.digest != first.artifact.digest


def test_a_second_copy_of_a_run_on_the_same_cluster_is_refused(ray_local, tmp_path):
    from propersim.errors import RunInUseError

    cfg = load_config(CONFIG, BASE + ["runtime.address=local"])

    @ray_local.remote(num_cpus=0)
    class Holder:
        pass

    first = Holder.options(name=f"{run_id_of(cfg)}/shard-0").remote()  # the first copy's shard
    with pytest.raises(RunInUseError, match=r"already runs .*/shard-0 .*another copy of this run"):
        RaySimulator(cfg, [], CONFIG)
    ray_local.kill(first)
