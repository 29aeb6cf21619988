"""The tables persona generation draws from: wake-up hours, occupations, names, homes and trait-affine profiles.

Trait affinities are Big Five codes ("C+ E-": high conscientiousness, low extraversion); see
:mod:`propersim.personas.generator` for how they weight the draws.
"""

from __future__ import annotations

from typing import NamedTuple

#: Chronotype -> possible wake-up hours.
WAKE_HOURS = {"early": (5.5, 6.0, 6.5), "intermediate": (7.0, 7.5, 8.0), "late": (8.5, 9.0, 9.5, 10.0)}


class Occupation(NamedTuple):
    """A job with its daily setting, age range, trait affinities ("C+ E-") and related topics."""

    title: str
    setting: str  # home, office, shift, student or retired
    ages: tuple[int, int]
    affinity: str
    topics: tuple[str, ...]
    blurb: str


OCCUPATIONS = (
    Occupation("freelance illustrator", "home", (22, 55), "O+ C-", ("creativity",),
               "who draws book covers and posters from a corner of the living room"),
    Occupation("remote software developer", "home", (23, 58), "C+ E-", ("productivity", "learning"),
               "who builds web services for a small company from home"),
    Occupation("freelance translator", "home", (25, 68), "E- O+", ("reading", "learning"),
               "who translates novels and technical manuals from home"),
    Occupation("copy editor", "home", (26, 64), "C+ E-", ("reading",),
               "who edits magazine features from a home office"),
    Occupation("online language tutor", "home", (21, 60), "E+ A+", ("learning", "social"),
               "who teaches video lessons to students in several time zones"),
    Occupation("graphic designer", "home", (22, 50), "O+", ("creativity", "home_decor"),
               "who designs brand identities for small businesses from home"),
    Occupation("novelist", "home", (28, 75), "O+ E-", ("reading", "creativity"),
               "who is drafting a third mystery novel at the kitchen table"),
    Occupation("podcast producer", "home", (24, 45), "E+ O+", ("music", "learning"),
               "who edits interview shows in a home studio"),
    Occupation("data analyst", "home", (24, 55), "C+ A-", ("productivity", "finance"),
               "who builds sales dashboards for a retailer, mostly from home"),
    Occupation("bookkeeper", "home", (30, 66), "C+", ("finance", "organizing"),
               "who keeps the accounts of a dozen local shops from a home office"),
    Occupation("customer support agent", "home", (20, 50), "A+ E+", ("social", "entertainment"),
               "who answers chat tickets for an online store from home"),
    Occupation("ceramicist", "home", (30, 70), "O+ A+", ("creativity", "home_decor"),
               "who throws pots in a garage studio and sells them at weekend markets"),
    Occupation("stay-at-home parent", "home", (27, 48), "A+", ("cooking", "organizing"),
               "who runs a busy household with two school-age children"),
    Occupation("online shop owner", "home", (25, 60), "E+ C+", ("finance", "productivity"),
               "who sells handmade candles through an online shop"),
    Occupation("secondary school teacher", "office", (24, 64), "E+ A+ C+", ("learning", "reading"),
               "who teaches history at the local secondary school"),
    Occupation("civil engineer", "office", (25, 64), "C+ O-", ("productivity",),
               "who inspects bridges and roads for the city"),
    Occupation("pharmacist", "office", (26, 66), "C+ A+", ("nutrition",),
               "who runs the counter at a neighbourhood pharmacy"),
    Occupation("bank clerk", "office", (22, 62), "C+ O-", ("finance",),
               "who handles loans and accounts at a branch downtown"),
    Occupation("architect", "office", (27, 66), "O+ C+", ("home_decor", "creativity"),
               "who designs small housing projects at a city firm"),
    Occupation("sales manager", "office", (28, 60), "E+ A-", ("social", "productivity"),
               "who leads a team selling office furniture"),
    Occupation("librarian", "office", (25, 66), "E- A+", ("reading", "learning"),
               "who runs the children's section of the public library"),
    Occupation("dental hygienist", "office", (23, 60), "C+ A+", ("nutrition",),
               "who works at a busy family dental practice"),
    Occupation("electrician", "office", (20, 64), "C+ O-", ("organizing",),
               "who wires new houses for a local contractor"),
    Occupation("HR coordinator", "office", (24, 60), "A+ E+", ("social", "productivity"),
               "who organizes hiring and training at a logistics company"),
    Occupation("lab technician", "office", (22, 60), "C+ E-", ("learning",),
               "who runs blood tests at a hospital laboratory"),
    Occupation("physiotherapist", "office", (25, 62), "A+ E+", ("fitness",),
               "who treats sports injuries at a small clinic"),
    Occupation("journalist", "office", (23, 65), "O+ A-", ("news", "reading"),
               "who covers local politics for a regional newspaper"),
    Occupation("barista", "office", (19, 35), "E+ C-", ("music", "social"),
               "who works the morning shift at a busy café"),
    Occupation("bakery owner", "office", (30, 65), "C+ A+", ("cooking",), "who opens a small bakery before dawn"),
    Occupation("postal carrier", "office", (21, 64), "C+ O-", ("fitness",),
               "who delivers mail on foot in the old town"),
    Occupation("nurse", "shift", (22, 64), "A+ C+", ("rest", "nutrition"),
               "who works rotating shifts on a hospital ward"),
    Occupation("paramedic", "shift", (23, 58), "E+ N-", ("fitness", "rest"), "who works twelve-hour ambulance shifts"),
    Occupation("restaurant chef", "shift", (23, 60), "O+ E+", ("cooking", "music"),
               "who runs the kitchen of a busy bistro in the evenings"),
    Occupation("bus driver", "shift", (25, 64), "A+ O-", ("music", "rest"),
               "who drives city routes on early and late shifts"),
    Occupation("security guard", "shift", (20, 64), "E- O-", ("entertainment", "rest"),
               "who guards an office tower on rotating shifts"),
    Occupation("university student in biology", "student", (18, 25), "O+", ("learning", "gardening"),
               "in the third year of a biology degree"),
    Occupation("graduate student in economics", "student", (23, 30), "C+ O+", ("finance", "learning"),
               "writing a master's thesis on housing markets"),
    Occupation("nursing student", "student", (19, 28), "A+ C+", ("fitness", "learning"),
               "balancing lectures with hospital placements"),
    Occupation("art school student", "student", (18, 26), "O+ C-", ("creativity", "music"),
               "studying painting and sharing a flat with two classmates"),
    Occupation("law student", "student", (21, 28), "C+ E+", ("reading", "news"), "preparing for the bar exam"),
    Occupation("retired postal worker", "retired", (63, 80), "A+ O-", ("gardening", "entertainment"),
               "who spent forty years delivering letters and now keeps an allotment"),
    Occupation("retired history teacher", "retired", (63, 80), "O+ E+", ("reading", "learning"),
               "who volunteers at the town museum"),
    Occupation("retired civil servant", "retired", (62, 79), "C+ O-", ("news", "organizing"),
               "who worked at the tax office for three decades"),
    Occupation("retired carpenter", "retired", (64, 80), "C+ E-", ("home_decor", "gardening"),
               "who still builds furniture in the garden shed"),
    Occupation("retired nurse", "retired", (62, 80), "A+", ("cooking", "social"),
               "who looks after the grandchildren twice a week"),
    Occupation("retired bank manager", "retired", (63, 79), "C+ A-", ("finance", "news"),
               "who manages the family's savings"),
)

