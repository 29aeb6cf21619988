import json

import pyarrow.compute as pc

from propersim.config import load_config
from propersim.data import schema as S
from propersim.data.rows import tick_pairs
from propersim.llm.engine import Generation
from propersim.sim.wiring import EnginePool, build_group
from tests.fakes import ScriptedEngineBase


def test_pairs_are_built_from_different_totals_only():
    assert tick_pairs(["a", "b"], [3, 3], 0) == [], "ties give no pair"
    assert tick_pairs(["a", "b"], [None, 2], 0) == [], "a failed judge gives no pair"
    assert tick_pairs(["a", "b"], [1, 4], 0) == [("b", "a", 4, 1, False, True)]
    three = tick_pairs(["a", "b", "c"], [2, 3, 2], 2)
    assert three == [("b", "a", 3, 2, False, False), ("b", "c", 3, 2, False, True)]


class Alternating(ScriptedEngineBase):
    """Candidate 0 recommends music, candidate 1 abstains: the oracle scores them differently at times."""

    def answer(self, requests):
        return [Generation(" Put on some calm music while you work.\n" if k % 2 == 0 else " No Recommendation\n",
                           40, 8) for k in range(len(requests))]


def test_a_learning_arm_writes_pairs_with_its_prompts(personas):
    cfg = load_config(None, ["engines.m.model=scripted", "arms.pp.policy=llm", "arms.pp.engine=m",
                             "arms.pp.learn=true", "arms.pp.n_candidates=2", "trainer.method=dpo",
                             "arms.base.policy=llm", "arms.base.engine=m", "arms.base.n_candidates=2",
                             "sim.first_hour=8", "sim.last_hour=20"])
    engine = Alternating(chat=False)
    group = build_group(cfg, personas, engines=EnginePool(cfg, shared={"m": engine}))
    rows = group.run_day(1)
    pairs = group.take_pairs()
    assert pairs.schema.equals(S.PAIRS) and pairs.num_rows > 0
    assert set(pairs[S.ARM].to_pylist()) == {"pp"}, "only the learning arm makes pairs"
    assert group.take_pairs().num_rows == 0, "taking pairs empties the buffer"
    prompts = {r.prompt for batch in engine.calls for r in batch}
    for p in pairs.to_pylist():
        assert p[S.PROMPT] in prompts and p[S.PROMPT_FORMAT] == "text"
        assert p[S.CHOSEN_TOTAL] > p[S.REJECTED_TOTAL] and p[S.POLICY_VERSION] == 0
        assert {p[S.CHOSEN], p[S.REJECTED]} == {" Put on some calm music while you work.\n", " No Recommendation\n"}
        assert p[S.CHOSEN_DELIVERED] != p[S.REJECTED_DELIVERED], "candidate 0 is the delivered one"
    pp = rows.filter(pc.equal(rows[S.ARM], "pp"))
    differing = 0
    for (pid, tick), totals in _totals(pp).items():
        differing += len(set(totals)) == 2
    assert differing == pairs.num_rows, "one pair per tick whose two candidates scored differently"


def _totals(table):
    out = {}
    for r in table.select([S.PERSONA_ID, S.TICK, S.SCORE_TOTAL]).to_pylist():
        out.setdefault((r[S.PERSONA_ID], r[S.TICK]), []).append(r[S.SCORE_TOTAL])
    return out


def test_chat_prompts_are_kept_as_messages(personas):
    cfg = load_config(None, ["engines.m.model=scripted", "arms.pp.policy=llm", "arms.pp.engine=m",
                             "arms.pp.learn=true", "trainer.method=dpo", "sim.first_hour=8", "sim.last_hour=20"])
    group = build_group(cfg, personas, engines=EnginePool(cfg, shared={"m": Alternating(chat=True)}))
    group.run_day(1)
    pair = group.take_pairs().to_pylist()[0]
    assert pair[S.PROMPT_FORMAT] == "chat" and json.loads(pair[S.PROMPT])[0]["role"] == "system"
    assert not pair[S.CHOSEN].startswith(" "), "chat completions are the bare text"
