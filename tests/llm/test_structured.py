import pytest

from propersim.llm.engine import Generation
from propersim.llm.structured import JsonAsker, JsonForm, OutputError, engine_text, load_json
from tests.fakes import ScriptedEngineBase

FORM = JsonForm({"type": "object"}, '{"n": ', stop=("}",), suffix="}")


class ScriptedEngine(ScriptedEngineBase):
    """Answers prompt ``p`` on attempt ``a`` with ``script[p][a]`` (the last entry once the list runs out)."""

    def __init__(self, script: dict[str, list], chat: bool = True):
        super().__init__(chat)
        self.script = script

    def answer(self, requests):
        attempt = len(self.calls) - 1
        out = []
        for r in requests:
            prompt = r.prompt[0]["content"] if self.chat else r.prompt.removesuffix(" " + FORM.prefix)
            said = self.script[prompt][min(attempt, len(self.script[prompt]) - 1)]
            out.append(Generation("", 7, 0, error=said.error) if isinstance(said, Generation)
                       else Generation(said, 10 + attempt, 3))
        return out


class Bad(OutputError):
    pass


def parse_n(_, text: str) -> int:
    obj = load_json(text, Bad)
    if not isinstance(obj, dict) or type(obj.get("n")) is not int:
        raise Bad(f"no integer n in {obj!r}")
    return obj["n"]


def test_load_json_takes_the_whole_text_or_one_fenced_block():
    assert load_json('  {"n": 1}\n') == {"n": 1}
    assert load_json('```json\n{"n": 2}\n```') == {"n": 2}
    assert load_json("```\n[3]\n```") == [3]
    for bad in ('Sure: {"n": 1}', '{"n": 1} and more', "```json\n{}\n```\n```json\n{}\n```", ""):
        with pytest.raises(Bad, match="not a JSON object"):
            load_json(bad, Bad)


def test_engine_errors_are_output_errors():
    assert engine_text(Generation("hi", 1, 1)) == "hi"
    with pytest.raises(OutputError, match="^engine error: timeout$"):
        engine_text(Generation("", 0, 0, error="timeout"))


def test_form_builds_chat_and_base_requests():
    chat = FORM.request("Rate it.", True, 50, 0.3)
    assert chat.prompt == [{"role": "user", "content": "Rate it."}] and chat.json_schema == FORM.schema
    assert (chat.max_tokens, chat.temperature, chat.stop) == (50, 0.3, ())
    base = FORM.request("Rate it.", False, 50, 0.3)
    assert base.prompt == 'Rate it. {"n": ' and base.stop == ("}",) and base.json_schema is None
    assert base.regex is None and JsonForm({}, "", (), regex="[01]").request("x", False, 5, 0).regex == "[01]"
    assert JsonForm({}, "", (), regex="[01]").request("x", True, 5, 0).regex is None, "chat models get the schema"
    assert FORM.answer('{"n": 1}', True) == '{"n": 1}' and FORM.answer("1", False) == '{"n": 1}'


def test_only_failures_are_asked_again_at_the_retry_temperature():
    engine = ScriptedEngine({"a": ['{"n": 1}'], "b": ["oops", '{"n": 2}'], "c": ['{"n": "x"}', "no", '{"n": 3}']})
    answers = JsonAsker(engine, retries=2, temperature=0.0, retry_temperature=0.8).ask(
        ["a", "b", "c"], FORM, parse_n, max_tokens=20)
    assert [a.value for a in answers] == [1, 2, 3] and all(a.error is None for a in answers)
    assert [[r.prompt[0]["content"] for r in c] for c in engine.calls] == [["a", "b", "c"], ["b", "c"], ["c"]]
    assert [{r.temperature for r in c} for c in engine.calls] == [{0.0}, {0.8}, {0.8}]
    assert all(r.max_tokens == 20 for c in engine.calls for r in c)


