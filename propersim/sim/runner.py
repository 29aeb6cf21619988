"""The single-process run: build the world, judge and arms from a config, simulate the days, write and report."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
import warnings
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

from tqdm import tqdm

from propersim.assistant.policies import make_policy
from propersim.config import ExperimentConfig, resolve_path, to_yaml, training_days
from propersim.data.store import INTERACTIONS_DIR, MANIFEST, PAIRS_DIR, ShardWriter, read_interactions
from propersim.sim.checkpoint import CHECKPOINTS_DIR, latest_checkpoint, save_checkpoint
from propersim.personas.schema import Persona, load_personas
from propersim.sim.group import Arm, PersonaGroup
from propersim.user.judge import Judge
from propersim.world import Clock, make_planner

#: RUN_DIR/memory: the retrieval memories' Milvus Lite files, one per shard and arm.
MEMORY_DIR = "memory"


def select_personas(cfg: ExperimentConfig, config_path: str | Path | None = None) -> list[Persona]:
    """The personas of the run: generated or read from the file, cut to ``count``, then filtered to ``ids``.

    Raises:
        ValueError: an id in ``sim.personas.ids`` is not in the file.
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


@lru_cache(maxsize=1)
def sentence_embedder():
    """all-MiniLM-L6-v2 (from its PyPI package), loaded once per process."""
    from sentence_transformers import SentenceTransformer

    from propersim.llm.models import resolve_model
    return SentenceTransformer(str(resolve_model("all-minilm-l6-v2")), device="cpu")


def make_retrieval(name: str, acfg, cfg: ExperimentConfig, personas: list[Persona], memory_dir: Path | None,
                   shard: int):
    """The retrieval memory of arm ``name`` for these personas: a Milvus server collection (``memory_uri``) or
    a Milvus Lite file ``memory_dir/shard-<shard>-<arm>.db``.

    Raises:
        ValueError: neither a server URI nor a memory directory.
    """
    from propersim.assistant.retrieval import RetrievalMemory

    if acfg.memory_uri:
        uri = acfg.memory_uri
    elif memory_dir is None:
        raise ValueError(f"arms.{name}.retrieval needs a run directory or arms.{name}.memory_uri")
    else:
        memory_dir.mkdir(parents=True, exist_ok=True)
        uri = str(memory_dir / f"shard-{shard}-{name}.db")
    collection = re.sub(r"\W", "_", f"m_{run_id_of(cfg)}_{name}")
    return RetrievalMemory(uri, collection, sentence_embedder(), [p.persona_id for p in personas])


def make_arm_policy(name: str, acfg, cfg: ExperimentConfig, engines: EnginePool, clock: Clock,
                    retrieval=None):
    """The policy of arm ``name``: a baseline, or an LLM assistant on its engine."""
    if acfg.policy != "llm":
        return make_policy(acfg, cfg.run.seed)
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
                engines: EnginePool | None = None, memory_dir: Path | None = None, shard: int = 0) -> PersonaGroup:
    """A PersonaGroup with the run's planner, judge and arms (LLM roles take their engines from ``engines``;
    retrieval memories live in ``memory_dir`` as shard ``shard``'s files)."""
    engines = engines or EnginePool(cfg)
    clock = Clock(cfg.sim.tick_seconds, Clock.parse_date(cfg.sim.start_date))
    trace_dir = resolve_path(cfg.world.trace_dir, config_path)
    planner_engine = engines.get(cfg.world.planner_engine, "world.planner_engine") if cfg.world.planner == "llm" \
        else None
    planner = make_planner(cfg.world.planner, clock, cfg.run.seed, trace_dir, planner_engine, cfg.world.retries)
    arms = [Arm(name, make_arm_policy(name, acfg, cfg, engines, clock, make_retrieval(
                name, acfg, cfg, personas, memory_dir, shard) if acfg.policy == "llm" and acfg.retrieval else None),
                pairs=acfg.learn)
            for name, acfg in cfg.arm_configs().items()]
    return PersonaGroup(personas, arms, planner, make_judge(cfg, engines, clock), clock, run_id_of(cfg),
                        day_ticks(cfg))


