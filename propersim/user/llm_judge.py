"""The LLM judge: the user agent rates each decision with five separate prompts, one per check.

Each prompt holds the persona card, the evaluative memory with its exact recommendation counts, the
current action and time, the decision to rate, and that check's rubric text from the persona
(``prompts/v1/``). Everything the assistant wrote (the candidate, and past recommendations in the memory)
sits between ``<<<NAME>>>`` / ``<<<END NAME>>>`` markers that the prompt declares to be data; marker-like
runs inside the data are shortened so it cannot close its block. The score comes only from the engine's
output, read by :func:`parse_score`.

Output protocol: chat models get the prompt as one user message plus a JSON schema, and answer with the
whole object ``{"score": 0|1, "reason": "..."}``. Base models (no chat template) get the same text as a
plain completion that ends inside the object, ``... JSON answer: {"score": ``, with stop ``}`` and no
schema (a schema would force a second opening brace); the answer is rebuilt as prefix + output + ``}``.
All prompts of a ``judge_batch`` go in one ``generate`` call; only the prompts that failed to parse are
asked again, up to ``retries`` times, and a request with a check still failing becomes
:meth:`Verdict.failed` naming the check and the reason.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from propersim.llm.engine import Engine, GenerationRequest
from propersim.llm.prompts import load_template
from propersim.personas.schema import Persona
from propersim.personas.vocab import NO_RECOMMENDATION
from propersim.user.judge import CHECKS, Judge, JudgeRequest, Verdict
from propersim.user.memory import EvaluativeMemory
from propersim.world.clock import Clock

PROMPT_DIR = Path(__file__).parent / "prompts" / "v1"
REASON_MAX_CHARS = 300
#: The start of the answer object that base-model prompts end with.
BASE_ANSWER_PREFIX = '{"score": '
#: What ``generate`` must return for chat models (and what :func:`parse_score` accepts from any model).
SCORE_SCHEMA = {
    "type": "object",
    "properties": {
        "score": {"type": "integer", "enum": [0, 1]},
        "reason": {"type": "string", "minLength": 1, "maxLength": REASON_MAX_CHARS},
    },
    "required": ["score", "reason"],
    "additionalProperties": False,
}
#: Which rubric text each check shows (both frequency checks read the persona's frequency paragraph).
RUBRIC_FIELD = {
    "preference": "personal_preference",
    "frequency_over": "frequency",
    "frequency_under": "frequency",
    "timing": "timing",
    "communication_safety": "communication_safety",
}

_FENCE = re.compile(r"```(?:json)?[ \t]*\n(.*?)\n[ \t]*```", re.DOTALL)
_MARKER_RUN = re.compile(r"([<>])\1{2,}")


class ParseError(ValueError):
    """The judge model's output is not a valid ``{"score": 0|1, "reason": ...}`` object."""


def as_data(text: str) -> str:
    """``text`` with runs of three or more ``<`` or ``>`` cut to two, so it cannot open or close a data block."""
    return _MARKER_RUN.sub(r"\1\1", text)


def parse_score(text: str) -> tuple[int, str]:
    """Read one check's answer.

    Args:
        text: the whole answer: a JSON object, optionally inside a single fenced code block, with
            surrounding whitespace allowed and nothing else.

    Returns:
        (score, reason) with score 0 or 1.

    Raises:
        ParseError: not exactly one JSON object with an integer ``score`` of 0 or 1 and a non-empty
            ``reason`` string of at most :data:`REASON_MAX_CHARS` characters, and no other keys.
    """
    body = text.strip()
    fenced = _FENCE.fullmatch(body)
    if fenced:
        body = fenced.group(1).strip()
    try:
        obj = json.loads(body)
    except json.JSONDecodeError as e:
        raise ParseError(f"not a JSON object ({e.msg}): {text[:80]!r}") from None
    if not isinstance(obj, dict) or set(obj) != {"score", "reason"}:
        got = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
        raise ParseError(f"expected an object with exactly the keys score and reason, got {got}")
    score, reason = obj["score"], obj["reason"]
    if type(score) is not int or score not in (0, 1):
        raise ParseError(f"score must be the integer 0 or 1, got {score!r}")
    if not isinstance(reason, str) or not reason.strip():
        raise ParseError(f"reason must be a non-empty string, got {reason!r}")
    if len(reason) > REASON_MAX_CHARS:
        raise ParseError(f"reason is {len(reason)} characters; at most {REASON_MAX_CHARS} allowed")
    return score, reason.strip()


