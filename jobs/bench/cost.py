"""Cost accounting: tokens per persona-day in the paper's configuration (2.5-minute ticks over the waking day,
ProPerAssistant with 2 candidates, day-summary memory and retrieval, the LLM judge with 5 prompts per
candidate), and the compute it implies for 32 personas x 14 days.

Prompts are the real ones, built by the real tick loop and counted with the model's tokenizer; the answers
are fixed, typical completions (a one-sentence suggestion or "No Recommendation" in turn; a score with a
one-sentence reason), so the figure does not depend on an engine's speed.

    python -m jobs.bench.cost --model gemma-3-270m --personas 2 --tokens-per-s 17.2
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import replace
from functools import partial
from pathlib import Path

from jobs.bench.common import finish
from propersim.llm.engine import Engine, Generation, GenerationRequest

SUGGESTION = " How about a short walk outside before lunch? The sun is out."
ABSTAIN = " No Recommendation"
VERDICT_REASON = "It fits what she is doing now and the way she likes to be spoken to."
#: The original's cost per persona run (ProPerSim README): about 10 A100-days.
ORIGINAL_A100_DAYS_PER_PERSONA = 10


class CountingEngine(Engine):
    """Counts every prompt's tokens with ``tokenizer`` and answers with the fixed completions above."""

    def __init__(self, tokenizer, model: str):
        self.tokenizer, self.model = tokenizer, model
        self.requests = 0
        self.by_role = {"assistant": [0, 0, 0], "judge": [0, 0, 0]}  # requests, prompt and generated tokens
        self._turn = 0

    @property
    def has_chat_template(self) -> bool:
        return bool(getattr(self.tokenizer, "chat_template", None))

    def generate(self, requests: list[GenerationRequest]) -> list[Generation]:
        out = []
        for r in requests:
            text = r.prompt if isinstance(r.prompt, str) else self.tokenizer.apply_chat_template(
                r.prompt, tokenize=False, add_generation_prompt=True)
            judge = r.json_schema is not None or r.stop == ("}",)  # a judge prompt (chat or base model)
            if judge:
                answer = json.dumps({"score": 1, "reason": VERDICT_REASON})
                answer = answer if self.has_chat_template else answer.split('"score": ', 1)[1].rstrip("}")
            else:
                self._turn += 1
                answer = SUGGESTION if self._turn % 2 else ABSTAIN
            out.append(Generation(answer, len(self.tokenizer(text)["input_ids"]),
                                  len(self.tokenizer(answer, add_special_tokens=False)["input_ids"])))
            counts = self.by_role["judge" if judge else "assistant"]
            counts[0], counts[1], counts[2] = counts[0] + 1, counts[1] + out[-1].prompt_tokens, \
                counts[2] + out[-1].completion_tokens
        self.requests += len(requests)
        return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="gemma-3-270m", help="whose tokenizer counts (registry name or directory)")
    ap.add_argument("--personas", type=int, default=2)
    ap.add_argument("--tokens-per-s", type=float,
                    help="an engine's measured throughput (generated tokens/s) to turn tokens into hours")
    ap.add_argument("--json", help="also write the result to this file")
    args = ap.parse_args(argv)

    from transformers import AutoTokenizer

    from propersim.config import load_config
    from propersim.data.store import read_interactions
    from propersim.llm.models import resolve_model
    from propersim.sim.local import LocalSimulator
    from propersim.sim.runner import run

    engine = CountingEngine(AutoTokenizer.from_pretrained(resolve_model(args.model)), args.model)
    cfg = load_config("jobs/paper.yaml", [
        "sim.days=1", f"sim.personas.count={args.personas}", f"engines.assistant.model={args.model}",
        f"engines.judge.model={args.model}", "arms.pp.learn=false", "trainer.method=none"])
    cfg = replace(cfg, arms={"pp": cfg.arms["pp"]})  # the ProPerAssistant alone, not the baselines
    with tempfile.TemporaryDirectory() as tmp:
        run(cfg, Path(tmp) / "run", "jobs/paper.yaml", progress=False,
            simulator=partial(LocalSimulator, engines={"assistant": engine, "judge": engine}))
        rows = read_interactions(Path(tmp) / "run")
    persona_days = args.personas * cfg.sim.days
    prompt = sum(rows["prompt_tokens"].to_pylist()) / persona_days
    completion = sum(rows["completion_tokens"].to_pylist()) / persona_days
    result = {"model": args.model, "persona_days": persona_days,
              "decisions_per_persona_day": rows.num_rows / persona_days,
              "requests_per_persona_day": engine.requests / persona_days,
              "prompt_tokens_per_persona_day": prompt, "completion_tokens_per_persona_day": completion,
              "tokens_per_persona_day": prompt + completion,
              # what propersim.sim.cost.TOKENS_PER_REQUEST holds: (prompt, generated) tokens per request by role
              "tokens_per_request": {role: (p / max(n, 1), g / max(n, 1))
                                     for role, (n, p, g) in engine.by_role.items()}}
    print(f"paper configuration, {args.model} tokenizer, {persona_days} persona-days:")
    print(f"  {result['decisions_per_persona_day']:.0f} rated candidates and {result['requests_per_persona_day']:.0f} "
          f"LLM requests per persona-day")
    print(f"  {prompt:,.0f} prompt + {completion:,.0f} generated = {prompt + completion:,.0f} tokens per persona-day")
    for role, (p, g) in result["tokens_per_request"].items():
        print(f"  {role}: {p:,.0f} prompt + {g:,.1f} generated tokens per request")
    if args.tokens_per_s:
        hours = completion * 32 * 14 / args.tokens_per_s / 3600
        result["engine_hours_32x14"] = hours
        print(f"  32 personas x 14 days at {args.tokens_per_s:g} generated tokens/s (prefill not counted): "
              f"{hours:,.0f} engine-hours; the original: about {ORIGINAL_A100_DAYS_PER_PERSONA * 32 * 24:,} "
              f"A100-hours ({ORIGINAL_A100_DAYS_PER_PERSONA} A100-days per persona)")
    return finish(result, args.json)


if __name__ == "__main__":
    main()