def used_engines(cfg: ExperimentConfig) -> set[str]:
    """Names of the engines some role of the run uses (only these are started)."""
    names = {acfg.engine for acfg in cfg.arm_configs().values() if acfg.policy == "llm"}
    names |= {cfg.world.planner_engine} if cfg.world.planner == "llm" else set()
    names |= {cfg.user.judge_engine} if cfg.user.judge == "llm" else set()
    return {n for n in names if n is not None}


class LocalSimulator:
    """The whole run in this process: one PersonaGroup over every persona (``runtime.address`` unset)."""

    backend = "local"

    def __init__(self, cfg: ExperimentConfig, personas: list[Persona], config_path=None, engines: dict | None = None,
                 run_dir: Path | None = None):
        self.cfg = cfg
        self.engines = EnginePool(cfg, shared=engines)
        self.group = build_group(cfg, personas, config_path, self.engines, run_dir and run_dir / MEMORY_DIR)
        self.ticks = self.group.ticks
        self.restarts = 0

    def run_day(self, day: int, writer: ShardWriter, on_tick) -> None:
        writer.write(self.group.run_day(day, on_tick), day, "part-00000")
        pairs = self.group.take_pairs()
        if pairs.num_rows:
            writer.write(pairs, day, "part-00000", PAIRS_DIR)

    def train(self, model_path: str, pairs, out_dir: Path, init_adapter: str | None):
        from trainers.preference import train_preference
        return train_preference(model_path, pairs, self.cfg.trainer, out_dir, init_adapter, self.cfg.run.seed)

    def push_adapter(self, arm: str, path: str, version: int, persona_id: int | None = None) -> None:
        next(a for a in self.group.arms if a.name == arm).policy.load_adapter(path, version, persona_id)

    def state(self) -> dict:
        return {"shards": [self.group.state()]}

    def load_state(self, state: dict) -> None:
        self.group.load_state(state["shards"][0])

    def close(self) -> None:
        self.group.close()
        self.engines.close()


def make_simulator(cfg: ExperimentConfig, personas: list[Persona], config_path=None, engines: dict | None = None,
                   run_dir: Path | None = None):
    """In this process when ``runtime.address`` is unset, else on Ray (:mod:`propersim.runtime`).

    ``engines``: engines already built (name -> Engine) for an in-process run to use instead of starting them.
    """
    if cfg.runtime.address is None:
        return LocalSimulator(cfg, personas, config_path, engines, run_dir)
    if engines:
        raise ValueError("engines built in this process cannot serve a run on Ray (runtime.address is set)")
    from propersim.runtime.driver import RaySimulator
    return RaySimulator(cfg, personas, config_path, run_dir)


def prepare_run_dir(run_dir: Path, overwrite: bool) -> None:
    """Create ``run_dir``; refuse to mix with an earlier run unless ``overwrite``.

    Raises:
        FileExistsError: ``run_dir`` holds a run and ``overwrite`` is false.
    """
    if (run_dir / MANIFEST).exists() or (run_dir / CHECKPOINTS_DIR).exists():
        if not overwrite:
            raise FileExistsError(f"{run_dir} already holds a run; pass --resume to continue it, --overwrite to "
                                  "replace it, or --out another dir")
        for sub in (INTERACTIONS_DIR, PAIRS_DIR, CHECKPOINTS_DIR, MEMORY_DIR, "report"):
            shutil.rmtree(run_dir / sub, ignore_errors=True)
        for name in (MANIFEST, "summary.json", "runtime.json", "planner_failures.json", "training.jsonl"):
            (run_dir / name).unlink(missing_ok=True)
    run_dir.mkdir(parents=True, exist_ok=True)


def _flat(cfg: ExperimentConfig) -> dict:
    from omegaconf import OmegaConf

    def walk(node, prefix):
        if isinstance(node, dict):
            for k, v in node.items():
                yield from walk(v, f"{prefix}{k}.")
        else:
            yield prefix[:-1], node
    return dict(walk(OmegaConf.to_container(OmegaConf.structured(cfg)), ""))


