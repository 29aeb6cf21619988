"""The retrieval memory on a real Milvus Lite file with the real all-MiniLM-L6-v2 embedder."""

import pytest

from propersim.assistant.retrieval import Recalled, RetrievalMemory
from propersim.sim.wiring import sentence_embedder

pytestmark = pytest.mark.integration


def item(pid, day, tick, action, suggestion="No Recommendation", score=3, reason=""):
    return {"persona_id": pid, "day": day, "tick": tick, "action": action, "suggestion": suggestion,
            "score": score, "reason": reason}


@pytest.fixture
def memory(tmp_path):
    mem = RetrievalMemory(str(tmp_path / "m.db"), "m_test", sentence_embedder(), [1, 2])
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


def test_forget_after_drops_later_days_of_its_personas(memory, tmp_path):
    memory.forget_after(1)
    assert {r.day for r in memory.search([1], ["watching TV"], 5)[0]} == {1}
    # the same file reopens in the same process and holds what was stored, the deletion included
    other = RetrievalMemory(str(tmp_path / "m.db"), "m_test", sentence_embedder(), [2])
    try:
        assert sorted((r.day, r.tick) for r in other.search([1], ["watching TV"], 5)[0]) == [(1, 10), (1, 20)]
        assert [r.action for r in other.search([2], ["cooking"], 5)[0]] == ["cooking a curry in the kitchen"]
        other.forget_after(0)  # it serves persona 2 only: persona 1's items stay
        assert other.search([2], ["cooking"], 5) == [[]]
        assert sorted((r.day, r.tick) for r in memory.search([1], ["cooking"], 5)[0]) == [(1, 10), (1, 20)]
    finally:
        other.close()


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
    mem = RetrievalMemory(str(tmp_path / "p.db"), "m_policy", sentence_embedder(), [persona.persona_id])
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
