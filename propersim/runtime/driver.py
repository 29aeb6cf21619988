"""The Ray driver side of a run: replicas and shards up, days dispatched, rows written by Ray Data.

:class:`RaySimulator` is a :class:`propersim.sim.simulator.Simulator`, so the one day loop in
:func:`propersim.sim.runner.run` (checkpoints, resume, report) drives it as it drives the in-process one.
"""

from __future__ import annotations

import logging
import time

import ray
from ray.exceptions import ActorUnavailableError, GetTimeoutError, RayActorError
from ray.util.placement_group import remove_placement_group
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from propersim.config import ExperimentConfig
from propersim.data.rundir import INTERACTIONS_DIR, PAIRS_DIR, SHARED
from propersim.data.store import ShardWriter
from propersim.errors import InvalidInputError, RunInUseError
from propersim.llm.artifacts import artifact_name
from propersim.personas.schema import Persona
from propersim.placement import trainer_gpus
from propersim.runtime.cluster import check_placement, connect, wait_for_gpus
from propersim.runtime.replicas import ArtifactRegistry, ReplicaRouter, push_artifact, start_replicas
from propersim.runtime.shard import PersonaShard
from propersim.sim.simulator import Simulator
from propersim.sim.wiring import day_ticks, run_id_of, used_engines

log = logging.getLogger(__name__)


