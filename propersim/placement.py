"""Where a run's GPU work goes on a cluster: engine replicas (a tensor-parallel replica on one node) and the
training tasks on the GPUs no replica holds.

Plain Python over a list of GPUs per node, so ``propersim plan`` (a declared cluster or a live one) and the Ray
driver (before it starts anything) refuse the same layouts with the same one-line errors.
"""

from __future__ import annotations

from dataclasses import dataclass

from propersim.config import ConfigError, ExperimentConfig


@dataclass(frozen=True)
class Replica:
    engine: str
    index: int
    node: int
    gpus: float
    tensor_parallel_size: int


@dataclass(frozen=True)
class Placement:
    """The replicas' nodes, and the training tasks' GPUs and how many of them run at once."""

    nodes: tuple[float, ...]  # GPUs per node
    replicas: tuple[Replica, ...]
    free: tuple[float, ...]  # GPUs per node no replica holds
    trainer_gpus: float  # per training task (0: on CPU)
    trainings_per_point: int  # 0: nothing is trained
    concurrent_trainings: int  # training tasks the free GPUs hold at once (0 with trainer_gpus=0: CPU-bound)


def trainer_gpus(cfg: ExperimentConfig, cluster_gpus: float) -> float:
    """``trainer.gpus``, or its default: 1 GPU when the cluster has GPUs, else 0 (CPU)."""
    if cfg.trainer.gpus is not None:
        return cfg.trainer.gpus
    return 1.0 if cluster_gpus > 0 else 0.0


def trainings_per_point(cfg: ExperimentConfig, personas: int) -> int:
    """Training tasks of one training point: an adapter per persona and learning arm, or one per arm (shared)."""
    arms = len(cfg.learning_arms())
    return arms * (personas if cfg.trainer.scope == "per_persona" else 1)


def gpu_holders(cfg: ExperimentConfig, engines: set[str]) -> str:
    """What the replicas of ``engines`` hold, e.g. ``engines.judge: 2 x 2 GPU``."""
    return ", ".join(f"engines.{n}: {cfg.engines[n].replicas} x {cfg.engines[n].gpus_per_replica:g} GPU"
                     for n in sorted(engines) if cfg.engines[n].gpus_per_replica) or "no engine replica"


def place(cfg: ExperimentConfig, nodes: list[float], engines: set[str], personas: int) -> Placement:
    """Place the replicas of ``engines`` on ``nodes`` (GPUs per node; largest replicas first, each on the node
    with the most free GPUs), then size the training tasks on the GPUs left.

    Raises:
        ConfigError: the replicas ask for more GPUs than the cluster has; a tensor-parallel size larger than
            every node; replicas that cannot be packed onto the nodes; a training task with no free GPUs.
    """
    missing = sorted(engines - set(cfg.engines))
    if missing:
        raise ConfigError(f"engines {missing} are used but not defined in `engines` "
                          f"(defined: {sorted(cfg.engines)})")
    ask = {n: cfg.engines[n].gpus_per_replica for n in sorted(engines)}
    for n in ask:
        tp = cfg.engines[n].tensor_parallel_size
        if ask[n] and tp > max(nodes, default=0):
            raise ConfigError(f"engines.{n}.tensor_parallel_size={tp} needs {tp} GPUs on one node, but the largest "
                              f"node has {max(nodes, default=0):g}; lower it (or use nodes with {tp} GPUs)")
    total = sum(cfg.engines[n].replicas * g for n, g in ask.items())
    have = sum(nodes)
    if total > have:
        raise ConfigError(f"the config asks for {total:g} GPUs ({gpu_holders(cfg, engines)}) but the cluster has "
                          f"{have:g} ({len(nodes)} node{'s' * (len(nodes) != 1)})")
    free, placed = list(nodes), []
    for n, i in sorted(((n, i) for n in ask for i in range(cfg.engines[n].replicas)), key=lambda r: -ask[r[0]]):
        if not ask[n]:
            placed.append(Replica(n, i, -1, 0.0, cfg.engines[n].tensor_parallel_size))
            continue
        node = max(range(len(free)), key=lambda k: free[k])
        if free[node] < ask[n]:
            raise ConfigError(f"engines.{n}: replica {i + 1} of {cfg.engines[n].replicas} needs {ask[n]:g} GPUs on "
                              f"one node, but the free GPUs per node are {[round(f, 3) for f in free]}; "
                              "lower engines.*.replicas or tensor_parallel_size")
        free[node] -= ask[n]
        placed.append(Replica(n, i, node, ask[n], cfg.engines[n].tensor_parallel_size))
    trainings = trainings_per_point(cfg, personas) if cfg.trainer.method != "none" else 0
    gpus = trainer_gpus(cfg, have)
    concurrent = 0
    if trainings and gpus:
        concurrent = sum(int(f // gpus) for f in free)
        if not concurrent:
            raise ConfigError(f"trainer.gpus={gpus:g}: no node has {gpus:g} GPU that no engine replica holds "
                              f"(the replicas hold {total:g} of {have:g}: {gpu_holders(cfg, engines)}); lower "
                              "engines.*.replicas or add a GPU node")
    return Placement(tuple(nodes), tuple(sorted(placed, key=lambda r: (r.engine, r.index))), tuple(free), gpus,
                     trainings, concurrent)
