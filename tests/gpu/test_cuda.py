"""Where CUDA is (``make test-gpu``): vLLM in bf16 on a GPU, a LoRA adapter and full weights trained by a DPO step on
the GPU and served, trainings on the GPU that repeat bit for bit, a small learning run on Ray on one GPU, and
`propersim plan` against that Ray cluster. Every test here is marked ``gpu`` and skipped without CUDA
(tests/conftest.py)."""

import json

import pytest

from propersim.config import EngineConfig, TrainerConfig, load_config
from propersim.llm.engine import GenerationRequest
from propersim.llm.models import resolve_model
from tests.trainers.test_preference import PROMPTS, pairs

pytestmark = [pytest.mark.gpu, pytest.mark.integration]

MODEL = "gemma-3-270m"


@pytest.fixture(scope="module")
def engine():
    """Gemma-3-270M on the GPU with the CUDA defaults (bf16, CUDA graphs, prefix caching), serving LoRA."""
    from propersim.llm import make_engine

    engine = make_engine(EngineConfig(model=MODEL, gpus_per_replica=1, gpu_memory_utilization=0.3, enable_lora=True,
                                      max_loras=2), seed=0)
    yield engine
    engine.close()


def greedy(engine, **kw):
    return [g.text for g in engine.generate([GenerationRequest(p, max_tokens=12, **kw) for p in PROMPTS])]


def test_vllm_runs_bf16_on_cuda(engine):
    config = engine._llm.llm_engine.model_config
    assert str(config.dtype) == "torch.bfloat16" and not config.enforce_eager
    assert all(greedy(engine)), "every prompt got a completion"


def test_a_lora_adapter_from_a_dpo_step_on_the_gpu_is_served(engine, tmp_path):
    from trainers.preference import train_preference

    cfg = TrainerConfig(method="dpo", lora_r=8, lora_alpha=16, epochs=1, lr=5e-2)
    adapter = train_preference(str(resolve_model(MODEL)), pairs(), cfg, tmp_path / "v1")
    assert adapter.steps >= 1 and adapter.loss is not None
    assert greedy(engine, adapter=adapter.path) != greedy(engine), "the adapter changes greedy outputs"


def test_full_weights_are_reloaded_in_place(tmp_path):
    from propersim.llm import make_engine
    from trainers.preference import train_preference

    full = train_preference(str(resolve_model(MODEL)), pairs(), TrainerConfig(method="dpo", lora_r=0, epochs=1,
                                                                               lr=1e-3), tmp_path / "v1")
    engine = make_engine(EngineConfig(model=MODEL, gpus_per_replica=1, gpu_memory_utilization=0.3), seed=0)
    try:
        base = greedy(engine)
        assert greedy(engine, weights=full.path) != base, "the new weights change greedy outputs"
    finally:
        engine.close()


LEARNING_RUN = ["sim.days=2", "sim.tick_seconds=900", "sim.first_hour=9", "sim.last_hour=10",
                "sim.personas.count=2", f"engines.m.model={MODEL}", "engines.m.gpus_per_replica=0.5",
                "engines.m.gpu_memory_utilization=0.3", "arms.pp.policy=llm", "arms.pp.engine=m", "arms.pp.learn=true",
                "arms.pp.n_candidates=2", "arms.pp.max_tokens=16", "trainer.method=dpo", "trainer.scope=shared",
                "trainer.gpus=0.5", "trainer.replay_buffer=4", "trainer.epochs=1", "runtime.address=local"]


def test_a_learning_run_on_ray_on_one_gpu(tmp_path):
    from propersim.cli import simulator
    from propersim.sim.runner import run
    from trainers.points import Trainings

    cfg = load_config("jobs/baselines.yaml", LEARNING_RUN)
    summary = run(cfg, tmp_path, "jobs/baselines.yaml", progress=False, simulator=simulator, training=Trainings)
    assert [d["day"] for d in summary["arms"]["pp"]["daily"]] == [1, 2]
    runtime = json.loads((tmp_path / "runtime.json").read_text())
    assert runtime["backend"] == "ray"


def test_plan_against_the_real_cluster(capsys):
    import torch

    from propersim import cli

    assert cli.main(["plan", "jobs/baselines.yaml", *LEARNING_RUN[:-1], "--address", "local", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert sum(report["nodes"]) == torch.cuda.device_count()
    assert report["engines"]["m"]["nodes"] == [0] and report["trainer"]["concurrent"] >= 1


def test_training_on_the_gpu_is_reproducible(tmp_path):
    """Two DPO trainings of the same pairs and seed on CUDA write byte-identical adapters with the same loss; another
    seed writes another adapter (so the comparison can fail)."""
    from trainers.preference import train_preference

    cfg = TrainerConfig(method="dpo", lora_r=8, lora_alpha=16, epochs=2, lr=5e-2)
    model = str(resolve_model("tiny-random"))
    runs = [train_preference(model, pairs(), cfg, tmp_path / name, seed=seed)
            for name, seed in (("a", 0), ("b", 0), ("c", 1))]
    weights = [(tmp_path / name / "adapter_model.safetensors").read_bytes() for name in "abc"]
    assert weights[0] == weights[1] and runs[0].loss == runs[1].loss
    assert weights[2] != weights[0], "another seed initialises another adapter"
