"""Render structured preferences as first-person rubric texts that :mod:`rubric_parser` reads back exactly.

The inverse of :mod:`propersim.personas.rubric_parser`: the generator uses it so that every generated
persona's rubric agrees with its preferences by construction. Phrases come from fixed tables whose
keywords detect exactly one topic or activity kind, and every number is stated explicitly.
"""

from __future__ import annotations

from propersim.personas.schema import Frequency, Preferences, Rubric, TopicPreference

#: A phrase per topic that :func:`~propersim.personas.vocab.detect_topics` maps to that topic alone.
TOPIC_PHRASES: dict[str, str] = {
    "music": "music suggestions",
    "cooking": "recipe ideas",
    "nutrition": "healthy snack ideas",
    "fitness": "quick workout ideas",
    "mindfulness": "short meditation prompts",
    "reading": "book recommendations",
    "productivity": "focus tips",
    "social": "ideas for reaching out to friends",
    "home_decor": "decor ideas",
    "gardening": "gardening tips",
    "learning": "podcast and lesson suggestions",
    "creativity": "sketching prompts",
    "rest": "reminders to take a break",
    "finance": "budgeting tips",
    "news": "news headlines",
    "entertainment": "film and series picks",
    "organizing": "decluttering tips",
    "sleep": "bedtime wind-down tips",
}

#: A phrase per activity kind, read after "while I'm", that detect_kinds maps to that kind alone.
KIND_PHRASES: dict[str, str] = {
    "sleeping": "asleep",
    "hygiene": "showering",
    "eating": "eating",
    "cooking": "cooking",
    "working": "working",
    "exercise": "exercising",
    "meditation": "meditating",
    "journaling": "journaling",
    "reading": "reading",
    "creative": "sketching",
    "chores": "cleaning",
    "gardening": "gardening",
    "socializing": "with friends",
    "relaxing": "relaxing",
    "planning": "planning my week",
}

#: Phrases for topics a persona may find sensitive, read after "never bring up".
SENSITIVE_PHRASES: dict[str, str] = {
    "finance": "my finances",
    "news": "the news",
    "sleep": "my sleep",
    "fitness": "my weight or workouts",
    "nutrition": "my diet or snacking",
    "social": "my family",
}

_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                 "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty")


def _join(items: list[str], conjunction: str) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


def _capitalize(text: str) -> str:
    return text[0].upper() + text[1:]


def number_text(value: float) -> str:
    """A count or an hour span in words ("three", "four and a half", "15")."""
    whole = int(value)
    word = _NUMBER_WORDS[whole] if whole < len(_NUMBER_WORDS) else str(whole)
    return word + " and a half" if value - whole == 0.5 else word if value == whole else str(value)


def clock_text(hour: float) -> str:
    """Hours since midnight as a clock time ("7 am", "12:30 pm", "noon", "midnight")."""
    if hour in (0, 24):
        return "midnight"
    if hour == 12:
        return "noon"
    h, minutes = int(hour), round((hour - int(hour)) * 60)
    dial = h % 12 or 12
    suffix = "am" if hour < 12 else "pm"
    return f"{dial}:{minutes:02d} {suffix}" if minutes else f"{dial} {suffix}"


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count) or f"{number_text(count)} times"


def _hours(hours: float) -> str:
    return "hour" if hours == 1 else f"{number_text(hours)} hours"


def _kinds(kinds: tuple[str, ...]) -> str:
    return _join([KIND_PHRASES[k] for k in kinds], "or")


def personal_preference_text(liked: tuple[TopicPreference, ...], disliked: tuple[str, ...], variant: int = 0) -> str:
    """One sentence per liked topic (with the activities it fits), then one for the disliked topics."""
    sentences = []
    for i, pref in enumerate(liked):
        topic = TOPIC_PHRASES[pref.topic]
        if not pref.during:
            sentences.append(f"I enjoy {topic} at any time of day." if (variant + i) % 2
                             else f"{_capitalize(topic)} are welcome at any time.")
        elif (variant + i) % 3 == 0:
            sentences.append(f"I like {topic} when I'm {_kinds(pref.during)}.")
        elif (variant + i) % 3 == 1:
            sentences.append(f"{_capitalize(topic)} are welcome while I'm {_kinds(pref.during)}.")
        else:
            sentences.append(f"I'd love {topic} when I'm {_kinds(pref.during)}.")
    if disliked:
        topics = _join([TOPIC_PHRASES[t] for t in disliked], "and")
        template = ("Please skip {}.", "I'm not interested in {}.", "Don't send me {}.")[variant % 3]
        sentences.append(template.format(topics))
    return " ".join(sentences)


