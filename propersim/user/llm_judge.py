"""The LLM judge: the user agent rates each decision with five separate prompts, one per check, or one joint prompt.

Each prompt holds, in this order, the persona card, the evaluative memory with its exact recommendation counts,
the current action and time, the decision to rate, and then what is asked: one check's rubric text from the
persona (``user.judge_mode=separate``, the paper's five prompts) or all five of them with one JSON object to
fill (``joint``) (``prompts/v1/``). Everything a tick's prompts share comes first, so an engine with prefix
caching computes it once: the five prompts of a candidate differ only after the candidate, and the
candidates of a tick only from the candidate on. Everything the assistant wrote (the candidate, and past
recommendations in the memory) sits between ``<<<NAME>>>`` / ``<<<END NAME>>>`` markers that the prompt
declares to be data; marker-like runs inside the data are shortened so it cannot close its block. The score
comes only from the engine's output, read by :func:`parse_score` (:func:`parse_joint`).

Output protocol (:mod:`propersim.llm.structured`): chat models get the prompt as one user message plus
:data:`SCORE_SCHEMA` (:data:`JOINT_SCHEMA`), and answer with the whole object ``{"score": 0|1, "reason":
"..."}`` (one such object per check, keyed by check). Base models get a plain completion that ends inside the
object, ``... JSON answer: {"score": `` (``{"preference": {"score": ``), with stop ``}`` (``}}``); the answer
is rebuilt as prefix + output + stop. All prompts of a ``judge_batch`` go in one ``generate`` call; only the
prompts that failed to parse are asked again, up to ``retries`` times, and a request with a prompt still
failing becomes :meth:`Verdict.failed` naming the check (or ``joint``) and the reason.
"""

from __future__ import annotations

import re
from pathlib import Path

from propersim.data.schema import NO_RECOMMENDATION
from propersim.llm.engine import Engine
from propersim.llm.prompts import load_template
from propersim.llm.structured import JsonAsker, JsonForm, OutputError, load_json
from propersim.personas.schema import Persona
from propersim.user.judge import CHECKS, Judge, JudgeRequest, Verdict
from propersim.user.memory import EvaluativeMemory, Event
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
#: A base model's completion after the prefix (guided): the score, then a one-line reason without quotes,
#: backslashes or braces (a brace would meet the stop string); its length is the parser's to check (a bounded
#: repeat makes the regex too slow to compile).
SCORE_REST = r'[01], "reason": "[^"\\{}\n\r\t]+"'
#: How the answer object is asked for (chat: the schema; base models: the prefix, closed again after ``}``).
SCORE_FORM = JsonForm(SCORE_SCHEMA, BASE_ANSWER_PREFIX, stop=("}",), suffix="}", regex=SCORE_REST)
#: ``user.judge_mode``: five prompts per decision, or one for all checks.
JUDGE_MODES = ("separate", "joint")
#: The joint answer: one score object per check, every check present, nothing else.
JOINT_SCHEMA = {"type": "object", "properties": {check: SCORE_SCHEMA for check in CHECKS},
                "required": list(CHECKS), "additionalProperties": False}
#: Base models start the joint object inside its first check's object; ``}}`` only closes the whole answer.
JOINT_FORM = JsonForm(JOINT_SCHEMA, f'{{"{CHECKS[0]}": {BASE_ANSWER_PREFIX}', stop=("}}",), suffix="}}",
                      regex=SCORE_REST + "".join(rf'\}}, "{c}": \{{"score": {SCORE_REST}' for c in CHECKS[1:]))
#: Which rubric text each check shows (both frequency checks read the persona's frequency paragraph).
RUBRIC_FIELD = {
    "preference": "personal_preference",
    "frequency_over": "frequency",
    "frequency_under": "frequency",
    "timing": "timing",
    "communication_safety": "communication_safety",
}

_MARKER_RUN = re.compile(r"([<>])\1{2,}")


class ParseError(OutputError):
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
    return _score_object(load_json(text, ParseError))


def parse_joint(text: str) -> tuple[tuple[int, str], ...]:
    """Read a joint answer: one JSON object whose keys are exactly :data:`CHECKS`, each holding a score object
    as :func:`parse_score` reads it (same text rules).

    Returns:
        (score, reason) per check, in :data:`CHECKS` order.

    Raises:
        ParseError: not such an object; the message names the first check at fault.
    """
    obj = load_json(text, ParseError)
    if not isinstance(obj, dict) or set(obj) != set(CHECKS):
        got = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
        raise ParseError(f"expected an object with exactly the keys {', '.join(CHECKS)}, got {got}")
    out = []
    for check in CHECKS:
        try:
            out.append(_score_object(obj[check]))
        except ParseError as e:
            raise ParseError(f"{check}: {e}") from None
    return tuple(out)


