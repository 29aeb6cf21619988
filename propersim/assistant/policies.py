"""The Policy interface and the baseline policies: never, always, random and scheduled (content-blind)."""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from dataclasses import dataclass

from propersim.assistant.catalogue import GENERIC, ITEMS
from propersim.config import AssistantConfig, ConfigError
from propersim.personas.schema import Persona
from propersim.world.plans import Action


@dataclass(frozen=True)
class Observation:
    """What the assistant sees at one awake tick."""

    persona: Persona
    day: int
    tick: int
    ticks_awake: int  # awake ticks before this one today
    action: Action


@dataclass(frozen=True)
class Candidate:
    """One sampled decision; ``text`` is None for "No Recommendation".

    ``format_error`` is set when the policy's output broke the format and was replaced by an abstention;
    ``cached_tokens`` are the prompt tokens the engine took from its prefix cache.
    """

    text: str | None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    format_error: str | None = None
    cached_tokens: int = 0
    #: LLM policies: the prompt it was sampled from ("text", or "chat" as JSON messages) and the decision
    #: rendered as the completion the model is trained to write (preference pairs are built from these).
    prompt: str | None = None
    prompt_format: str = "text"
    completion: str | None = None


class Policy(ABC):
    """Samples ``n_candidates`` decisions per observation; batched so LLM policies send one batch."""

    model: str = "rule"
    #: Policy version: 0 until the first training point, then +1 per adapter/weights pushed.
    version: int = 0

    def __init__(self, cfg: AssistantConfig, seed: int):
        self.cfg = cfg
        self.seed = seed

    def rng(self, obs: Observation) -> random.Random:
        """A generator that depends only on (seed, persona, day, tick): the same draw in any batch order."""
        return random.Random(f"{self.seed}:{obs.persona.persona_id}:{obs.day}:{obs.tick}")

    @abstractmethod
    def decide_batch(self, observations: list[Observation]) -> list[list[Candidate]]:
        """``n_candidates`` candidates for each observation, in order."""

    def observe(self, persona_id: int, day: int, tick: int, action: str, recommendation: str | None,
                score_total: int | None, reason: str = "") -> None:
        """The delivered decision, its score and the judge's reasons, for policies with memory (baselines
        have none)."""

    def close(self) -> None:
        """Release external resources (connections); baselines hold none."""

    def state_dict(self) -> dict:
        """What the policy carries from day to day (checkpointed at day boundaries); baselines carry nothing."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned."""


class NeverPolicy(Policy):
    """Always "No Recommendation"."""

    def decide_batch(self, observations):
        return [[Candidate(None)] * self.cfg.n_candidates for _ in observations]


class AlwaysPolicy(Policy):
    """A generic recommendation at every awake tick."""

    def decide_batch(self, observations):
        return [[Candidate(r.choice(GENERIC)) for _ in range(self.cfg.n_candidates)]
                for r in map(self.rng, observations)]


class RandomPolicy(Policy):
    """A catalogue recommendation with probability ``p``, else abstain; independently per candidate."""

    def decide_batch(self, observations):
        out = []
        for obs in observations:
            r = self.rng(obs)
            out.append([Candidate(r.choice(ITEMS) if r.random() < self.cfg.p else None)
                        for _ in range(self.cfg.n_candidates)])
        return out


class ScheduledPolicy(Policy):
    """A catalogue recommendation every ``every_ticks`` awake ticks (from waking), else abstain."""

    def decide_batch(self, observations):
        out = []
        for obs in observations:
            if obs.ticks_awake % self.cfg.every_ticks:
                out.append([Candidate(None)] * self.cfg.n_candidates)
            else:
                r = self.rng(obs)
                out.append([Candidate(t) for t in r.sample(ITEMS, self.cfg.n_candidates)])
        return out


POLICIES: dict[str, type[Policy]] = {
    "never": NeverPolicy, "always": AlwaysPolicy, "random": RandomPolicy, "scheduled": ScheduledPolicy,
}
#: The baselines that choose without looking at the persona: the lower reference of a run's report.
CONTENT_BLIND = tuple(POLICIES)
#: The reference upper bound (:mod:`propersim.assistant.oracle_best`); it needs the tick length.
ORACLE_BEST = "oracle_best"


def make_policy(cfg: AssistantConfig, seed: int, tick_seconds: int | None = None) -> Policy:
    """The policy named by ``cfg.policy``; ``tick_seconds`` (simulated seconds per tick) is needed by
    ``oracle_best``, which reads the hour of each tick."""
    if cfg.policy == ORACLE_BEST:
        from propersim.assistant.oracle_best import OracleBestPolicy
        if tick_seconds is None:
            raise ValueError("make_policy: policy=oracle_best needs tick_seconds")
        return OracleBestPolicy(cfg, seed, tick_seconds)
    try:
        return POLICIES[cfg.policy](cfg, seed)
    except KeyError:
        raise ConfigError(f"assistant.policy={cfg.policy!r} is not valid; expected one of "
                          f"{sorted([*POLICIES, ORACLE_BEST])}") from None
