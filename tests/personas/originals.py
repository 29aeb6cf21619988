"""A record in the original ProPerSim persona format, for the importer's tests."""

from __future__ import annotations


def original_record(**overrides) -> dict:
    """One valid original persona record; ``overrides`` replace its fields."""
    d = {
        "persona_id": 1, "name": "John Lin", "age": 40,
        "big_five_personality_traits": "High in Extraversion, High in Agreeableness, Low in Conscientiousness, "
                                       "High in Openness to Experience, Low in Neuroticism",
        "background": "Gardener with a love for roses.", "current_interests": "John Lin enjoys 1) Pruning roses.",
        "lifestyle": "John Lin typically 1) Wakes up at 8am.", "daily_plan_req": "1) Water the garden.",
        "long_term_goals": "A rose garden.", "living_area": "the Ville:Lin family's house",
        "criteria": {"Personal_Preference": "Whatever suits the moment.", "Timing": "Whenever.",
                     "Frequency": "Not too often.", "Communication_&_Safety": "Be nice."},
    }
    d.update(overrides)
    return d
