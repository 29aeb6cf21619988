"""A run: simulate every day on a simulator, train at the cadence, checkpoint each day, then report."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow.compute as pc
from omegaconf import OmegaConf
from tqdm import tqdm

from propersim.config import ExperimentConfig, to_yaml
from propersim.data.checkpoint import latest_checkpoint, save_checkpoint
from propersim.data.rundir import (
    CONFIG,
    INTERACTIONS_DIR,
    PAIRS_DIR,
    PLANNER_FAILURES,
    RUNTIME,
    check_same_config,
    prepare_run_dir,
    run_lock,
)
from propersim.data.schema import ACTION, ARM, DAY, DELIVERED, PERSONA_ID, REASONS, RECOMMENDATION, SCORE_TOTAL, TICK
from propersim.data.storage import Storage
from propersim.data.store import ShardWriter, read_dataset, read_interactions
from propersim.errors import StorageWriteError
from propersim.sim.local import LocalSimulator
from propersim.sim.schedule import Schedule
from propersim.sim.simulator import Simulator, SimulatorFactory
from propersim.sim.wiring import day_ticks, run_id_of, select_personas


def resume_point(run_dir: Storage) -> tuple[int, dict | None]:
    """The day to continue ``run_dir`` from and the state to continue with (its config is checked first, by
    :func:`~propersim.data.rundir.check_same_config`)."""
    checkpoint = latest_checkpoint(run_dir)
    return (1, None) if checkpoint is None else (checkpoint[0] + 1, checkpoint[1])


@dataclass
class _Progress:
    """The terminal's progress bars: days, and the ticks of the day being simulated."""

    days: tqdm
    window: range
    enabled: bool

    def day(self, day: int, total: int, note: str) -> tqdm:
        self.days.set_postfix_str(f"day {day}/{total}{note}")
        return tqdm(total=len(self.window), desc=f"day {day} ticks", unit="tick", leave=False,
                    disable=not self.enabled)


def run(cfg: ExperimentConfig, run_dir: str | Path | Storage, config_path=None, overwrite: bool = False,
        resume: bool = False, progress: bool = True, simulator: SimulatorFactory = LocalSimulator,
        training: type | None = None) -> dict:
    """Simulate every day on ``simulator(cfg, personas, config_path)``, write each day's interactions
    and pairs, train the learning arms at their cadence (:mod:`propersim.sim.schedule`) with ``training``
    (``trainers.points.Trainings``, given by the caller: the simulation imports no training code), checkpoint at
    each day's end, then write the report. With ``resume``, continue ``run_dir`` (a path or a URI,
    :mod:`propersim.data.storage`) from its last checkpoint.

    Returns:
        The summary dict written to ``RUN_DIR/summary.json``.

    Raises:
        ValueError: an arm learns but no ``training`` was given.
    """
    run_dir = Storage.of(run_dir)
    learners = cfg.learning_arms()
    if learners and training is None:
        raise ValueError(f"arms {learners} learn, but run() was given no training: pass "
                         "training=trainers.points.Trainings (the CLI does)")
    window = day_ticks(cfg)
    schedule = Schedule.of(cfg.trainer.cadence if learners else "never", cfg.sim.days, len(window),
                           cfg.trainer.mode == "async", cfg.trainer.max_staleness)
    personas = select_personas(cfg, config_path)
    if resume:
        check_same_config(run_dir, cfg)  # before the lock creates anything there (no run: a one-line error)
    with run_lock(run_dir):
        if resume:
            first_day, state = resume_point(run_dir)
            if training is not None:
                training.forget_after(run_dir, first_day - 1, state["pending"] if state else [])
        else:
            prepare_run_dir(run_dir, overwrite)
            run_dir.write(CONFIG, to_yaml(cfg))
            first_day, state = 1, None
        days = range(first_day, cfg.sim.days + 1)
        outputs = _Outputs(cfg, run_dir, personas, first_day, track=bool(days))
        try:
            if not days:  # a finished run: nothing left to do but its summary
                return outputs.live.write(running=False)
            sim = simulator(cfg, personas, config_path)
            try:
                outputs.runtime.update(backend=sim.backend, resumed_at_day=first_day if resume else None)
                _simulate(cfg, run_dir, sim, days, schedule, state, progress, personas, outputs, training)
            finally:
                sim.close()
        finally:
            outputs.close()
        return outputs.live.write(running=False)


