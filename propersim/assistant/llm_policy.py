"""The LLM policy: an LLM assistant that, from its memory of past interactions, recommends or abstains.

Memory modes (``memory_mode``): ``no_memory`` shows only the current moment; ``ar`` adds the history of
actions and recommendations; ``ars`` adds the user's total score (0-4) of each delivered decision. The
memory (:class:`~propersim.assistant.memory.AssistantMemory`, kept across days) is fed by
:meth:`LLMPolicy.observe` after judging, with the delivered candidate.

Prompts (``prompts/v1/``): chat models get a system and a user message; base models (no chat template)
a few-shot completion ending in ``Assistant:`` with stop ``\\n``. ``n_candidates`` identical requests are
sampled at ``temperature`` from the same state. :func:`parse_recommendation` reads each output; one that
breaks the format becomes an abstention (``text=None``) with ``Candidate.format_error`` saying why.

Output modes (``output``): ``free`` lets the model write any one line; ``catalogue`` constrains generation
(guided decoding) to exactly one of :data:`~propersim.assistant.catalogue.ITEMS` or "No Recommendation", so a
small model's preference learning moves probability between concrete options.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pyarrow as pa

from propersim.assistant.catalogue import ITEMS
from propersim.assistant.memory import AssistantMemory
from propersim.assistant.policies import Candidate, Observation, Policy
from propersim.assistant.retrieval import RetrievalMemory
from propersim.config import AssistantConfig
from propersim.data import schema as S
from propersim.data.rundir import SHARED
from propersim.data.schema import NO_RECOMMENDATION
from propersim.errors import InvalidInputError
from propersim.llm.engine import WEIGHTS, Engine, Generation, GenerationRequest, request_seed
from propersim.llm.prompts import load_template
from propersim.llm.structured import OutputError, engine_text
from propersim.world.clock import Clock

PROMPT_DIR = Path(__file__).parent / "prompts" / "v1"
MEMORY_MODES = ("no_memory", "ar", "ars")
MIN_WORDS, MAX_WORDS = 3, 60

_LABEL = re.compile(r"(recommendation|suggestion|assistant)\s*:\s*", re.IGNORECASE)
_ABSTAIN = re.compile(r"no[\s_-]*recommendations?", re.IGNORECASE)
_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019"}
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")


class FormatError(OutputError):
    """A policy output is neither one recommendation nor "No Recommendation"."""


def parse_recommendation(text: str, truncated: bool = False) -> str | None:
    """Read one policy output.

    Variants are normalised: surrounding whitespace, one leading ``Recommendation:`` / ``Suggestion:`` /
    ``Assistant:`` label and one pair of surrounding quotes are removed; any casing and spacing of
    "No Recommendation" with trailing punctuation means abstaining.

    Args:
        text: the generated text.
        truncated: the output stopped at the token limit.

    Returns:
        The recommendation, or None for "No Recommendation".

    Raises:
        FormatError: empty, cut off, more than one line, JSON or code, a non-Latin script, under
            :data:`MIN_WORDS` or over :data:`MAX_WORDS` words, or an abstention followed by more text.
    """
    body = text.strip()
    label = _LABEL.match(body)
    if label:
        body = body[label.end():].strip()
    if len(body) >= 2 and _QUOTES.get(body[0]) == body[-1]:
        body = body[1:-1].strip()
    if not body:
        raise FormatError("empty output")
    if truncated:
        raise FormatError("cut off at the token limit")
    abstain = _ABSTAIN.match(body)
    if abstain:
        if body[abstain.end():].strip(" .!"):
            raise FormatError(f"abstention followed by more text: {body[:60]!r}")
        return None
    if "\n" in body:
        raise FormatError("more than one line")
    if body[0] in "{[<" or "```" in body:
        raise FormatError(f"JSON or code instead of a sentence: {body[:60]!r}")
    foreign = next((c for c in body if c.isalpha() and "LATIN" not in unicodedata.name(c, "")), None)
    if foreign is not None:
        raise FormatError(f"not English: contains {foreign!r} ({unicodedata.name(foreign, '?')})")
    words = len(_WORD.findall(body))
    if words < MIN_WORDS:
        raise FormatError(f"too short to be a recommendation ({words} words): {body!r}")
    if words > MAX_WORDS:
        raise FormatError(f"too long ({words} words, at most {MAX_WORDS})")
    return body


def parse_choice(text: str) -> str | None:
    """Read a catalogue-mode output: one of :data:`CATALOGUE_OPTIONS`.

    Raises:
        FormatError: anything else (a backend that could not enforce the choice).
    """
    body = text.strip()
    if body not in CATALOGUE_OPTIONS:
        raise FormatError(f"not one of the catalogue's options: {body[:60]!r}")
    return None if body == NO_RECOMMENDATION else body


#: What a catalogue-mode policy may say.
CATALOGUE_OPTIONS = (*ITEMS, NO_RECOMMENDATION)


class LLMPolicy(Policy):
    """An LLM assistant; see the module docstring for memory, prompts and the output format."""

    def __init__(self, cfg: AssistantConfig, seed: int, engine: Engine, clock: Clock, memory_mode: str = "ar",
                 temperature: float = 0.9, max_tokens: int = 96, retrieval: RetrievalMemory | None = None):
        """
        Args:
            cfg: the arm's settings (``n_candidates`` is used).
            seed: run seed; with (persona, day, tick, candidate) it seeds each candidate's sampling, so a
                candidate does not depend on the batch it is generated in.
            engine: the model that plays the assistant.
            clock: tick length and calendar.
            memory_mode: ``no_memory`` | ``ar`` | ``ars`` (see the module docstring).
            temperature: sampling temperature of every candidate.
            max_tokens: cap on each output; an output that reaches it counts as cut off.
            retrieval: the ProPerAssistant's retrieval memory; ``cfg.retrieval_top_k`` similar past
                interactions, shown at level ``cfg.memory``, join the prompt.

        Raises:
            ValueError: unknown ``memory_mode``.
        """
        super().__init__(cfg, seed)
        if memory_mode not in MEMORY_MODES:
            raise ValueError(f"memory_mode={memory_mode!r} is not valid; expected one of {list(MEMORY_MODES)}")
        self.engine = engine
        self.model = engine.model
        self.clock = clock
        self.memory_mode = memory_mode
        self.temperature = temperature
        self.max_tokens = max_tokens
        #: persona_id -> that persona's memory.
        self.memories: dict[int, AssistantMemory] = {}
        #: LoRA adapter directory of the current policy version (None: the base model), and per-persona ones.
        self.adapter: str | None = None
        self.persona_adapters: dict[int, str] = {}
        self.weights: str | None = None  # full weights from full fine-tuning
        self.retrieval = retrieval
        self.last_day = 0
        self._items: list[dict] = []  # every retrieval item observed (checkpointed; the index is rebuilt from them)
        self._pending: list[dict] = []  # observed items not yet stored in the retrieval memory
        self._recalled: dict[int, list] = {}
        self._templates = {name: load_template(PROMPT_DIR, name) for name in (
            "chat_system", "chat_user", "base_fewshot", "memory_section", "score_note", "recalled_section")}

    def decide_batch(self, observations: list[Observation]) -> list[list[Candidate]]:
        """``n_candidates`` sampled candidates per observation, all from one ``generate`` call."""
        n = self.cfg.n_candidates
        if self.retrieval is not None:
            self._flush()
            found = self.retrieval.search([o.persona.persona_id for o in observations],
                                          [o.action.description for o in observations], self.cfg.retrieval_top_k)
            self._recalled = {o.persona.persona_id: r for o, r in zip(observations, found)}
        requests = [self.request(obs, request_seed(self.seed, obs.persona.persona_id, obs.day, obs.tick, i))
                    for obs in observations for i in range(n)]
        gens = self.engine.generate(requests)
        if len(gens) != len(requests):
            raise RuntimeError(f"engine returned {len(gens)} generations for {len(requests)} requests")
        candidates = [self._candidate(req, gen) for req, gen in zip(requests, gens)]
        return [candidates[i * n:(i + 1) * n] for i in range(len(observations))]

    def observe(self, persona_id: int, day: int, tick: int, action: str, recommendation: str | None,
                score_total: int | None, reason: str = "") -> None:
        """Remember the delivered decision of (persona, day, tick) and its total score.

        Args:
            persona_id: whose interaction it was.
            day: 1-based day.
            tick: tick of the day.
            action: the user's action description at that tick.
            recommendation: the delivered text, None for "No Recommendation".
            score_total: the judge's total (0-4), None if the judge failed; shown only in ``ars`` mode.
            reason: the judge's reasons (retrieval memory level ``ASCR``).

        Raises:
            ValueError: (day, tick) is before the persona's last observed one.
        """
        memory = self.memories.setdefault(persona_id, AssistantMemory(self.clock))
        memory.add(day, tick, action, recommendation, score_total)
        self.last_day = max(self.last_day, day)
        if self.retrieval is not None:
            item = {S.PERSONA_ID: persona_id, S.DAY: day, S.TICK: tick, S.ACTION: action,
                    S.SUGGESTION: NO_RECOMMENDATION if recommendation is None else recommendation,
                    S.MEMORY_SCORE: score_total, S.REASON: reason}
            self._items.append(item)
            self._pending.append(item)

    def close(self) -> None:
        if self.retrieval is not None:
            self.retrieval.close()

    def _flush(self) -> None:
        self.retrieval.add(self._pending)
        self._pending = []

    def state_dict(self) -> dict:
        """Plain data: the memories as one :data:`~propersim.data.schema.ASSISTANT_MEMORY` table, the retrieval
        items as one :data:`~propersim.data.schema.RETRIEVAL_ITEMS` table (with retrieval), the adapters or
        weights in use, the version and the last day observed."""
        rows = [(pid, *event) for pid, memory in self.memories.items() for event in memory.export()]
        columns = [list(c) for c in zip(*rows)] if rows else [[] for _ in S.ASSISTANT_MEMORY.names]
        state = {"memories": pa.table(dict(zip(S.ASSISTANT_MEMORY.names, columns)), schema=S.ASSISTANT_MEMORY),
                 "adapter": self.adapter, "persona_adapters": {str(k): v for k, v in self.persona_adapters.items()},
                 "weights": self.weights, "version": self.version, "last_day": self.last_day}
        if self.retrieval is not None:
            state["retrieval"] = pa.Table.from_pylist(self._items, schema=S.RETRIEVAL_ITEMS)
        return state

    def load_state_dict(self, state: dict) -> None:
        """Also rebuilds the retrieval index from the state's items, wherever this process runs.

        Raises:
            InvalidInputError: the policy has retrieval memory and the state holds no items (a checkpoint
                written before they were checkpointed).
        """
        events: dict[int, list] = {}
        for row in state["memories"].to_pylist():
            events.setdefault(row[S.PERSONA_ID], []).append(
                (row[S.MEMORY_AT], row[S.ACTION], row[S.RECOMMENDATION], row[S.MEMORY_SCORE]))
        self.memories = {pid: AssistantMemory.from_events(self.clock, evs) for pid, evs in events.items()}
        self.adapter, self.version, self.last_day = state["adapter"], state["version"], state["last_day"]
        self.persona_adapters = {int(k): v for k, v in state["persona_adapters"].items()}
        self.weights = state["weights"]
        self._pending = []
        if self.retrieval is not None:
            if "retrieval" not in state:
                raise InvalidInputError("the checkpoint holds no retrieval memory items (written by a propersim "
                                        "that kept them in a Milvus Lite file of the run); start it again with "
                                        "--overwrite")
            self._items = state["retrieval"].to_pylist()
            self.retrieval.replace(self._items)

    def use_policy(self, version: int, kind: str, paths: dict[str, str]) -> None:
        """Generate as policy ``version`` from now on with what training wrote: LoRA adapters (``kind`` adapter;
        key ``shared``, or a persona id for that persona only) or full weights (``kind`` weights, from
        ``trainer.lora_r=0``). The engine has loaded them already (the simulator's push does); requests name
        them, so an engine restarted later loads them again on first use."""
        for key, path in paths.items():
            if kind == WEIGHTS:
                self.weights = str(path)
            elif key == SHARED:
                self.adapter = str(path)
            else:
                self.persona_adapters[int(key)] = str(path)
        self.version = version

    def request(self, obs: Observation, seed: int | None = None) -> GenerationRequest:
        """The generation request of one candidate for ``obs``, sampled with ``seed``."""
        t = self._templates
        name = obs.persona.name
        adapter = self.persona_adapters.get(obs.persona.persona_id, self.adapter)
        fields = {
            "name": name,
            "now": self.clock.datetime_of(obs.day, obs.tick).strftime("%A %H:%M"),
            "action": f"{obs.action.description} ({obs.action.location})",
            "memory_section": self._memory_section(obs) + self._recalled_section(obs),
        }
        if self.engine.has_chat_template:
            messages = [{"role": "system", "content": t["chat_system"].substitute(name=name)},
                        {"role": "user", "content": t["chat_user"].substitute(fields)}]
            return GenerationRequest(messages, self.max_tokens, self.temperature, adapter=adapter,
                                     weights=self.weights, choices=self._choices(chat=True), seed=seed)
        return GenerationRequest(t["base_fewshot"].substitute(fields), self.max_tokens, self.temperature,
                                 stop=("\n",), adapter=adapter, weights=self.weights,
                                 choices=self._choices(chat=False), seed=seed)

    def _choices(self, chat: bool) -> tuple[str, ...]:
        """Catalogue mode: the options as the model writes them (a base model's answer follows ``Assistant:``
        after a space)."""
        if self.cfg.output != "catalogue":
            return ()
        return CATALOGUE_OPTIONS if chat else tuple(f" {o}" for o in CATALOGUE_OPTIONS)

    def _memory_section(self, obs: Observation) -> str:
        if self.memory_mode == "no_memory":
            return ""
        memory = self.memories.get(obs.persona.persona_id) or AssistantMemory(self.clock)
        scores = self.memory_mode == "ars"
        name = obs.persona.name
        section = self._templates["memory_section"].substitute(
            name=name, memory=memory.render(obs.day, obs.tick, name, scores),
            score_note=self._templates["score_note"].substitute(name=name) + "\n" if scores else "")
        return section + "\n\n"

    def completion(self, text: str | None, chat: bool) -> str:
        """The decision as the model should write it: the base format continues ``Assistant:`` up to the
        newline it stops at."""
        said = NO_RECOMMENDATION if text is None else text
        return said if chat else f" {said}\n"

    def _recalled_section(self, obs: Observation) -> str:
        recalled = self._recalled.get(obs.persona.persona_id) if self.retrieval is not None else None
        if not recalled:
            return ""
        items = "\n".join(f"- {self.clock.datetime_of(r.day, r.tick).strftime('%A %H:%M')}: "
                          f"{r.render(self.cfg.memory)}" for r in recalled)
        return self._templates["recalled_section"].substitute(name=obs.persona.name, items=items) + "\n\n"

    def _candidate(self, req: GenerationRequest, gen: Generation) -> Candidate:
        chat = not isinstance(req.prompt, str)
        prompt = dict(prompt=json.dumps(req.prompt) if chat else req.prompt, prompt_format="chat" if chat else "text")
        try:
            out = engine_text(gen)
            text = (parse_choice(out) if req.choices else
                    parse_recommendation(out, truncated=gen.completion_tokens >= self.max_tokens))
            return Candidate(text, gen.prompt_tokens, gen.completion_tokens, cached_tokens=gen.cached_tokens,
                             completion=self.completion(text, chat), **prompt)
        except OutputError as e:  # scored as the abstention it falls back to, and paired as that
            return Candidate(None, gen.prompt_tokens, gen.completion_tokens, format_error=str(e),
                             cached_tokens=gen.cached_tokens, completion=self.completion(None, chat), **prompt)
