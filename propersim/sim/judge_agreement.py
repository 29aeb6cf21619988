"""Two judges on the same decisions: a run driven by one judge (the oracle by default) while another rates what
it rated."""

from __future__ import annotations

from dataclasses import replace

from tqdm import tqdm

from propersim.config import ExperimentConfig
from propersim.sim.wiring import EnginePool, build_group, make_judge, select_personas
from propersim.user.llm_judge import JUDGE_MODES

#: The judges ``judge_agreement_run`` can pair: the oracle, and the LLM judge (``user.judge_engine``) in either
#: of its modes.
JUDGES = ("oracle", *JUDGE_MODES)


def _as(cfg: ExperimentConfig, judge: str) -> ExperimentConfig:
    user = replace(cfg.user, judge="oracle") if judge == "oracle" else replace(cfg.user, judge="llm", judge_mode=judge)
    return replace(cfg, user=user)


def judge_agreement_run(cfg: ExperimentConfig, config_path=None, progress: bool = True,
                        judges: tuple[str, str] | None = None) -> dict:
    """Simulate ``sim.days`` days driven by the reference judge ``judges[0]`` while ``judges[1]`` rates the same
    decisions (default: the oracle and the LLM judge in ``user.judge_mode``); returns
    :func:`~propersim.metrics.agreement.judge_agreement` of the two, with ``judges`` added.

    Raises:
        ValueError: a judge is not one of :data:`JUDGES`, or both are the same.
    """
    from propersim.metrics.agreement import PairedJudge, judge_agreement

    judges = judges or ("oracle", cfg.user.judge_mode)
    if not set(judges) <= set(JUDGES) or judges[0] == judges[1]:
        raise ValueError(f"judges must be two different ones of {', '.join(JUDGES)}, not {' and '.join(judges)}")
    engines = EnginePool(cfg)
    try:
        group = build_group(_as(cfg, judges[0]), select_personas(cfg, config_path), config_path, engines)
        group.judge = PairedJudge(group.judge, make_judge(_as(cfg, judges[1]), engines, group.clock))
        for day in tqdm(range(1, cfg.sim.days + 1), desc="simulated days", unit="day", disable=not progress):
            group.run_day(day)
    finally:
        engines.close()
    reference, other = zip(*group.judge.pairs) if group.judge.pairs else ((), ())
    return {"judges": list(judges), **judge_agreement(reference, other)}
