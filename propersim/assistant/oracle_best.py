"""The ``oracle_best`` policy: a reference upper bound that acts on the persona's structured preferences.

It is not an assistant: it reads what a real assistant has to learn, ``persona.preferences``, and acts on it
with the vocabulary rules the judges use (:mod:`propersim.personas.vocab`). It never calls a judge, so it is
an upper reference for any judge that rates by the persona's preferences. At each awake tick it:

1. detects the activity kinds of the current action (:func:`~propersim.personas.vocab.detect_kinds`) and
   lists the liked topics that fit them (a liked topic with no ``during`` kinds fits any activity), leaving
   out disliked and sensitive topics;
2. recommends only inside a receptive window, outside do-not-disturb activities, and within the frequency
   caps: counting this one, at most ``max_per_window`` in the last ``window_hours`` and ``max_per_day`` today;
3. recommends a fitting topic when one fits (the one it recommended least recently today), else abstains,
   except to keep the rhythm: when abstaining would let ``max_gap_hours`` pass since waking or the last
   recommendation and no receptive moment is left before that deadline, it recommends a liked topic anyway;
4. says it with the catalogue text of that topic in the persona's tone (:data:`TONE_VARIANT`) that touches
   no disliked or sensitive topic (:func:`topic_text`).

Its memory is what :meth:`OracleBestPolicy.observe` reports was delivered today, per persona; it starts afresh
every day, as the user's evaluative memory does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from propersim.assistant.catalogue import CATALOGUE
from propersim.assistant.policies import Candidate, Observation, Policy
from propersim.config import AssistantConfig
from propersim.personas.schema import Persona, Preferences
from propersim.personas.vocab import detect_kinds, detect_topics, word_count

#: Persona tone -> the catalogue variants to try, in order (index into a CATALOGUE pair: 0 casual, 1 formal).
#: A tone the catalogue has no variant for tries the formal one first, the more reserved of the two.
TONE_VARIANT: dict[str, tuple[int, ...]] = {"casual": (0,), "formal": (1,), "any": (0, 1)}
_UNKNOWN_TONE = (1, 0)


@dataclass
class _Day:
    """What the policy knows of one persona's current day: when it woke and what it recommended when."""

    day: int
    wake_tick: int
    rec_ticks: list[int] = field(default_factory=list)
    last_topic_tick: dict[str, int] = field(default_factory=dict)


def topic_text(prefs: Preferences, topic: str) -> str | None:
    """The catalogue text of ``topic`` in the persona's tone and length, or None when no variant fits.

    A variant fits when the vocabulary detects ``topic`` in it and no disliked or sensitive topic; one that
    is detected as ``topic`` alone is preferred, then (for a persona that does not take any length) the
    shorter one.
    """
    avoid = set(prefs.disliked) | set(prefs.sensitive_topics)
    variants = [CATALOGUE[topic][i] for i in TONE_VARIANT.get(prefs.tone, _UNKNOWN_TONE)]
    fitting = [text for text in variants if topic in detect_topics(text) and not avoid & set(detect_topics(text))]
    by_length = prefs.length != "any"
    fitting.sort(key=lambda text: (len(detect_topics(text)) > 1, word_count(text) if by_length else 0))
    return fitting[0] if fitting else None


