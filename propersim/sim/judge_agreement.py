"""Two judges on the same decisions: a run driven by the oracle while the LLM judge rates what it rated."""

from __future__ import annotations

from dataclasses import replace

from tqdm import tqdm

from propersim.config import ExperimentConfig
from propersim.sim.wiring import EnginePool, build_group, make_judge, select_personas


def judge_agreement_run(cfg: ExperimentConfig, config_path=None, progress: bool = True) -> dict:
    """Simulate ``sim.days`` days driven by the oracle judge while the LLM judge (``user.judge_engine``)
    rates the same decisions; returns :func:`~propersim.metrics.agreement.judge_agreement` of the two."""
    from propersim.metrics.agreement import PairedJudge, judge_agreement

    oracle_cfg = replace(cfg, user=replace(cfg.user, judge="oracle"))
    llm_cfg = replace(cfg, user=replace(cfg.user, judge="llm"))
    engines = EnginePool(cfg)
    try:
        group = build_group(oracle_cfg, select_personas(cfg, config_path), config_path, engines)
        group.judge = PairedJudge(group.judge, make_judge(llm_cfg, engines, group.clock))
        for day in tqdm(range(1, cfg.sim.days + 1), desc="simulated days", unit="day", disable=not progress):
            group.run_day(day)
    finally:
        engines.close()
    reference, other = zip(*group.judge.pairs) if group.judge.pairs else ((), ())
    return judge_agreement(reference, other)
