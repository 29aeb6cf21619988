"""The report of a log replay: a judge's totals against the log's own judge, per criterion and per day.

Built from :func:`propersim.sim.log_replay.replay`. Decisions the log's judge or the replaying judge failed on
are counted and left out of the comparisons. The log holds only totals, so per-criterion figures of the
reference are what its totals bound (a total of 4 passes every criterion, 0 fails every one) and what its
joined reasons reliably show (:func:`propersim.data.import_log.read_joined_reason`); see :data:`REFERENCE_NOTE`.
"""

from __future__ import annotations

import json
from pathlib import Path

from propersim.data.import_log import REASON_ORDER, read_joined_reason
from propersim.metrics.agreement import TOTALS, total_agreement
from propersim.sim.log_replay import Replayed
from propersim.user.judge import CHECKS

#: What the reference's per-criterion figures are, printed with them.
REFERENCE_NOTE = ("the log has totals only and joins its four reasons with single spaces, so per-criterion "
                  "scores of its judge cannot be read; shown: the bounds its totals set on every criterion's pass "
                  "rate, and the criteria its fail-safe 'Evaluation Failed' scored 0")
_CRITERIA = ("preference", "frequency", "frequency_over", "frequency_under", "timing", "communication_safety")


def _mean(values: list[int]) -> float | None:
    return sum(values) / len(values) if values else None


def log_agreement(replayed: list[Replayed]) -> dict:
    """Agreement of the replaying judge with the log's judge.

    Returns:
        ``{"n_decisions", "n_reference_failed", "n_judge_failed", "totals"`` (:func:`total_agreement`, the log's
        judge as reference)``, "criteria": {"judge": pass rates, "reference": {"bounds", "failsafe", "note"}},
        "daily": [{"day", "n", "reference_mean", "judge_mean"}]}``.
    """
    both = [r for r in replayed if r.decision.reference_total is not None and r.verdict.total is not None]
    reference = [r.decision.reference_total for r in both]
    judged = [r.verdict.total for r in both]
    judge_rates = {}
    for name in _CRITERIA:
        if name == "frequency":
            values = [r.verdict.frequency for r in both]
        else:
            values = [r.verdict.scores[CHECKS.index(name)] for r in both]
        judge_rates[name] = _mean(values)
    n = len(both)
    failsafe = dict.fromkeys(REASON_ORDER, 0)
    unplaced = 0
    for r in both:
        known, rest = read_joined_reason(r.decision.reference_reason or "")
        for criterion in known:
            failsafe[criterion] += 1
        unplaced += rest
    by_day: dict[int, list[Replayed]] = {}
    for r in sorted(both, key=lambda r: r.decision.day):
        by_day.setdefault(r.decision.day, []).append(r)
    return {
        "n_decisions": len(replayed),
        "n_reference_failed": sum(r.decision.reference_total is None for r in replayed),
        "n_judge_failed": sum(r.verdict.total is None for r in replayed),
        "totals": total_agreement(reference, judged),
        "criteria": {
            "judge": judge_rates,
            "reference": {
                "bounds": [sum(t == 4 for t in reference) / n, sum(t >= 1 for t in reference) / n] if n else None,
                "failsafe": {**failsafe, "unplaced": unplaced},
                "note": REFERENCE_NOTE,
            },
        },
        "daily": [{"day": d, "n": len(rows), "reference_mean": _mean([r.decision.reference_total for r in rows]),
                   "judge_mean": _mean([r.verdict.total for r in rows])}
                  for d, rows in by_day.items()],
    }


def _fmt(x: float | None, spec: str = ".3f") -> str:
    return "n/a" if x is None else format(x, spec)


def format_log_agreement(report: dict, judge: str = "judge") -> str:
    """The report as the text the CLI prints."""
    t, c = report["totals"], report["criteria"]
    lines = [
        f"{t['n']} decisions rated by both ({report['n_decisions']} in the log; {report['n_reference_failed']} "
        f"unscored there, {report['n_judge_failed']} failed by {judge})",
        f"  mean total: log {_fmt(t['reference_mean'], '.2f')}, {judge} {_fmt(t['other_mean'], '.2f')}",
        f"  exact agreement {_fmt(t['exact'])}, within 1 {_fmt(t['within_1'])}, Pearson {_fmt(t['pearson'])}",
        f"  confusion of totals (rows: log 0-4, columns: {judge} 0-4):",
        *(f"    {i}: " + " ".join(f"{v:6d}" for v in row) for i, row in zip(TOTALS, t["confusion"])),
        f"  per-criterion pass rates of {judge}: "
        + ", ".join(f"{k} {_fmt(v)}" for k, v in c["judge"].items()),
    ]
    ref = c["reference"]
    if ref["bounds"] is not None:
        lines.append(f"  log judge: every criterion's pass rate lies in [{ref['bounds'][0]:.3f}, "
                     f"{ref['bounds'][1]:.3f}]; fail-safe zeros " + ", ".join(f"{k} {v}" for k, v in
                                                                            ref["failsafe"].items()))
    lines += [f"    ({ref['note']})", f"  daily mean total:  day      n    log  {judge}"]
    lines += [f"                    {d['day']:3d}  {d['n']:5d}  {_fmt(d['reference_mean'], '.2f'):>5}  "
              f"{_fmt(d['judge_mean'], '.2f'):>5}" for d in report["daily"]]
    return "\n".join(lines)


def plot_daily_agreement(report: dict, path: str | Path, judge: str = "judge") -> Path:
    """PNG of the two daily mean curves."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.subplots()
    days = [d["day"] for d in report["daily"]]
    ax.plot(days, [d["reference_mean"] for d in report["daily"]], marker="o", label="log's judge")
    ax.plot(days, [d["judge_mean"] for d in report["daily"]], marker="s", label=judge)
    ax.set_xlabel("day")
    ax.set_ylabel("mean total (0-4)")
    ax.set_ylim(0, 4)
    ax.legend()
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    return path


def write_log_agreement(report: dict, out_dir: str | Path, judge: str = "judge") -> tuple[Path, Path]:
    """``agreement.json`` and ``daily_mean.png`` in ``out_dir`` (created if missing)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "agreement.json").write_text(json.dumps(report, indent=2))
    return out / "agreement.json", plot_daily_agreement(report, out / "daily_mean.png", judge)
