"""Connecting to Ray (or starting a local one) and checking that the cluster can hold the config."""

from __future__ import annotations

import socket
from urllib.parse import urlparse

import ray
from ray.exceptions import GetTimeoutError

from propersim.config import ExperimentConfig, RuntimeConfig
from propersim.errors import ClusterUnreachableError
from propersim.placement import Placement, gpu_holders, place

#: The Ray namespace of every propersim driver: named actors ("<run id>/shard-<i>") are then seen across jobs,
#: so a second copy of a run on the same cluster finds the first one's shards.
NAMESPACE = "propersim"


def connect(rt: RuntimeConfig) -> bool:
    """Join the Ray cluster ``rt.address`` names, or start a local one for ``local``.

    Returns:
        Whether this call connected (the caller then disconnects at the end); False when Ray was already up.

    Raises:
        ClusterUnreachableError: the address cannot be reached or holds no Ray cluster.
    """
    if ray.is_initialized():
        return False
    if rt.address == "local":
        ray.init(num_cpus=rt.num_cpus, object_store_memory=rt.object_store_mb * 2**20, include_dashboard=False,
                 namespace=NAMESPACE)
        return True
    _check_reachable(rt.address)
    runtime_env = None
    if rt.runtime_env:
        from omegaconf import OmegaConf
        runtime_env = OmegaConf.to_container(OmegaConf.load(rt.runtime_env))
    try:
        ray.init(address=rt.address, runtime_env=runtime_env, namespace=NAMESPACE)
    except (ConnectionError, RuntimeError, ValueError) as e:
        raise ClusterUnreachableError(f"runtime.address={rt.address!r}: cannot connect to Ray ({e})") from None
    return True


def _check_reachable(address: str, timeout_s: float = 5.0) -> None:
    """Fail fast on a host:port nobody listens on (Ray itself would retry for a long time)."""
    if address == "auto":
        return
    parsed = urlparse(address if "://" in address else f"ray://{address}")
    if parsed.hostname is None or parsed.port is None:
        raise ClusterUnreachableError(f"runtime.address={address!r}: expected local, auto, host:port or "
                                      "ray://host:port")
    try:
        socket.create_connection((parsed.hostname, parsed.port), timeout=timeout_s).close()
    except OSError as e:
        raise ClusterUnreachableError(f"runtime.address={address!r}: cannot reach {parsed.hostname}:"
                                      f"{parsed.port} ({e.strerror or e})") from None


def cluster_nodes() -> list[float]:
    """GPUs of every live node of the connected Ray cluster."""
    return [node["Resources"].get("GPU", 0.0) for node in ray.nodes() if node.get("Alive")]


def live_nodes(address: str) -> list[float]:
    """GPUs per node of the Ray cluster at ``address`` (joined for the call and left again).

    Raises:
        ClusterUnreachableError: the address cannot be reached or holds no Ray cluster.
    """
    joined = connect(RuntimeConfig(address=address))
    try:
        return cluster_nodes()
    finally:
        if joined:
            ray.shutdown()


def check_placement(cfg: ExperimentConfig, engine_names: set[str], personas: int) -> Placement:
    """The run's placement on the connected cluster, before anything starts.

    Raises:
        ConfigError: the layout cannot be placed (see :func:`propersim.placement.place`).
    """
    return place(cfg, cluster_nodes(), engine_names, personas)


def _probe() -> None:
    """A task that only has to be scheduled."""


def wait_for_gpus(cfg: ExperimentConfig, gpus: float, engine_names: set[str]) -> None:
    """Return once a task of ``gpus`` GPUs can be scheduled, within ``trainer.schedule_timeout_s``.

    Raises:
        TimeoutError: no such task was scheduled in time; names the GPUs the run's replicas hold and the rest.
    """
    timeout = cfg.trainer.schedule_timeout_s
    probe = ray.remote(_probe).options(num_gpus=gpus, num_cpus=0).remote()
    try:
        ray.get(probe, timeout=timeout)
    except GetTimeoutError:
        ray.cancel(probe, force=True)
        have, free = ray.cluster_resources().get("GPU", 0.0), ray.available_resources().get("GPU", 0.0)
        ours = sum(cfg.engines[n].replicas * cfg.engines[n].gpus_per_replica for n in engine_names)
        raise TimeoutError(f"a training task of trainer.gpus={gpus:g} was not scheduled within "
                           f"trainer.schedule_timeout_s={timeout:g} s: of the cluster's {have:g} GPUs, this run's "
                           f"replicas hold {ours:g} ({gpu_holders(cfg, engine_names)}), other actors or jobs "
                           f"{max(have - ours - free, 0):g}, {free:g} free") from None
