"""The mapping from an engine config to vllm.LLM's keyword arguments, per device (no engine is started)."""

import pytest

from propersim.config import EngineConfig, load_config
from propersim.llm.vllm_args import vllm_kwargs


def test_cpu_defaults_keep_eager_mode_and_the_models_dtype():
    assert vllm_kwargs(EngineConfig(), cuda=False) == {"dtype": "auto", "max_model_len": 2048,
                                                       "enforce_eager": True, "enable_chunked_prefill": False,
                                                       "max_num_batched_tokens": 2048}
    assert vllm_kwargs(EngineConfig(max_model_len=8192), cuda=False)["max_num_batched_tokens"] == 8192


def test_cuda_defaults_use_graphs_bf16_and_prefix_caching():
    kw = vllm_kwargs(EngineConfig(gpus_per_replica=1), cuda=True)
    assert kw == {"dtype": "bfloat16", "max_model_len": 2048, "enforce_eager": False,
                  "enable_prefix_caching": True}


def test_tensor_parallel_replicas_run_their_workers_on_their_own_gpus():
    cfg = load_config(None, ["engines.m.model=x", "engines.m.tensor_parallel_size=4"]).engines["m"]
    kw = vllm_kwargs(cfg, cuda=True)
    assert (kw["tensor_parallel_size"], kw["distributed_executor_backend"]) == (4, "mp")


@pytest.mark.parametrize("gpus, share", [(0.5, 0.45), (0.25, 0.225)])
def test_a_fractional_replica_takes_its_share_of_gpu_memory(gpus, share):
    assert vllm_kwargs(EngineConfig(gpus_per_replica=gpus), cuda=True)["gpu_memory_utilization"] == \
        pytest.approx(share)


def test_explicit_keys_win_over_device_defaults():
    cfg = EngineConfig(dtype="float16", enforce_eager=True, enable_prefix_caching=False, gpu_memory_utilization=0.7,
                       gpus_per_replica=0.5)
    kw = vllm_kwargs(cfg, cuda=True)
    assert (kw["dtype"], kw["enforce_eager"], kw["enable_prefix_caching"], kw["gpu_memory_utilization"]) == \
        ("float16", True, False, 0.7)
    assert vllm_kwargs(EngineConfig(enable_prefix_caching=True), cuda=False)["enable_prefix_caching"] is True


def test_lora_engines_get_their_slots():
    cfg = load_config("jobs/paper.yaml").engines["assistant"]
    kw = vllm_kwargs(cfg, cuda=True)
    assert {k: kw[k] for k in ("enable_lora", "max_lora_rank", "max_loras", "max_cpu_loras")} == \
        {"enable_lora": True, "max_lora_rank": 16, "max_loras": 32, "max_cpu_loras": 32}
    assert "enable_lora" not in vllm_kwargs(load_config("jobs/paper.yaml").engines["judge"], cuda=True)