class LLMJudge(Judge):
    """Rates decisions with an LLM; see the module docstring for prompts, protocol and retries."""

    name = "llm"

    def __init__(self, engine: Engine, clock: Clock, retries: int = 2, max_tokens: int = 160,
                 temperature: float = 0.0, retry_temperature: float = 0.7):
        """
        Args:
            engine: the model that plays the user.
            clock: turns ticks into the times shown in the prompts (its ``tick_seconds`` is the memory's).
            retries: how many times a prompt whose answer did not parse is asked again.
            max_tokens: cap on each answer.
            temperature: sampling temperature of the first attempt.
            retry_temperature: of the re-asks (greedy decoding would repeat the same bad answer).

        Raises:
            ValueError: ``retries`` is negative.
        """
        if retries < 0:
            raise ValueError(f"retries={retries} must be >= 0")
        self.engine = engine
        self.clock = clock
        self.retries = retries
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.retry_temperature = retry_temperature
        self._frame = load_template(PROMPT_DIR, "judge")
        self._card = load_template(PROMPT_DIR, "persona_card")
        self._criteria = {check: load_template(PROMPT_DIR, check) for check in CHECKS}

    def judge_batch(self, requests: list[JudgeRequest]) -> list[Verdict]:
        """One verdict per request; all checks of all requests share each ``generate`` call."""
        keys = [(i, check) for i in range(len(requests)) for check in CHECKS]
        texts = {(i, check): self.prompt(requests[i], check) for i, check in keys}
        answers: dict[tuple[int, str], tuple[int, str]] = {}
        errors: dict[tuple[int, str], str] = {}
        tokens = [[0, 0] for _ in requests]
        pending = keys
        for attempt in range(1 + self.retries):
            if not pending:
                break
            gens = self.engine.generate([self._request(texts[k], attempt) for k in pending])
            failed = []
            for key, gen in zip(pending, gens, strict=True):
                tokens[key[0]][0] += gen.prompt_tokens
                tokens[key[0]][1] += gen.completion_tokens
                try:
                    if gen.error is not None:
                        raise ParseError(f"engine error: {gen.error}")
                    answers[key] = parse_score(self._answer_text(gen.text))
                    errors.pop(key, None)
                except ParseError as e:
                    errors[key] = str(e)
                    failed.append(key)
            pending = failed
        verdicts = []
        for i, (prompt_tokens, completion_tokens) in enumerate(tokens):
            bad = [f"{check}: {errors[i, check]}" for check in CHECKS if (i, check) in errors]
            if bad:
                verdicts.append(Verdict.failed(f"llm judge gave no valid answer after {1 + self.retries} "
                                               f"attempts: " + "; ".join(bad), prompt_tokens, completion_tokens))
            else:
                got = [answers[i, check] for check in CHECKS]
                verdicts.append(Verdict(tuple(s for s, _ in got), tuple(r for _, r in got), None,
                                        prompt_tokens, completion_tokens))
        return verdicts

    def prompt(self, req: JudgeRequest, check: str) -> str:
        """The full prompt text of ``check`` for ``req`` (without the base-model answer prefix)."""
        persona = req.persona
        criterion = self._criteria[check].substitute(
            name=persona.name, rubric=getattr(persona.rubric, RUBRIC_FIELD[check]))
        recommendation = NO_RECOMMENDATION if req.recommendation is None else as_data(req.recommendation)
        return self._frame.substitute(
            name=persona.name,
            persona_card=self.persona_card(persona),
            memory=as_data(self.render_memory(req.memory, req.tick, req.wake_tick)),
            now=self.clock.datetime_of(req.day, req.tick).strftime("%A %B %d, %I:%M %p"),
            action=as_data(f"{req.action.description} (in the {req.action.location})"),
            recommendation=recommendation,
            criterion=criterion,
        )

    def persona_card(self, persona: Persona) -> str:
        """Name, age, traits, occupation, background, interests, lifestyle and goals."""
        return self._card.substitute(
            name=persona.name, age=persona.age, occupation=persona.occupation, background=persona.background,
            traits=", ".join(f"{level} {trait}" for trait, level in persona.big_five.items()),
            interests=persona.current_interests, lifestyle=persona.lifestyle, goals=persona.long_term_goals)

    def render_memory(self, memory: EvaluativeMemory, now: int, wake_tick: int) -> str:
        """The day so far: wake time, exact counts, summary blocks (oldest first), last 10 minutes verbatim."""
        last = memory.last_recommendation_tick
        lines = [f"You woke up at {self._hhmm(wake_tick)}.",
                 f"Recommendations received today before now: {memory.n_recommendations}"
                 + (f", the last one at {self._hhmm(last)}." if last is not None else ".")]
        blocks = [b for b in memory.blocks(now) if b.actions]
        if blocks:
            lines.append("Earlier today, summarised:")
        for b in blocks:
            lines += [f"TIME: {self._hhmm(b.start)} - {self._hhmm(b.end)}",
                      f"Number of recommendations: {b.n_recommendations}",
                      f"actions: {'; '.join(b.actions)}"]
        recent = memory.recent(now)
        if recent:
            lines.append("The last 10 minutes, verbatim:")
        for e in recent:
            rec = NO_RECOMMENDATION if e.recommendation is None else e.recommendation
            lines.append(f"{self._hhmm(e.tick)} | you were: {e.action} | assistant: {rec}")
        return "\n".join(lines)

    def _hhmm(self, tick: int) -> str:
        minutes = tick * self.clock.tick_seconds // 60
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    def _request(self, text: str, attempt: int) -> GenerationRequest:
        temperature = self.temperature if attempt == 0 else self.retry_temperature
        if self.engine.has_chat_template:
            return GenerationRequest([{"role": "user", "content": text}], self.max_tokens, temperature,
                                     json_schema=SCORE_SCHEMA)
        return GenerationRequest(f"{text} {BASE_ANSWER_PREFIX}", self.max_tokens, temperature, stop=("}",))

    def _answer_text(self, output: str) -> str:
        """The whole answer object: a chat model's output, or a base model's completion closed again."""
        return output if self.engine.has_chat_template else f"{BASE_ANSWER_PREFIX}{output}}}"
