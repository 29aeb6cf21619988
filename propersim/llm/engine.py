"""The Engine interface: batched text generation with sampling settings and optional JSON-schema output."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

#: What a policy push carries, named as :meth:`Engine.preload`'s arguments: LoRA adapters, or full weights.
ADAPTER, WEIGHTS = "adapter", "weights"

#: A chat prompt: a list of {"role": ..., "content": ...} messages.
Messages = list[dict[str, str]]


@dataclass(frozen=True)
class GenerationRequest:
    """One prompt to complete.

    Args:
        prompt: plain text (completed as is) or chat messages (rendered with the model's chat template).
        max_tokens: cap on generated tokens.
        temperature: 0 for greedy decoding.
        top_p: nucleus sampling mass.
        json_schema: when set, the output must be JSON matching this schema (enforced by the backend
            where it can be; always validated by the caller's parser).
        choices: when set, the output must be exactly one of these strings (guided decoding where the backend
            can; always checked by the caller).
        regex: when set, the output must match this regular expression (guided decoding where the backend can;
            always checked by the caller).
        stop: strings that end generation (not included in the output).
        adapter: directory of a LoRA adapter to generate with (engines started with ``enable_lora``).
        weights: directory of full model weights the engine must serve this request with (loaded in place
            on the first request that names them; None: the weights it serves now).
        seed: sampling seed of this request alone (see :func:`request_seed`), so that its output does not depend
            on which other requests share its batch, or in what order; None: the engine's own generator.
    """

    prompt: str | Messages
    max_tokens: int = 128
    temperature: float = 0.0
    top_p: float = 1.0
    json_schema: dict[str, Any] | None = None
    choices: tuple[str, ...] = ()
    regex: str | None = None
    stop: tuple[str, ...] = ()
    adapter: str | None = None
    weights: str | None = None
    seed: int | None = None


def request_seed(*parts) -> int:
    """A 31-bit sampling seed that depends only on ``parts`` (e.g. run seed, persona, day, tick, candidate)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big") >> 1


@dataclass(frozen=True)
class Generation:
    """A completion with its token counts and the wall time of the batch it came in; ``cached_tokens`` are the
    prompt tokens the backend took from its prefix cache (0 where it does not say)."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float = 0.0
    error: str | None = field(default=None)  # set when the backend gave up on this request
    cached_tokens: int = 0


class Engine(ABC):
    """A loaded model behind one of the backends."""

    #: Name of the served model, recorded in every row it produced.
    model: str = "engine"

    @property
    @abstractmethod
    def has_chat_template(self) -> bool:
        """Whether chat prompts can be used (base models take plain few-shot prompts)."""

    @abstractmethod
    def generate(self, requests: list[GenerationRequest]) -> list[Generation]:
        """One generation per request, in order."""

    def preload(self, adapter: str | None = None, weights: str | None = None) -> None:
        """Load an adapter or full weights now rather than on the first request naming them (a push that
        returns has them in place). Engines that load nothing do nothing."""

    def close(self) -> None:
        """Release the model (processes, memory)."""
