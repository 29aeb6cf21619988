"""Prefix caching on the judge's prompts: the judge requests of a real tick loop (the paper's configuration,
its ProPerAssistant arm, fixed answers while recording) are served by the same vLLM model twice, with
``enable_prefix_caching`` on and off, batch by batch as the loop sent them. Printed: the share of the judge's
prompt tokens vLLM served from its prefix cache (its ``num_cached_tokens`` per request), the judge's wall time
with caching on and off, and whether the outputs agree.

    scripts/isolated .venv/bin/python -m jobs.bench.prefix --model gemma-3-270m --ticks 4
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

from jobs.bench.common import finish, fmt, spread
from jobs.bench.cost import CountingEngine
from jobs.bench.orchestration import RecordingEngine

#: Simulated hour the recorded ticks start at (the persona is awake then).
START_HOUR = 12.0


def judge_batches(model: str, ticks: int, mode: str, tokenizer) -> list[list]:
    """The judge's requests of ``ticks`` ticks of one persona's day, one batch per tick as the loop sent them."""
    from propersim.config import load_config
    from propersim.sim.local import LocalSimulator
    from propersim.sim.runner import run

    judge = RecordingEngine(CountingEngine(tokenizer, model, mode))
    cfg = load_config("jobs/paper.yaml", [
        "sim.days=1", "sim.personas.count=1", f"engines.assistant.model={model}", f"engines.judge.model={model}",
        "arms.pp.learn=false", "trainer.method=none", f"user.judge_mode={mode}", f"sim.first_hour={START_HOUR}",
        f"sim.last_hour={START_HOUR + ticks * 150 / 3600}"])
    cfg = replace(cfg, arms={"pp": cfg.arms["pp"]})
    with tempfile.TemporaryDirectory() as tmp:
        run(cfg, Path(tmp) / "run", "jobs/paper.yaml", progress=False, simulator=partial(
            LocalSimulator, engines={"assistant": CountingEngine(tokenizer, model, mode), "judge": judge}))
    return judge.batches


def serve(model: str, batches: list[list], caching: bool, max_tokens: int) -> dict:
    """The batches on a fresh engine: wall seconds per batch, prompt and cached tokens, the output texts."""
    from propersim.config import EngineConfig
    from propersim.llm import make_engine

    engine = make_engine(EngineConfig(model=model, enable_prefix_caching=caching), seed=0)
    try:
        engine.generate([replace(batches[0][0], prompt="Warm-up.", max_tokens=2)])
        seconds, prompt, cached, texts = [], 0, 0, []
        for batch in batches:
            start = time.perf_counter()
            out = engine.generate([replace(r, max_tokens=min(r.max_tokens, max_tokens)) for r in batch])
            seconds.append(time.perf_counter() - start)
            prompt += sum(g.prompt_tokens for g in out)
            cached += sum(g.cached_tokens for g in out)
            texts += [g.text for g in out]
    finally:
        engine.close()
    return {"seconds": seconds, "prompt_tokens": prompt, "cached_tokens": cached, "texts": texts}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="gemma-3-270m")
    ap.add_argument("--ticks", type=int, default=4, help="judged ticks (one batch of the judge's prompts each)")
    ap.add_argument("--judge-mode", default="separate", choices=["separate", "joint"])
    ap.add_argument("--max-tokens", type=int, default=32, help="cap on each answer (the same in both runs)")
    ap.add_argument("--json", help="also write the result to this file")
    args = ap.parse_args(argv)

    from transformers import AutoTokenizer

    from propersim.llm.models import resolve_model

    batches = judge_batches(args.model, args.ticks, args.judge_mode,
                            AutoTokenizer.from_pretrained(resolve_model(args.model)))
    on = serve(args.model, batches, True, args.max_tokens)
    off = serve(args.model, batches, False, args.max_tokens)
    same = sum(a == b for a, b in zip(on["texts"], off["texts"]))
    result = {"model": args.model, "judge_mode": args.judge_mode, "batches": len(batches),
              "requests": sum(map(len, batches)), "prompt_tokens": on["prompt_tokens"],
              "cached_tokens_on": on["cached_tokens"], "cached_tokens_off": off["cached_tokens"],
              "cached_share": on["cached_tokens"] / on["prompt_tokens"],
              "judge_s_on": sum(on["seconds"]), "judge_s_off": sum(off["seconds"]),
              "batch_s_on": spread(on["seconds"]), "batch_s_off": spread(off["seconds"]),
              "speedup": spread([b / a for a, b in zip(on["seconds"], off["seconds"])]),
              "same_outputs": same}
    print(f"{args.model}, judge_mode={args.judge_mode}: {result['requests']} judge requests in {len(batches)} "
          f"tick batches, {result['prompt_tokens']:,} prompt tokens")
    print(f"  prefix caching on: {result['cached_tokens_on']:,} served from the cache "
          f"({100 * result['cached_share']:.1f}%), judge {result['judge_s_on']:.1f} s, per batch "
          f"{fmt(result['batch_s_on'])} s")
    print(f"  prefix caching off: {result['cached_tokens_off']:,} from the cache, judge {result['judge_s_off']:.1f} s, "
          f"per batch {fmt(result['batch_s_off'])} s")
    print(f"  off / on per batch: {fmt(result['speedup'])}; identical outputs: {same} of {result['requests']}")
    return finish(result, args.json)


if __name__ == "__main__":
    main()
