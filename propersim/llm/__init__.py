"""LLM engines: one interface, an in-process vLLM backend and an OpenAI-compatible HTTP backend."""

from __future__ import annotations

from propersim.config import ConfigError
from propersim.llm.engine import Engine, Generation, GenerationRequest


def make_engine(cfg, seed: int = 0) -> Engine:
    """Build the engine an :class:`~propersim.config.EngineConfig` describes (imports its backend lazily).

    Raises:
        ValueError: openai backend without ``base_url``.
        FileNotFoundError: the model is neither a registry name nor a model directory.
    """
    if cfg.backend == "openai":
        from propersim.llm.openai_engine import OpenAIEngine

        if not cfg.base_url:
            raise ConfigError("engines: backend=openai needs base_url (e.g. http://127.0.0.1:8000/v1)")
        return OpenAIEngine(cfg.base_url, cfg.model, cfg.api_key_env)
    from propersim.llm.models import resolve_model
    from propersim.llm.vllm_args import cuda_available, vllm_kwargs
    from propersim.llm.vllm_engine import VLLMEngine

    return VLLMEngine(resolve_model(cfg.model), cfg.model, seed=seed, **vllm_kwargs(cfg, cuda_available()))


__all__ = ["Engine", "Generation", "GenerationRequest", "make_engine"]