FIRST_NAMES = (
    "Amara", "Bilal", "Camille", "Dmitri", "Esther", "Farid", "Greta", "Hiroshi", "Ines", "Jamal", "Keiko", "Lars",
    "Mariana", "Nikhil", "Olufemi", "Paola", "Quentin", "Rania", "Sven", "Tamar", "Umar", "Valentina", "Wen", "Ximena",
    "Yusuf", "Zofia", "Aiko", "Bruno", "Chiara", "Darius", "Elif", "Felix", "Gabriela", "Hamza", "Ingrid", "Joaquin",
    "Kwame", "Leila", "Mateo", "Nadia", "Oskar", "Priyanka", "Ruth", "Santiago", "Thandiwe", "Ulla", "Viktor",
    "Wanjiru", "Xavier", "Yara", "Zane", "Anika", "Bao", "Celeste", "Diego", "Emeka", "Freya", "Goran", "Hana", "Ivan",
    "Jun", "Kalani", "Lucia", "Malik", "Noor", "Orla", "Pedro", "Rosa", "Sanjay", "Tova", "Uriel", "Vera",
)
LAST_NAMES = (
    "Abebe", "Bergström", "Castillo", "Dubois", "Eriksen", "Fernandes", "Gallagher", "Haddad", "Ivanova", "Jovanović",
    "Kowalski", "Lindqvist", "Mensah", "Nakamura", "Okonkwo", "Petrov", "Quispe", "Rossi", "Schneider", "Tanaka",
    "Urquhart", "Varga", "Wójcik", "Xu", "Yilmaz", "Zhang", "Acheampong", "Bianchi", "Chowdhury", "Delgado", "Esposito",
    "Fitzgerald", "García", "Hoffmann", "Iyer", "Jensen", "Kim", "Lopez", "Moreau", "Novak", "Oyelaran", "Park",
    "Reyes", "Santos", "Takahashi", "Uddin", "Van Dijk", "Williams", "Yamamoto", "Zapata",
)
LIVING_AREAS = (
    "a one-bedroom flat above a bakery",
    "a studio apartment near the train station",
    "a terraced house with a small garden",
    "a shared flat with two housemates",
    "a bungalow at the edge of town",
    "a top-floor apartment with a balcony",
    "a converted loft in the old mill district",
    "a semi-detached house on a quiet street",
    "a small cottage with a vegetable patch",
    "a high-rise apartment overlooking the harbour",
    "a ground-floor flat with a courtyard",
    "a townhouse close to the park",
)

