"""The single-process run: build the world, judge and arms from a config, simulate the days, write and report."""

from __future__ import annotations

import hashlib
import shutil
import warnings
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


def make_judge(cfg: ExperimentConfig) -> Judge:
    """The judge named by ``user.judge``."""
    if cfg.user.judge == "oracle":
        from propersim.user.oracle import OracleJudge
        return OracleJudge(cfg.sim.tick_seconds, cfg.user.noise, cfg.run.seed)
    raise ValueError("user.judge=llm needs the LLM layer, which is not available yet; use user.judge=oracle")


def run_id_of(cfg: ExperimentConfig) -> str:
    """``<name>-<hash of the resolved config>``: the same config always gets the same id."""
    return f"{cfg.run.name}-{hashlib.sha256(to_yaml(cfg).encode()).hexdigest()[:8]}"


def build_group(cfg: ExperimentConfig, personas: list[Persona], config_path=None) -> PersonaGroup:
    """A PersonaGroup with the run's planner, judge and arms."""
    clock = Clock(cfg.sim.tick_seconds, Clock.parse_date(cfg.sim.start_date))
    trace_dir = resolve_path(cfg.world.trace_dir, config_path)
    planner = make_planner(cfg.world.planner, clock, cfg.run.seed, trace_dir)
    arms = [Arm(name, make_policy(acfg, cfg.run.seed)) for name, acfg in cfg.arm_configs().items()]
    return PersonaGroup(personas, arms, planner, make_judge(cfg), clock, run_id_of(cfg))


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
    group = build_group(cfg, personas, config_path)
    prepare_run_dir(run_dir, overwrite)
    (run_dir / "config.yaml").write_text(to_yaml(cfg))
    writer = ShardWriter(run_dir)
    bar = tqdm(range(1, cfg.sim.days + 1), desc="simulated days", unit="day", disable=not progress)
    for day in bar:
        bar.set_postfix_str(f"day {day}/{cfg.sim.days}, {len(personas)} personas x {len(group.arms)} arms")
        writer.write(group.run_day(day), day, "part-00000")
    return write_report(run_dir, read_interactions(run_dir), personas, cfg.sim.tick_seconds)