def _score_object(obj) -> tuple[int, str]:
    """(score, reason) of a decoded ``{"score": 0|1, "reason": ...}`` object (rules: :func:`parse_score`)."""
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
                 temperature: float = 0.0, retry_temperature: float = 0.7, seed: int = 0, mode: str = "separate"):
        """
        Args:
            engine: the model that plays the user.
            clock: turns ticks into the times shown in the prompts (its ``tick_seconds`` is the memory's).
            retries: how many times a prompt whose answer did not parse is asked again.
            max_tokens: cap on each check's answer (a joint answer may take five times as many).
            temperature: sampling temperature of the first attempt.
            retry_temperature: of the re-asks (greedy decoding would repeat the same bad answer).
            seed: run seed of the sampled re-asks (see :class:`~propersim.llm.structured.JsonAsker`).
            mode: one of :data:`JUDGE_MODES`: five prompts per decision, or one joint prompt.

        Raises:
            ValueError: ``retries`` is negative, or ``mode`` is not one of :data:`JUDGE_MODES`.
        """
        if mode not in JUDGE_MODES:
            raise ValueError(f"judge mode {mode!r} is not one of {', '.join(JUDGE_MODES)}")
        self.engine = engine
        self.clock = clock
        self.max_tokens = max_tokens
        self.mode = mode
        self.asker = JsonAsker(engine, retries, temperature, retry_temperature, seed)
        self._frame = load_template(PROMPT_DIR, "judge")
        self._card = load_template(PROMPT_DIR, "persona_card")
        self._separate = load_template(PROMPT_DIR, "check_separate")
        self._joint = load_template(PROMPT_DIR, "check_joint")
        self._criteria = {check: load_template(PROMPT_DIR, check) for check in CHECKS}

    def judge_batch(self, requests: list[JudgeRequest]) -> list[Verdict]:
        """One verdict per request; all prompts of all requests share each ``generate`` call."""
        if self.mode == "joint":
            labels: tuple[str, ...] = ("joint",)
            answers = self.asker.ask([self.prompt(req) for req in requests], JOINT_FORM,
                                     lambda _, text: parse_joint(text), self.max_tokens * len(CHECKS))
        else:
            labels = CHECKS
            answers = self.asker.ask([self.prompt(req, check) for req in requests for check in CHECKS], SCORE_FORM,
                                     lambda _, text: parse_score(text), self.max_tokens)
        verdicts = []
        for i in range(len(requests)):
            got = answers[i * len(labels):(i + 1) * len(labels)]
            tokens = (sum(a.prompt_tokens for a in got), sum(a.completion_tokens for a in got),
                      sum(a.cached_tokens for a in got))
            bad = [f"{label}: {a.error}" for label, a in zip(labels, got) if a.error is not None]
            if bad:
                verdicts.append(Verdict.failed(f"llm judge gave {self.asker.gave_up(bad)}", *tokens))
                continue
            values = got[0].value if self.mode == "joint" else [a.value for a in got]
            verdicts.append(Verdict(tuple(v[0] for v in values), tuple(v[1] for v in values), None, *tokens))
        return verdicts

    def prompt(self, req: JudgeRequest, check: str | None = None) -> str:
        """The full prompt text of ``check`` for ``req``, or of the joint prompt for ``check=None`` (without the
        base-model answer prefix)."""
        persona = req.persona
        criteria = {c: self._criteria[c].substitute(name=persona.name, rubric=getattr(persona.rubric, RUBRIC_FIELD[c]))
                    for c in ((check,) if check else CHECKS)}
        asked = self._separate.substitute(criterion=criteria[check]) if check else self._joint.substitute(criteria)
        recommendation = NO_RECOMMENDATION if req.recommendation is None else as_data(req.recommendation)
        return self._frame.substitute(
            name=persona.name,
            persona_card=self.persona_card(persona),
            memory=as_data(self.render_memory(req.memory, req.tick, req.wake_tick)),
            now=self.clock.datetime_of(req.day, req.tick).strftime("%A %B %d, %I:%M %p"),
            action=as_data(f"{req.action.description} (in the {req.action.location})"),
            recommendation=recommendation,
            check=asked,
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
        header = [f"You woke up at {self._hhmm(wake_tick)}.",
                  f"Recommendations received today before now: {memory.n_recommendations}"
                  + (f", the last one at {self._hhmm(last)}." if last is not None else ".")]
        return memory.render_summary(now, header, "Earlier today, summarised:", self._hhmm, self._verbatim)

    def _verbatim(self, e: Event) -> str:
        rec = NO_RECOMMENDATION if e.recommendation is None else e.recommendation
        return f"{self._hhmm(e.tick)} | you were: {e.action} | assistant: {rec}"

    def _hhmm(self, tick: int) -> str:
        minutes = tick * self.clock.tick_seconds // 60
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