def split(personas: list[Persona], cfg: ExperimentConfig) -> list[list[Persona]]:
    """Contiguous, near-equal slices: ``runtime.shards`` of them, or enough for ``personas_per_shard``."""
    rt = cfg.runtime
    n = -(-len(personas) // rt.personas_per_shard) if rt.personas_per_shard else rt.shards
    n = max(1, min(n, len(personas)))
    bounds = [len(personas) * k // n for k in range(n + 1)]
    return [personas[a:b] for a, b in zip(bounds, bounds[1:])]


class RaySimulator(Simulator):
    """Persona shards and engine replicas on a Ray cluster."""

    backend = "ray"

    def __init__(self, cfg: ExperimentConfig, personas: list[Persona], config_path=None):
        self.cfg = cfg
        chunks = split(personas, cfg)
        #: persona id -> the shard that owns it (a per-persona push goes to its owner only)
        self._owner = {p.persona_id: i for i, chunk in enumerate(chunks) for p in chunk}
        self.ticks = day_ticks(cfg)
        self.restarts = 0
        self.shards, self.replicas, self.routers, self.registry = [], {}, {}, None
        # (shard or None for all, method, *args) of the shard calls since the day-start state: replayed on a
        # restarted shard
        self._journal: list[tuple] = []
        self._owns_ray = connect(cfg.runtime)
        try:
            engines = used_engines(cfg)
            check_placement(cfg, engines, len(personas))
            registry = f"{run_id_of(cfg)}/artifacts"
            self.replicas = start_replicas(cfg, engines, registry=registry)
            # the driver's own routers: a push loads an artifact on each replica of its engine once
            self.routers = {name: ReplicaRouter(r["handles"], r["model"], r["chat"],
                                                timeout_s=cfg.trainer.push_timeout_s)
                            for name, r in self.replicas.items()}
            # named "<run id>/shard-<i>" in the propersim namespace: visible in `ray list actors`, and a second
            # copy of the same run on the same cluster fails at once instead of interleaving writes
            # SPREAD: shards go to different nodes where there are several
            self.shards = [self._shard(cfg, i, chunk, config_path) for i, chunk in enumerate(chunks)]
            self._states = ray.get([s.state.remote() for s in self.shards])
            # after the shards: a second copy of the run has stopped at their names
            # on the driver's node: it goes with the driver, whatever worker nodes are lost
            self.registry = ArtifactRegistry.options(name=registry, scheduling_strategy=NodeAffinitySchedulingStrategy(
                ray.get_runtime_context().get_node_id(), soft=True)).remote()
        except BaseException:
            self.close()
            raise

    def _shard(self, cfg: ExperimentConfig, i: int, personas: list[Persona], config_path):
        """Start shard ``i``.

        Raises:
            RunInUseError: the cluster already runs a shard of this run (another copy of it).
        """
        name = f"{run_id_of(cfg)}/shard-{i}"
        try:
            return (PersonaShard.options(name=name, num_cpus=cfg.runtime.shard_cpus, scheduling_strategy="SPREAD")
                    .remote(cfg, personas, config_path, self.replicas))
        except ValueError as e:
            if "already taken" not in str(e):
                raise
            namespace = ray.get_runtime_context().namespace
            raise RunInUseError(f"the Ray cluster already runs {name} (namespace {namespace!r}): another copy of "
                                "this run, or one whose driver just died; stop it (`ray list actors`), wait, or "
                                "change run.name") from None

    def run_ticks(self, day: int, ticks: range, writer: ShardWriter, part: int, on_tick) -> None:
        """Run ``ticks`` of ``day`` (part ``part`` of it) on every shard. A shard that dies is restarted from its
        day-start state, replays the day's earlier parts and pushes, and re-runs these ticks (same seed, same
        rows). Rows are written by Ray Data, then moved into place atomically.

        Raises:
            RuntimeError: shards failed more than ``runtime.max_shard_restarts`` times in this part.
        """
        calls = {i: self._start(i, day, ticks) for i in range(len(self.shards))}
        tables, restarts = {}, 0
        while calls:
            counts = {calls[i][2]: i for i in calls}
            done, _ = ray.wait(list(counts), num_returns=1, timeout=0.5)
            if not done:
                self._report_progress(day, list(calls), on_tick)
                continue
            i = counts[done[0]]
            try:
                ray.get(done[0])
                tables[i] = calls.pop(i)[:2]
            except RayActorError as e:
                restarts += 1
                self.restarts += 1
                if restarts > self.cfg.runtime.max_shard_restarts:
                    raise RuntimeError(f"day {day}: persona shards failed {restarts} times "
                                       f"(runtime.max_shard_restarts={self.cfg.runtime.max_shard_restarts}); "
                                       f"last: {e}") from e
                log.warning("day %d: shard %d died (%s); restarting it from the day's start", day, i, e)
                self._restore(i)
                calls[i] = self._start(i, day, ticks)
        self._write(day, part, [tables[i][0] for i in sorted(tables)], writer, INTERACTIONS_DIR)
        self._write(day, part, [tables[i][1] for i in sorted(tables)], writer, PAIRS_DIR)
        self._journal.append((None, "run_ticks", day, ticks.start, ticks.stop))

    def _restore(self, i: int, timeout_s: float = 600) -> None:
        """Give restarted shard ``i`` its day-start state once Ray has brought it back, then replay what it did
        since (the day's earlier parts, their output dropped, and the adapter pushes between them)."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                ray.get(self.shards[i].load_state.remote(self._states[i]))
                break
            except ActorUnavailableError:  # still restarting
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        for shard, method, *args in self._journal:
            if shard in (None, i):
                ray.get(getattr(self.shards[i], method).remote(*args))

    def _report_progress(self, day: int, running: list[int], on_tick) -> None:
        """``on_tick`` with the tick of the slowest running shard (a shard being restarted is skipped)."""
        try:
            progress = ray.get([self.shards[i].progress.remote() for i in running], timeout=5)
        except (RayActorError, GetTimeoutError):
            return
        on_tick(min(t if d == day else self.ticks.start for d, t in progress))

    def _start(self, i: int, day: int, ticks: range) -> tuple:
        """(interactions, pairs, row count) refs of shard ``i``'s ticks."""
        return tuple(self.shards[i].run_ticks.options(num_returns=3).remote(day, ticks.start, ticks.stop))

    def _write(self, day: int, part: int, table_refs: list, writer: ShardWriter, dataset: str) -> None:
        """Ray Data writes the part's tables into a temporary directory of the run's storage; the files are then
        moved into ``<dataset>/day=D/`` and entered in the manifest. The write tasks ask for no CPU (the driver's
        node is often a head started with none). On a local RUN_DIR they run on the driver's node, which is
        where it is; an object store takes them from any node. A Ray client (``ray://``) driver with a local
        RUN_DIR gets the tables and writes them itself: its disk is not on the cluster."""
        import ray.data

        store = writer.store
        tmp = f"{dataset}/.tmp-day={day}-part={part}"
        store.delete(tmp)
        if store.local and ray.util.client.ray.is_connected():
            for k, table in enumerate(t for t in ray.get(table_refs) if t.num_rows or dataset == INTERACTIONS_DIR):
                store.write_table(f"{tmp}/{k:05d}.parquet", table)
        else:
            here = {"scheduling_strategy": NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(),
                                                                           soft=False)} if store.local else {}
            ray.data.from_arrow_refs(table_refs).write_parquet(
                # store_schema keeps the exact Arrow types (Parquet itself has no seconds-unit timestamp)
                store.path(tmp), filesystem=store.fs, compression="zstd", store_schema=True,
                ray_remote_args={**here, "num_cpus": 0})
        files = [rel for rel in store.files(tmp) if rel.endswith(".parquet")]
        if dataset != INTERACTIONS_DIR:  # only the interactions keep empty shards (a day with no one awake)
            files = [rel for rel in files if store.num_rows(rel)]
        writer.adopt(files, day, dataset, part)
        store.delete(tmp)

    def train(self, fn, jobs) -> list:
        """Each job as a Ray task with ``trainer.gpus`` GPUs (one CPU each without), all submitted at once: Ray
        spreads a point's per-persona trainings over the cluster, on the GPUs no replica holds.

        Raises:
            TimeoutError: no task could get its GPUs within ``trainer.schedule_timeout_s``.
        """
        gpus = trainer_gpus(self.cfg, ray.cluster_resources().get("GPU", 0.0))
        if gpus:
            wait_for_gpus(self.cfg, gpus, set(self.replicas))
        task = ray.remote(fn).options(num_gpus=gpus, num_cpus=0 if gpus else 1)
        return ray.get([task.remote(job) for job in jobs])

    def push_policy(self, arm, version, artifacts) -> dict[str, float]:
        """Each artifact goes into the object store once and into the run's registry; every replica of the arm's
        engine writes it into its node's cache and loads it; then each shard gets the version and the cached
        paths of its own personas (a ``shared`` artifact goes to every shard). Seconds per key: from the put
        to every replica having loaded it.

        Raises:
            TimeoutError: the shards did not all take the push within ``trainer.push_timeout_s``.
        """
        router = self.routers[self.cfg.arm_configs()[arm].engine]
        kind = next(iter(artifacts.values())).kind
        timeout, seconds, paths = self.cfg.trainer.push_timeout_s, {}, {}
        try:
            for key, artifact in artifacts.items():
                start = time.perf_counter()
                name = artifact_name(run_id_of(self.cfg), arm, version, key, artifact)
                paths[key] = push_artifact(self.registry, router, f"{arm}/{key}", name, artifact, timeout)
                seconds[key] = time.perf_counter() - start
            mine = [{k: p for k, p in paths.items() if k == SHARED or self._owner[int(k)] == i}
                    for i in range(len(self.shards))]
            ray.get([s.use_policy.remote(arm, version, kind, own) for s, own in zip(self.shards, mine)],
                    timeout=timeout)
        except GetTimeoutError:
            raise TimeoutError(f"pushing version {version} of arm {arm!r} ({len(artifacts)} {kind}s) to "
                               f"{len(self.shards)} shards did not finish in trainer.push_timeout_s={timeout:g} s"
                               ) from None
        self._journal += [(i, "use_policy", arm, version, kind, own) for i, own in enumerate(mine)]
        return seconds

    def state(self) -> dict:
        """The shards' states at a day's end (what a restarted shard starts the next day from)."""
        self._states = ray.get([s.state.remote() for s in self.shards])
        self._journal = []
        return {"shards": self._states}

    def load_state(self, state: dict) -> None:
        """Raises InvalidInputError when the checkpoint holds another number of shards."""
        if len(state["shards"]) != len(self.shards):
            raise InvalidInputError(f"the checkpoint holds {len(state['shards'])} shards, this run has "
                                    f"{len(self.shards)}")
        ray.get([s.load_state.remote(st) for s, st in zip(self.shards, state["shards"])])
        self._states, self._journal = list(state["shards"]), []

    def close(self) -> None:
        """Stop the actors (engines closed first) and leave Ray if this run joined it."""
        handles = [h for r in self.replicas.values() for h in r["handles"]]
        try:
            ray.get([h.close.remote() for h in handles], timeout=60)
        except Exception as e:  # a replica that is already gone needs no closing
            log.warning("closing engine replicas: %s", e)
        for actor in handles + self.shards + ([self.registry] if self.registry else []):
            ray.kill(actor, no_restart=True)
        for r in self.replicas.values():  # the replicas' GPUs go back to the cluster
            if r["group"] is not None:
                remove_placement_group(r["group"])
        self.shards, self.replicas, self.routers, self.registry = [], {}, {}, None
        if self._owns_ray:
            ray.shutdown()
