"""The Simulator interface: where a run's personas live through their days (this process, or a Ray cluster).

:func:`propersim.sim.runner.run` drives any simulator through the same day loop (checkpoints, training
points, resume, report); :class:`~propersim.sim.local.LocalSimulator` runs in this process and the Ray
runtime's ``RaySimulator`` on a cluster (the caller chooses; nothing here imports Ray). A simulator is also what
training points (``trainers.points``, passed in by the caller: the simulation imports no training code) train
on and push to.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from propersim.data.store import ShardWriter
from propersim.llm.artifacts import Artifact


class Simulator(ABC):
    """Steps the run's personas through ticks, writes their rows, trains and takes policy pushes."""

    #: Where it runs ("local" or "ray"), recorded in ``runtime.json``.
    backend: str = ""
    #: Persona shards restarted after a crash so far.
    restarts: int = 0

    @abstractmethod
    def run_ticks(self, day: int, ticks: range, writer: ShardWriter, part: int,
                  on_tick: Callable[[int], None]) -> None:
        """Simulate ``ticks`` of ``day`` (part ``part`` of it) and write their rows and pairs with ``writer``."""

    @abstractmethod
    def train(self, fn: Callable[[Any], Any], jobs: list) -> list:
        """``fn(job)`` for every training job (here, or as Ray tasks with the trainer's resources); one result
        per job, in order."""

    @abstractmethod
    def push_policy(self, arm: str, version: int, artifacts: dict[str, Artifact]) -> dict[str, float]:
        """``arm`` generates as ``version`` from its next batch on with the adapters or weights in ``artifacts``
        (``shared`` or a persona id -> artifact), each on the node of every engine replica of the arm and loaded
        there once before this returns.

        Returns:
            Seconds each artifact took to load, by key.
        """

    @abstractmethod
    def state(self) -> dict:
        """Plain data (JSON values and Arrow tables) of what carries into the next day, as ``{"shards": [...]}``."""

    @abstractmethod
    def load_state(self, state: dict) -> None:
        """Continue from a :meth:`state` taken at a day boundary."""

    @abstractmethod
    def close(self) -> None:
        """Release engines, memories and actors."""


#: What :func:`~propersim.sim.runner.run` builds its simulator with: (config, personas, config path, run dir).
SimulatorFactory = Callable[..., Simulator]