class OracleBestPolicy(Policy):
    """Recommends what the persona's preferences ask for, where and as often as they ask (module docstring)."""

    model = "oracle_best"

    def __init__(self, cfg: AssistantConfig, seed: int, tick_seconds: int):
        super().__init__(cfg, seed)
        self.tick_seconds = tick_seconds
        self._days: dict[int, _Day] = {}
        self._texts: dict[int, dict[str, str]] = {}  # persona id -> topic -> text, for the usable liked topics

    def decide_batch(self, observations: list[Observation]) -> list[list[Candidate]]:
        return [[Candidate(self.decide(obs))] * self.cfg.n_candidates for obs in observations]

    def decide(self, obs: Observation) -> str | None:
        """The recommendation for ``obs``, or None to abstain."""
        prefs = obs.persona.preferences
        texts = self._usable(obs.persona)
        state = self._day(obs)
        kinds = detect_kinds(obs.action.description)
        if not texts or kinds & set(prefs.do_not_disturb) or not self._within_caps(prefs, state, obs.tick):
            return None
        fitting = [t.topic for t in prefs.liked if t.topic in texts and (not t.during or kinds & set(t.during))]
        deadline = self._deadline(prefs, state)
        if self._receptive(prefs, obs.tick):
            if not fitting and not self._last_chance(prefs, obs.tick, deadline):
                return None
        elif obs.tick < deadline:
            return None
        topics = fitting or list(texts)
        topic = min(topics, key=lambda t: (state.last_topic_tick.get(t, -1), topics.index(t)))
        return texts[topic]

    def observe(self, persona_id, day, tick, action, recommendation, score_total, reason=""):
        """Record a delivered recommendation (abstentions change nothing)."""
        state = self._days.get(persona_id)
        if recommendation is None or state is None or state.day != day:
            return
        state.rec_ticks.append(tick)
        topic = next((t for t, text in self._texts.get(persona_id, {}).items() if text == recommendation), None)
        if topic is not None:
            state.last_topic_tick[topic] = tick

    def _usable(self, persona: Persona) -> dict[str, str]:
        """Liked topics that have a fitting text (so neither disliked nor sensitive): topic -> text."""
        if persona.persona_id not in self._texts:
            prefs = persona.preferences
            texts = {t.topic: topic_text(prefs, t.topic) for t in prefs.liked}
            self._texts[persona.persona_id] = {t: text for t, text in texts.items() if text is not None}
        return self._texts[persona.persona_id]

    def _day(self, obs: Observation) -> _Day:
        """This persona's state of ``obs.day``, started when first seen that day (waking at the first awake tick)."""
        state = self._days.get(obs.persona.persona_id)
        if state is None or state.day != obs.day:
            state = _Day(obs.day, obs.tick - obs.ticks_awake)
            self._days[obs.persona.persona_id] = state
        return state

    def _hour(self, tick: int) -> float:
        return tick * self.tick_seconds / 3600

    def _ticks(self, hours: float) -> int:
        return round(hours * 3600 / self.tick_seconds)

    def _receptive(self, prefs: Preferences, tick: int) -> bool:
        """Whether ``tick`` starts inside one of the persona's receptive windows."""
        hour = self._hour(tick)
        return any(a <= hour < b for a, b in prefs.receptive_hours)

    def _within_caps(self, prefs: Preferences, state: _Day, tick: int) -> bool:
        """Recommending now, counted, stays within ``max_per_window`` per ``window_hours`` and ``max_per_day``."""
        f = prefs.frequency
        start = tick - self._ticks(f.window_hours) + 1
        in_window = sum(start <= t < tick for t in state.rec_ticks) + 1
        return in_window <= f.max_per_window and len(state.rec_ticks) + 1 <= f.max_per_day

    def _deadline(self, prefs: Preferences, state: _Day) -> int:
        """The first tick at which ``max_gap_hours`` have passed since waking or the last recommendation: an
        abstention from there on is too rare; a recommendation there still resets the gap."""
        anchor = max([state.wake_tick, *state.rec_ticks])
        return anchor + math.ceil(prefs.frequency.max_gap_hours * 3600 / self.tick_seconds - 1e-9)

    def _last_chance(self, prefs: Preferences, tick: int, deadline: int) -> bool:
        """The deadline has come, or no receptive tick is left before it."""
        return tick >= deadline or not any(self._receptive_tick_in(a, b, tick + 1, deadline)
                                           for a, b in prefs.receptive_hours)

    def _receptive_tick_in(self, start_hour: float, end_hour: float, first: int, last: int) -> bool:
        """Whether some tick in [first, last] starts inside [start_hour, end_hour)."""
        lo = max(first, math.ceil(start_hour * 3600 / self.tick_seconds - 1e-9))
        hi = min(last, math.ceil(end_hour * 3600 / self.tick_seconds - 1e-9) - 1)
        return lo <= hi
