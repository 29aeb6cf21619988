"""The single-process run: build the world, judge and arms from a config, simulate the days, write and report."""

from __future__ import annotations

import hashlib
import json
import shutil
import warnings
from dataclasses import asdict
from pathlib import Path

from tqdm import tqdm

from propersim.assistant.policies import make_policy
from propersim.config import ExperimentConfig, resolve_path, to_yaml
from propersim.data.store import INTERACTIONS_DIR, MANIFEST, ShardWriter, read_interactions
from propersim.personas.schema import Persona, load_personas
from propersim.sim.group import Arm, PersonaGroup
from propersim.user.judge import Judge
from propersim.world import Clock, make_planner


def select_personas(cfg: ExperimentConfig, config_path: str | Path | None = None) -> list[Persona]:
    """The personas of the run: the file, cut to ``count``, then filtered to ``ids``.

    Raises:
        ValueError: an id in ``sim.personas.ids`` is not in the file.
    """
    pcfg = cfg.sim.personas
    personas = load_personas(resolve_path(pcfg.file, config_path))
    if pcfg.count is not None:
        personas = personas[:pcfg.count]
    if pcfg.ids is not None:
        by_id = {p.persona_id: p for p in personas}
        missing = [i for i in pcfg.ids if i not in by_id]
        if missing:
            raise ValueError(f"sim.personas.ids: {missing} not in {pcfg.file} (after count={pcfg.count})")
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
            ValueError: no name given, or the name is not in ``engines``.
        """
        if name is None:
            raise ValueError(f"{role} is not set; name one of the engines: {sorted(self._cfg.engines) or 'none defined'}")
        if name not in self._cfg.engines:
            raise ValueError(f"{role}={name!r} is not in `engines` (defined: {sorted(self._cfg.engines)})")
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
    return LLMJudge(engines.get(cfg.user.judge_engine, "user.judge_engine"), clock, retries=cfg.user.judge_retries)


def make_arm_policy(name: str, acfg, cfg: ExperimentConfig, engines: EnginePool, clock: Clock):
    """The policy of arm ``name``: a baseline, or an LLM assistant on its engine."""
    if acfg.policy != "llm":
        return make_policy(acfg, cfg.run.seed)
    from propersim.assistant.llm_policy import LLMPolicy
    engine = engines.get(acfg.engine, f"arms.{name}.engine" if cfg.arms else "assistant.engine")
    return LLMPolicy(acfg, cfg.run.seed, engine, clock, acfg.memory_mode, acfg.temperature, acfg.max_tokens)


def run_id_of(cfg: ExperimentConfig) -> str:
    """``<name>-<hash of the resolved config>``: the same config always gets the same id."""
    return f"{cfg.run.name}-{hashlib.sha256(to_yaml(cfg).encode()).hexdigest()[:8]}"


def build_group(cfg: ExperimentConfig, personas: list[Persona], config_path=None,
                engines: EnginePool | None = None) -> PersonaGroup:
    """A PersonaGroup with the run's planner, judge and arms (LLM roles take their engines from ``engines``)."""
    engines = engines or EnginePool(cfg)
    clock = Clock(cfg.sim.tick_seconds, Clock.parse_date(cfg.sim.start_date))
    trace_dir = resolve_path(cfg.world.trace_dir, config_path)
    planner_engine = engines.get(cfg.world.planner_engine, "world.planner_engine") if cfg.world.planner == "llm" \
        else None
    planner = make_planner(cfg.world.planner, clock, cfg.run.seed, trace_dir, planner_engine, cfg.world.retries)
    arms = [Arm(name, make_arm_policy(name, acfg, cfg, engines, clock)) for name, acfg in cfg.arm_configs().items()]
    return PersonaGroup(personas, arms, planner, make_judge(cfg, engines, clock), clock, run_id_of(cfg),
                        (cfg.sim.first_hour, cfg.sim.last_hour))


def prepare_run_dir(run_dir: Path, overwrite: bool) -> None:
    """Create ``run_dir``; refuse to mix with an earlier run unless ``overwrite``.

    Raises:
        FileExistsError: ``run_dir`` holds a run and ``overwrite`` is false.
    """
    if (run_dir / MANIFEST).exists():
        if not overwrite:
            raise FileExistsError(f"{run_dir} already holds a run; pass --overwrite to replace it or --out another dir")
        for sub in (INTERACTIONS_DIR, "report"):
            shutil.rmtree(run_dir / sub, ignore_errors=True)
        for name in (MANIFEST, "summary.json"):
            (run_dir / name).unlink(missing_ok=True)
    run_dir.mkdir(parents=True, exist_ok=True)


def run(cfg: ExperimentConfig, run_dir: str | Path, config_path=None, overwrite: bool = False,
        progress: bool = True) -> dict:
    """Simulate every day, write one shard per day, then the report.

    Returns:
        The summary dict written to ``RUN_DIR/summary.json``.
    """
    from propersim.metrics.report import write_report

    run_dir = Path(run_dir)
    if cfg.trainer.method != "none":
        warnings.warn(f"trainer.method={cfg.trainer.method}: the learning loop is not available yet; "
                      "the arms run without training", stacklevel=2)
    personas = select_personas(cfg, config_path)
    engines = EnginePool(cfg)
    try:
        group = build_group(cfg, personas, config_path, engines)
        prepare_run_dir(run_dir, overwrite)
        (run_dir / "config.yaml").write_text(to_yaml(cfg))
        writer = ShardWriter(run_dir)
        bar = tqdm(range(1, cfg.sim.days + 1), desc="simulated days", unit="day", disable=not progress)
        for day in bar:
            bar.set_postfix_str(f"day {day}/{cfg.sim.days}, {len(personas)} personas x {len(group.arms)} arms")
            with tqdm(total=len(group.ticks), desc=f"day {day} ticks", unit="tick", leave=False,
                      disable=not progress) as ticks:
                writer.write(group.run_day(day, on_tick=lambda _: ticks.update()), day, "part-00000")
            _write_planner_failures(run_dir, group.planner)
    finally:
        engines.close()
    return write_report(run_dir, read_interactions(run_dir), personas, cfg.sim.tick_seconds)


def _write_planner_failures(run_dir: Path, planner) -> None:
    """LLM plans that fell back to the procedural planner, as ``RUN_DIR/planner_failures.json``."""
    failures = getattr(planner, "failures", None)
    if failures:
        (run_dir / "planner_failures.json").write_text(json.dumps([asdict(f) for f in failures], indent=1))


def judge_agreement_run(cfg: ExperimentConfig, config_path=None, progress: bool = True) -> dict:
    """Simulate ``sim.days`` days driven by the oracle judge while the LLM judge (``user.judge_engine``)
    rates the same decisions; returns :func:`~propersim.metrics.agreement.judge_agreement` of the two."""
    from dataclasses import replace

    from propersim.metrics.agreement import PairedJudge, judge_agreement

    oracle_cfg = replace(cfg, user=replace(cfg.user, judge="oracle"))
    llm_cfg = replace(cfg, user=replace(cfg.user, judge="llm"))
    engines = EnginePool(cfg)
    try:
        group = build_group(oracle_cfg, select_personas(cfg, config_path), config_path, engines)
        clock = group.clock
        group.judge = PairedJudge(group.judge, make_judge(llm_cfg, engines, clock))
        for day in tqdm(range(1, cfg.sim.days + 1), desc="simulated days", unit="day", disable=not progress):
            group.run_day(day)
    finally:
        engines.close()
    reference, other = zip(*group.judge.pairs) if group.judge.pairs else ((), ())
    return judge_agreement(reference, other)
