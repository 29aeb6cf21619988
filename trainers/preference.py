"""One training point: DPO (or KTO on the pairs' two sides as liked/disliked) with trl on the sampled pairs, LoRA by default, optionally under
DeepSpeed; writes a LoRA adapter directory (or full weights with ``lora_r=0``) that vLLM serves.

Runs on CPU (tests, this machine) and on GPUs. DeepSpeed wants a process group even for one process; on a
single machine the rendezvous is set to loopback for the training when the launcher has not set it.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import socket
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pyarrow as pa

from propersim.config import TrainerConfig
from propersim.data import schema as S
from propersim.llm.artifacts import Artifact
from propersim.llm.engine import ADAPTER, WEIGHTS

ZERO2_CPU = Path(__file__).with_name("zero2_cpu.json")


@dataclass(frozen=True)
class TrainJob:
    """One adapter to train, on any node: the base model (a registry name, Hugging Face id or path, resolved
    where it trains), its pairs, the artifact it continues, and the trainer settings and seed."""

    model: str
    pairs: pa.Table
    init: Artifact | None
    cfg: TrainerConfig
    seed: int = 0


@dataclass(frozen=True)
class TrainResult:
    """What a training point produced: a directory (:func:`train_preference`), or the artifact itself
    (:func:`train_job`, whose directory is gone once the artifact is read)."""

    path: str | None
    pairs: int
    steps: int
    seconds: float
    loss: float | None
    artifact: Artifact | None = None


def _dataset(pairs: pa.Table, method: str):
    """trl's dataset: paired (prompt, chosen, rejected) for DPO, unpaired (prompt, completion, label) for KTO;
    conversational where the prompts were chat messages (trl applies the chat template)."""
    from datasets import Dataset

    rows = pairs.to_pylist()
    chat = rows[0][S.PROMPT_FORMAT] == "chat"
    prompt = (lambda r: json.loads(r[S.PROMPT])) if chat else (lambda r: r[S.PROMPT])  # noqa: E731
    side = (lambda text: [{"role": "assistant", "content": text}]) if chat else (lambda text: text)  # noqa: E731
    if method == "kto":
        return Dataset.from_dict({"prompt": [prompt(r) for r in rows for _ in (0, 1)],
                                  "completion": [side(r[k]) for r in rows for k in (S.CHOSEN, S.REJECTED)],
                                  "label": [k == S.CHOSEN for _ in rows for k in (S.CHOSEN, S.REJECTED)]})
    return Dataset.from_dict({"prompt": [prompt(r) for r in rows], "chosen": [side(r[S.CHOSEN]) for r in rows],
                              "rejected": [side(r[S.REJECTED]) for r in rows]})


def _single_process_group() -> None:
    """Loopback rendezvous for a one-process DeepSpeed run (without it DeepSpeed looks for MPI); set in the
    training's own child process, where it cannot leak into later work."""
    for key, value in (("MASTER_ADDR", "127.0.0.1"), ("RANK", "0"), ("WORLD_SIZE", "1"), ("LOCAL_RANK", "0")):
        os.environ.setdefault(key, value)
    if "MASTER_PORT" not in os.environ:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            os.environ["MASTER_PORT"] = str(s.getsockname()[1])


@contextmanager
def _all_cores(cuda: bool):
    """Every core for torch during a CPU training (vLLM's front end leaves this process one thread)."""
    import torch

    threads = torch.get_num_threads()
    if not cuda:
        torch.set_num_threads(len(os.sched_getaffinity(0)))
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _score_completions_only() -> None:
    """trl's fused LM head scores only completion positions where Triton runs, and every position elsewhere (for
    Neuron's fixed shapes). On CPU that projects every prompt token through the vocabulary (262k for Gemma-3),
    several times the backbone's own cost; score completions only there too (the torch tile path is unchanged)."""
    from trl.trainer import utils

    if hasattr(utils, "_use_triton"):
        utils._use_triton = lambda device: True


def artifact_kind(tcfg: TrainerConfig) -> str:
    """What the trainer writes: full weights with ``lora_r=0``, else LoRA adapters."""
    return WEIGHTS if tcfg.lora_r == 0 else ADAPTER


def train_job(job: TrainJob) -> TrainResult:
    """:func:`train_preference` of one job (what a simulator runs, here or as a Ray task), in a scratch
    directory of this node: the continued artifact comes in as bytes and the trained one goes out as bytes, so
    the trainer shares no disk with the driver or the engines."""
    from propersim.llm.models import resolve_model

    with tempfile.TemporaryDirectory(prefix="propersim-train-") as tmp:
        init = job.init and str(job.init.write_to(Path(tmp) / "init"))
        result = train_preference(resolve_model(job.model), job.pairs, job.cfg, Path(tmp) / "out", init, job.seed)
        return replace(result, path=None, artifact=Artifact.from_dir(artifact_kind(job.cfg), result.path))