class _Outputs:
    """What a run writes besides its rows, as it goes: the live summary and report, ``runtime.json``, and the
    experiment trackers."""

    def __init__(self, cfg: ExperimentConfig, run_dir: Storage, personas: list, first_day: int, track: bool):
        """``track``: start the run's trackers (not for a finished run)."""
        from propersim.metrics.live import LiveSummary
        from propersim.metrics.trackers import make_trackers

        self.cfg, self.run_dir = cfg, run_dir
        self.live = LiveSummary(run_dir, personas, cfg.sim.tick_seconds, cfg.sim.days)
        if first_day > 1:  # the days done before the resume, read once
            earlier = read_interactions(run_dir)
            self.live.add(earlier.filter(pc.less(earlier[DAY], first_day)))
        self.runtime = {"backend": None, "address": cfg.runtime.address, "shards": None, "shard_restarts": 0,
                        "resumed_at_day": None, "days_done": first_day - 1, "days_total": cfg.sim.days,
                        "finished": False, "updated": None, "day_seconds": {}, "live_summary_seconds": {}}
        self.trackers = (make_trackers(cfg.run.trackers, run_dir.staging(), run_id_of(cfg), resume=first_day > 1)
                         if track else [])
        if first_day == 1:
            for tracker in self.trackers:
                tracker.log_config(OmegaConf.to_container(OmegaConf.structured(cfg)))

    def day_done(self, day: int, seconds: float, state: dict, sim: Simulator) -> None:
        """The day's rows join the running summary and the trackers; with ``run.live_report``, summary.json and
        the report are refreshed (the last day's once, at the end); ``runtime.json`` says how far the run is."""
        start = time.perf_counter()
        rows = read_dataset(self.run_dir, INTERACTIONS_DIR, day)
        part = self.live.add(rows)
        arms = {arm: {**data["daily"][0], "tokens_per_persona_day": data["tokens"]["per_persona_day"]}
                for arm, data in part["arms"].items()}
        samples = _samples(rows) if self.trackers else []
        for tracker in self.trackers:
            tracker.log_day(day, arms)
            tracker.log_samples(day, samples)
        if self.cfg.run.live_report and day < self.cfg.sim.days:
            self.live.write(running=True)
        self.runtime["live_summary_seconds"][day] = round(time.perf_counter() - start, 3)
        self.runtime["day_seconds"][day] = seconds
        self.runtime.update(shards=len(state["shards"]), shard_restarts=sim.restarts, days_done=day,
                            finished=day == self.cfg.sim.days, updated=time.time())
        self.run_dir.write(RUNTIME, json.dumps(self.runtime, indent=1))

    def pushed(self, records: list[dict]) -> None:
        """A training point's records, once its adapters are pushed."""
        for tracker in self.trackers:
            tracker.log_training(records[0]["day"], records)

    def close(self) -> None:
        for tracker in self.trackers:
            tracker.close()


#: Rated interactions a tracker gets per day to show (W&B tables), spread evenly over the day's decisions.
SAMPLES_PER_DAY = 20


def _samples(rows) -> list[dict]:
    """:data:`SAMPLES_PER_DAY` delivered decisions of the day, evenly spaced (the same ones on every re-run)."""
    delivered = rows.filter(pc.equal(rows[DELIVERED], True))
    step = max(1, delivered.num_rows // SAMPLES_PER_DAY)
    picked = delivered.take(list(range(0, delivered.num_rows, step))[:SAMPLES_PER_DAY])
    return picked.select([ARM, PERSONA_ID, DAY, TICK, ACTION, RECOMMENDATION, SCORE_TOTAL, REASONS]).to_pylist()


def _simulate(cfg: ExperimentConfig, run_dir: Storage, sim: Simulator, days: range, schedule: Schedule,
              state: dict | None, progress: bool, personas: list, outputs: _Outputs, training: type | None) -> None:
    """The day loop: every day's parts, the training points between them (none without ``training``), a
    checkpoint at each day's end, and what ``outputs`` writes after each push and day."""
    window = day_ticks(cfg)
    adapters = dict(state["adapters"]) if state else {}
    trainings = training and training(cfg, run_dir, sim, adapters, schedule.push_at, window.start, outputs.pushed)
    try:
        if state is not None:
            sim.load_state(state)
            if trainings:
                trainings.resume(state["pending"])
        writer = ShardWriter(run_dir)
        bars = _Progress(tqdm(days, desc="simulated days", unit="day", disable=not progress), window, progress)
        for day in bars.days:
            try:
                writer.clear_day(day)
                writer.clear_day(day, PAIRS_DIR)
                start = time.perf_counter()
                with bars.day(day, cfg.sim.days, f", {len(personas)} personas") as ticks:
                    def on_tick(tick, ticks=ticks):
                        ticks.n = tick - window.start
                        ticks.refresh()
                    for part, offsets in enumerate(schedule.segments(day)):
                        sim.run_ticks(day, window[offsets.start:offsets.stop], writer, part, on_tick)
                        if trainings:
                            if (day, offsets.stop) in schedule.push_at:
                                bars.days.set_postfix_str(f"day {day}/{cfg.sim.days}: training "
                                                          f"{', '.join(cfg.learning_arms())}")
                            trainings.at((day, offsets.stop))
                seconds = round(time.perf_counter() - start, 3)
                state = {**sim.state(), "adapters": adapters, "pending": trainings.pending if trainings else []}
                save_checkpoint(run_dir, day, state)
                _write_planner_failures(run_dir, state)
                outputs.day_done(day, seconds, state, sim)
            except StorageWriteError as e:  # the CLI names the day: the days before it are intact
                e.day = day
                raise
    finally:
        if trainings:
            trainings.close()


def _write_planner_failures(run_dir: Storage, state: dict) -> None:
    """LLM plans that fell back to the procedural planner, as ``RUN_DIR/planner_failures.json``."""
    failures = [f for shard in state["shards"] for f in shard["planner_failures"]]
    if failures:
        run_dir.write(PLANNER_FAILURES, json.dumps(failures, indent=1))
