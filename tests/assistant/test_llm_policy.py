import pytest

from propersim.assistant.catalogue import ITEMS
from propersim.assistant.llm_policy import CATALOGUE_OPTIONS, FormatError, LLMPolicy, parse_recommendation
from propersim.assistant.policies import Observation
from propersim.config import AssistantConfig
from propersim.llm.engine import Generation
from propersim.world.clock import Clock
from propersim.world.plans import Action
from tests.fakes import ScriptedEngineBase

H = 24  # ticks per hour at 150 s
SKETCHING = Action(0, 1000, "sketching ideas in a notebook", "study")
JAZZ = "How about a mellow jazz playlist while you sketch?"


class ScriptedEngine(ScriptedEngineBase):
    """Returns ``outputs`` in turn (cycling), each of 200 prompt tokens, 150 of them said to be cached."""

    model = "scripted-model"

    def __init__(self, outputs=(JAZZ,), chat: bool = True, completion_tokens: int = 12):
        super().__init__(chat)
        self.outputs = list(outputs)
        self.completion_tokens = completion_tokens

    def answer(self, requests):
        return [Generation(self.outputs[i % len(self.outputs)], 200, self.completion_tokens, cached_tokens=150)
                for i in range(len(requests))]


def policy(engine, mode="ar", n=2):
    return LLMPolicy(AssistantConfig(n_candidates=n), 0, engine, Clock(), memory_mode=mode)


def obs(persona, day=1, hour=12.0):
    return Observation(persona, day, int(hour * H), 0, SKETCHING)


def user_text(request) -> str:
    return request.prompt if isinstance(request.prompt, str) else request.prompt[-1]["content"]


@pytest.mark.parametrize("text, expected", [
    (f"  {JAZZ}\n", JAZZ),
    (f'"{JAZZ}"', JAZZ),
    (f"Recommendation: {JAZZ}", JAZZ),
    (f"Suggestion: \u201c{JAZZ}\u201d", JAZZ),
    ("No Recommendation", None),
    ("no recommendation.", None),
    ("  NO_RECOMMENDATION ", None),
    ('"No recommendations!"', None),
    ("Recommendation: No Recommendation", None),
    ("Café time: try the new crêpe recipe tonight?", "Café time: try the new crêpe recipe tonight?"),
])
def test_outputs_are_normalised(text, expected):
    assert parse_recommendation(text) == expected


@pytest.mark.parametrize("text, error", [
    ("", "empty"),
    ('  ""  ', "empty"),
    ("No recommendation, but maybe some tea later?", "abstention followed by more text"),
    ('{"Suggestion": "Listen to jazz"}', "JSON or code"),
    ("```\nplay jazz\n```", "more than one line"),
    ("[1, 2, 3] music ideas for you", "JSON or code"),
    ("Как насчёт джазового плейлиста сейчас?", "not English"),
    ("来点爵士乐怎么样？", "not English"),
    ("Jazz!", "too short"),
    ("Try some jazz.\nOr a walk.", "more than one line"),
    (" ".join(["word"] * 61), "too long"),
])
def test_format_errors(text, error):
    with pytest.raises(FormatError, match=error):
        parse_recommendation(text)
    with pytest.raises(FormatError, match="cut off"):
        parse_recommendation(JAZZ, truncated=True)


def test_chat_candidates_come_from_one_batch(personas):
    engine = ScriptedEngine([JAZZ, "no recommendation.", "{garbage", ""])
    p = policy(engine, n=2)
    out = p.decide_batch([obs(personas[0]), obs(personas[1])])
    assert len(engine.calls) == 1 and len(engine.calls[0]) == 4 and p.model == "scripted-model"
    r = engine.calls[0][0]
    assert r.temperature == 0.9 and r.stop == () and [m["role"] for m in r.prompt] == ["system", "user"]
    assert personas[0].name in r.prompt[0]["content"] and "No Recommendation" in r.prompt[0]["content"]
    assert "Thursday 12:00" in user_text(r) and "sketching ideas in a notebook (study)" in user_text(r)
    first, second = engine.calls[0][:2]
    assert first.prompt == second.prompt and first.seed != second.seed, "two samples of the same state"
    (a, b), (c, d) = out
    assert (a.text, a.format_error, a.prompt_tokens, a.completion_tokens) == (JAZZ, None, 200, 12)
    assert a.cached_tokens == c.cached_tokens == 150, "a format error keeps its tokens"
    assert b.text is None and b.format_error is None, "an abstention is not a format error"
    assert c.text is None and "JSON or code" in c.format_error
    assert d.text is None and d.format_error == "empty output"


def test_sampling_seeds_depend_on_the_run_seed_and_the_tick_not_on_the_batch(personas):
    def seeds(run_seed, observations):
        engine = ScriptedEngine()
        LLMPolicy(AssistantConfig(n_candidates=2), run_seed, engine, Clock()).decide_batch(observations)
        return [r.seed for r in engine.calls[0]]

    a, b = obs(personas[0]), obs(personas[1])
    together = seeds(0, [a, b])
    assert seeds(0, [b, a]) == together[2:] + together[:2] and seeds(0, [b]) == together[2:]
    assert len(set(together)) == 4, "every candidate of every persona has its own seed"
    assert seeds(1, [a]) != together[:2] and seeds(0, [obs(personas[0], day=2)]) != together[:2]


