"""Placement of engine replicas and training tasks on GPUs per node: plain Python, no Ray."""

import pytest

from propersim.config import ConfigError, load_config
from propersim.placement import place

BASE = ["engines.a.model=x", "engines.j.model=y", "arms.pp.policy=llm", "arms.pp.engine=a", "arms.pp.learn=true",
        "trainer.method=dpo", "user.judge=llm", "user.judge_engine=j"]


def placed(overrides, nodes, personas=4):
    cfg = load_config(None, BASE + overrides)
    return place(cfg, nodes, {"a", "j"}, personas)


def test_tensor_parallel_replicas_stay_on_one_node_and_training_gets_the_rest():
    p = placed(["engines.a.replicas=2", "engines.a.gpus_per_replica=1", "engines.j.replicas=2",
                "engines.j.tensor_parallel_size=2"], [4, 4])
    judge = [r for r in p.replicas if r.engine == "j"]
    assert [(r.node, r.gpus, r.tensor_parallel_size) for r in judge] == [(0, 2, 2), (1, 2, 2)]
    assert sorted(r.node for r in p.replicas if r.engine == "a") == [0, 1]
    assert p.free == (1, 1) and p.trainer_gpus == 1 and p.concurrent_trainings == 2
    assert p.trainings_per_point == 4, "one adapter per persona"


def test_cpu_runs_train_on_cpu():
    p = placed([], [0])
    assert (p.trainer_gpus, p.concurrent_trainings) == (0, 0) and all(r.node == -1 for r in p.replicas)


@pytest.mark.parametrize("overrides, nodes, needle", [
    (["engines.a.replicas=3", "engines.a.gpus_per_replica=1"], [2],
     r"^the config asks for 3 GPUs \(engines.a: 3 x 1 GPU\) but the cluster has 2 \(1 node\)$"),
    (["engines.j.tensor_parallel_size=8"], [4, 4],
     r"^engines.j.tensor_parallel_size=8 needs 8 GPUs on one node, but the largest node has 4"),
    (["engines.j.replicas=3", "engines.j.tensor_parallel_size=2"], [3, 3],
     r"^engines.j: replica 3 of 3 needs 2 GPUs on one node, but the free GPUs per node are \[1.0, 1.0\]"),
    (["engines.a.replicas=2", "engines.a.gpus_per_replica=1"], [2],
     r"^trainer.gpus=1: no node has 1 GPU that no engine replica holds \(the replicas hold 2 of 2: "
     r"engines.a: 2 x 1 GPU\)"),
])
def test_impossible_layouts_are_refused_with_one_line(overrides, nodes, needle):
    with pytest.raises(ConfigError, match=needle) as e:
        placed(overrides, nodes)
    assert "\n" not in str(e.value)


def test_an_unused_engine_is_not_placed_and_an_undefined_one_is_named():
    cfg = load_config(None, BASE + ["engines.spare.model=z", "engines.spare.gpus_per_replica=1"])
    assert {r.engine for r in place(cfg, [1], {"a", "j"}, 1).replicas} == {"a", "j"}
    with pytest.raises(ConfigError, match=r"engines \['nope'\] are used but not defined"):
        place(cfg, [1], {"a", "nope"}, 1)
