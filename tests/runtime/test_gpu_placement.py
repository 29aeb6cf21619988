"""GPU placement on a real local Ray with logical GPUs (tests/runtime/conftest.py) and an engine stand-in: tensor-
parallel replicas get whole bundles, training tasks the GPUs replicas do not hold, impossible layouts never start."""

import json
import time

import pytest

from propersim.config import ConfigError, load_config
from propersim.runtime.driver import RaySimulator
from propersim.runtime.replicas import start_replicas
from propersim.sim.wiring import select_personas

pytestmark = pytest.mark.integration

BASE = ["runtime.address=local", "engines.e.model=unused", "arms.pp.policy=llm", "arms.pp.engine=e",
        "arms.pp.learn=true", "trainer.method=dpo", "trainer.schedule_timeout_s=2", "sim.personas.count=2"]


@pytest.fixture(scope="module")
def four_gpus(ray_local):
    if ray_local.cluster_resources().get("GPU", 0) != 4:
        pytest.skip("needs the 4 logical GPUs of the CPU test Ray")
    return ray_local


@pytest.fixture(scope="module")
def stand_in(four_gpus):
    @four_gpus.remote
    class StandIn:
        """An engine replica that loads nothing and tells which GPUs Ray gave it."""

        def __init__(self, engine_cfg, seed, registry=None):
            pass

        def describe(self):
            return "stand-in", False

        def gpu_ids(self):
            return sorted(int(i) for i in four_gpus.get_gpu_ids())

        def close(self):
            pass

    return StandIn


def started(ray, cfg, cls):
    """start_replicas with the stand-in; the test closes the simulator that owns them."""
    sim = object.__new__(RaySimulator)
    sim.cfg, sim.shards, sim.registry, sim._owns_ray = cfg, [], None, False
    sim.replicas = start_replicas(cfg, {"e"}, replica_cls=cls)
    return sim


def free_gpus(ray, expect: float, timeout_s: float = 10) -> float:
    """The cluster's free GPUs once they reach ``expect`` (released resources come back asynchronously)."""
    deadline = time.monotonic() + timeout_s
    while (free := ray.available_resources().get("GPU", 0)) != expect and time.monotonic() < deadline:
        time.sleep(0.1)
    return free


def test_tensor_parallel_replicas_get_two_gpu_bundles(four_gpus, stand_in):
    cfg = load_config("jobs/baselines.yaml", BASE + ["engines.e.replicas=2", "engines.e.tensor_parallel_size=2",
                                                     "trainer.method=none", "arms.pp.learn=false"])
    sim = started(four_gpus, cfg, stand_in)
    try:
        ids = four_gpus.get([h.gpu_ids.remote() for h in sim.replicas["e"]["handles"]])
        assert [len(i) for i in ids] == [2, 2] and not set(ids[0]) & set(ids[1])
        assert free_gpus(four_gpus, 0) == 0
    finally:
        sim.close()
    assert free_gpus(four_gpus, 4) == 4, "closing gives the bundles back"


def test_training_tasks_get_gpus_no_replica_holds(four_gpus, stand_in):
    # a longer wait than BASE's: the previous test's replicas may still be releasing their GPUs on a loaded machine
    cfg = load_config("jobs/baselines.yaml", BASE + ["engines.e.tensor_parallel_size=2",
                                                     "trainer.schedule_timeout_s=60"])
    assert cfg.trainer.gpus is None, "the default: 1 GPU per task when the cluster has GPUs"
    sim = started(four_gpus, cfg, stand_in)
    try:
        held = set(four_gpus.get(sim.replicas["e"]["handles"][0].gpu_ids.remote()))

        def gpu_ids(job):
            import ray
            return [int(i) for i in ray.get_gpu_ids()]

        trained = sim.train(gpu_ids, [1, 2, 3])
        assert all(len(i) == 1 and not set(i) & held for i in trained), (held, trained)
    finally:
        sim.close()


def test_a_training_task_that_gets_no_gpu_in_time_names_what_holds_them(four_gpus, stand_in):
    cfg = load_config("jobs/baselines.yaml", BASE + ["engines.e.tensor_parallel_size=2"])
    blocker = four_gpus.remote(num_gpus=2, num_cpus=0)(type("Blocker", (), {"ping": lambda self: 1})).remote()
    sim = started(four_gpus, cfg, stand_in)
    try:
        four_gpus.get(blocker.ping.remote())
        with pytest.raises(TimeoutError, match=r"trainer.gpus=1 was not scheduled within trainer.schedule_timeout_s=2 "
                                               r"s: of the cluster's 4 GPUs, this run's replicas hold 2 \(engines.e: "
                                               r"1 x 2 GPU\), other actors or jobs 2, 0 free"):
            sim.train(lambda job: job, [1])
    finally:
        sim.close()
        four_gpus.kill(blocker)


@pytest.mark.parametrize("overrides, needle", [
    (["engines.e.replicas=2", "engines.e.tensor_parallel_size=2"], "trainer.gpus=1: no node has 1 GPU"),
    (["engines.e.tensor_parallel_size=8"], "tensor_parallel_size=8 needs 8 GPUs on one node"),
    (["engines.e.replicas=5", "engines.e.gpus_per_replica=1"], "asks for 5 GPUs"),
])
def test_impossible_layouts_are_refused_before_anything_starts(four_gpus, overrides, needle):
    from ray.util import placement_group_table

    cfg = load_config("jobs/baselines.yaml", BASE + overrides)
    groups = len(placement_group_table())
    with pytest.raises(ConfigError, match=needle):
        RaySimulator(cfg, select_personas(cfg))
    assert len(placement_group_table()) == groups and free_gpus(four_gpus, 4) == 4


def test_plan_reads_the_running_cluster(four_gpus, capsys):
    from propersim import cli

    assert cli.main(["plan", "jobs/paper.yaml", "engines.assistant.replicas=1", "engines.judge.replicas=1",
                     "--address", "auto", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["nodes"] == [4.0] and report["free_gpus"] == [1.0] and report["trainer"]["concurrent"] == 1
    assert cli.main(["plan", "jobs/paper.yaml", "--address", "auto"]) == 2
    assert "asks for 6 GPUs" in capsys.readouterr().err