def test_token_limit_and_engine_errors_are_format_errors(persona):
    (a,), = policy(ScriptedEngine(completion_tokens=96), n=1).decide_batch([obs(persona)])
    assert a.text is None and "cut off" in a.format_error

    class Failing(ScriptedEngine):
        def generate(self, requests):
            return [Generation("", 0, 0, error="timeout") for _ in requests]

    (b,), = policy(Failing(), n=1).decide_batch([obs(persona)])
    assert b.text is None and b.format_error == "engine error: timeout"


def test_base_models_get_a_few_shot_completion(persona):
    engine = ScriptedEngine([f" {JAZZ}"], chat=False)
    (c,), = policy(engine, n=1).decide_batch([obs(persona)])
    r = engine.calls[0][0]
    assert isinstance(r.prompt, str) and r.stop == ("\n",)
    assert r.prompt.count("Assistant: No Recommendation") == 2, "the examples show abstaining"
    assert r.prompt.endswith(f"Person: {persona.name}\nTime: Thursday 12:00\n"
                             f"{persona.name} is: sketching ideas in a notebook (study)\nAssistant:")
    assert c.text == JAZZ


@pytest.mark.parametrize("chat", [True, False])
def test_catalogue_mode_offers_the_catalogue_and_accepts_only_its_options(persona, chat):
    lead = "" if chat else " "
    engine = ScriptedEngine([lead + ITEMS[3], lead + "No Recommendation", JAZZ], chat=chat)
    p = LLMPolicy(AssistantConfig(n_candidates=3, output="catalogue"), 0, engine, Clock())
    (a, b, c), = p.decide_batch([obs(persona)])
    r = engine.calls[0][0]
    assert r.choices == tuple(lead + o for o in CATALOGUE_OPTIONS) and len(r.choices) == len(ITEMS) + 1
    assert (a.text, a.format_error) == (ITEMS[3], None)
    assert a.completion == (ITEMS[3] if chat else f" {ITEMS[3]}\n"), "trained as the model writes it"
    assert (b.text, b.format_error) == (None, None)
    assert c.text is None and "not one of the catalogue's options" in c.format_error, \
        "free text from a backend that could not enforce the choice is refused"
    free = ScriptedEngine([JAZZ], chat=chat)
    policy(free, n=1).decide_batch([obs(persona)])
    assert free.calls[0][0].choices == (), "free mode constrains nothing"


def feed(p, persona_id):
    """Three recommendations and some abstentions on day 1 between 09:00 and 11:57."""
    for tick, rec, score in ((9 * H, "Fancy some jazz?", 4), (int(9.5 * H), None, 3),
                             (int(10.2 * H), "Try a new recipe", 1), (int(11.9 * H), None, None),
                             (int(11.95 * H), "A quick stretch?", 2)):
        p.observe(persona_id, 1, tick, "sketching ideas in a notebook", rec, score)


@pytest.mark.parametrize("mode", ["no_memory", "ar", "ars"])
def test_memory_modes(persona, mode):
    engine = ScriptedEngine()
    p = policy(engine, mode, n=1)
    feed(p, persona.persona_id)
    p.decide_batch([obs(persona)])
    text = user_text(engine.calls[0][0])
    if mode == "no_memory":
        assert text.startswith("It is now Thursday 12:00.") and "remember" not in text
        return
    assert text.startswith(f"What you remember of your earlier interactions with {persona.name}:")
    assert "Recommendations you made today before now: 3, the last one at 11:55." in text
    assert "TIME: 09:50 - 10:50\nNumber of recommendations: 1\nactions: sketching ideas in a notebook" in text
    assert "11:55 | Maya Okafor: sketching ideas in a notebook | you: A quick stretch?" in text
    assert "11:52 | Maya Okafor: sketching ideas in a notebook | you: No Recommendation" in text
    if mode == "ar":
        assert "score" not in text.lower()
    else:
        assert "from 0 (poor) to 4 (excellent)" in text
        assert 'your recommendations: "Try a new recipe" (score 1/4)' in text
        assert "you: A quick stretch? | score: 2/4" in text and "you: No Recommendation | score: n/a" in text


def test_memory_is_kept_across_days_and_per_persona(personas):
    engine = ScriptedEngine()
    p = policy(engine, "ar", n=1)
    p.observe(1, 1, 23 * H, "reading a novel", "Maybe dim the screens soon?", 3)
    p.observe(1, 2, 0, "sleeping", None, 4)
    p.decide_batch([obs(personas[0], day=2, hour=7.0), obs(personas[1], day=2, hour=7.0)])
    first, second = (user_text(r) for r in engine.calls[0])
    assert "Recommendations you made today before now: 0." in first
    assert "TIME: yesterday 22:50 - 02:50\nNumber of recommendations: 1" in first
    assert '"Maybe dim the screens soon?"' in first
    assert "yesterday" not in second, "each persona has its own memory"
    with pytest.raises(ValueError, match="time order"):
        p.observe(1, 1, 5, "x", None, 0)


def test_old_events_are_forgotten(persona):
    p = policy(ScriptedEngine(), "ar", n=1)
    for day in (1, 2, 3):
        for tick in range(7 * H, 23 * H, 12):
            p.observe(persona.persona_id, day, tick, "reading", "Read a chapter?", 2)
    events = p.memories[persona.persona_id].events
    assert events[0].at >= 2 * Clock().ticks_per_day, "earlier days are dropped once out of reach"


def test_invalid_memory_mode(persona):
    with pytest.raises(ValueError, match="memory_mode"):
        policy(ScriptedEngine(), "ASCR")
