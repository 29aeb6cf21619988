"""Push overhead: what a training point's push costs beyond vLLM's own load of the adapter, side by side in
one run.

- (a) ``load``: one vLLM engine loading the adapter from a local directory, alone (in this process).
- (b) ``push``: the run's own push (:func:`propersim.runtime.replicas.push_artifact`): the adapter's bytes put
  into the Ray object store and the run's registry, every replica (a Ray actor with vLLM) writing them into its
  node's cache and loading them, until the push returns.

Cases: adapters of each ``--ranks`` on ``--model`` (Gemma-3-270M: r=16 is about 15 MB, r=64 about 60 MB) and
the tiny model's (0.1 MB); ``--replicas`` replicas; ``--adapters`` per-persona adapters at one training point.
``overhead`` is (b) / (a); the target is <= 1.2 per replica, plus the bytes' transfer at the object store's
bandwidth (measured here: ``transfer_s``). Every version has new bytes and a new name, so every replica really
loads it. ``ratio`` (b against a raw in-memory copy of the tensors once per replica) stays for continuity.
Where the time goes: ``put_s`` (object store and registry), ``cache_s`` (writing the files into a node's cache),
the rest is the Ray calls and the replicas' loads.

    python -m jobs.bench.push --model gemma-3-270m --ranks 16 64 --replicas 1 2 4 --adapters 1 32 --repeats 3
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from jobs.bench.common import finish, fmt, spread


def make_adapter(model: str, rank: int, out: Path):
    """A LoRA adapter of rank ``rank`` on every linear layer of ``model`` (random B, so it changes outputs) as
    an :class:`~propersim.llm.artifacts.Artifact`."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from propersim.llm.artifacts import Artifact
    from propersim.llm.models import resolve_model

    torch.manual_seed(0)
    base = AutoModelForCausalLM.from_pretrained(resolve_model(model), dtype=torch.float32)
    peft = get_peft_model(base, LoraConfig(r=rank, lora_alpha=2 * rank, target_modules="all-linear",
                                           init_lora_weights=False, task_type="CAUSAL_LM"))
    peft.save_pretrained(out)
    return Artifact.from_dir("adapter", out)


def version(artifact, k: int):
    """Version ``k`` of ``artifact``: the same tensors with one more file, so new bytes and a new digest."""
    from propersim.llm.artifacts import Artifact
    return Artifact(artifact.kind, {**artifact.files, "VERSION": str(k).encode()})


def raw_copy_seconds(artifact, copies: int) -> float:
    """Seconds to copy the adapter's tensors (already in memory) ``copies`` times."""
    from safetensors.torch import load

    tensors = {k: v for name, data in artifact.files.items() if name.endswith(".safetensors")
               for k, v in load(data).items()}
    start = time.perf_counter()
    for _ in range(copies):
        {k: v.clone() for k, v in tensors.items()}
    return time.perf_counter() - start


def transfer_seconds(artifact) -> float:
    """The artifact's bytes through the object store: put here, fetched by a task in another process."""
    import ray

    @ray.remote(num_cpus=0)
    def fetch(boxed):
        return ray.get(boxed[0]).nbytes

    ray.get(fetch.remote([ray.put(version(artifact, -1))]))  # warm the task's worker
    start = time.perf_counter()
    ray.get(fetch.remote([ray.put(version(artifact, -2))]))
    return time.perf_counter() - start


