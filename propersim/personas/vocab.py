"""The shared vocabulary: recommendation topics and activity kinds, with the keyword rules that detect them.

Personas state their preferences in these terms, the procedural planner emits actions of these kinds,
the oracle judge detects them in free text, and the baseline policies draw content from the catalogue.

Detection method (documented for the oracle judge): text is lower-cased and split into word tokens;
a topic or kind is detected when one of its keywords equals a token, or one of its multi-word keywords
occurs as a phrase. Keywords are stems matched as token prefixes when they end with ``*``.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: Recommendation topics: name -> keywords. Order is the priority used when several match.
TOPICS: dict[str, tuple[str, ...]] = {
    "music": ("music", "playlist", "song*", "album*", "jazz", "guitar", "piano", "melod*", "listen*", "instrumental*"),
    "cooking": ("recipe*", "cook*", "bake", "baking", "dish", "cuisine", "ingredient*", "spice*", "marinade"),
    "nutrition": ("hydrat*", "water", "snack*", "nutrition*", "protein", "vegetable*", "fruit*", "healthy eating"),
    "fitness": ("stretch*", "workout*", "exercise*", "walk", "yoga", "posture", "jog*", "squat*", "movement"),
    "mindfulness": ("breath*", "meditat*", "mindful*", "calm*", "relax*", "gratitude", "unwind*", "reflect*",
                    "contemplat*"),
    "reading": ("book*", "novel*", "read", "reading", "readings", "article*", "chapter*", "poem*", "poetry",
                "poetic"),
    "productivity": ("focus*", "prioriti*", "to-do", "task*", "schedule*", "pomodoro", "deadline*", "checklist*"),
    "social": ("friend*", "call", "message", "family", "host*", "guest*", "conversation*", "reach out"),
    "home_decor": ("decor*", "furniture", "rearrang*", "interior*", "lighting", "cushion*", "layout*"),
    "gardening": ("plant*", "garden*", "seed*", "soil", "water the", "prune", "pruning", "herb*", "compost*"),
    "learning": ("learn*", "course*", "lesson*", "skill*", "language", "tutorial*", "podcast*", "lecture*"),
    "creativity": ("sketch*", "draw*", "paint*", "journal*", "writing prompt*", "doodle*", "craft*", "sculpt*",
                   "creativ*", "artistic", "calligraph*"),
    "rest": ("break", "nap", "rest", "pause", "breather", "eyes off", "step away"),
    "finance": ("budget*", "saving*", "invest*", "expense*", "finance*", "bill*"),
    "news": ("news", "headline*", "current events", "newsletter*"),
    "entertainment": ("movie*", "film*", "series", "episode*", "show", "documentar*", "game*", "puzzle*"),
    "organizing": ("declutter*", "tidy*", "organi*", "clean*", "laundry", "sort*"),
    "sleep": ("bedtime", "sleep*", "wind-down", "screen*", "lights out"),
}

#: Activity kinds of the user's actions: name -> keywords.
ACTIVITY_KINDS: dict[str, tuple[str, ...]] = {
    "sleeping": ("sleep*", "asleep", "bed for the night"),
    "hygiene": ("shower*", "brush*", "bathroom", "toilet", "wash* face", "getting dressed", "dress*", "groom*"),
    "eating": ("breakfast", "lunch", "dinner", "eat*", "meal", "snack*", "brunch"),
    "cooking": ("cook*", "prepar* breakfast", "prepar* lunch", "prepar* dinner", "recipe*", "bak*"),
    "working": ("work*", "email*", "client*", "meeting*", "report*", "code", "coding", "spreadsheet*", "edit*",
                "research*", "analy*", "design* for", "project*"),
    "exercise": ("yoga", "exercis*", "workout*", "stretch*", "jog*", "run", "walk", "walks", "walking", "walk around",
                 "stroll*", "hike", "hiking", "push-up*", "pilates"),
    "meditation": ("meditat*", "breathing", "mindful*", "pray*"),
    "journaling": ("journal*", "diary", "reflect*"),
    "reading": ("read*", "book*", "novel*", "magazine*", "newspaper"),
    "creative": ("sketch*", "paint*", "draw*", "writ*", "compos*", "sculpt*", "craft*", "guitar", "piano",
                 "decor*", "rearrang*"),
    "chores": ("clean*", "laundry", "tidy*", "dishes", "vacuum*", "organi*", "iron*", "trash"),
    "gardening": ("garden*", "water* the plants", "water* plants", "plant*", "prun*", "weed*"),
    "socializing": ("friend*", "guest*", "host*", "chat*", "phone", "video call", "family", "visit*"),
    "relaxing": ("relax*", "tv", "television", "movie*", "music", "nap*", "rest*", "lounge*", "coffee", "tea",
                 "unwind*"),
    "planning": ("plan*", "schedul*", "calendar", "to-do", "budget*"),
}

#: Topics a person who likes the key topic usually welcomes too (one hop, not transitive): the importer adds them
#: to the liked topics of imported personas, whose judge reads a whole persona rather than a topic list.
RELATED_TOPICS: dict[str, tuple[str, ...]] = {
    "music": ("entertainment", "mindfulness"),
    "cooking": ("nutrition",),
    "nutrition": ("cooking", "fitness"),
    "fitness": ("nutrition", "rest"),
    "mindfulness": ("rest", "sleep", "music", "fitness"),
    "reading": ("learning", "creativity"),
    "productivity": ("organizing", "learning"),
    "social": ("entertainment",),
    "home_decor": ("organizing", "creativity"),
    "gardening": ("mindfulness", "home_decor"),
    "learning": ("reading", "productivity"),
    "creativity": ("music", "reading", "home_decor"),
    "rest": ("mindfulness", "sleep"),
    "finance": ("productivity",),
    "news": ("reading", "learning"),
    "entertainment": ("music", "social"),
    "organizing": ("productivity", "home_decor"),
    "sleep": ("rest", "mindfulness"),
}

_TOKEN = re.compile(r"[a-z0-9'\-]+")


def _compile(rules: dict[str, tuple[str, ...]]) -> list[tuple[str, re.Pattern[str]]]:
    compiled = []
    for name, keywords in rules.items():
        parts = []
        for kw in keywords:
            words = [re.escape(w.rstrip("*")) + (r"[a-z'\-]*" if w.endswith("*") else "") for w in kw.split()]
            parts.append(r"\b" + r"\s+".join(words) + r"\b")
        compiled.append((name, re.compile("|".join(parts))))
    return compiled


_TOPIC_RULES = _compile(TOPICS)
_KIND_RULES = _compile(ACTIVITY_KINDS)


@lru_cache(maxsize=65536)
def detect_topics(text: str) -> tuple[str, ...]:
    """Topics whose keywords occur in ``text``, in priority order."""
    low = text.lower()
    return tuple(name for name, rx in _TOPIC_RULES if rx.search(low))


@lru_cache(maxsize=65536)
def detect_kinds(text: str) -> frozenset[str]:
    """Activity kinds whose keywords occur in ``text`` (an action description)."""
    low = text.lower()
    return frozenset(name for name, rx in _KIND_RULES if rx.search(low))


def word_count(text: str) -> int:
    """Number of word tokens in ``text``."""
    return len(_TOKEN.findall(text.lower()))
