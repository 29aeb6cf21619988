"""The single-process run: build the world, judge and arms from a config, simulate the days, write and report."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from tqdm import tqdm

from propersim.assistant.policies import make_policy
from propersim.config import ExperimentConfig, engine_users, resolve_path, to_yaml
from propersim.data.store import (INTERACTIONS_DIR, MANIFEST, PAIRS_DIR, ShardWriter, read_interactions,
                                  shard_name)
from propersim.sim.checkpoint import CHECKPOINTS_DIR, latest_checkpoint, save_checkpoint
from propersim.personas.schema import Persona, load_personas
from propersim.sim.group import Arm, PersonaGroup
from propersim.sim.schedule import Schedule
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
    return {name for _, name in engine_users(cfg) if name is not None}


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

    def run_ticks(self, day: int, ticks: range, writer: ShardWriter, part: int, on_tick) -> None:
        """Simulate ``ticks`` of ``day`` (part ``part`` of it) and write their rows and pairs."""
        writer.write(self.group.run_ticks(day, ticks, on_tick), day, shard_name(part))
        pairs = self.group.take_pairs()
        if pairs.num_rows:
            writer.write(pairs, day, shard_name(part), PAIRS_DIR)

    def train(self, jobs: list[tuple]) -> list:
        """Train each (model path, pairs, out dir, init adapter) in turn, in this process."""
        from trainers.preference import train_preference
        return [train_preference(model, pairs, self.cfg.trainer, out, init, self.cfg.run.seed)
                for model, pairs, out, init in jobs]

    def push_policy(self, arm: str, path: str, version: int, persona_id: int | None = None) -> None:
        """``arm`` generates with the adapter or full weights in ``path`` from its next batch on."""
        next(a for a in self.group.arms if a.name == arm).policy.load_policy(path, version, persona_id)

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


@dataclass
class TrainingPoint:
    """The adapters one training point trains: one per learning arm (``trainer.scope=shared``) or one per
    persona (``per_persona``, the paper), each continued from its previous version."""

    point: tuple[int, int]  # (day, ticks of the day's window done)
    jobs: list[dict] = field(default_factory=list)  # arm, key, version, pairs (the sample), out, init, model, record
    records: list[dict] = field(default_factory=list)  # one per adapter, for training.jsonl
    results: list = field(default_factory=list)  # TrainResult per job, once trained


def plan_training(cfg: ExperimentConfig, run_dir: Path, point: tuple[int, int], adapters: dict) -> TrainingPoint:
    """Sample each adapter's pairs from the replay buffer: the arm's pairs simulated before ``point`` (read
    from ``RUN_DIR/pairs``, so the same point always gets the same sample, whenever it is read)."""
    import pyarrow.compute as pc

    from propersim.data import schema as S
    from propersim.data.store import read_dataset
    from propersim.llm.models import resolve_model
    from trainers.buffer import sample_pairs

    day, done = point
    pairs = read_dataset(run_dir, PAIRS_DIR)
    before = pc.or_(pc.less(pairs[S.DAY], day),
                    pc.and_(pc.equal(pairs[S.DAY], day), pc.less(pairs[S.TICK], day_ticks(cfg).start + done)))
    pairs, tcfg, planned = pairs.filter(before), cfg.trainer, TrainingPoint(point)
    for arm in learning_arms(cfg):
        mine = pairs.filter(pc.equal(pairs[S.ARM], arm))
        if tcfg.scope == "shared":
            units = {"shared": mine}
        else:
            units = {str(pid): mine.filter(pc.equal(mine[S.PERSONA_ID], pid))
                     for pid in sorted(set(mine[S.PERSONA_ID].to_pylist()))}
        current = adapters.get(arm, {"version": 0, "paths": {}})
        version = current["version"] + 1
        model = str(resolve_model(cfg.engines[cfg.arm_configs()[arm].engine].model))
        for key, unit in units.items():
            sample = sample_pairs(unit, arm, day, tcfg.replay_buffer, tcfg.buffer_mix, tcfg.no_rec_share,
                                  cfg.run.seed)
            record = {"day": day, "after_tick": done, "arm": arm, "adapter": key, "pairs": sample.num_rows}
            if sample.num_rows == 0:
                planned.records.append({**record, "skipped": "no pairs yet"})
                continue
            record["version"] = version
            planned.records.append(record)
            planned.jobs.append({"arm": arm, "key": key, "version": version, "pairs": sample, "model": model,
                                 "out": (Path(CHECKPOINTS_DIR) / "adapters" / arm / f"v{version}" / key).as_posix(),
                                 "init": current["paths"].get(key), "record": record})
    return planned


def train_point(sim, run_dir: Path, planned: TrainingPoint) -> TrainingPoint:
    """Train every adapter of ``planned`` on ``sim``'s trainer (in this process or a Ray task)."""
    planned.results = sim.train([(job["model"], job["pairs"], run_dir / job["out"],
                                  job["init"] and str(run_dir / job["init"])) for job in planned.jobs])
    return planned


