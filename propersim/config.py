"""Structured run configuration: one dataclass per group, YAML loading, dotlist overrides and validation.

Every field documents its effect in ``metadata["help"]``; ``choices``/``min``/``max`` in the metadata are
checked by :func:`load_config`, which raises :class:`ConfigError` naming the full key, the value and what
is expected. Unknown keys are rejected with the valid keys of their group.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from propersim.errors import MissingInputError, UserError


class ConfigError(UserError, ValueError):
    """A user-fixable problem in a config file or override."""


def _f(default, help: str, **checks):
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: type(default)(default), metadata={"help": help, **checks})
    return field(default=default, metadata={"help": help, **checks})


@dataclass
class RunConfig:
    name: str = _f("run", "Run name (letters, digits, '.', '_', '-'); the default run directory is runs/<name>.")
    out_dir: str = _f("runs", "Parent directory of run directories.")
    seed: int = _f(0, "Seed of every random choice in the run (plans, policies, judge noise).", min=0)
    trackers: list[str] = _f([], "Experiment trackers that get each day's metrics, every training point and the "
                             "config: tensorboard (RUN_DIR/tensorboard) | wandb (offline unless WANDB_MODE says) | "
                             "mlflow (MLFLOW_TRACKING_URI, else RUN_DIR/mlruns); pip install 'propersim[trackers]'.",
                             choices=("tensorboard", "wandb", "mlflow"))
    live_report: bool = _f(True, "Refresh summary.json and the report after every simulated day (else only at the "
                           "end); runtime.json's live_summary_seconds says what it costs.")


@dataclass
class PersonasConfig:
    file: str = _f("personas/reference32.jsonl", "Persona JSONL file (see `propersim personas`).")
    generate: Optional[int] = _f(None, "Generate this many personas (seeded by run.seed) instead of reading `file`.",
                                 min=1)
    count: Optional[int] = _f(None, "Use only the first `count` personas of the file.", min=1)
    ids: Optional[list[int]] = _f(None, "Use only these persona ids (after `count`).")


@dataclass
class SimConfig:
    tick_seconds: int = _f(150, "Simulated seconds per tick; the assistant decides once per awake tick.",
                           min=30, max=3600)
    days: int = _f(14, "Number of simulated days.", min=1, max=365)
    start_date: str = _f("2025-02-13", "Calendar date of day 1 (YYYY-MM-DD).")
    first_hour: float = _f(0.0, "Simulated window of each day starts at this hour (ticks before it are skipped).",
                           min=0.0, max=24.0)
    last_hour: float = _f(24.0, "Simulated window of each day ends at this hour (ticks from it on are skipped).",
                          min=0.0, max=24.0)
    personas: PersonasConfig = field(default_factory=PersonasConfig)


@dataclass
class WorldConfig:
    planner: str = _f("procedural", "Day planner: procedural | replay (original traces) | llm.",
                      choices=("procedural", "replay", "llm"))
    trace_dir: str = _f("../shared/reference/propersim/traces",
                        "Directory of persona_NN_day1.jsonl traces for planner=replay.")
    planner_engine: Optional[str] = _f(None, "Name of the engine (in `engines`) used by planner=llm.")
    retries: int = _f(2, "planner=llm: re-asks of an invalid plan before the procedural fallback.", min=0)


@dataclass
class UserConfig:
    judge: str = _f("oracle", "Judge of each decision: oracle (rule-based) | llm.", choices=("oracle", "llm"))
    judge_engine: Optional[str] = _f(None, "Name of the engine (in `engines`) used by judge=llm.")
    judge_retries: int = _f(2, "judge=llm: re-asks of an unparsable answer before a recorded failure.", min=0)
    judge_mode: str = _f("separate", "judge=llm: separate (the paper's five prompts per decision, one per check) | "
                         "joint (one prompt for all five checks, answered as one JSON object).",
                         choices=("separate", "joint"))
    noise: float = _f(0.0, "Probability of flipping each criterion's 0/1 score (feedback noise).", min=0.0, max=1.0)


@dataclass
class AssistantConfig:
    policy: str = _f("scheduled", "Policy: never | always | random | scheduled (content-blind baselines) | "
                     "oracle_best (reference upper bound: acts on the persona's structured preferences) | llm.",
                     choices=("never", "always", "random", "scheduled", "oracle_best", "llm"))
    n_candidates: int = _f(2, "Candidates sampled and judged per tick; one is delivered.", min=1, max=8)
    p: float = _f(0.1, "policy=random: probability of recommending at a tick.", min=0.0, max=1.0)
    every_ticks: int = _f(24, "policy=scheduled: recommend every k awake ticks.", min=1)
    memory: str = _f("AS", "Retrieval memory level: A | AS | ASC | ASCR (action, suggestion, score, reason).",
                     choices=("A", "AS", "ASC", "ASCR"))
    memory_mode: str = _f("ar", "policy=llm day-summary memory: no_memory | ar (actions, recommendations) | "
                          "ars (plus scores).", choices=("no_memory", "ar", "ars"))
    temperature: float = _f(0.9, "policy=llm: sampling temperature of the candidates.", min=0.0)
    max_tokens: int = _f(96, "policy=llm: cap on tokens per candidate.", min=1)
    output: str = _f("free", "policy=llm: free (any one-line text) | catalogue (exactly one of the catalogue's "
                     "recommendations or \"No Recommendation\", by guided decoding: small models learn content "
                     "as a choice between concrete options).", choices=("free", "catalogue"))
    retrieval_top_k: int = _f(5, "Past interactions retrieved into the prompt.", min=0)
    engine: Optional[str] = _f(None, "Name of the engine serving an LLM policy.")
    learn: bool = _f(False, "policy=llm: build preference pairs and train this arm (trainer.*) at cadence points.")
    retrieval: bool = _f(False, "policy=llm: the ProPerAssistant retrieval memory (Milvus; retrieval_top_k items "
                         "shown at level `memory`).")
    memory_uri: Optional[str] = _f(None, "retrieval: a Milvus server URI (None: a node-local Milvus Lite "
                                   "file per shard; the items are checkpointed either way).")


@dataclass
class EngineConfig:
    backend: str = _f("vllm", "vllm (in-process) | openai (OpenAI-compatible HTTP endpoint).",
                      choices=("vllm", "openai"))
    model: str = _f("gemma-3-270m", "Registry name, local path or Hugging Face id (org/name, from the HF cache) of "
                    "the model.")
    dtype: str = _f("auto", "Weights dtype; auto: bfloat16 on CUDA, the model's own on CPU.",
                    choices=("auto", "float32", "bfloat16", "float16"))
    max_model_len: int = _f(2048, "Context length.", min=128)
    replicas: int = _f(1, "Engine replicas.", min=1)
    tensor_parallel_size: int = _f(1, "backend=vllm: GPUs one replica shards the model over (tensor parallelism, "
                                   "within one node).", min=1)
    gpus_per_replica: Optional[float] = _f(None, "GPUs Ray reserves per replica: tensor_parallel_size when > 1 "
                                           "(any other value is an error), else 0 (CPU), 1 or a fraction of a GPU; "
                                           "None: tensor_parallel_size if > 1, else 0.", min=0.0)
    gpu_memory_utilization: Optional[float] = _f(None, "backend=vllm on CUDA: share of each GPU's memory vLLM "
                                                 "takes; None: 0.9, times gpus_per_replica when that is a fraction.",
                                                 min=0.05, max=1.0)
    enforce_eager: Optional[bool] = _f(None, "backend=vllm: no CUDA graphs / compilation; None: true on CPU, false "
                                       "on CUDA.")
    enable_prefix_caching: Optional[bool] = _f(None, "backend=vllm: reuse the KV cache of shared prompt prefixes "
                                               "(the judge's five prompts per candidate share one); None: true on "
                                               "CUDA, vLLM's default on CPU.")
    base_url: Optional[str] = _f(None, "backend=openai: endpoint base URL.")
    api_key_env: Optional[str] = _f(None, "backend=openai: environment variable holding the API key.")
    enable_lora: bool = _f(False, "backend=vllm: serve LoRA adapters (set for engines of learning arms).")
    max_lora_rank: int = _f(16, "backend=vllm, enable_lora: largest adapter rank served.", min=1)
    max_loras: Optional[int] = _f(None, "enable_lora: adapters one batch may use at once (GPU slots); None: the "
                                  "personas of a batch (per_persona scope, else 1), twice that under "
                                  "trainer.mode=async (two versions in flight).", min=1)
    max_cpu_loras: Optional[int] = _f(None, "enable_lora: adapters kept loaded in host memory (>= max_loras); "
                                      "None: every persona's adapter of the versions in flight.", min=1)

    def __post_init__(self):
        if self.gpus_per_replica is None:
            self.gpus_per_replica = float(self.tensor_parallel_size if self.tensor_parallel_size > 1 else 0)


@dataclass
class TrainerConfig:
    method: str = _f("none", "Preference learning: dpo | kto | none.", choices=("dpo", "kto", "none"))
    cadence: str = _f("day", "Training points: day (end of every day) | days:K | half_day | ticks:N (every N "
                      "simulated ticks) | never.")
    mode: str = _f("sync", "sync (the simulation waits for training, the paper) | async (it goes on with the old "
                   "policy; the adapter is pushed max_staleness ticks after its training point).",
                   choices=("sync", "async"))
    max_staleness: int = _f(4, "mode=async: ticks simulated on the old policy after a training point.", min=1)
    replay_buffer: int = _f(200, "Pairs drawn from the buffer per training.", min=1)
    buffer_mix: str = _f("cumulative", "cumulative (random from all pairs so far) | half_today (half from the "
                         "day's pairs).", choices=("cumulative", "half_today"))
    no_rec_share: Optional[float] = _f(None, "Force at least this share of pairs whose chosen side is "
                                       "\"No Recommendation\".", min=0.0, max=1.0)
    rec_vs_rec_share: Optional[float] = _f(None, "Force at least this share of pairs of two recommendations "
                                           "(content contrasts), as far as there are.", min=0.0, max=1.0)
    lora_r: int = _f(16, "LoRA rank (0: full fine-tuning).", min=0)
    lora_alpha: int = _f(32, "LoRA alpha.", min=1)
    lora_dropout: float = _f(0.05, "LoRA dropout.", min=0.0, max=1.0)
    beta: float = _f(0.1, "DPO/KTO beta.", min=0.0)
    sft_weight: float = _f(0.0, "method=dpo: weight of a negative log-likelihood term on the chosen completions "
                           "added to the DPO loss (RPO), so that DPO cannot lower what it prefers; 0: plain DPO.",
                           min=0.0)
    lr: float = _f(5e-5, "Learning rate.", min=0.0)
    epochs: int = _f(2, "Epochs per training point.", min=1)
    batch_size: int = _f(8, "Pairs per optimizer step (with few pairs, a smaller batch makes more steps).", min=1)
    scope: str = _f("per_persona", "per_persona (one adapter per persona) | shared.",
                    choices=("per_persona", "shared"))
    deepspeed: Optional[str] = _f(None, "DeepSpeed: zero2 (trainers/zero2_cpu.json) or a config file; None: off.")
    gpus: Optional[float] = _f(None, "GPUs of each training task on Ray (they must be GPUs no engine replica holds); "
                               "None: 1 when the cluster has GPUs (bf16), else 0 (CPU, fp32).", min=0.0)
    schedule_timeout_s: float = _f(600.0, "On Ray: seconds a training task may wait for its GPUs before the run fails "
                                   "naming what holds them.", min=1.0)
    push_timeout_s: float = _f(300.0, "Seconds a weight/adapter push to every replica may take.", min=1.0)


@dataclass
class RuntimeConfig:
    address: Optional[str] = _f(None, "Ray: local (start one in this process) | auto | host:port | "
                                "ray://host:port; None runs everything in this process without Ray.")
    shards: int = _f(1, "PersonaShard actors (each owns a contiguous slice of the personas).", min=1)
    personas_per_shard: Optional[int] = _f(None, "If set, as many shards as needed to hold at most this many "
                                           "personas each (overrides `shards`).", min=1)
    shard_cpus: float = _f(0.0, "CPUs reserved per PersonaShard actor (0 leaves CPUs to engines and Ray Data).",
                           min=0.0)
    max_in_flight: int = _f(64, "Requests one shard keeps in flight per engine replica (backpressure).", min=1)
    max_shard_restarts: int = _f(3, "Restarts of failed shards per day before the run stops.", min=0)
    num_cpus: Optional[int] = _f(None, "address=local: CPUs Ray may use (None: all).", min=1)
    object_store_mb: int = _f(512, "address=local: object store size in MiB.", min=64)
    runtime_env: Optional[str] = _f(None, "YAML runtime_env for ray:// client connections "
                                    "(e.g. cluster/runtime_env.yaml).")


@dataclass
class ExperimentConfig:
    run: RunConfig = field(default_factory=RunConfig)
    sim: SimConfig = field(default_factory=SimConfig)
    world: WorldConfig = field(default_factory=WorldConfig)
    user: UserConfig = field(default_factory=UserConfig)
    assistant: AssistantConfig = field(default_factory=AssistantConfig)
    engines: dict[str, EngineConfig] = field(default_factory=dict)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)
    # Assistant variants run side by side on the same user days: name -> settings (fields not given take
    # the AssistantConfig defaults). Empty: one arm named after `assistant.policy`, from `assistant`.
    arms: dict[str, AssistantConfig] = field(default_factory=dict)

    def arm_configs(self) -> dict[str, AssistantConfig]:
        """The arms of the run, in name order."""
        if not self.arms:
            return {self.assistant.policy: self.assistant}
        return dict(sorted(self.arms.items()))

    def learning_arms(self) -> list[str]:
        """Names of the arms that are trained (``learn: true``)."""
        return [name for name, acfg in self.arm_configs().items() if acfg.learn]


def _check_keys(data: Any, cls: type, prefix: str) -> None:
    """Reject unknown keys, naming the valid keys of their group."""
    if not isinstance(data, (dict, DictConfig)):
        return
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key, value in data.items():
        full = f"{prefix}{key}"
        if key not in fields:
            raise ConfigError(f"unknown config key '{full}'; valid keys of '{prefix.rstrip('.') or 'top level'}': "
                              f"{', '.join(fields)}")
        sub = _dataclass_of(fields[key].type)
        if sub is not None:
            _check_keys(value, sub, full + ".")
        elif key in ("arms", "engines") and isinstance(value, (dict, DictConfig)):
            item_cls = AssistantConfig if key == "arms" else EngineConfig
            for name, item in value.items():
                _check_keys(item, item_cls, f"{full}.{name}.")


def _dataclass_of(annotation: Any) -> type | None:
    names = {c.__name__: c for c in (RunConfig, PersonasConfig, SimConfig, WorldConfig, UserConfig,
                                     AssistantConfig, TrainerConfig, RuntimeConfig)}
    return names.get(annotation if isinstance(annotation, str) else getattr(annotation, "__name__", ""))


def _check_values(obj: Any, prefix: str = "") -> None:
    """Check choices and ranges declared in field metadata, recursively."""
    if isinstance(obj, dict):
        for name, item in obj.items():
            _check_values(item, f"{prefix}{name}.")
        return
    if not dataclasses.is_dataclass(obj):
        return
    for f in dataclasses.fields(obj):
        value, key = getattr(obj, f.name), f"{prefix}{f.name}"
        meta = f.metadata
        bad = [v for v in (value if isinstance(value, list) else [value]) if v not in meta.get("choices", [v])]
        if value is not None and bad:
            what = f"{key}={value!r}" if bad == [value] else f"{key}: {bad[0]!r}"
            raise ConfigError(f"{what} is not valid; expected one of: {', '.join(meta['choices'])}")
        if value is not None and "min" in meta and value < meta["min"]:
            raise ConfigError(f"{key}={value!r} is out of range; expected >= {meta['min']}")
        if value is not None and "max" in meta and value > meta["max"]:
            raise ConfigError(f"{key}={value!r} is out of range; expected <= {meta['max']}")
        _check_values(value, key + ".")


def load_config(path: str | Path | None = None, overrides: list[str] = (), text: str | None = None) -> ExperimentConfig:
    """Load a YAML config (the file ``path``, or ``text`` read from ``path`` elsewhere, e.g. a run's stored
    config), apply ``key=value`` overrides, validate.

    Raises:
        MissingInputError: the config file does not exist.
        ConfigError: unknown key, wrong type, out-of-range or invalid value.
    """
    layers = []
    if text is not None or path is not None:
        if text is None:
            path = Path(path)
            if not path.is_file():
                raise MissingInputError(f"config file not found: {path}")
        try:
            layers.append(OmegaConf.load(path) if text is None else OmegaConf.create(text))
        except Exception as e:  # yaml errors come in several types
            raise ConfigError(f"{path}: not valid YAML ({e})") from None
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override {item!r} is not of the form key=value")
    try:
        layers.append(OmegaConf.from_dotlist(list(overrides)))
    except OmegaConfBaseException as e:
        raise ConfigError(f"bad override: {e}") from None
    for layer in layers:
        if not isinstance(layer, DictConfig):
            raise ConfigError(f"a config must be a mapping of groups, got {type(layer).__name__}")
        _check_keys(layer, ExperimentConfig, "")
    try:
        merged = OmegaConf.merge(OmegaConf.structured(ExperimentConfig), *layers)
        cfg = OmegaConf.to_object(merged)
    except OmegaConfBaseException as e:
        key = getattr(e, "full_key", None) or "?"
        value = getattr(e, "value", None)
        raise ConfigError(f"{key}={value!r}: {str(e).splitlines()[0]}") from None
    _check_values(cfg)
    _check_engines(cfg)
    _check_learning(cfg)
    _size_lora_slots(cfg, path)
    if cfg.sim.first_hour >= cfg.sim.last_hour:
        raise ConfigError(f"sim.first_hour={cfg.sim.first_hour} must be below sim.last_hour={cfg.sim.last_hour}")
    if not _RUN_NAME.fullmatch(cfg.run.name):
        raise ConfigError(f"run.name={cfg.run.name!r} must be one plain directory name (letters, digits, '.', '_', "
                          "'-', starting with a letter or digit): it names runs/<name> and the run id; use --out "
                          "for a run directory elsewhere")
    return cfg


#: What a run name may be: one path component that cannot climb out of ``run.out_dir``.
_RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def engine_users(cfg: ExperimentConfig) -> list[tuple[str, str | None]]:
    """(role, engine name) of every LLM role of the run."""
    users = [(f"arms.{n}" if cfg.arms else "assistant", a.engine) for n, a in cfg.arm_configs().items()
             if a.policy == "llm"]
    users += [("world.planner_engine", cfg.world.planner_engine)] if cfg.world.planner == "llm" else []
    return users + ([("user.judge_engine", cfg.user.judge_engine)] if cfg.user.judge == "llm" else [])


def _check_engines(cfg: ExperimentConfig) -> None:
    """A replica holds exactly its tensor-parallel GPUs (or one GPU, a fraction of one, or none)."""
    for name, e in cfg.engines.items():
        tp, gpus = e.tensor_parallel_size, e.gpus_per_replica
        if (tp > 1 and gpus != tp) or (tp == 1 and gpus > 1):
            hint = f"gpus_per_replica={tp} or leave it out" if tp > 1 else f"tensor_parallel_size={gpus:g}"
            raise ConfigError(f"engines.{name}.gpus_per_replica={gpus:g} does not match tensor_parallel_size={tp} "
                              f"(a replica uses exactly its tensor-parallel GPUs); set {hint}")


def _check_learning(cfg: ExperimentConfig) -> None:
    """Learning arms need an LLM policy, two candidates and a trainer; their engines serve LoRA adapters."""
    from propersim.sim.schedule import training_positions

    try:
        training_positions(cfg.trainer.cadence, cfg.sim.days, 1)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    shares = (cfg.trainer.no_rec_share or 0) + (cfg.trainer.rec_vs_rec_share or 0)
    if shares > 1:
        raise ConfigError(f"trainer.no_rec_share + trainer.rec_vs_rec_share = {shares:g} is more than the whole "
                          "sample; together they must be at most 1")
    if cfg.trainer.sft_weight and cfg.trainer.method != "dpo":
        raise ConfigError(f"trainer.sft_weight={cfg.trainer.sft_weight:g} needs trainer.method=dpo (KTO has no "
                          "chosen completion)")
    if cfg.trainer.method != "none" and not cfg.learning_arms():
        raise ConfigError(f"trainer.method={cfg.trainer.method} but no arm has learn: true (nothing would be "
                          "trained); set learn: true on an LLM arm or trainer.method=none")
    for name, arm in cfg.arm_configs().items():
        if not arm.learn:
            continue
        where = f"arms.{name}" if cfg.arms else "assistant"
        if arm.policy != "llm" or arm.n_candidates < 2:
            raise ConfigError(f"{where}.learn=true needs policy=llm and n_candidates >= 2 (pairs come from "
                              f"differently scored candidates); got policy={arm.policy}, "
                              f"n_candidates={arm.n_candidates}")
        if cfg.trainer.method == "none":
            raise ConfigError(f"{where}.learn=true needs trainer.method=dpo or kto")
        if arm.engine in cfg.engines and cfg.engines[arm.engine].backend != "vllm":
            raise ConfigError(f"{where}.learn=true needs an engine that serves trained adapters or weights: "
                              f"engines.{arm.engine}.backend={cfg.engines[arm.engine].backend!r} cannot load them; "
                              "use backend=vllm")
        if cfg.trainer.lora_r == 0:  # full weights are loaded into the engine: it must serve this arm only
            others = [role for role, engine in engine_users(cfg) if engine == arm.engine and role != where]
            if cfg.trainer.scope != "shared" or others:
                raise ConfigError(f"{where}.learn=true with trainer.lora_r=0 (full fine-tuning) needs "
                                  f"trainer.scope=shared and an engine of its own; engine {arm.engine!r} also "
                                  f"serves {others or 'no one else'}, scope={cfg.trainer.scope}")
        if arm.engine in cfg.engines and cfg.trainer.lora_r:
            cfg.engines[arm.engine].enable_lora = True
            cfg.engines[arm.engine].max_lora_rank = max(cfg.engines[arm.engine].max_lora_rank, cfg.trainer.lora_r)


def persona_count(cfg: ExperimentConfig, config_path: str | Path | None = None) -> int | None:
    """How many personas the run has, without reading them (the file's lines when it is read); None when the
    file is not found."""
    pcfg = cfg.sim.personas
    if pcfg.ids is not None:
        return len(pcfg.ids)
    if pcfg.generate is not None:
        n = pcfg.generate
    else:
        path = resolve_path(pcfg.file, config_path)
        if not path.is_file():
            return None
        with open(path, "rb") as f:
            n = sum(1 for line in f if line.strip())
    return min(n, pcfg.count) if pcfg.count else n


def _size_lora_slots(cfg: ExperimentConfig, config_path) -> None:
    """Default ``max_loras`` / ``max_cpu_loras`` of LoRA engines: the adapters of one batch (one per persona, at
    most ``runtime.max_in_flight``: a replica's chunk on Ray) and of every persona, times the versions in flight."""
    lora = [e for e in cfg.engines.values() if e.enable_lora and (e.max_loras is None or e.max_cpu_loras is None)]
    if not lora:
        return
    versions = 2 if cfg.trainer.mode == "async" else 1
    personas = persona_count(cfg, config_path) or cfg.runtime.max_in_flight
    per_batch, every = (1, 1) if cfg.trainer.scope == "shared" else (min(personas, cfg.runtime.max_in_flight),
                                                                      personas)
    for e in lora:
        e.max_loras = e.max_loras or per_batch * versions
        e.max_cpu_loras = max(e.max_cpu_loras or every * versions, e.max_loras)


def to_yaml(cfg: ExperimentConfig) -> str:
    """The fully resolved config as YAML (what a run writes to RUN_DIR/config.yaml)."""
    return OmegaConf.to_yaml(OmegaConf.structured(cfg))


def flat_config(cfg: ExperimentConfig) -> dict:
    """The resolved config as ``{"group.key": value}`` (nested groups joined with dots)."""
    def walk(node, prefix):
        if isinstance(node, dict):
            for k, v in node.items():
                yield from walk(v, f"{prefix}{k}.")
        else:
            yield prefix[:-1], node
    return dict(walk(OmegaConf.to_container(OmegaConf.structured(cfg)), ""))


def resolve_path(path: str, config_path: str | Path | None) -> Path:
    """A path from the config: absolute, relative to the working directory if it exists there,
    else relative to the repository root (the parent of `jobs/`)."""
    p = Path(path)
    if p.is_absolute() or p.exists() or config_path is None:
        return p
    root = Path(config_path).resolve().parent
    while root != root.parent and not (root / "pyproject.toml").exists():
        root = root.parent
    return root / p if (root / p).exists() else p
