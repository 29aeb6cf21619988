"""The retrieval memory on a real Milvus Lite file with the real all-MiniLM-L6-v2 embedder."""

from pathlib import Path

import pytest

from propersim.assistant.retrieval import Recalled, RetrievalMemory
from propersim.sim.wiring import sentence_embedder

pytestmark = pytest.mark.integration


def item(pid, day, tick, action, suggestion="No Recommendation", score=3, reason=""):
    return {"persona_id": pid, "day": day, "tick": tick, "action": action, "suggestion": suggestion,
            "score": score, "reason": reason}


@pytest.fixture
def memory():
    mem = RetrievalMemory(None, "m_test", sentence_embedder(), [1, 2])
    mem.add([item(1, 1, 10, "cooking pasta in the kitchen", "Try adding basil", 4, "fits cooking"),
             item(1, 1, 20, "jogging in the park"),
             item(1, 2, 30, "watching a football match on TV", "Grab a snack", 1, "interrupts the match"),
             item(2, 1, 10, "cooking a curry in the kitchen", "Use coconut milk", 2)])
    yield mem
    mem.close()


def test_search_returns_only_that_personas_items_most_similar_first(memory):
    (mine,), (theirs,) = memory.search([1], ["cooking soup in the kitchen"], 1), \
        memory.search([2], ["cooking soup in the kitchen"], 5)
    assert mine == [Recalled(1, 10, "cooking pasta in the kitchen", "Try adding basil", 4, "fits cooking")]
    assert [r.action for r in theirs] == ["cooking a curry in the kitchen"], "no leak across personas"
    three = memory.search([1], ["running outdoors"], 3)[0]
    assert three[0].action == "jogging in the park" and len(three) == 3


def test_levels_show_action_suggestion_score_reason():
    r = Recalled(1, 10, "cooking pasta", "Try basil", 4, "fits cooking")
    assert r.render("A") == "cooking pasta"
    assert r.render("AS") == "cooking pasta | suggested: Try basil"
    assert r.render("ASCR") == "cooking pasta | suggested: Try basil | score 4/4 | because: fits cooking"


def test_replace_holds_exactly_the_given_items_of_its_personas(memory):
    memory.replace([item(1, 1, 20, "jogging in the park"), item(2, 3, 5, "reading a novel")])
    assert [(r.day, r.tick) for r in memory.search([1], ["cooking pasta"], 5)[0]] == [(1, 20)]
    assert [r.action for r in memory.search([2], ["cooking"], 5)[0]] == ["reading a novel"]


def test_a_new_memory_on_a_shared_collection_clears_only_its_personas(tmp_path):
    """As on a Milvus server shared by the shards: a restarted shard's memory starts without its personas'
    stale items and leaves the other shard's alone."""
    uri = str(tmp_path / "server.db")
    first = RetrievalMemory(uri, "m_shared", sentence_embedder(), [1, 2])
    first.add([item(1, 1, 10, "cooking pasta"), item(2, 1, 10, "cooking a curry")])
    first.close()
    again = RetrievalMemory(uri, "m_shared", sentence_embedder(), [2])
    try:
        assert again.search([2], ["cooking"], 5) == [[]]
        assert [r.action for r in again.search([1], ["cooking"], 5)[0]] == ["cooking pasta"]
    finally:
        again.close()
    assert (tmp_path / "server.db").exists()


def test_a_scratch_memory_removes_its_file_on_close():
    mem = RetrievalMemory(None, "m_scratch", sentence_embedder(), [1])
    scratch = mem._scratch
    mem.add([item(1, 1, 10, "cooking pasta")])
    assert any(Path(scratch).iterdir())
    mem.close()
    assert not Path(scratch).exists()