def push_point(sim, run_dir: Path, trained: TrainingPoint, adapters: dict) -> list[dict]:
    """Push the trained adapters to the arms' policies everywhere, update ``adapters`` (arm -> {"version",
    "paths": {"shared" or persona id: path relative to RUN_DIR}}) and append the point's records (pairs, steps,
    loss, training seconds, push seconds and bytes) to ``RUN_DIR/training.jsonl``."""
    for job, result in zip(trained.jobs, trained.results):
        start = time.perf_counter()
        _push(sim, job["arm"], result.path, job["version"], job["key"])
        current = adapters.setdefault(job["arm"], {"version": 0, "paths": {}})
        current["version"], current["paths"] = job["version"], {**current["paths"], job["key"]: job["out"]}
        job["record"].update(steps=result.steps, loss=result.loss, train_s=round(result.seconds, 3),
                             push_s=round(time.perf_counter() - start, 4),
                             push_bytes=sum(f.stat().st_size for f in Path(result.path).rglob("*") if f.is_file()))
    with (run_dir / "training.jsonl").open("a") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in trained.records)
    return trained.records


def _push(sim, arm: str, path: str, version: int, key: str) -> None:
    """Push the adapter (or weights) of key ``shared`` or a persona id to ``arm`` everywhere."""
    sim.push_policy(arm, path, version, None if key == "shared" else int(key))


