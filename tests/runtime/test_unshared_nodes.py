"""A learning run on a cluster whose nodes share nothing but the network: cluster/start_local.sh starts the head
(0 CPUs, as on the shipped specs) and two workers, each in its own mount namespace with a private empty tmpfs
over the run root and over ``$PROPERSIM_CACHE``; RUN_DIR is ``s3://`` on a real SeaweedFS. Nodes stage the
models themselves, adapters travel as bytes (the driver's disk is seen by no node), and a shard killed in the
middle of day 2 is restarted by Ray and rebuilds its retrieval memory from its state: the same rows as the
uninterrupted run. A twin arm that does not learn draws the same random numbers (requests are seeded by persona,
day, tick and candidate, not by arm), so where day 2 differs between the two, the adapters made the difference."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pyarrow.compute as pc
import pytest

from propersim.config import load_config, to_yaml
from propersim.data import schema as S
from propersim.data.rundir import read_training_log
from propersim.data.storage import Storage
from propersim.data.store import read_interactions, verify
from propersim.sim.wiring import day_ticks, run_id_of
from tests.conftest import REPO, free_port

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

PP = ["policy=llm", "engine=tiny", "output=free", "retrieval=true", "memory=ASC", "n_candidates=2",
      "temperature=1.0"]
RUN = ["run.name=unshared", "sim.personas.ids=[13,14]", "sim.days=2", "sim.first_hour=11", "sim.last_hour=13",
       "sim.tick_seconds=600", "engines.tiny.model=tiny-random", "engines.tiny.dtype=float32",
       "engines.tiny.max_model_len=2048", "engines.tiny.replicas=2", "engines.tiny.enable_lora=true",
       *[f"arms.{arm}.{kv}" for arm in ("pp", "frozen") for kv in PP], "arms.pp.learn=true",
       "arms.frozen.learn=false", "trainer.method=dpo", "trainer.scope=per_persona", "trainer.lora_r=8",
       "trainer.lora_alpha=16", "trainer.epochs=1", "trainer.replay_buffer=4", "runtime.shards=2",
       "trainer.lr=0.01"]  # one DPO step on a random model: large enough to move some sampled tokens
KEYS = [(k, "ascending") for k in (S.ARM, S.PERSONA_ID, S.DAY, S.TICK, S.CANDIDATE)]

#: Run by a second driver on the cluster: kill shard 1 once it is in the middle of day 2.
KILLER = textwrap.dedent("""
    import sys, time, ray
    ray.init(address=sys.argv[1], namespace="propersim", log_to_driver=False)
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        try:
            shard = ray.get_actor(sys.argv[2])
            day, tick = ray.get(shard.progress.remote(), timeout=10)
        except Exception:
            time.sleep(0.2)
            continue
        if day == 2 and tick >= int(sys.argv[3]):
            ray.kill(shard, no_restart=False)
            print("killed", day, tick, flush=True)
            break
        time.sleep(0.05)
""")


@pytest.fixture
def cluster(s3_server, tmp_path):
    temp = Path(f"/tmp/ru{os.getpid()}")  # short: Ray's socket paths live under it
    cache = tmp_path / "cache"  # every node's $PROPERSIM_CACHE: the same path, a different empty tmpfs on each
    env = {**{k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}, **s3_server,
           "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "PORT": str(free_port()),
           "DASHBOARD_PORT": str(free_port()), "TEMP_DIR": str(temp), "HEAD_CPUS": "0",
           "PRIVATE": f"{tmp_path / 'nodes'} {cache}", "PROPERSIM_CACHE": str(cache)}
    started = subprocess.run(["cluster/start_local.sh", "2", "1"], cwd=REPO, env=env, capture_output=True,
                             text=True, timeout=300)
    try:
        assert started.returncode == 0, started.stderr[-3000:]
        # the driver runs outside the nodes, on the machine's own disk and cache
        yield {**env, "RAY_AUTH_MODE": "token", "PROPERSIM_CACHE": str(tmp_path / "driver-cache")}
    finally:  # stop this cluster only
        for p in psutil.process_iter(["cmdline"]):
            if str(temp) in " ".join(p.info["cmdline"] or []):
                p.kill()


def propersim_run(env, config, out):
    return subprocess.run([sys.executable, "-m", "propersim.cli", "run", config, "--address",
                           f"127.0.0.1:{env['PORT']}", "--out", out], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=900)


def node_caches(env, root: Path) -> list[list[str]]:
    """What each node holds under ``root`` (its private tmpfs): ``<run id>/<arm>/v<N>/<key>-<digest>``."""
    lister = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import json, pathlib, ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
        ray.init(address="127.0.0.1:{env['PORT']}", log_to_driver=False)
        @ray.remote(num_cpus=0)
        def ls():
            root = pathlib.Path("{root}")
            return sorted(str(p.relative_to(root)) for p in root.glob("*/*/*/*")) if root.is_dir() else []
        nodes = [n["NodeID"] for n in ray.nodes() if n["Alive"]]
        print(json.dumps(ray.get([ls.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n, soft=False))
                                  .remote() for n in nodes])))
    """)], env=env, capture_output=True, text=True, timeout=300)
    assert lister.returncode == 0, lister.stderr[-2000:]
    return json.loads(lister.stdout.strip().splitlines()[-1])