def test_each_attempt_of_a_prompt_has_a_seed_of_its_own_whatever_the_batch():
    engine = ScriptedEngine({"a": ["oops", '{"n": 1}'], "b": ["no", '{"n": 2}']})
    JsonAsker(engine, 1, 0.0, 0.7, seed=5).ask(["a", "b"], FORM, parse_n, 20)
    (first_a, first_b), (retry_a, retry_b) = engine.calls
    assert len({first_a.seed, first_b.seed, retry_a.seed, retry_b.seed}) == 4
    alone = ScriptedEngine({"b": ["no", '{"n": 2}']})
    JsonAsker(alone, 1, 0.0, 0.7, seed=5).ask(["b"], FORM, parse_n, 20)
    assert [c[0].seed for c in alone.calls] == [first_b.seed, retry_b.seed]
    other = ScriptedEngine({"b": ["no", '{"n": 2}']})
    JsonAsker(other, 1, 0.0, 0.7, seed=6).ask(["b"], FORM, parse_n, 20)
    assert other.calls[0][0].seed != first_b.seed


def test_tokens_of_every_attempt_are_summed_per_prompt():
    engine = ScriptedEngine({"a": ['{"n": 1}'], "b": ["x", "y", '{"n": 2}']})
    a, b = JsonAsker(engine, 2, 0.0, 0.7).ask(["a", "b"], FORM, parse_n, 20)
    assert (a.prompt_tokens, a.completion_tokens) == (10, 3)
    assert (b.prompt_tokens, b.completion_tokens) == (10 + 11 + 12, 3 * 3)


def test_a_prompt_still_failing_records_its_last_error():
    engine = ScriptedEngine({"a": ["x", '{"n": null}'], "b": ['{"n": 5}']})
    asker = JsonAsker(engine, retries=1, temperature=0.0, retry_temperature=0.7)
    bad, good = asker.ask(["a", "b"], FORM, parse_n, 20)
    assert bad.value is None and bad.error == "no integer n in {'n': None}" and good.value == 5
    assert len(engine.calls) == 2 and asker.attempts == 2
    assert asker.gave_up(["a: " + bad.error, "c: z"]) == (
        "no valid answer after 2 attempts: a: no integer n in {'n': None}; c: z")


def test_engine_errors_are_recorded_and_asked_again():
    engine = ScriptedEngine({"a": [Generation("", 0, 0, error="timeout")]})
    (a,) = JsonAsker(engine, 1, 0.0, 0.7).ask(["a"], FORM, parse_n, 20)
    assert a.error == "engine error: timeout" and len(engine.calls) == 2 and a.prompt_tokens == 14


def test_base_models_get_the_prefix_and_their_answer_closed_again():
    engine = ScriptedEngine({"a": [" 4"]}, chat=False)
    seen = []
    (a,) = JsonAsker(engine, 0, 0.0, 0.7).ask(["a"], FORM, lambda k, text: seen.append(text) or parse_n(k, text), 20)
    assert a.value == 4 and seen == ['{"n":  4}']
    assert engine.calls[0][0].prompt == 'a {"n": ' and engine.calls[0][0].stop == ("}",)


def test_parse_gets_the_prompt_index_and_other_errors_propagate():
    engine = ScriptedEngine({"a": ['{"n": 1}'], "b": ['{"n": 1}']})
    answers = JsonAsker(engine, 0, 0.0, 0.7).ask(["a", "b"], FORM, lambda k, text: (k, parse_n(k, text)), 20)
    assert [a.value for a in answers] == [(0, 1), (1, 1)]

    def broken(k, text):
        raise KeyError("a bug, not a bad answer")

    with pytest.raises(KeyError):
        JsonAsker(engine, 2, 0.0, 0.7).ask(["a"], FORM, broken, 20)


def test_negative_retries_and_a_short_engine_reply_are_errors():
    with pytest.raises(ValueError, match="retries=-1"):
        JsonAsker(ScriptedEngine({}), -1, 0.0, 0.7)

    class Short(ScriptedEngine):
        def answer(self, requests):
            return super().answer(requests)[:-1]

    with pytest.raises(ValueError):
        JsonAsker(Short({"a": ['{"n": 1}'], "b": ['{"n": 1}']}), 0, 0.0, 0.7).ask(["a", "b"], FORM, parse_n, 20)
