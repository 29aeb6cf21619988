"""The procedural planner: a varied, plausible day at home from the persona's chronotype, occupation and interests.

Wake and sleep times follow the chronotype with daily jitter. The day is a sequence of blocks (morning
routine, work or chores, meals, leisure shaped by the persona's liked topics and daily plan, evening
routine), each block split into actions of 10-30 minutes in rooms of the home. Everything is drawn from
``random.Random(f"{seed}:{persona_id}:{day}")`` so a plan depends on nothing else.
"""

from __future__ import annotations

import random

from propersim.personas.schema import Persona
from propersim.personas.vocab import detect_kinds
from propersim.world.plans import Action, DayPlan, Planner

#: Wake and sleep hour ranges per chronotype.
WAKE = {"early": (5.5, 6.75), "intermediate": (6.75, 8.0), "late": (8.5, 10.0)}
SLEEP = {"early": (21.0, 22.25), "intermediate": (22.25, 23.25), "late": (23.25, 23.9)}

#: Action templates per activity kind: (description, room). Each description contains a keyword of its
#: kind; ``{meal}`` becomes breakfast, lunch or dinner by the hour.
TEMPLATES: dict[str, tuple[tuple[str, str], ...]] = {
    "hygiene": (("brushing teeth and washing face", "bathroom"), ("taking a shower", "bathroom"),
                ("changing clothes and grooming", "bedroom")),
    "cooking": (("preparing {meal} in the kitchen", "kitchen"), ("cooking {meal} with a new recipe", "kitchen"),
                ("cooking a simple {meal}", "kitchen")),
    "eating": (("eating {meal} at the table", "dining room"), ("having {meal} while listening to the radio", "kitchen")),
    "working": (("answering work emails", "study"), ("working on a report", "study"),
                ("video meeting with colleagues", "study"), ("working through the project task list", "study")),
    "exercise": (("doing a yoga session", "living room"), ("stretching after sitting", "living room"),
                 ("doing a home workout", "living room")),
    "meditation": (("meditating quietly", "bedroom"), ("doing a breathing exercise", "living room")),
    "journaling": (("writing in the journal", "bedroom"), ("reflecting on the day in the diary", "bedroom")),
    "reading": (("reading a novel on the sofa", "living room"), ("reading a magazine", "living room")),
    "creative": (("sketching ideas in a notebook", "study"), ("painting at the easel", "study"),
                 ("playing the guitar", "living room"), ("rearranging the decor of the shelf", "living room")),
    "chores": (("doing the laundry", "laundry room"), ("cleaning the kitchen", "kitchen"),
               ("tidying the living room", "living room"), ("washing the dishes", "kitchen")),
    "gardening": (("watering the plants in the garden", "garden"), ("pruning the herbs in the garden", "garden")),
    "socializing": (("chatting with a friend on the phone", "living room"),
                    ("video call with family", "living room")),
    "relaxing": (("relaxing with a cup of tea", "living room"), ("watching a movie on TV", "living room"),
                 ("listening to music on the sofa", "living room"), ("taking a short nap", "bedroom")),
    "planning": (("planning tomorrow's schedule", "study"), ("reviewing the calendar and to-do list", "study")),
}

#: Leisure kinds a liked topic suggests.
TOPIC_LEISURE = {
    "music": "relaxing", "cooking": "cooking", "fitness": "exercise", "mindfulness": "meditation",
    "reading": "reading", "social": "socializing", "home_decor": "creative", "gardening": "gardening",
    "learning": "reading", "creativity": "creative", "entertainment": "relaxing", "organizing": "chores",
    "productivity": "planning",
}
_LEISURE_DEFAULT = ("relaxing", "reading", "chores", "exercise", "socializing", "creative")
_NOT_WORKING = ("retired", "student", "homemaker", "unemployed", "stay-at-home")


def _meal(hour: float) -> str:
    return "breakfast" if hour < 11 else "lunch" if hour < 16 else "dinner"


class ProceduralPlanner(Planner):
    """Generates day plans from persona attributes; see the module docstring."""

    def plan_day(self, persona: Persona, day: int) -> DayPlan:
        rng = random.Random(f"{self.seed}:{persona.persona_id}:{day}")
        clock = self.clock
        wake = clock.tick_of(rng.uniform(*WAKE[persona.chronotype]))
        sleep = clock.tick_of(rng.uniform(*SLEEP[persona.chronotype]))
        works = not any(w in persona.occupation.lower() for w in _NOT_WORKING) and rng.random() > 0.15
        leisure = self._leisure_kinds(persona)

        blocks: list[tuple[str, float]] = [("hygiene", 0.4), ("cooking", 0.3), ("eating", 0.3)]
        if persona.big_five["conscientiousness"] == "high":
            blocks.append(("planning", 0.25))
        hours_awake = clock.hour_of(sleep - wake)
        day_blocks = ["working"] * (6 if works else 0) + ["chores"] * 2 + [rng.choice(leisure) for _ in range(6)]
        rng.shuffle(day_blocks)
        midday = len(day_blocks) // 2
        day_blocks[midday:midday] = ["cooking", "eating"]
        blocks += [(k, rng.uniform(0.5, 1.2)) for k in day_blocks]
        blocks += [("cooking", 0.5), ("eating", 0.5), (rng.choice(leisure), 1.0), (rng.choice(leisure), 0.8),
                   (rng.choice(("journaling", "reading", "meditation")), 0.4), ("hygiene", 0.3)]
        scale = hours_awake / sum(h for _, h in blocks)

        shortest, longest = max(1, clock.tick_of(10 / 60)), max(1, clock.tick_of(30 / 60))  # 10-30 min
        actions, hourly, t, elapsed = [], [], wake, 0.0
        for kind, hours in blocks:
            elapsed += hours * scale  # block ends from the cumulative sum: no rounding drift
            block_end = min(sleep, max(t + shortest, wake + clock.tick_of(elapsed)))
            if t >= block_end:
                break
            hourly.append(f"{clock.hour_of(t):05.2f}h {kind}")
            while t < block_end:
                desc, room = rng.choice(TEMPLATES[kind])
                desc = desc.format(meal=_meal(clock.hour_of(t)))
                left = block_end - t
                if left <= longest:
                    end = block_end
                else:  # never leave a remainder shorter than one action
                    end = t + min(rng.randint(shortest, longest), left - shortest)
                actions.append(Action(t, end, desc, room))
                t = end
        return DayPlan.from_actions(day, actions, clock.ticks_per_day, tuple(hourly))

    @staticmethod
    def _leisure_kinds(persona: Persona) -> list[str]:
        kinds = [TOPIC_LEISURE[t.topic] for t in persona.preferences.liked if t.topic in TOPIC_LEISURE]
        kinds += sorted(k for k in detect_kinds(persona.daily_plan_req + " " + persona.current_interests)
                        if k in TEMPLATES and k not in ("working", "hygiene"))
        return kinds + list(_LEISURE_DEFAULT)
