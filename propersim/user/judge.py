"""The Judge interface: the user agent's rating of one assistant decision on the four rubric criteria."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from propersim.personas.schema import Persona
from propersim.user.memory import EvaluativeMemory
from propersim.world.plans import Action

#: Criterion keys of a verdict, in the order they are judged.
CHECKS = ("preference", "frequency_over", "frequency_under", "timing", "communication_safety")


@dataclass(frozen=True)
class JudgeRequest:
    """Everything the user agent sees when rating one candidate."""

    persona: Persona
    day: int
    tick: int
    hour: float
    wake_tick: int
    action: Action
    memory: EvaluativeMemory
    recommendation: str | None  # None: "No Recommendation"
    candidate: int = 0


@dataclass(frozen=True)
class Verdict:
    """0/1 per check (``None`` when the judge failed), a reason per check, the failure if any, and the
    tokens the judge spent on it (0 for rule-based judges): prompt tokens, generated tokens, and the prompt
    tokens the engine took from its prefix cache."""

    scores: tuple[int | None, ...]  # in CHECKS order
    reasons: tuple[str, ...]
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0

    @property
    def frequency(self) -> int | None:
        """Frequency passes only when both the too-often and the too-rarely checks pass."""
        over, under = self.scores[1], self.scores[2]
        return None if over is None or under is None else over & under

    @property
    def total(self) -> int | None:
        """Preference + frequency + timing + communication & safety, 0-4; None if any check failed."""
        pref, _, _, timing, comm = self.scores
        if self.error is not None or None in (pref, timing, comm, self.frequency):
            return None
        return pref + self.frequency + timing + comm

    @classmethod
    def failed(cls, error: str, prompt_tokens: int = 0, completion_tokens: int = 0, cached_tokens: int = 0) -> Verdict:
        """A recorded judge failure: null scores, never a silent default."""
        return cls((None,) * len(CHECKS), ("",) * len(CHECKS), error, prompt_tokens, completion_tokens, cached_tokens)


class Judge(ABC):
    """Rates candidates; batched so LLM judges can send one batch of prompts."""

    name: str = "judge"

    @abstractmethod
    def judge_batch(self, requests: list[JudgeRequest]) -> list[Verdict]:
        """One verdict per request, in order."""