def timing_text(receptive_hours: tuple[tuple[float, float], ...], do_not_disturb: tuple[str, ...],
                variant: int = 0) -> str:
    """The receptive windows as clock ranges, then the do-not-disturb activities."""
    windows = _join([f"between {clock_text(s)} and {clock_text(e)}" for s, e in receptive_hours], "and")
    sentences = [("I'm most receptive {}.", "The best times to reach me are {}.",
                  "I'd like suggestions {}.")[variant % 3].format(windows)]
    if do_not_disturb:
        sentences.append(("Please don't interrupt me while I'm {}.", "I'd rather not hear from you while I'm {}.",
                          "Never message me when I'm {}.")[variant % 3].format(_kinds(do_not_disturb)))
    return " ".join(sentences)


def frequency_text(frequency: Frequency, variant: int = 0) -> str:
    """The window, per-day and gap targets, each stated with its number."""
    per_window = f"{_times(frequency.max_per_window)} every {_hours(frequency.window_hours)}"
    per_day = number_text(frequency.max_per_day)
    gap = _hours(frequency.max_gap_hours)
    if variant % 3 == 0:
        return (f"At most {per_window} and no more than {per_day} a day, but I'd like to hear something "
                f"at least every {gap} while I'm awake.")
    if variant % 3 == 1:
        return (f"Please send no more than {per_window} and {per_day} a day at most, and don't let me go "
                f"longer than {gap} without one.")
    return (f"{_capitalize(per_window)} is my limit, with {per_day} a day tops; if {gap} go by with nothing "
            f"from you, that's too quiet.")


def communication_text(tone: str, length: str, sensitive_topics: tuple[str, ...], variant: int = 0) -> str:
    """Tone and length in one sentence, then the sensitive topics (or that none is off-limits)."""
    tone_part = {"casual": "Talk to me casually, like a friend would", "any": "Any tone is fine with me",
                 "formal": "Please keep a polite, professional tone"}[tone]
    length_part = {"short": ("keep it short", "keep messages brief")[variant % 2],
                   "medium": "a few sentences with some detail are welcome", "any": "any length is fine"}[length]
    if sensitive_topics:
        safety = f"Never bring up {_join([SENSITIVE_PHRASES[t] for t in sensitive_topics], 'or')}."
    else:
        safety = "No topic is off-limits."
    return f"{tone_part}, and {length_part}. {safety}"


def write_rubric(preferences: Preferences, variant: int = 0) -> Rubric:
    """All four rubric texts for ``preferences``.

    Args:
        preferences: structured preferences; sensitive topics must have a :data:`SENSITIVE_PHRASES` entry.
        variant: picks among equivalent phrasings.

    Returns:
        The rubric, which :mod:`~propersim.personas.rubric_parser` parses back to ``preferences``.

    Raises:
        ValueError: a sensitive topic has no phrase.
    """
    unknown = [t for t in preferences.sensitive_topics if t not in SENSITIVE_PHRASES]
    if unknown:
        raise ValueError(f"no sensitive-topic phrase for {unknown}; expected topics among {sorted(SENSITIVE_PHRASES)}")
    return Rubric(
        personal_preference=personal_preference_text(preferences.liked, preferences.disliked, variant),
        timing=timing_text(preferences.receptive_hours, preferences.do_not_disturb, variant),
        frequency=frequency_text(preferences.frequency, variant),
        communication_safety=communication_text(preferences.tone, preferences.length, preferences.sensitive_topics,
                                                variant),
    )