def train_preference(model_path: str | Path, pairs: pa.Table, cfg: TrainerConfig, out_dir: str | Path,
              init_adapter: str | None = None, seed: int = 0) -> TrainResult:
    """Train on ``pairs`` (:data:`schema.PAIRS`) and save the result in ``out_dir``.

    Args:
        model_path: the base model directory.
        pairs: the sampled pairs.
        cfg: method (dpo | kto), LoRA settings, beta, SFT weight, lr, epochs, batch size, deepspeed (a config
            path, or "zero2" for the ZeRO-2 config shipped in ``trainers/``).
        out_dir: where the adapter (or full model) is written.
        init_adapter: continue from the previous policy version: its adapter (LoRA) or its weights directory
            (full fine-tuning) instead of a fresh adapter or the base model.
        seed: training seed.

    Under DeepSpeed the training runs in a child process of its own: DeepSpeed and accelerate keep
    process-wide state (a process group, environment marks) that would break later trainings here.

    Raises:
        ValueError: no pairs to train on.
    """
    if pairs.num_rows == 0:
        raise ValueError("no preference pairs to train on")
    args = (model_path, pairs, cfg, out_dir, init_adapter, seed)
    if not cfg.deepspeed:
        return _train(*args)
    start = time.perf_counter()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        result = pool.submit(_train, *args).result()
    return replace(result, seconds=time.perf_counter() - start)  # the child's start-up counted too


def _train(model_path, pairs, cfg, out_dir, init_adapter, seed) -> TrainResult:
    """One training with :func:`train_preference`'s arguments, in this process."""
    import torch
    from peft import LoraConfig, PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer, set_seed
    from trl import DPOConfig, DPOTrainer, KTOConfig, KTOTrainer

    start = time.perf_counter()
    set_seed(seed)  # before the adapter is created: trl builds it before the Trainer seeds anything
    _score_completions_only()
    deepspeed = None
    if cfg.deepspeed:
        deepspeed = str(ZERO2_CPU) if cfg.deepspeed == "zero2" else cfg.deepspeed
        _single_process_group()
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    cuda = torch.cuda.is_available()
    # full fine-tuning continues from the previous version's weights, LoRA from the base model and its adapter
    start_from = init_adapter if init_adapter and not cfg.lora_r else model_path
    model = AutoModelForCausalLM.from_pretrained(start_from, dtype=torch.bfloat16 if cuda else torch.float32)
    peft_config = None
    if cfg.lora_r and init_adapter:
        model = PeftModel.from_pretrained(model, init_adapter, is_trainable=True)
    elif cfg.lora_r:
        peft_config = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                                 target_modules="all-linear", task_type="CAUSAL_LM")
    config_cls, trainer_cls = (KTOConfig, KTOTrainer) if cfg.method == "kto" else (DPOConfig, DPOTrainer)
    rpo = dict(loss_type=["sigmoid", "sft"], loss_weights=[1.0, cfg.sft_weight]) if cfg.sft_weight else {}
    with _all_cores(cuda):
        args = config_cls(
            output_dir=str(Path(out_dir) / "trainer"), per_device_train_batch_size=min(cfg.batch_size, pairs.num_rows),
            num_train_epochs=cfg.epochs, learning_rate=cfg.lr, beta=cfg.beta, seed=seed, data_seed=seed,
            use_cpu=not cuda, bf16=cuda, report_to=[], save_strategy="no", logging_steps=1, disable_tqdm=True,
            max_length=1024, deepspeed=deepspeed, **rpo)
        trainer = trainer_cls(model=model, args=args, train_dataset=_dataset(pairs, cfg.method),
                              processing_class=tokenizer, peft_config=peft_config)
        out = trainer.train()
    if cfg.lora_r:  # the trained adapter only (trl keeps the previous version beside it as the reference)
        trainer.model.save_pretrained(str(out_dir), selected_adapters=["default"])
    else:
        trainer.model.save_pretrained(str(out_dir))
    shutil.rmtree(Path(out_dir) / "trainer", ignore_errors=True)
    if not cfg.lora_r:
        tokenizer.save_pretrained(str(out_dir))
    return TrainResult(str(out_dir), pairs.num_rows, out.global_step, time.perf_counter() - start,
                       out.training_loss)
