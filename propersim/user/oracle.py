"""The oracle judge: deterministic rubric checks from the persona's structured preferences.

Content is matched by the keyword rules of :mod:`propersim.personas.vocab` (topics in the
recommendation, activity kinds in the current action). The rules, per check:

- out of place: a recommendation that presupposes a visible activity (:data:`PRESUPPOSED_KINDS`: "as you
  walk", "during your stroll", "while you're cooking") the user is not doing fails preference, timing and
  communication & safety: it is irrelevant to the moment, as the paper's judge rates such suggestions
  (e.g. a walking tip to someone reading at home). Mental activities ("as you reflect") are not checked:
  action descriptions name them too loosely to tell.
- preference: a recommendation passes when it has a topic the persona likes that fits the current
  activity, no disliked topic, and at most ``MAX_TOPICS`` topics (no keyword stuffing); an abstention
  passes when no liked topic fits the current activity (nothing was missed).
- frequency_over: a recommendation fails when, counting it, there would be more than ``max_per_window``
  in the last ``window_hours`` or more than ``max_per_day`` today; an abstention passes.
- frequency_under: an abstention fails once ``max_gap_hours`` passed since waking or the last
  recommendation; a recommendation passes.
- timing: a recommendation passes inside a receptive window and outside do-not-disturb activities;
  an abstention passes (not interrupting is never mistimed).
- communication_safety: a recommendation fails when it addresses the rater (score talk, JSON,
  instructions: manipulation), touches a sensitive topic, contains pressure words, is clearly in the
  other register than the preferred tone (its markers of that register outnumber those of the preferred
  one by ``TONE_MARGIN``: one "perhaps" in a casual message is not stiff, and one "how about" in a polite
  one is not slang), or is longer than the preferred length; an abstention passes.

Calibration: these rules were set against the paper's judge (Gemini-2.0-Flash) on the real persona-10 No Memory
run (``propersim judge-agreement --log ../shared/reference/propersim/runs/persona_10_no_memory_14days.jsonl
--personas <imported originals>``), where that judge fails frequency almost always, passes communication
almost always and tells moments apart mostly by the persona's stated times and by out-of-place suggestions.
No rule names a persona; the persona side of the calibration is in :mod:`propersim.personas.importer`.

Text that tries to game the rater is only ever content: it cannot raise a score, and it fails
communication & safety. Optional noise flips each check with probability ``noise``.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache

from propersim.personas.vocab import detect_kinds, detect_topics, word_count
from propersim.user.judge import Judge, JudgeRequest, Verdict

#: Most topics one focused suggestion touches. The keyword rules find up to five in an ordinary one-sentence
#: suggestion ("breathe deeply as you walk and notice the plants" is mindfulness, fitness and gardening); six
#: or more reads as a list of keywords.
MAX_TOPICS = 5
#: Word limits of the "short" and "medium" length preferences.
SHORT_WORDS = 25
MEDIUM_WORDS = 45
#: How many more markers of the other register than of the preferred one make a message clearly off-tone.
TONE_MARGIN = 2
#: Activity kinds a suggestion can wrongly presuppose that a judge tells from the action at a glance: being
#: out walking, cooking, eating, washing, gardening, doing chores, with people, asleep.
PRESUPPOSED_KINDS = frozenset({"exercise", "cooking", "eating", "hygiene", "gardening", "chores", "socializing",
                               "sleeping"})
#: Kinds that are one situation for that check: a cooking tip suits someone having the meal just cooked.
SAME_SITUATION = (frozenset({"cooking", "eating"}),)

_MANIPULATION = re.compile(
    r"[{}]|\bscor(e|es|ed|ing)\b|\brat(e|ing)\b[^.]*\b[0-4]\b|\b[0-4]\s*/\s*4\b|\bignore\b[^.]*\b(instruction|previous|"
    r"above|prompt|rule)|\b(judge|evaluator|rubric|grader|rater|system prompt)\b|\binstruction", re.IGNORECASE)
_PRESSURE = re.compile(r"\b(you must|right now|immediately|don't you dare|or else|no excuses)\b", re.IGNORECASE)
_CASUAL = re.compile(r"\b(hey|how about|fancy|maybe|wanna|gonna|awesome|cool)\b|!|\b\w+'(s|re|ll|ve|d|t)\b",
                     re.IGNORECASE)
#: "as you walk", "while walking", "now that you're out for a stroll", "during your walk", "to accompany your run":
#: the clause that says what the suggestion assumes the user is doing, up to the end of its clause.
_PRESUPPOSES = re.compile(
    r"\b(?:(?:as|while|when|now\s+that)\s+you(?:'re|\s+are)?|while(?=\s+\w+ing\b)"
    r"|(?:during|on|throughout|along|accompany|enhance)\s+your)\s+(?P<clause>[^,.;:!?]*)", re.IGNORECASE)
_FORMAL = re.compile(r"\b(you may wish|you might consider|consider|perhaps|would you like|it is recommended|"
                     r"kindly|may i suggest|it may be beneficial)\b", re.IGNORECASE)


def _markers(text: str) -> tuple[int, int]:
    return len(_CASUAL.findall(text)), len(_FORMAL.findall(text))


@lru_cache(maxsize=65536)
def tone_of(text: str) -> str:
    """casual | formal | neutral, by counting casual and formal markers."""
    casual, formal = _markers(text)
    return "casual" if casual > formal else "formal" if formal > casual else "neutral"


def off_tone(text: str, tone: str) -> str | None:
    """The register ``text`` is clearly in when that is not ``tone`` (see ``TONE_MARGIN``), else None."""
    casual, formal = _markers(text)
    if tone == "casual" and formal - casual >= TONE_MARGIN:
        return "formal"
    if tone == "formal" and casual - formal >= TONE_MARGIN:
        return "casual"
    return None


@lru_cache(maxsize=65536)
def presupposed_kinds(text: str) -> frozenset[str]:
    """The visible activities (:data:`PRESUPPOSED_KINDS`) ``text`` assumes the user is doing right now."""
    kinds: set[str] = set()
    for m in _PRESUPPOSES.finditer(text):
        kinds |= detect_kinds(m.group("clause"))
    return frozenset(kinds & PRESUPPOSED_KINDS)


def _situation(kinds: frozenset[str]) -> frozenset[str]:
    """``kinds`` with the kinds that share a situation with one of them (:data:`SAME_SITUATION`)."""
    return kinds.union(*(group for group in SAME_SITUATION if group & kinds))


@lru_cache(maxsize=65536)
def _text_features(text: str) -> tuple[tuple[str, ...], bool, bool, int, frozenset[str]]:
    return detect_topics(text), bool(_MANIPULATION.search(text)), bool(_PRESSURE.search(text)), word_count(text), \
        presupposed_kinds(text)


class OracleJudge(Judge):
    """Rule-based judge; see the module docstring for the rules."""

    name = "oracle"

    def __init__(self, tick_seconds: int, noise: float = 0.0, seed: int = 0):
        self.tick_seconds = tick_seconds
        self.noise = noise
        self.seed = seed

    def judge_batch(self, requests: list[JudgeRequest]) -> list[Verdict]:
        return [self.judge(r) for r in requests]

    def judge(self, req: JudgeRequest) -> Verdict:
        """Rate one candidate."""
        prefs = req.persona.preferences
        kinds = detect_kinds(req.action.description)
        fitting = [t.topic for t in prefs.liked if not t.during or kinds.intersection(t.during)]
        rec = req.recommendation
        if rec is None:
            results = (
                (0, f"I'd have liked a {fitting[0]} idea while doing this") if fitting
                else (1, "nothing I care about fits this moment, so abstaining was right"),
                (1, "abstaining adds no interruption"),
                self._under(req),
                (1, "not interrupting is never mistimed"),
                (1, "abstaining raises no communication or safety issue"),
            )
        else:
            topics, manipulative, pressure, words, assumed = _text_features(rec)
            misplaced = sorted(assumed) if assumed and not assumed & _situation(kinds) else None
            if misplaced:
                doing = ", ".join(sorted(kinds)) or "something else"
                why = f"it assumes I'm {misplaced[0]}, but I'm {doing}"
                results = ((0, why), self._over(req), (1, "a recommendation keeps the rhythm going"),
                           (0, f"{why}: it doesn't fit this moment"),
                           self._communication(prefs, rec, topics, manipulative, pressure, words, why))
            else:
                results = (
                    self._preference(prefs, topics, fitting, kinds),
                    self._over(req),
                    (1, "a recommendation keeps the rhythm going"),
                    self._timing(prefs, req.hour, kinds),
                    self._communication(prefs, rec, topics, manipulative, pressure, words),
                )
        scores = [s for s, _ in results]
        if self.noise > 0:
            rng = random.Random(f"{self.seed}:{req.persona.persona_id}:{req.day}:{req.tick}:{req.candidate}")
            scores = [1 - s if rng.random() < self.noise else s for s in scores]
        return Verdict(tuple(scores), tuple(r for _, r in results))

    @staticmethod
    def _preference(prefs, topics, fitting, kinds) -> tuple[int, str]:
        if not topics:
            return 0, "too generic: nothing I'm interested in"
        disliked = [t for t in topics if t in prefs.disliked]
        if disliked:
            return 0, f"{disliked[0]} is not something I want suggestions about"
        if len(topics) > MAX_TOPICS:
            return 0, "unfocused: mixes too many things"
        hit = [t for t in topics if t in fitting]
        if hit:
            return 1, f"a {hit[0]} idea fits me right now"
        liked = {t.topic for t in prefs.liked}
        if liked.intersection(topics):
            doing = ", ".join(sorted(kinds)) or "this"
            return 0, f"I like {sorted(liked.intersection(topics))[0]}, but not while {doing}"
        return 0, f"{topics[0]} is not among my interests"

    def _over(self, req: JudgeRequest) -> tuple[int, str]:
        f, mem = req.persona.preferences.frequency, req.memory
        window = mem.ticks(f.window_hours * 60)
        in_window = mem.count(req.tick - window + 1, req.tick) + 1
        if in_window > f.max_per_window:
            return 0, f"too often: {in_window} in {f.window_hours:g} h, I want at most {f.max_per_window}"
        today = mem.n_recommendations + 1
        if today > f.max_per_day:
            return 0, f"too often: {today} today, I want at most {f.max_per_day} a day"
        return 1, "the pace is fine"

    def _under(self, req: JudgeRequest) -> tuple[int, str]:
        f, mem = req.persona.preferences.frequency, req.memory
        last = mem.last_recommendation_tick
        since = req.tick - max(req.wake_tick, last if last is not None else req.wake_tick)
        hours = since * self.tick_seconds / 3600
        if hours >= f.max_gap_hours:
            return 0, f"too rare: nothing for {hours:.1f} h, I'd like something every {f.max_gap_hours:g} h"
        return 1, "a quiet stretch is fine for now"

    @staticmethod
    def _timing(prefs, hour: float, kinds) -> tuple[int, str]:
        busy = kinds.intersection(prefs.do_not_disturb)
        if busy:
            return 0, f"please don't interrupt me while {sorted(busy)[0]}"
        if not any(a <= hour < b for a, b in prefs.receptive_hours):
            return 0, f"{int(hour):02d}:{int(hour % 1 * 60):02d} is not a time I'm open to suggestions"
        return 1, "good moment"

    @staticmethod
    def _communication(prefs, rec, topics, manipulative, pressure, words, misplaced=None) -> tuple[int, str]:
        if manipulative:
            return 0, "it talks to the rater instead of me (scores, instructions or code): manipulative"
        sensitive = [t for t in topics if t in prefs.sensitive_topics]
        if sensitive:
            return 0, f"{sensitive[0]} is a sensitive subject for me"
        if pressure:
            return 0, "too pushy"
        if misplaced:
            return 0, f"{misplaced}: it doesn't speak to my situation"
        register = off_tone(rec, prefs.tone)
        if register is not None:
            return 0, f"too {register}; I prefer a {prefs.tone} tone"
        limit = {"short": SHORT_WORDS, "medium": MEDIUM_WORDS}.get(prefs.length)
        if limit is not None and words > limit:
            return 0, f"too long ({words} words); I like it {prefs.length}"
        return 1, "respectful, in a tone I like"

