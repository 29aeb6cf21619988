"""Weight push: the time to get a LoRA adapter, and full model weights, into 1, 2 and 4 running engine
replicas (Ray actors with vLLM, loaded in place without a restart, as a training point's push does), against
the time of a raw in-memory copy of the same tensors once per replica.

Each push names a new directory, so every replica really loads it. The model is the tiny one by default (the
figures are then dominated by fixed costs: the RPC and vLLM's load path, not bytes).

    python -m jobs.bench.push --replicas 1 2 4 --repeats 5
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from jobs.bench.common import finish, fmt, spread


def make_payloads(model_dir: Path, out: Path, copies: int, lora_r: int = 16) -> tuple[list[Path], list[Path]]:
    """``copies`` LoRA adapter directories and ``copies`` full-weight directories (perturbed base weights),
    each under its own path."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    adapters, weights = [], []
    for k in range(copies):
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.randn_like(p) * 1e-3)
        model.save_pretrained(out / f"weights-{k}")
        weights.append(out / f"weights-{k}")
        peft = get_peft_model(model, LoraConfig(r=lora_r, lora_alpha=2 * lora_r, target_modules="all-linear",
                                                init_lora_weights=False, task_type="CAUSAL_LM"))
        peft.save_pretrained(out / f"adapter-{k}")
        adapters.append(out / f"adapter-{k}")
    return adapters, weights


def raw_copy_seconds(path: Path, copies: int) -> float:
    """Seconds to copy the tensors of ``path`` (already in memory) ``copies`` times."""
    from safetensors.torch import load_file

    tensors = {}
    for f in sorted(path.glob("*.safetensors")):
        tensors.update(load_file(f))
    start = time.perf_counter()
    for _ in range(copies):
        {k: v.clone() for k, v in tensors.items()}
    return time.perf_counter() - start


def payload_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.glob("*.safetensors"))


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="tiny-random")
    ap.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", help="also write the result to this file")
    args = ap.parse_args(argv)

    import ray

    from propersim.config import EngineConfig
    from propersim.llm.models import resolve_model
    from propersim.runtime.replicas import REPLICA_ENV, EngineReplica

    model_dir = resolve_model(args.model)
    tmp = Path(tempfile.mkdtemp(prefix="push-bench-"))
    ray.init(num_cpus=max(args.replicas) + 1, object_store_memory=256 * 2**20, include_dashboard=False,
             log_to_driver=False)
    points = []
    try:
        adapters, weights = make_payloads(model_dir, tmp, args.repeats + 1)
        ecfg = EngineConfig(model=args.model, dtype="float32", max_model_len=512, enable_lora=True, max_lora_rank=16)
        print(f"model {args.model}: adapter {payload_bytes(adapters[0]) / 2**20:.2f} MB, full weights "
              f"{payload_bytes(weights[0]) / 2**20:.2f} MB")
        print(f"{'replicas':>8} {'payload':>8} {'push ms':>22} {'raw copy ms':>22} {'ratio':>18}")
        for n in args.replicas:
            handles = [EngineReplica.options(num_cpus=0, runtime_env=REPLICA_ENV).remote(ecfg, i) for i in range(n)]
            ray.get([h.describe.remote() for h in handles])
            for kind, paths in (("adapter", adapters), ("weights", weights)):
                ray.get([h.preload.remote(**{kind: str(paths[0])}) for h in handles])  # warm the load path
                push, raw = [], []
                for path in paths[1:]:
                    start = time.perf_counter()
                    ray.get([h.preload.remote(**{kind: str(path)}) for h in handles])
                    push.append(time.perf_counter() - start)
                    raw.append(raw_copy_seconds(path, n))
                point = {"replicas": n, "payload": kind, "bytes": payload_bytes(paths[0]),
                         "push_s": spread(push), "raw_copy_s": spread(raw),
                         "ratio": spread([p / r for p, r in zip(push, raw)])}
                points.append(point)
                print(f"{n:>8} {kind:>8} {fmt(point['push_s'], 1e3, 2):>22} "
                      f"{fmt(point['raw_copy_s'], 1e3, 3):>22} {fmt(point['ratio'], 1, 1):>18}")
            ray.get([h.close.remote() for h in handles])
            for h in handles:
                ray.kill(h)
    finally:
        ray.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    return finish({"model": args.model, "points": points}, args.json)


if __name__ == "__main__":
    main()
