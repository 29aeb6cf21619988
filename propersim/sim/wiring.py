"""The wiring of a run: its personas, engines, judge, policies and retrieval memories, built from the config."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

from propersim.assistant.policies import make_policy
from propersim.config import ConfigError, ExperimentConfig, engine_users, resolve_path, to_yaml
from propersim.personas.schema import Persona, load_personas
from propersim.sim.group import Arm, PersonaGroup
from propersim.user.judge import Judge
from propersim.world import Clock, make_planner


def select_personas(cfg: ExperimentConfig, config_path: str | Path | None = None) -> list[Persona]:
    """The personas of the run: generated or read from the file, cut to ``count``, then filtered to ``ids``.

    Raises:
        ConfigError: an id in ``sim.personas.ids`` is not in the file.
    """
    pcfg = cfg.sim.personas
    if pcfg.generate is not None:
        from propersim.personas.generator import generate_personas
        personas = generate_personas(pcfg.generate, cfg.run.seed)
    else:
        personas = load_personas(resolve_path(pcfg.file, config_path))
    if pcfg.count is not None:
        personas = personas[:pcfg.count]
    if pcfg.ids is not None:
        by_id = {p.persona_id: p for p in personas}
        missing = [i for i in pcfg.ids if i not in by_id]
        if missing:
            raise ConfigError(f"sim.personas.ids: {missing} not in {pcfg.file} (after count={pcfg.count})")
        personas = [by_id[i] for i in pcfg.ids]
    return personas


class EnginePool:
    """The run's LLM engines, built on first use by name and shared by every role that names them."""

    def __init__(self, cfg: ExperimentConfig, shared: dict | None = None):
        """``shared``: engines built elsewhere (name -> Engine) to use as they are; the pool never closes them."""
        self._cfg = cfg
        self._engines: dict = dict(shared or {})
        self._owned: set[str] = set()

    def get(self, name: str | None, role: str):
        """The engine ``name`` for ``role`` (a config key, named in errors).

        Raises:
            ConfigError: no name given, or the name is not in ``engines``.
        """
        if name is None:
            raise ConfigError(f"{role} is not set; name one of the engines: "
                              f"{sorted(self._cfg.engines) or 'none defined'}")
        if name not in self._cfg.engines:
            raise ConfigError(f"{role}={name!r} is not in `engines` (defined: {sorted(self._cfg.engines)})")
        if name not in self._engines:
            from propersim.llm import make_engine
            self._engines[name] = make_engine(self._cfg.engines[name], self._cfg.run.seed)
            self._owned.add(name)
        return self._engines[name]

    def close(self) -> None:
        for name in self._owned:
            self._engines.pop(name).close()
        self._owned.clear()


def make_judge(cfg: ExperimentConfig, engines: EnginePool, clock: Clock) -> Judge:
    """The judge named by ``user.judge``."""
    if cfg.user.judge == "oracle":
        from propersim.user.oracle import OracleJudge
        return OracleJudge(cfg.sim.tick_seconds, cfg.user.noise, cfg.run.seed)
    from propersim.user.llm_judge import LLMJudge
    return LLMJudge(engines.get(cfg.user.judge_engine, "user.judge_engine"), clock, retries=cfg.user.judge_retries,
                    seed=cfg.run.seed, mode=cfg.user.judge_mode)


@lru_cache(maxsize=1)
def sentence_embedder():
    """all-MiniLM-L6-v2 (from its PyPI package), loaded once per process."""
    from sentence_transformers import SentenceTransformer

    from propersim.llm.models import resolve_model
    return SentenceTransformer(str(resolve_model("all-minilm-l6-v2")), device="cpu")


def make_retrieval(name: str, acfg, cfg: ExperimentConfig, personas: list[Persona]):
    """The retrieval memory of arm ``name`` for these personas: a collection of the run on a Milvus server
    (``memory_uri``), else a node-local Milvus Lite file (the items themselves are in the policy's state)."""
    from propersim.assistant.retrieval import RetrievalMemory

    collection = re.sub(r"\W", "_", f"m_{run_id_of(cfg)}_{name}")
    return RetrievalMemory(acfg.memory_uri or None, collection, sentence_embedder(), [p.persona_id for p in personas])


def make_arm_policy(name: str, acfg, cfg: ExperimentConfig, engines: EnginePool, clock: Clock,
                    retrieval=None):
    """The policy of arm ``name``: a baseline, or an LLM assistant on its engine."""
    if acfg.policy != "llm":
        return make_policy(acfg, cfg.run.seed, clock.tick_seconds)
    from propersim.assistant.llm_policy import LLMPolicy
    engine = engines.get(acfg.engine, f"arms.{name}.engine" if cfg.arms else "assistant.engine")
    return LLMPolicy(acfg, cfg.run.seed, engine, clock, acfg.memory_mode, acfg.temperature, acfg.max_tokens,
                     retrieval)


def run_id_of(cfg: ExperimentConfig) -> str:
    """``<name>-<hash of the resolved config>``: the same config always gets the same id. The ``runtime``
    group (where and how sharded) is left out: it does not change the rows."""
    from dataclasses import replace

    from propersim.config import RuntimeConfig
    return f"{cfg.run.name}-{hashlib.sha256(to_yaml(replace(cfg, runtime=RuntimeConfig())).encode()).hexdigest()[:8]}"


def day_ticks(cfg: ExperimentConfig) -> range:
    """The ticks of each day inside ``[sim.first_hour, sim.last_hour)``."""
    clock = Clock(cfg.sim.tick_seconds)
    return range(clock.tick_of(cfg.sim.first_hour), clock.tick_of(cfg.sim.last_hour))


def build_group(cfg: ExperimentConfig, personas: list[Persona], config_path=None,
                engines: EnginePool | None = None) -> PersonaGroup:
    """A PersonaGroup with the run's planner, judge and arms (LLM roles take their engines from ``engines``)."""
    engines = engines or EnginePool(cfg)
    clock = Clock(cfg.sim.tick_seconds, Clock.parse_date(cfg.sim.start_date))
    trace_dir = resolve_path(cfg.world.trace_dir, config_path)
    planner_engine = engines.get(cfg.world.planner_engine, "world.planner_engine") if cfg.world.planner == "llm" \
        else None
    planner = make_planner(cfg.world.planner, clock, cfg.run.seed, trace_dir, planner_engine, cfg.world.retries)
    arms = [Arm(name, make_arm_policy(name, acfg, cfg, engines, clock, make_retrieval(
                name, acfg, cfg, personas) if acfg.policy == "llm" and acfg.retrieval else None),
                pairs=acfg.learn)
            for name, acfg in cfg.arm_configs().items()]
    return PersonaGroup(personas, arms, planner, make_judge(cfg, engines, clock), clock, run_id_of(cfg),
                        day_ticks(cfg))


def used_engines(cfg: ExperimentConfig) -> set[str]:
    """Names of the engines some role of the run uses (only these are started)."""
    return {name for _, name in engine_users(cfg) if name is not None}
