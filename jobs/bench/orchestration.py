"""Orchestration efficiency: the simulation's generated tokens/s inside the tick loop, divided by raw vLLM
``LLM.generate`` tokens/s on exactly the requests the loop sent (same batches, prompts and sampling), in one
process on one engine.

    python -m jobs.bench.orchestration --model tiny-random --personas 8 --hours 2 --repeats 3
"""

from __future__ import annotations

import argparse
import time

from jobs.bench.common import finish, fmt, spread


class RecordingEngine:
    """Delegates to an engine and keeps every batch of requests it was sent (in order)."""

    def __init__(self, engine):
        self.engine = engine
        self.model = engine.model
        self.batches = []

    @property
    def has_chat_template(self) -> bool:
        return self.engine.has_chat_template

    def generate(self, requests):
        self.batches.append(list(requests))
        return self.engine.generate(requests)

    def close(self) -> None:
        pass


def loop_run(cfg, personas, engine) -> tuple[float, int, list]:
    """One simulated day window through the tick loop: (seconds, generated tokens, request batches)."""
    from propersim.sim.wiring import EnginePool, build_group

    recording = RecordingEngine(engine)
    group = build_group(cfg, personas, engines=EnginePool(cfg, shared={"m": recording}))
    start = time.perf_counter()
    table = group.run_day(1)
    seconds = time.perf_counter() - start
    # every candidate of an LLM arm is one generation; completion tokens minus the judge's (oracle: 0)
    return seconds, sum(table["completion_tokens"].to_pylist()), recording.batches


def raw_run(engine, batches) -> tuple[float, int]:
    """The same batches straight into ``vllm.LLM.generate``: (seconds, generated tokens)."""
    from vllm import SamplingParams

    llm = engine._llm
    start, tokens = time.perf_counter(), 0
    for batch in batches:
        params = [SamplingParams(max_tokens=r.max_tokens, temperature=r.temperature, top_p=r.top_p,
                                 stop=list(r.stop) or None) for r in batch]
        outs = llm.generate([engine.render(r) for r in batch], params, use_tqdm=False)
        tokens += sum(len(o.outputs[0].token_ids) for o in outs)
    return time.perf_counter() - start, tokens


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="tiny-random", help="registry name or model directory")
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--personas", type=int, default=8)
    ap.add_argument("--hours", type=float, default=2.0, help="simulated hours (from 9:00)")
    ap.add_argument("--tick-seconds", type=int, default=600)
    ap.add_argument("--memory-mode", default="ar", choices=("no_memory", "ar", "ars"))
    ap.add_argument("--max-tokens", type=int, default=48)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", help="also write the result to this file")
    args = ap.parse_args(argv)

    from propersim.config import EngineConfig, load_config
    from propersim.llm import make_engine
    from propersim.sim.wiring import select_personas

    cfg = load_config(None, [
        "sim.personas.file=personas/reference32.jsonl", f"sim.personas.count={args.personas}",
        f"sim.tick_seconds={args.tick_seconds}", "sim.first_hour=9", f"sim.last_hour={9 + args.hours}",
        f"engines.m.model={args.model}", f"engines.m.dtype={args.dtype}",
        "arms.llm.policy=llm", "arms.llm.engine=m", f"arms.llm.memory_mode={args.memory_mode}",
        "arms.llm.n_candidates=2", f"arms.llm.max_tokens={args.max_tokens}",
        "arms.llm.temperature=0"])  # greedy: the raw replay generates exactly the same tokens
    personas = select_personas(cfg)
    engine = make_engine(EngineConfig(model=args.model, dtype=args.dtype, max_model_len=2048), seed=0)
    try:
        loop_run(cfg, personas[:1], engine)  # warm-up
        loop_tps, raw_tps, ratios = [], [], []
        for _ in range(args.repeats):
            seconds, tokens, batches = loop_run(cfg, personas, engine)
            raw_seconds, raw_tokens = raw_run(engine, batches)
            loop_tps.append(tokens / seconds)
            raw_tps.append(raw_tokens / raw_seconds)
            ratios.append(loop_tps[-1] / raw_tps[-1])
    finally:
        engine.close()
    requests = sum(len(b) for b in batches)
    result = {
        "model": args.model, "personas": args.personas, "hours": args.hours, "requests_per_run": requests,
        "batches_per_run": len(batches), "loop_tokens_per_s": spread(loop_tps), "raw_tokens_per_s": spread(raw_tps),
        "orchestration_efficiency": spread(ratios),
    }
    print(f"model {args.model}: {requests} requests in {len(batches)} batches per run, {args.repeats} runs")
    print(f"  in the tick loop   {fmt(result['loop_tokens_per_s'], digits=1):>24} tokens/s")
    print(f"  raw LLM.generate   {fmt(result['raw_tokens_per_s'], digits=1):>24} tokens/s")
    print(f"  efficiency         {fmt(result['orchestration_efficiency'], digits=3):>24}")
    return finish(result, args.json)

if __name__ == "__main__":
    main()
