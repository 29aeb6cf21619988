"""The persona-agnostic content catalogue of the baseline policies: one casual and one formal idea per topic."""

from __future__ import annotations

from propersim.personas.vocab import TOPICS

#: topic -> (casual text, formal text). Each text is detected as its topic by the vocabulary rules.
CATALOGUE: dict[str, tuple[str, str]] = {
    "music": ("How about a mellow jazz playlist in the background?",
              "You might consider some quiet jazz music while you continue."),
    "cooking": ("Fancy trying a quick new recipe with what's in the fridge?",
                "Perhaps a new recipe with seasonal ingredients would be worth trying today."),
    "nutrition": ("Hey, grab a glass of water and a piece of fruit!",
                  "It may be beneficial to drink some water and have a healthy snack."),
    "fitness": ("How about a five-minute stretch to loosen up?",
                "You might consider a short stretching routine for your posture."),
    "mindfulness": ("Maybe take three slow breaths and relax your shoulders?",
                    "Perhaps a brief mindful breathing pause would help you stay calm."),
    "reading": ("Fancy a chapter of that novel you've been meaning to read?",
                "You might consider reading a chapter of a book this evening."),
    "productivity": ("How about jotting down your top three tasks for later?",
                     "You may wish to prioritize the three most important tasks on your checklist."),
    "social": ("Maybe send a quick message to a friend you haven't talked to lately?",
               "Perhaps this would be a good moment to reach out to family."),
    "home_decor": ("How about moving a lamp to change the lighting in the room?",
                   "You might consider rearranging a few decor pieces for a fresh layout."),
    "gardening": ("Your plants might love a little water today!",
                  "Perhaps the herbs in the garden would benefit from some pruning."),
    "learning": ("Fancy a short podcast episode on something new?",
                 "You might consider a brief lesson in the language course you started."),
    "creativity": ("How about a quick doodle in your sketchbook?",
                   "You might consider a short journaling session to capture new ideas."),
    "rest": ("Maybe take a short break and step away from the screen?",
             "Perhaps a brief pause would be welcome at this point."),
    "finance": ("How about a quick look at this month's budget?",
                "You may wish to review your monthly expenses and savings."),
    "news": ("Wanna catch up on today's headlines?",
             "Perhaps a brief look at the news would keep you informed."),
    "entertainment": ("Fancy a movie night later?",
                      "You might consider an episode of a documentary series this evening."),
    "organizing": ("How about a ten-minute declutter of one drawer?",
                   "You may wish to tidy one shelf while the laundry runs."),
    "sleep": ("Maybe dim the screens soon for a good night's sleep?",
              "Perhaps an earlier bedtime tonight would help your sleep."),
}
assert set(CATALOGUE) == set(TOPICS), "every topic needs catalogue content"

#: Recommendations with no particular content (the `always` baseline).
GENERIC = (
    "Maybe do something nice for yourself now?",
    "Here's a thought: try something different today.",
    "You could use this moment for something useful.",
    "Don't forget to make the most of your day!",
)

#: Every catalogue text, in a fixed order.
ITEMS: tuple[str, ...] = tuple(text for pair in CATALOGUE.values() for text in pair)