class Trainings:
    """Training points in flight: synchronous ones train and push at once; asynchronous ones train in a
    background thread and are pushed at their push position (waiting there if not done)."""

    def __init__(self, cfg: ExperimentConfig, run_dir: Path, sim, adapters: dict, schedule: Schedule):
        self.cfg, self.run_dir, self.sim, self.adapters, self.schedule = cfg, run_dir, sim, adapters, schedule
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="trainer")
        self._pending: list[tuple[tuple[int, int], tuple[int, int], object]] = []  # point, push at, future

    @property
    def pending(self) -> list[tuple[int, int]]:
        """Training points not pushed yet (a checkpoint lists them; resuming trains them again)."""
        return [point for point, _, _ in self._pending]

    def at(self, position: tuple[int, int]) -> None:
        """The simulation reached ``position``: push what is due there, then start its training point."""
        if position in self.schedule.push_at:
            self._push(lambda due: True)  # a training point continues the adapters of the earlier ones
            self.start(position)
        self._push(lambda due: due <= position)

    def start(self, point: tuple[int, int]) -> None:
        """Plan ``point`` now (its sample is read before the simulation goes on) and train it: here when it is
        pushed at once, in the background thread otherwise."""
        planned = plan_training(self.cfg, self.run_dir, point, self.adapters)
        due = self.schedule.push_at[point]
        if due == point:
            future = Future()
            future.set_result(train_point(self.sim, self.run_dir, planned))
        else:
            future = self._pool.submit(train_point, self.sim, self.run_dir, planned)
        self._pending.append((point, due, future))

    def _push(self, ready) -> None:
        while self._pending and ready(self._pending[0][1]):
            push_point(self.sim, self.run_dir, self._pending.pop(0)[2].result(), self.adapters)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def run(cfg: ExperimentConfig, run_dir: str | Path, config_path=None, overwrite: bool = False,
        resume: bool = False, progress: bool = True, engines: dict | None = None) -> dict:
    """Simulate every day (in this process or on Ray), write each day's interactions and pairs, train the
    learning arms at their cadence (:mod:`propersim.sim.schedule`), checkpoint at each day's end, then write
    the report. With ``resume``, continue ``run_dir`` from its last checkpoint; ``engines`` are engines built by
    the caller for an in-process run.

    Returns:
        The summary dict written to ``RUN_DIR/summary.json``.
    """
    from propersim.metrics.report import write_report

    run_dir = Path(run_dir)
    learners = learning_arms(cfg)
    if cfg.trainer.method != "none" and not learners:
        warnings.warn(f"trainer.method={cfg.trainer.method} but no arm has learn: true; nothing is trained",
                      stacklevel=2)
    window = day_ticks(cfg)
    schedule = Schedule.of(cfg.trainer.cadence if learners else "never", cfg.sim.days, len(window),
                           cfg.trainer.mode == "async", cfg.trainer.max_staleness)
    personas = select_personas(cfg, config_path)
    if resume:
        first_day, state = resume_point(run_dir, cfg)
        _drop_training_after(run_dir, first_day - 1, state.get("pending", []) if state else [])
    else:
        prepare_run_dir(run_dir, overwrite)
        (run_dir / "config.yaml").write_text(to_yaml(cfg))
        first_day, state = 1, None
    days = range(first_day, cfg.sim.days + 1)
    adapters = dict(state.get("adapters", {})) if state else {}
    day_seconds = {}
    sim = make_simulator(cfg, personas, config_path, engines, run_dir) if days else None
    trainings = Trainings(cfg, run_dir, sim, adapters, schedule)
    try:
        if state is not None and sim is not None:
            sim.load_state(state)
            for arm, adapter in adapters.items():  # the run directory may have moved
                for key, path in adapter["paths"].items():
                    _push(sim, arm, str(run_dir / path), adapter["version"], key)
            for point in state.get("pending", []):  # trained again: their pairs are on disk
                trainings.start(tuple(point))
        writer = ShardWriter(run_dir)
        bar = tqdm(days, desc="simulated days", unit="day", disable=not progress)
        for day in bar:
            bar.set_postfix_str(f"day {day}/{cfg.sim.days}, {len(personas)} personas")
            writer.clear_day(day)
            writer.clear_day(day, PAIRS_DIR)
            start = time.perf_counter()
            with tqdm(total=len(window), desc=f"day {day} ticks", unit="tick", leave=False,
                      disable=not progress) as ticks:
                def on_tick(tick, ticks=ticks):
                    ticks.n = tick - window.start
                    ticks.refresh()
                for part, offsets in enumerate(schedule.segments(day)):
                    sim.run_ticks(day, window[offsets.start:offsets.stop], writer, part, on_tick)
                    if (day, offsets.stop) in schedule.push_at:
                        bar.set_postfix_str(f"day {day}/{cfg.sim.days}: training {', '.join(learners)}")
                    trainings.at((day, offsets.stop))
            day_seconds[day] = round(time.perf_counter() - start, 3)
            state = {**sim.state(), "adapters": adapters, "pending": trainings.pending}
            save_checkpoint(run_dir, day, state)
            _write_planner_failures(run_dir, state)
    finally:
        trainings.close()
        if sim is not None:
            sim.close()
    if sim is not None:
        (run_dir / "runtime.json").write_text(json.dumps(
            {"backend": sim.backend, "address": cfg.runtime.address, "shards": len(state["shards"]),
             "shard_restarts": sim.restarts, "resumed_at_day": first_day if resume else None,
             "day_seconds": day_seconds}, indent=1))
    return write_report(run_dir, read_interactions(run_dir), personas, cfg.sim.tick_seconds)


def _drop_training_after(run_dir: Path, day: int, pending: list) -> None:
    """On resume: forget training records of days after the checkpoint and of its pending training points
    (they are redone)."""
    log = run_dir / "training.jsonl"
    if log.is_file():
        redo = {tuple(p) for p in pending}
        kept = [line for line in log.read_text().splitlines()
                if (r := json.loads(line))["day"] <= day and (r["day"], r["after_tick"]) not in redo]
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
