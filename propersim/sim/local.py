"""The in-process simulator: one PersonaGroup over every persona, its engines and trainer in this process."""

from __future__ import annotations

import time

from propersim.config import ConfigError, ExperimentConfig
from propersim.data.rundir import PAIRS_DIR
from propersim.data.store import ShardWriter, shard_name
from propersim.llm.artifacts import artifact_name, materialise
from propersim.personas.schema import Persona
from propersim.sim.simulator import Simulator
from propersim.sim.wiring import EnginePool, build_group, run_id_of


class LocalSimulator(Simulator):
    """The whole run in this process (``runtime.address`` unset)."""

    backend = "local"

    def __init__(self, cfg: ExperimentConfig, personas: list[Persona], config_path=None,
                 engines: dict | None = None):
        """``engines``: engines already built by the caller (name -> Engine) to use instead of starting them.

        Raises:
            ConfigError: ``runtime.address`` is set (that run belongs on Ray's ``RaySimulator``).
        """
        if cfg.runtime.address is not None:
            raise ConfigError(f"runtime.address={cfg.runtime.address!r} asks for Ray, but this is the in-process "
                              "simulator; run it with the Ray runtime's RaySimulator (the CLI does)")
        self.cfg = cfg
        self.engines = EnginePool(cfg, shared=engines)
        self.group = build_group(cfg, personas, config_path, self.engines)
        self.restarts = 0

    def run_ticks(self, day, ticks, writer: ShardWriter, part, on_tick) -> None:
        writer.write(self.group.run_ticks(day, ticks, on_tick), day, shard_name(part))
        pairs = self.group.take_pairs()
        if pairs.num_rows:
            writer.write(pairs, day, shard_name(part), PAIRS_DIR)

    def train(self, fn, jobs) -> list:
        """Each job in turn, in this process."""
        return [fn(job) for job in jobs]

    def push_policy(self, arm, version, artifacts) -> dict[str, float]:
        """Each artifact into this machine's cache, loaded by the arm's engine."""
        engine = self.engines.get(self.cfg.arm_configs()[arm].engine, f"arms.{arm}.engine")
        kind = next(iter(artifacts.values())).kind
        seconds, paths = {}, {}
        for key, artifact in artifacts.items():
            start = time.perf_counter()
            paths[key] = materialise(artifact, artifact_name(run_id_of(self.cfg), arm, version, key, artifact))
            engine.preload(**{kind: paths[key]})
            seconds[key] = time.perf_counter() - start
        self.group.arm(arm).policy.use_policy(version, kind, paths)
        return seconds

    def state(self) -> dict:
        return {"shards": [self.group.state()]}

    def load_state(self, state: dict) -> None:
        self.group.load_state(state["shards"][0])

    def close(self) -> None:
        self.group.close()
        self.engines.close()