def test_a_learning_run_on_nodes_that_share_nothing(cluster, tmp_path):
    (tmp_path / "nodes").mkdir(exist_ok=True)
    (tmp_path / "nodes" / "driver-only.txt").write_text("the driver's disk")
    probe = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        import ray
        ray.init(address="127.0.0.1:{cluster['PORT']}", log_to_driver=False)
        @ray.remote(num_cpus=1, scheduling_strategy="SPREAD")
        def look():
            import os
            return os.listdir("{tmp_path / 'nodes'}")
        print(ray.get([look.remote() for _ in range(2)]))
    """)], env=cluster, capture_output=True, text=True, timeout=300)
    assert probe.returncode == 0 and probe.stdout.strip() == "[[], []]", probe.stdout + probe.stderr[-2000:]

    config = tmp_path / "unshared.yaml"
    config.write_text(to_yaml(load_config(None, RUN)))
    cfg = load_config(config)
    first = "s3://propersim/unshared/a?allow_bucket_creation=true"
    done = propersim_run(cluster, config, first)
    assert done.returncode == 0, done.stderr[-4000:]
    store = Storage(first)
    assert verify(store) == []
    rows = read_interactions(store).sort_by(KEYS)
    pp, frozen = (rows.filter(pc.equal(rows[S.ARM], arm)) for arm in ("pp", "frozen"))
    day = {(arm, d): t.filter(pc.equal(t[S.DAY], d)) for arm, t in (("pp", pp), ("frozen", frozen)) for d in (1, 2)}
    assert set(day["pp", 2][S.POLICY_VERSION].to_pylist()) == {1}, "day 2 was served by the adapters of day 1"
    assert set(day["pp", 1][S.POLICY_VERSION].to_pylist()) == {0}
    assert day["pp", 1][S.RECOMMENDATION].equals(day["frozen", 1][S.RECOMMENDATION]), "the twins draw the same numbers"
    log = read_training_log(store)
    trained = {int(r["adapter"]) for r in log}
    outputs = [day[arm, 2][S.RECOMMENDATION].to_pylist() for arm in ("pp", "frozen")]
    changed = {pid: sum(a != b for a, b, p in zip(*outputs, day["pp", 2][S.PERSONA_ID].to_pylist()) if p == pid)
               for pid in (13, 14)}
    assert all(changed[p] == 0 for p in changed if p not in trained), "no adapter, no change"
    assert sum(changed.values()) > 0, "the adapters changed day 2's outputs"
    assert log and {r["adapter"] for r in log} <= {"13", "14"}, "per-persona adapters of the personas with pairs"
    assert all(r["push_bytes"] > 10_000 for r in log), "the pushes carried the adapters' bytes"
    assert not (tmp_path / "driver-cache" / "adapters").exists(), "the driver never wrote an adapter to disk"
    cached = node_caches(cluster, tmp_path / "cache" / "adapters")
    pushed = {f"{r['adapter']}-" for r in log}
    assert len(cached) == 3 and any(cached), cached
    for node in filter(None, cached):  # a node that serves holds every pushed adapter once, nothing half-written
        assert sorted(Path(p).name.split("-")[0] + "-" for p in node if not Path(p).name.startswith(".")) == \
            sorted(pushed) and all(Path(p).parts[2] == "v1" for p in node), cached
    print(f"pushes across nodes: {[(r['adapter'], r['push_bytes'], round(r['push_s'], 3)) for r in log]}; "
          f"day-2 outputs changed by the adapters per persona {changed} (of {len(day['pp', 2])}); "
          f"node caches {cached}")
    assert store.files("checkpoints/adapters"), "the adapters are stored in RUN_DIR"

    # the same run again, shard 1 killed in the middle of day 2: Ray restarts it, it rebuilds its retrieval
    # memory from its day-start state and re-runs its ticks
    second = "s3://propersim/unshared/b?allow_bucket_creation=true"
    ticks = day_ticks(cfg)
    killer = subprocess.Popen([sys.executable, "-c", KILLER, f"127.0.0.1:{cluster['PORT']}",
                               f"{run_id_of(cfg)}/shard-1", str(ticks[len(ticks) // 2])], env=cluster,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        again = propersim_run(cluster, config, second)
    finally:
        killer.kill()
    assert again.returncode == 0, again.stderr[-4000:]
    restarted = Storage(second)
    assert verify(restarted) == []
    info = json.loads(restarted.read_text("runtime.json"))
    assert info["shard_restarts"] >= 1, killer.stdout.read() + killer.stderr.read()[-2000:]
    # only the prefix-cache counts may differ: the re-run ticks found their prompts cached
    assert read_interactions(restarted).sort_by(KEYS).drop([S.CACHED_PROMPT_TOKENS]).equals(
        rows.drop([S.CACHED_PROMPT_TOKENS])), "the same rows as the uninterrupted run"
