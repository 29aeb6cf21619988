"""Training points: which adapters a point trains on which pairs, training them on the simulator's trainer,
and pushing them to its policies, either in step with the simulation or in a background thread.

Trained adapters travel as bytes (:class:`~propersim.llm.artifacts.Artifact`): a training returns its artifact,
the driver stores it in RUN_DIR (any storage, :mod:`propersim.data.storage`) and pushes it; the next training
gets the artifact it continues read back from there.

The simulator is reached only through :class:`PolicyTarget`, so this module knows nothing of where the
personas are simulated (one process or Ray); the day loop gets :class:`Trainings` from its caller (the CLI),
so the simulation never imports training code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from propersim.config import ExperimentConfig, TrainerConfig
from propersim.data.rows import pair_kinds
from propersim.data.rundir import PAIRS_DIR, SHARED, TRAINING_LOG, adapter_dir
from propersim.data.storage import Storage
from propersim.llm.artifacts import Artifact
from trainers.preference import TrainJob, TrainResult, artifact_kind, train_job


class PolicyTarget(Protocol):
    """What training needs of a simulator: a trainer, and policies to push to."""

    def train(self, fn: Callable[[TrainJob], TrainResult], jobs: list[TrainJob]) -> list[TrainResult]:
        """``fn(job)`` for every job (in any order, possibly in parallel); one result per job, in order."""

    def push_policy(self, arm: str, version: int, artifacts: dict[str, Artifact]) -> dict[str, float]:
        """``arm`` generates as ``version`` from its next batch on, with ``artifacts`` (adapter key -> artifact),
        each on the node of every replica of the arm's engine and loaded there before this returns; returns
        seconds per key."""


@dataclass
class TrainingPoint:
    """The adapters one training point trains: one per learning arm (``trainer.scope=shared``) or one per
    persona (``per_persona``, the paper), each continued from its previous version."""

    point: tuple[int, int]  # (day, ticks of the day's window done)
    jobs: list[dict] = field(default_factory=list)  # arm, key, version, pairs (the sample), out, init, model, record
    # (out and init: adapter directories relative to RUN_DIR; model: the engine's model as the config names it)
    records: list[dict] = field(default_factory=list)  # one per adapter, for training.jsonl
    results: list = field(default_factory=list)  # TrainResult per job, once trained


def plan_training(cfg: ExperimentConfig, run_dir: Storage, point: tuple[int, int], adapters: dict,
                  first_tick: int) -> TrainingPoint:
    """Sample each adapter's pairs from the replay buffer: the arm's pairs simulated before ``point`` (read
    from ``RUN_DIR/pairs``, so the same point always gets the same sample, whenever it is read);
    ``first_tick`` is the first tick of each day's window."""
    import pyarrow.compute as pc

    from propersim.data import schema as S
    from propersim.data.store import read_dataset
    from trainers.buffer import sample_pairs

    day, done = point
    pairs = read_dataset(run_dir, PAIRS_DIR)
    before = pc.or_(pc.less(pairs[S.DAY], day),
                    pc.and_(pc.equal(pairs[S.DAY], day), pc.less(pairs[S.TICK], first_tick + done)))
    pairs, tcfg, planned = pairs.filter(before), cfg.trainer, TrainingPoint(point)
    for arm in cfg.learning_arms():
        mine = pairs.filter(pc.equal(pairs[S.ARM], arm))
        if tcfg.scope == "shared":
            units = {SHARED: mine}
        else:
            units = {str(pid): mine.filter(pc.equal(mine[S.PERSONA_ID], pid))
                     for pid in sorted(set(mine[S.PERSONA_ID].to_pylist()))}
        current = adapters.get(arm, {"version": 0, "paths": {}})
        version = current["version"] + 1
        model = cfg.engines[cfg.arm_configs()[arm].engine].model
        for key, unit in units.items():
            sample = sample_pairs(unit, arm, day, tcfg.replay_buffer, tcfg.buffer_mix, tcfg.no_rec_share,
                                  cfg.run.seed, tcfg.rec_vs_rec_share)
            record = {"day": day, "after_tick": done, "arm": arm, "adapter": key, "pairs": sample.num_rows}
            if sample.num_rows == 0:
                planned.records.append({**record, "skipped": "no pairs yet"})
                continue
            record["version"], record["pair_kinds"] = version, pair_kinds(sample)
            planned.records.append(record)
            planned.jobs.append({"arm": arm, "key": key, "version": version, "pairs": sample, "model": model,
                                 "out": adapter_dir(arm, version, key), "init": current["paths"].get(key),
                                 "record": record})
    return planned


def stored_artifact(run_dir: Storage, tcfg: TrainerConfig, rel: str) -> Artifact:
    """The artifact stored at ``rel`` in RUN_DIR (its kind is the trainer's, :func:`artifact_kind`)."""
    return Artifact(artifact_kind(tcfg), run_dir.get_dir(rel))


