"""Checked LLM output: the error of a rejected answer, and asking an engine for JSON with re-asks of the failures.

Protocol of :class:`JsonAsker`: chat models get the prompt as one user message plus the JSON schema of a
:class:`JsonForm` and answer with the whole object. Base models (no chat template) get a plain completion
that ends inside the object (``prompt + " " + prefix``), a stop string and, instead of the schema (which
would force a second opening brace), the form's regex of the rest of the object where it has one (guided
decoding, so a small base model cannot copy the prompt's format description); their answer is rebuilt as
``prefix + output + suffix``. The caller's parse
function reads every answer strictly; only the prompts whose answer it rejected are asked again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from propersim.llm.engine import Engine, Generation, GenerationRequest, request_seed

T = TypeVar("T")

_FENCE = re.compile(r"```(?:json)?[ \t]*\n(.*?)\n[ \t]*```", re.DOTALL)


class OutputError(ValueError):
    """An LLM output its caller cannot use; the message is what the row records."""


def engine_text(gen: Generation) -> str:
    """The generated text of ``gen``.

    Raises:
        OutputError: the backend gave up on the request (``gen.error``).
    """
    if gen.error is not None:
        raise OutputError(f"engine error: {gen.error}")
    return gen.text


def load_json(text: str, error: type[OutputError] = OutputError) -> Any:
    """The JSON value an answer holds.

    Args:
        text: the whole answer: JSON, optionally inside a single fenced code block, with surrounding
            whitespace allowed and nothing else.
        error: the exception type to raise (the caller's own subclass of :class:`OutputError`).

    Raises:
        error: the answer is not JSON.
    """
    body = text.strip()
    fenced = _FENCE.fullmatch(body)
    if fenced:
        body = fenced.group(1).strip()
    try:
        return json.loads(body)
    except json.JSONDecodeError as e:
        raise error(f"not a JSON object ({e.msg}): {text[:80]!r}") from None


@dataclass(frozen=True)
class JsonForm:
    """How one kind of answer object is asked for (see the module docstring).

    Args:
        schema: the JSON schema a chat model's answer must match.
        prefix: the start of the object that a base-model prompt ends with, after one space.
        stop: strings that end a base model's completion.
        suffix: what the stop string (or the end of ``regex``) cut off and the object needs back (e.g. its
            closing ``}``).
        regex: what a base model's completion must match, between ``prefix`` and ``suffix`` (None: anything).
    """

    schema: dict[str, Any]
    prefix: str
    stop: tuple[str, ...]
    suffix: str = ""
    regex: str | None = None

    def request(self, prompt: str, chat: bool, max_tokens: int, temperature: float,
                seed: int | None = None) -> GenerationRequest:
        """The request that asks for the answer to ``prompt``, for a chat model or a base model."""
        if chat:
            return GenerationRequest([{"role": "user", "content": prompt}], max_tokens, temperature,
                                     json_schema=self.schema, seed=seed)
        return GenerationRequest(f"{prompt} {self.prefix}", max_tokens, temperature, stop=self.stop, seed=seed,
                                 regex=self.regex)

    def answer(self, output: str, chat: bool) -> str:
        """The whole answer object: a chat model's output, or a base model's completion closed again."""
        return output if chat else f"{self.prefix}{output}{self.suffix}"


@dataclass(frozen=True)
class Answer(Generic[T]):
    """One prompt's outcome after all attempts, with the tokens of every attempt summed (``cached_tokens``: the
    prompt tokens the engine took from its prefix cache).

    ``value`` is the parsed answer and ``error`` None, or ``value`` is None and ``error`` says why the
    last attempt was rejected.
    """

    value: T | None
    error: str | None
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int = 0


class JsonAsker:
    """Asks one engine for JSON answers and re-asks only the ones that did not parse."""

    def __init__(self, engine: Engine, retries: int, temperature: float, retry_temperature: float, seed: int = 0):
        """
        Args:
            engine: the model to ask.
            retries: re-asks of a prompt whose answer was rejected (0: ask once).
            temperature: of the first attempt.
            retry_temperature: of every re-ask; keep it above 0, greedy decoding repeats a bad answer.
            seed: with the prompt text and the attempt, the sampling seed of each request (an answer then
                depends on nothing else: not on the batch, nor on what was asked before).

        Raises:
            ValueError: ``retries`` is negative.
        """
        if retries < 0:
            raise ValueError(f"retries={retries} must be >= 0")
        self.engine = engine
        self.retries = retries
        self.temperature = temperature
        self.retry_temperature = retry_temperature
        self.seed = seed

    @property
    def attempts(self) -> int:
        """How many times a prompt is asked at most."""
        return 1 + self.retries

    def ask(self, prompts: Sequence[str], form: JsonForm, parse: Callable[[int, str], T],
            max_tokens: int) -> list[Answer[T]]:
        """One answer per prompt; each attempt is one ``generate`` call for all prompts still pending.

        Args:
            prompts: the prompt texts (without a base model's answer prefix).
            form: how the answers are asked for and rebuilt.
            parse: ``parse(index, answer_text)`` reads the answer to ``prompts[index]``; it raises an
                :class:`OutputError` for an answer to ask again.
            max_tokens: cap on each answer.

        Returns:
            The :class:`Answer` of each prompt, in order.

        Raises:
            ValueError: the engine returned another number of generations than requests.
        """
        chat = self.engine.has_chat_template
        values: list[T | None] = [None] * len(prompts)
        errors: list[str | None] = [None] * len(prompts)
        tokens = [[0, 0, 0] for _ in prompts]
        pending = list(range(len(prompts)))
        for attempt in range(self.attempts):
            if not pending:
                break
            temperature = self.temperature if attempt == 0 else self.retry_temperature
            gens = self.engine.generate([form.request(prompts[k], chat, max_tokens, temperature,
                                                      request_seed(self.seed, prompts[k], attempt))
                                         for k in pending])
            failed = []
            for k, gen in zip(pending, gens, strict=True):
                tokens[k][0] += gen.prompt_tokens
                tokens[k][1] += gen.completion_tokens
                tokens[k][2] += gen.cached_tokens
                try:
                    values[k] = parse(k, form.answer(engine_text(gen), chat))
                    errors[k] = None
                except OutputError as e:
                    errors[k] = str(e)
                    failed.append(k)
            pending = failed
        return [Answer(v, e, *counts) for v, e, counts in zip(values, errors, tokens)]

    def gave_up(self, errors: Iterable[str]) -> str:
        """The recorded error of a request whose answers still failed after every attempt."""
        return f"no valid answer after {self.attempts} attempts: " + "; ".join(errors)