def resume_point(run_dir: Path, cfg: ExperimentConfig) -> tuple[int, dict | None]:
    """The day to continue from and the state to continue with.

    Only ``runtime.address`` may differ from the config the run was started with (a run can move clusters).

    Raises:
        FileNotFoundError: ``run_dir`` holds no run.
        ValueError: ``run_dir`` belongs to a different config (the differing keys are named).
    """
    from propersim.config import load_config

    if not (run_dir / "config.yaml").is_file():
        raise FileNotFoundError(f"--resume {run_dir}: no run there (no config.yaml)")
    old, new = _flat(load_config(run_dir / "config.yaml")), _flat(cfg)
    diff = [f"{k} ({old.get(k)!r} there, {new.get(k)!r} now)" for k in sorted(set(old) | set(new))
            if k != "runtime.address" and old.get(k) != new.get(k)]
    if diff:
        raise ValueError(f"--resume {run_dir}: the run there belongs to a different config; differs at "
                         + ", ".join(diff))
    checkpoint = latest_checkpoint(run_dir)
    return (1, None) if checkpoint is None else (checkpoint[0] + 1, checkpoint[1])


def learning_arms(cfg: ExperimentConfig) -> list[str]:
    return [name for name, acfg in cfg.arm_configs().items() if acfg.learn]


def training_point(cfg: ExperimentConfig, run_dir: Path, day: int, sim, adapters: dict) -> list[dict]:
    """Train every learning arm on its sampled pairs and push the result to the arm's policy everywhere:
    one adapter per arm (``trainer.scope=shared``) or one per persona (``per_persona``, the paper), each
    continued from its previous version.

    ``adapters`` (arm -> {"version": N, "paths": {"shared" or persona id: path relative to RUN_DIR}}) is
    updated; one record per adapter trained is returned and appended to ``RUN_DIR/training.jsonl``: pairs,
    steps, loss, training seconds, push seconds and bytes.
    """
    import pyarrow.compute as pc

    from propersim.data import schema as S
    from propersim.data.store import read_dataset
    from propersim.llm.models import resolve_model
    from trainers.buffer import sample_pairs

    tcfg, pairs, records = cfg.trainer, read_dataset(run_dir, PAIRS_DIR), []
    for arm in learning_arms(cfg):
        mine = pairs.filter(pc.equal(pairs[S.ARM], arm))
        if tcfg.scope == "shared":
            units = {"shared": mine}
        else:
            units = {str(pid): mine.filter(pc.equal(mine[S.PERSONA_ID], pid))
                     for pid in sorted(set(mine[S.PERSONA_ID].to_pylist()))}
        current = adapters.get(arm, {"version": 0, "paths": {}})
        version, paths = current["version"] + 1, dict(current["paths"])
        model = resolve_model(cfg.engines[cfg.arm_configs()[arm].engine].model)
        for key, unit in units.items():
            sample = sample_pairs(unit, arm, day, tcfg.replay_buffer, tcfg.buffer_mix, tcfg.no_rec_share,
                                  cfg.run.seed)
            record = {"day": day, "arm": arm, "adapter": key, "pairs": sample.num_rows}
            if sample.num_rows == 0:
                records.append({**record, "skipped": "no pairs yet"})
                continue
            out = Path(CHECKPOINTS_DIR) / "adapters" / arm / f"v{version}" / key
            previous = paths.get(key)
            result = sim.train(str(model), sample, run_dir / out, previous and str(run_dir / previous))
            start = time.perf_counter()
            sim.push_adapter(arm, result.path, version, None if key == "shared" else int(key))
            paths[key] = out.as_posix()
            records.append({**record, "version": version, "steps": result.steps, "loss": result.loss,
                            "train_s": round(result.seconds, 3), "push_s": round(time.perf_counter() - start, 4),
                            "push_bytes": sum(f.stat().st_size for f in Path(result.path).rglob("*") if f.is_file())})
        if paths != current["paths"]:
            adapters[arm] = {"version": version, "paths": paths}
    with (run_dir / "training.jsonl").open("a") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in records)
    return records