#: topic -> (trait affinity, interest phrases, a daily plan item, a long-term goal). A repeated code counts twice.
TOPIC_PROFILES: dict[str, tuple[str, tuple[str, ...], str, str]] = {
    "music": ("E+ O+", ("Discovering new albums and live recordings", "Playing the piano for fun"),
             "Practice an instrument for 20 minutes", "Playing in a small band at a local café"),
    "cooking": ("A+", ("Cooking dishes from different regions", "Baking bread at the weekend"),
               "Cook a new recipe for dinner", "Putting together a family cookbook"),
    "nutrition": ("C+ N+", ("Planning balanced meals", "Trying healthy snack recipes"),
                 "Prepare healthy lunches for the week", "Building lasting healthy eating habits"),
    "fitness": ("C+ E+", ("Running in the park", "Following home workout routines"),
               "Do a 30-minute workout", "Running a half marathon"),
    "mindfulness": ("N+ O+", ("Meditating in the mornings", "Breathing exercises to stay calm"),
                   "Meditate for 15 minutes", "Building a steady meditation practice"),
    "reading": ("E- O+", ("Reading historical novels", "Keeping up with a book club list"),
               "Read two chapters of a novel", "Reading fifty books in a year"),
    "productivity": ("C+", ("Trying new planning systems", "Streamlining daily routines"),
                    "Plan tomorrow's priorities", "Running a calm, well-planned week every week"),
    "social": ("E+ E+ A+", ("Hosting dinners for friends", "Keeping in touch with family abroad"),
              "Call a friend in the evening", "Organizing a reunion with old friends"),
    "home_decor": ("O+ A+", ("Rearranging furniture for a fresh look", "Collecting vintage lamps"),
                  "Rearrange one corner of the living room", "Turning the flat into a cosy, personal home"),
    "gardening": ("A+ E-", ("Growing herbs on the windowsill", "Tending a small vegetable patch"),
                 "Water and prune the plants", "Growing most of the summer vegetables at home"),
    "learning": ("O+ C+", ("Learning a new language", "Taking short online courses"),
                "Study a language lesson for 30 minutes", "Becoming fluent in a second language"),
    "creativity": ("O+ C-", ("Sketching street scenes", "Keeping an art journal"),
                  "Sketch for half an hour", "Holding a small exhibition of personal artwork"),
    "rest": ("N+ C-", ("Taking long naps on weekends", "Slow afternoons with tea"),
            "Take a proper lunch break", "Finding a calmer pace of life"),
    "finance": ("C+ A-", ("Tracking expenses in a spreadsheet", "Reading about investing"),
               "Review the monthly budget", "Saving enough to buy a home"),
    "news": ("A- E-", ("Following international politics", "Reading several newspapers a day"),
            "Read the morning headlines", "Writing letters to the editor that get published"),
    "entertainment": ("C- O-", ("Watching crime series", "Playing board games"),
                     "Watch an episode of a favourite series", "Seeing every film on a classic-cinema list"),
    "organizing": ("C+ N+", ("Decluttering one drawer at a time", "Labelling everything in the pantry"),
                  "Tidy one room", "Keeping a clutter-free home for good"),
    "sleep": ("N+", ("Trying calming bedtime routines", "Reading about sleep science"),
             "Switch off screens an hour before bed", "Sleeping eight hours a night"),
}

#: topic -> activity kinds a recommendation on it may fit.
TOPIC_FITS: dict[str, tuple[str, ...]] = {
    "music": ("creative", "relaxing", "chores", "cooking", "exercise"), "cooking": ("cooking", "planning"),
    "nutrition": ("eating", "cooking", "working"), "fitness": ("exercise", "working", "relaxing"),
    "mindfulness": ("meditation", "relaxing", "journaling"), "reading": ("reading", "relaxing"),
    "productivity": ("working", "planning"), "social": ("socializing", "relaxing", "planning"),
    "home_decor": ("creative", "chores", "planning"), "gardening": ("gardening", "planning"),
    "learning": ("reading", "chores", "working"), "creativity": ("creative", "journaling", "relaxing"),
    "rest": ("working", "relaxing"), "finance": ("planning", "working"), "news": ("eating", "relaxing"),
    "entertainment": ("relaxing", "eating"), "organizing": ("chores", "planning"), "sleep": ("relaxing", "hygiene"),
}

#: do-not-disturb kind -> (base weight, trait affinity).
DND_PROFILES = {
    "working": (2.0, "C+"), "meditation": (0.5, "N+"), "journaling": (0.5, "N+ O+"), "eating": (1.0, "C+"),
    "hygiene": (1.0, "N+"), "exercise": (0.5, "C+"), "reading": (0.5, "E-"), "socializing": (0.5, "E-"),
    "creative": (0.5, "O+"), "cooking": (0.5, ""),
}
#: sensitive topic -> trait affinity.
SENSITIVE_PROFILES = {
    "finance": "N+ C-", "news": "N+", "sleep": "N+", "fitness": "N+ E-", "nutrition": "N+", "social": "E-",
}