def test_the_policy_prompt_holds_the_recalled_items(tmp_path, persona):
    from propersim.assistant.llm_policy import LLMPolicy
    from propersim.assistant.policies import Observation
    from propersim.config import AssistantConfig
    from propersim.llm.engine import Generation
    from propersim.world.clock import Clock
    from propersim.world.plans import Action
    from tests.fakes import ScriptedEngineBase

    class Abstain(ScriptedEngineBase):
        def answer(self, requests):
            return [Generation(" No Recommendation\n", 10, 3) for _ in requests]

    engine = Abstain(chat=False)
    mem = RetrievalMemory(None, "m_policy", sentence_embedder(), [persona.persona_id])
    cfg = AssistantConfig(policy="llm", n_candidates=1, memory="ASC", retrieval_top_k=2)
    policy = LLMPolicy(cfg, 0, engine, Clock(), "no_memory", retrieval=mem)
    policy.observe(persona.persona_id, 1, 300, "cooking pasta", "Add fresh basil", 4, "fits")
    state = policy.state_dict()
    policy.observe(persona.persona_id, 2, 300, "cooking rice", "Rinse the rice first", 2, "meh")
    obs = Observation(persona, 2, 310, 10, Action(310, 320, "cooking a stew", "kitchen"))
    policy.decide_batch([obs])
    prompt = engine.calls[-1][0].prompt
    assert "Similar moments with" in prompt and "suggested: Add fresh basil | score 4/4" in prompt
    assert "because" not in prompt, "level ASC shows no reasons"
    policy.load_state_dict(state)  # back to the end of day 1: day 2's items are dropped
    policy.decide_batch([obs])
    assert "Rinse the rice" not in engine.calls[-1][0].prompt
    mem.close()

    # a policy elsewhere (a restarted shard on another node: a new, empty index) rebuilds it from the state
    fresh = RetrievalMemory(None, "m_policy", sentence_embedder(), [persona.persona_id])
    moved = LLMPolicy(cfg, 0, engine, Clock(), "no_memory", retrieval=fresh)
    moved.load_state_dict(state)
    moved.decide_batch([obs])
    assert "suggested: Add fresh basil | score 4/4" in engine.calls[-1][0].prompt
    assert moved.state_dict()["retrieval"].equals(state["retrieval"])
    fresh.close()


def test_a_checkpoint_without_retrieval_items_is_refused(persona):
    from propersim.assistant.llm_policy import LLMPolicy
    from propersim.config import AssistantConfig
    from propersim.errors import InvalidInputError
    from propersim.world.clock import Clock
    from tests.fakes import ScriptedEngineBase

    cfg = AssistantConfig(policy="llm", n_candidates=1, memory="ASC", retrieval_top_k=2)
    state = LLMPolicy(cfg, 0, ScriptedEngineBase(chat=False), Clock(), "no_memory").state_dict()
    mem = RetrievalMemory(None, "m_old", sentence_embedder(), [persona.persona_id])
    try:
        with pytest.raises(InvalidInputError, match="no retrieval memory items.*--overwrite"):
            policy = LLMPolicy(cfg, 0, ScriptedEngineBase(chat=False), Clock(), "no_memory", retrieval=mem)
            policy.load_state_dict(state)
    finally:
        mem.close()


def test_ties_go_to_the_most_recent_whatever_the_insertion_history():
    """Equal actions have equal distances; a rebuilt index (one insert) recalls what the incremental one did."""
    acts = ["sleeping", "reading a book", 'sleeping "deeply"', "cooking"] * 6
    items = [item(1, 1 + i // 8, i, a, f"s{i}") for i, a in enumerate(acts)]
    grown, rebuilt = (RetrievalMemory(None, name, sentence_embedder(), [1]) for name in ("m_grown", "m_rebuilt"))
    try:
        for i in range(0, len(items), 3):
            grown.add(items[i:i + 3])
        rebuilt.replace(items)
        for query in ("sleeping", 'sleeping "deeply"', "cooking dinner"):
            a, b = grown.search([1], [query], 4)[0], rebuilt.search([1], [query], 4)[0]
            assert a == b and len(a) == 4
        assert [r.tick for r in a] == [23, 19, 15, 11], "the most recent of the tied cooking items"
    finally:
        grown.close()
        rebuilt.close()