def measure(model: str, rank: int, replicas: list[int], adapters: list[int], repeats: int, tmp: Path) -> list[dict]:
    """Every (replicas, adapters) point of one adapter size."""
    import ray

    from propersim.config import EngineConfig
    from propersim.llm import make_engine
    from propersim.llm.artifacts import artifacts_root, materialise
    from propersim.runtime.replicas import REPLICA_ENV, ArtifactRegistry, EngineReplica, ReplicaRouter, push_artifact

    artifact = make_adapter(model, rank, tmp / f"{model}-r{rank}")
    run = f"push-bench-{model}-r{rank}"
    ecfg = EngineConfig(model=model, dtype="float32", max_model_len=512, enable_lora=True, max_lora_rank=rank,
                        max_cpu_loras=max(adapters) + 1)
    counter = iter(range(10**6))

    def names(n: int) -> list[tuple[str, object]]:
        out = []
        for key in range(n):
            v = version(artifact, next(counter))
            out.append((f"{run}/v/{key}-{v.digest}", v))
        return out

    # (a) the engine's own load from a local directory, alone; the cache write measured on the side
    engine = make_engine(ecfg, seed=0)
    load, cache = {}, []
    for n in adapters:
        load[n] = []
        for _ in range(repeats + 1):
            batch = names(n)
            start = time.perf_counter()
            paths = [materialise(v, name) for name, v in batch]
            cache.append((time.perf_counter() - start) / n)
            start = time.perf_counter()
            for path in paths:
                engine.preload(adapter=path)
            load[n].append(time.perf_counter() - start)
        load[n] = load[n][1:]  # the first load warms the path
    engine.close()
    del engine

    registry = ArtifactRegistry.options(name=f"{run}/artifacts").remote()  # keeps 2 versions of each key
    handles = [EngineReplica.options(num_cpus=0, runtime_env=REPLICA_ENV).remote(ecfg, i, f"{run}/artifacts")
               for i in range(max(replicas))]
    model_name, chat = ray.get([h.describe.remote() for h in handles])[0]
    transfer = transfer_seconds(artifact)
    points = []
    try:
        for r in replicas:
            router = ReplicaRouter(handles[:r], model_name, chat)
            for n in adapters:
                push, put = [], []
                missed_before = router.missed_loads
                for rep in range(repeats + 1):
                    batch = names(n)
                    start = time.perf_counter()
                    for key, (name, v) in enumerate(batch):
                        push_artifact(registry, router, f"bench/{key}", name, v, timeout_s=600)
                    elapsed = time.perf_counter() - start
                    start = time.perf_counter()
                    for name, v in names(n):  # the object store and registry part alone
                        ray.get(registry.put.remote("put", name, [ray.put(v)]))
                    if rep:  # the first push warms the replicas' load path
                        push.append(elapsed)
                        put.append(time.perf_counter() - start)
                a = spread(load[n])
                point = {"model": model, "rank": rank, "bytes": artifact.nbytes, "replicas": r, "adapters": n,
                         "payload": "adapter", "push_s": spread(push), "load_s": a, "put_s": spread(put),
                         "cache_s": spread([c * n for c in cache]), "transfer_s": transfer * n,
                         "overhead": spread([p / a["median"] for p in push]),
                         # the target: no more than the engine's own load plus a fifth, plus the bytes' transfer
                         "within_target": statistics.median(push) <= 1.2 * a["median"] + transfer * n,
                         # loads a dead replica missed (e.g. killed for memory): the point did not push to r
                         "missed_loads": router.missed_loads - missed_before,
                         "ratio": spread([p / raw_copy_seconds(artifact, r * n) for p in push])}
                points.append(point)
                missed = point["missed_loads"]
                missed_note = f"  ({missed} loads missed: a replica was down)" if missed else ""
                print(f"{artifact.nbytes / 2**20:>7.2f} {r:>8} {n:>8} {fmt(point['load_s'], 1e3, 1):>24} "
                      f"{fmt(point['push_s'], 1e3, 1):>24} {fmt(point['put_s'], 1e3, 1):>22} "
                      f"{fmt(point['cache_s'], 1e3, 1):>20} {point['transfer_s'] * 1e3:>10.1f} "
                      f"{fmt(point['overhead'], 1, 2):>18}{missed_note}", flush=True)
    finally:
        from ray.exceptions import RayActorError
        for h in handles:
            try:
                ray.get(h.close.remote())
            except RayActorError as e:  # a replica that died (e.g. out of memory) needs no closing
                print(f"replica down at the end: {e}", flush=True)
        for actor in [*handles, registry]:
            ray.kill(actor)
        shutil.rmtree(artifacts_root() / run, ignore_errors=True)
    return points


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="gemma-3-270m", help="the model of the --ranks adapters")
    ap.add_argument("--ranks", type=int, nargs="*", default=[16, 64])
    ap.add_argument("--tiny", action=argparse.BooleanOptionalAction, default=True,
                    help="also the tiny model's r=16 adapter (0.1 MB: the fixed costs alone)")
    ap.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--adapters", type=int, nargs="+", default=[1, 32])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", help="also write the result to this file")
    args = ap.parse_args(argv)

    import ray

    cases = ([("tiny-random", 16)] if args.tiny else []) + [(args.model, r) for r in args.ranks]
    tmp = Path(tempfile.mkdtemp(prefix="push-bench-"))
    ray.init(num_cpus=2, object_store_memory=2048 * 2**20, include_dashboard=False, log_to_driver=False)
    print(f"{'MB':>7} {'replicas':>8} {'adapters':>8} {'(a) engine load ms':>24} {'(b) push ms':>24} "
          f"{'object store ms':>22} {'cache write ms':>20} {'xfer ms':>10} {'(b)/(a)':>18}", flush=True)
    points = []
    try:
        for model, rank in cases:
            points += measure(model, rank, args.replicas, args.adapters, args.repeats, tmp)
    finally:
        ray.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    return finish({"model": args.model, "points": points}, args.json)


if __name__ == "__main__":
    main()
