"""Connecting to Ray (or starting a local one) and checking that the cluster can hold the config."""

from __future__ import annotations

import socket
from urllib.parse import urlparse

import ray

from propersim.config import ConfigError, ExperimentConfig, RuntimeConfig
from propersim.errors import ClusterUnreachableError


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
        ray.init(num_cpus=rt.num_cpus, object_store_memory=rt.object_store_mb * 2**20, include_dashboard=False)
        return True
    _check_reachable(rt.address)
    runtime_env = None
    if rt.runtime_env:
        from omegaconf import OmegaConf
        runtime_env = OmegaConf.to_container(OmegaConf.load(rt.runtime_env))
    try:
        ray.init(address=rt.address, runtime_env=runtime_env)
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


def check_gpus(cfg: ExperimentConfig, engine_names: set[str]) -> None:
    """Refuse a config whose engine replicas need more GPUs than the cluster has.

    Raises:
        ConfigError: names each engine's request and the cluster's GPU count.
    """
    asks = {n: cfg.engines[n].replicas * cfg.engines[n].gpus_per_replica for n in sorted(engine_names)}
    have = ray.cluster_resources().get("GPU", 0.0)
    if sum(asks.values()) > have:
        detail = ", ".join(f"engines.{n}: {cfg.engines[n].replicas} x {cfg.engines[n].gpus_per_replica} GPU"
                           for n in asks if asks[n])
        raise ConfigError(f"the config asks for {sum(asks.values()):g} GPUs ({detail}) but the Ray cluster has "
                         f"{have:g}")