def run(cfg: ExperimentConfig, run_dir: str | Path, config_path=None, overwrite: bool = False,
        resume: bool = False, progress: bool = True, engines: dict | None = None) -> dict:
    """Simulate every day (in this process or on Ray), write each day's interactions and pairs, train the
    learning arms at their cadence, checkpoint, then write the report. With ``resume``, continue ``run_dir``
    from its last checkpoint; ``engines`` are engines built by the caller for an in-process run.

    Returns:
        The summary dict written to ``RUN_DIR/summary.json``.
    """
    from propersim.metrics.report import write_report

    run_dir = Path(run_dir)
    learners = learning_arms(cfg)
    if cfg.trainer.method != "none" and not learners:
        warnings.warn(f"trainer.method={cfg.trainer.method} but no arm has learn: true; nothing is trained",
                      stacklevel=2)
    train_days = training_days(cfg.trainer.cadence, cfg.sim.days) if learners else set()
    personas = select_personas(cfg, config_path)
    if resume:
        first_day, state = resume_point(run_dir, cfg)
        _drop_training_after(run_dir, first_day - 1)
    else:
        prepare_run_dir(run_dir, overwrite)
        (run_dir / "config.yaml").write_text(to_yaml(cfg))
        first_day, state = 1, None
    days = range(first_day, cfg.sim.days + 1)
    adapters = dict(state.get("adapters", {})) if state else {}
    day_seconds = {}
    sim = make_simulator(cfg, personas, config_path, engines, run_dir) if days else None
    try:
        if state is not None and sim is not None:
            sim.load_state(state)
            for arm, adapter in adapters.items():  # the run directory may have moved
                for key, path in adapter["paths"].items():
                    sim.push_adapter(arm, str(run_dir / path), adapter["version"], None if key == "shared" else int(key))
        writer = ShardWriter(run_dir)
        bar = tqdm(days, desc="simulated days", unit="day", disable=not progress)
        for day in bar:
            bar.set_postfix_str(f"day {day}/{cfg.sim.days}, {len(personas)} personas")
            writer.clear_day(day)
            writer.clear_day(day, PAIRS_DIR)
            start = time.perf_counter()
            with tqdm(total=len(sim.ticks), desc=f"day {day} ticks", unit="tick", leave=False,
                      disable=not progress) as ticks:
                def on_tick(tick, ticks=ticks):
                    ticks.n = tick - sim.ticks.start
                    ticks.refresh()
                sim.run_day(day, writer, on_tick)
            day_seconds[day] = round(time.perf_counter() - start, 3)
            if day in train_days:
                bar.set_postfix_str(f"day {day}/{cfg.sim.days}: training {', '.join(learners)}")
                training_point(cfg, run_dir, day, sim, adapters)
            state = {**sim.state(), "adapters": adapters}
            save_checkpoint(run_dir, day, state)
            _write_planner_failures(run_dir, state)
    finally:
        if sim is not None:
            sim.close()
    if sim is not None:
        (run_dir / "runtime.json").write_text(json.dumps(
            {"backend": sim.backend, "address": cfg.runtime.address, "shards": len(state["shards"]),
             "shard_restarts": sim.restarts, "resumed_at_day": first_day if resume else None,
             "day_seconds": day_seconds}, indent=1))
    return write_report(run_dir, read_interactions(run_dir), personas, cfg.sim.tick_seconds)


def _drop_training_after(run_dir: Path, day: int) -> None:
    """On resume: forget training records and adapters of days after the checkpoint (they are redone)."""
    log = run_dir / "training.jsonl"
    if log.is_file():
        kept = [line for line in log.read_text().splitlines() if json.loads(line)["day"] <= day]
        log.write_text("".join(line + "\n" for line in kept))


def _write_planner_failures(run_dir: Path, state: dict) -> None:
    """LLM plans that fell back to the procedural planner, as ``RUN_DIR/planner_failures.json``."""
    failures = [f for shard in state["shards"] for f in shard["planner_failures"]]
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