def train_point(cfg: ExperimentConfig, target: PolicyTarget, run_dir: Storage, planned: TrainingPoint) -> TrainingPoint:
    """Train every adapter of ``planned`` on ``target``'s trainer (in this process or a Ray task)."""
    planned.results = target.train(train_job, [
        TrainJob(job["model"], job["pairs"], job["init"] and stored_artifact(run_dir, cfg.trainer, job["init"]),
                 cfg.trainer, cfg.run.seed) for job in planned.jobs])
    return planned


def push_point(target: PolicyTarget, run_dir: Storage, trained: TrainingPoint, adapters: dict) -> list[dict]:
    """Store the trained artifacts in RUN_DIR, push them to the arms' policies, update ``adapters`` (arm ->
    {"version", "paths": {adapter key: directory relative to RUN_DIR}}) and append the point's records (pairs,
    steps, loss, training seconds, push seconds and bytes) to ``RUN_DIR/training.jsonl``."""
    by_arm: dict[str, list] = {}
    for job, result in zip(trained.jobs, trained.results):
        by_arm.setdefault(job["arm"], []).append((job, result))
    for arm, done in by_arm.items():
        version = done[0][0]["version"]
        for job, result in done:  # stored before they are used: a resume finds every version it pushed
            run_dir.put_dir(result.artifact.files, job["out"])
        seconds = target.push_policy(arm, version, {job["key"]: result.artifact for job, result in done})
        current = adapters.setdefault(arm, {"version": 0, "paths": {}})
        current["version"], current["paths"] = version, {**current["paths"], **{j["key"]: j["out"] for j, _ in done}}
        for job, result in done:
            job["record"].update(steps=result.steps, loss=result.loss, train_s=round(result.seconds, 3),
                                 push_s=round(seconds[job["key"]], 4), push_bytes=result.artifact.nbytes)
    run_dir.append_text(TRAINING_LOG, "".join(json.dumps(r) + "\n" for r in trained.records))
    return trained.records


class Trainings:
    """Training points in flight: synchronous ones train and push at once; asynchronous ones train in a
    background thread and are pushed at their push position (waiting there if not done)."""

    def __init__(self, cfg: ExperimentConfig, run_dir: Storage, target: PolicyTarget, adapters: dict,
                 push_at: dict[tuple[int, int], tuple[int, int]], first_tick: int,
                 on_pushed: Callable[[list[dict]], None] | None = None):
        """``push_at``: training point -> where its adapters are pushed (:attr:`Schedule.push_at`);
        ``on_pushed``: gets each point's ``training.jsonl`` records once it is pushed."""
        self.cfg, self.run_dir, self.target, self.adapters, self.on_pushed = cfg, run_dir, target, adapters, on_pushed
        self.push_at, self.first_tick = push_at, first_tick
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="trainer")
        self._pending: list[tuple[tuple[int, int], tuple[int, int], Future]] = []  # point, push at, future

    @staticmethod
    def forget_after(run_dir: Storage, day: int, pending: list) -> None:
        """On resume, before anything runs: forget training records of days after the checkpoint and of its
        pending training points (they are redone)."""
        if run_dir.is_file(TRAINING_LOG):
            redo = {tuple(p) for p in pending}
            kept = [line for line in run_dir.read_text(TRAINING_LOG).splitlines()
                    if (r := json.loads(line))["day"] <= day and (r["day"], r["after_tick"]) not in redo]
            run_dir.write(TRAINING_LOG, "".join(line + "\n" for line in kept))

    def resume(self, pending: list) -> None:
        """Continue a checkpoint: push every arm's current adapters again, read back from RUN_DIR (the policies
        start from the base model), then train its ``pending`` points again (their pairs are stored)."""
        for arm, adapter in self.adapters.items():
            self.target.push_policy(arm, adapter["version"], {
                key: stored_artifact(self.run_dir, self.cfg.trainer, path) for key, path in adapter["paths"].items()})
        for point in pending:
            self.start(tuple(point))

    @property
    def pending(self) -> list[tuple[int, int]]:
        """Training points not pushed yet (a checkpoint lists them; resuming trains them again)."""
        return [point for point, _, _ in self._pending]

    def at(self, position: tuple[int, int]) -> None:
        """The simulation reached ``position``: push what is due there, then start its training point."""
        if position in self.push_at:
            self._push(lambda due: True)  # a training point continues the adapters of the earlier ones
            self.start(position)
        self._push(lambda due: due <= position)

    def start(self, point: tuple[int, int]) -> None:
        """Plan ``point`` now (its sample is read before the simulation goes on) and train it: here when it is
        pushed at once, in the background thread otherwise."""
        planned = plan_training(self.cfg, self.run_dir, point, self.adapters, self.first_tick)
        due = self.push_at[point]
        if due == point:
            future = Future()
            future.set_result(train_point(self.cfg, self.target, self.run_dir, planned))
        else:
            future = self._pool.submit(train_point, self.cfg, self.target, self.run_dir, planned)
        self._pending.append((point, due, future))

    def _push(self, ready) -> None:
        while self._pending and ready(self._pending[0][1]):
            records = push_point(self.target, self.run_dir, self._pending.pop(0)[2].result(), self.adapters)
            if self.on_pushed is not None:
                self.on_pushed(records)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
