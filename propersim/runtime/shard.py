"""The PersonaShard actor: one PersonaGroup over a slice of the personas, its LLM roles served by replicas."""

from __future__ import annotations

import pyarrow as pa
import ray

from propersim.runtime.replicas import ReplicaRouter


@ray.remote(max_restarts=-1, max_task_retries=0, max_concurrency=2)
class PersonaShard:
    """Steps its personas through days; Ray restarts it after a crash and the driver restores its state.

    Two threads: one runs the day, the other answers :meth:`progress`.
    """

    def __init__(self, cfg, personas: list, config_path, replicas: dict[str, dict]):
        from propersim.sim.wiring import EnginePool, build_group

        routers = {name: ReplicaRouter(r["handles"], r["model"], r["chat"], cfg.runtime.max_in_flight)
                   for name, r in replicas.items()}
        self.group = build_group(cfg, personas, config_path, EnginePool(cfg, shared=routers))
        self._progress = (0, self.group.ticks.start)

    def run_ticks(self, day: int, start: int, stop: int) -> tuple[pa.Table, pa.Table, int]:
        """Ticks ``start`` to ``stop`` of ``day``: their rated interactions and preference pairs (kept in the
        object store by the caller) and the interaction row count."""
        table = self.group.run_ticks(day, range(start, stop),
                                     on_tick=lambda tick: setattr(self, "_progress", (day, tick)))
        return table, self.group.take_pairs(), table.num_rows

    def use_policy(self, arm: str, version: int, kind: str, paths: dict[str, str]) -> None:
        """``arm`` generates as ``version`` with the artifacts in ``paths`` (the replicas have loaded them)."""
        self.group.arm(arm).policy.use_policy(version, kind, paths)

    def progress(self) -> tuple[int, int]:
        """(day, tick) being simulated."""
        return self._progress

    def state(self) -> dict:
        return self.group.state()

    def load_state(self, state: dict) -> None:
        self.group.load_state(state)
