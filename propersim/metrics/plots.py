"""PNG figures of a run summary (the paper's Fig. 4-7, recommendations per hour and normalised scores), drawn with
matplotlib's Agg.

Every function takes the dict of :func:`propersim.metrics.daily.daily_summary` and writes one PNG. Figures are
built with :class:`matplotlib.figure.Figure` rather than pyplot, so no global backend or figure state is
touched and the functions are safe to call from any thread or process.

Definitions used by the figures:

- A persona's *gain* is its mean score on its last scored day minus that on its first scored day
  (the persona's own first and last days, so a persona that stopped early still has one).
- The *best* and *worst* personas of an arm are those with the highest and lowest mean score on their
  last scored day, as in the paper's Table 1 / Fig. 5 (ties go to the lower persona id).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from propersim.data.schema import CRITERIA
from propersim.personas.schema import TRAITS

_DPI = 120
_CRITERION_LABELS = {"preference": "Personal\npreference", "frequency": "Frequency", "timing": "Timing",
                     "communication_safety": "Communication\n& safety"}


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def _save(fig: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    return path


def _day_axis(ax, ylabel: str) -> None:
    ax.set_xlabel("Simulated day")
    ax.set_ylabel(ylabel)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)


def _arm(summary: dict, arm: str) -> dict:
    try:
        return summary["arms"][arm]
    except KeyError:
        raise ValueError(f"arm {arm!r} is not in the summary; it has {sorted(summary['arms'])}") from None


def plot_daily_mean(summary: dict, path: str | Path, legend: str = "Arm") -> Path:
    """Daily mean score per arm with a ±1 SEM band across personas (paper Fig. 4).

    Args:
        summary: the output of ``daily_summary`` (or any ``{"arms": {label: {"daily": [...]}}}``).
        path: PNG file to write (parent folders are created).
        legend: title of the legend (what the lines are).

    Returns:
        ``path``.
    """
    fig = Figure(figsize=(7, 4.5))
    ax = fig.add_subplot()
    for arm, data in summary["arms"].items():
        days = np.array([d["day"] for d in data["daily"]])
        mean = np.array([_nan(d["mean_score"]) for d in data["daily"]])
        sem = np.array([0.0 if d["sem"] is None else d["sem"] for d in data["daily"]])
        (line,) = ax.plot(days, mean, marker="o", markersize=3, label=arm)
        ax.fill_between(days, mean - sem, mean + sem, color=line.get_color(), alpha=0.2, linewidth=0)
    ax.set_ylim(0, 4)
    ax.set_title("Daily mean score (mean over personas, band = ±1 SEM)")
    _day_axis(ax, "Mean score (0-4)")
    ax.legend(title=legend, fontsize="small")
    return _save(fig, path)


#: The normalised figure's y-axis stops here below 0: an arm far under the content-blind best (``always``) would
#: squash the rest; its line leaves the plot and its legend entry gives its mean.
NORMALISED_FLOOR = -2.0


def plot_daily_normalised(summary: dict, path: str | Path) -> Path:
    """Daily normalised score per arm (``normalised_score`` of the daily entries): 0 is the best content-blind
    arm, 1 the oracle_best arm (dashed reference lines).

    Args:
        summary: a summary with normalised scores (``propersim.metrics.report.with_references``).
        path: PNG file to write.

    Returns:
        ``path``.
    """
    fig = Figure(figsize=(7, 4.5))
    ax = fig.add_subplot()
    values = []
    for arm, data in summary["arms"].items():
        days = [d["day"] for d in data["daily"]]
        norm = [_nan(d.get("normalised_score")) for d in data["daily"]]
        values += [v for v in norm if not math.isnan(v)]
        mean = data.get("normalised_mean")
        ax.plot(days, norm, marker="o", markersize=3, label=f"{arm} ({'n/a' if mean is None else f'{mean:.2f}'})")
    refs = summary.get("references") or {}
    for level, name in ((0, refs.get("lower", "content-blind best")), (1, refs.get("upper", "oracle_best"))):
        ax.axhline(level, color="0.3", linestyle="--", linewidth=0.8)
        ax.annotate(name, (0, level), xycoords=("axes fraction", "data"), xytext=(3, 3), textcoords="offset points",
                    fontsize="small", color="0.3")
    low = max(NORMALISED_FLOOR, min([-0.1, *values]) - 0.1)
    ax.set_ylim(low, max([1.1, *values]) + 0.1)
    ax.set_title("Daily normalised score (0: best content-blind arm, 1: oracle_best)")
    _day_axis(ax, "Normalised score")
    ax.legend(title="Arm (run mean)", fontsize="small")
    return _save(fig, path)


def plot_recs_per_hour(summary: dict, path: str | Path) -> Path:
    """Recommendations delivered per awake hour, by day and arm (mean over personas).

    Args:
        summary: the output of ``daily_summary``.
        path: PNG file to write.

    Returns:
        ``path``.
    """
    fig = Figure(figsize=(7, 4.5))
    ax = fig.add_subplot()
    for arm, data in summary["arms"].items():
        ax.plot([d["day"] for d in data["daily"]], [_nan(d["recs_per_hour"]) for d in data["daily"]],
                marker="o", markersize=3, label=arm)
    ax.set_ylim(bottom=0)
    ax.set_title("Recommendations per awake hour (mean over personas)")
    _day_axis(ax, "Recommendations / hour")
    ax.legend(title="Arm")
    return _save(fig, path)


def _scored(points: list[dict]) -> list[dict]:
    return [p for p in points if p["mean_score"] is not None]


def persona_gains(summary: dict, arm: str) -> dict[str, float]:
    """Each persona's last-scored-day mean minus its first-scored-day mean (personas with no score left out).

    Raises:
        ValueError: ``arm`` is not in the summary.
    """
    gains = {}
    for pid, points in _arm(summary, arm)["per_persona"].items():
        scored = _scored(points)
        if scored:
            gains[pid] = scored[-1]["mean_score"] - scored[0]["mean_score"]
    return gains


def best_worst_personas(summary: dict, arm: str) -> tuple[str, str] | None:
    """Ids of the personas with the highest and lowest last-scored-day mean; None when none has a score.

    Raises:
        ValueError: ``arm`` is not in the summary.
    """
    final = {pid: _scored(points)[-1]["mean_score"]
             for pid, points in _arm(summary, arm)["per_persona"].items() if _scored(points)}
    if not final:
        return None
    order = sorted(final, key=lambda pid: (-final[pid], int(pid) if pid.isdigit() else pid))
    return order[0], order[-1]


def plot_persona_curves(summary: dict, arm: str, path: str | Path) -> Path:
    """One grey daily curve per persona of ``arm``, the best and worst persona highlighted (paper Fig. 5).

    Args:
        summary: the output of ``daily_summary``.
        arm: the arm to draw.
        path: PNG file to write.

    Returns:
        ``path``.

    Raises:
        ValueError: ``arm`` is not in the summary.
    """
    data = _arm(summary, arm)
    extremes = best_worst_personas(summary, arm)
    fig = Figure(figsize=(7, 4.5))
    ax = fig.add_subplot()
    for pid, points in data["per_persona"].items():
        ax.plot([p["day"] for p in points], [_nan(p["mean_score"]) for p in points], color="0.7", linewidth=0.8)
    if extremes is not None:
        for pid, label, color in ((extremes[0], "best", "tab:green"), (extremes[1], "worst", "tab:red")):
            points = data["per_persona"][pid]
            ax.plot([p["day"] for p in points], [_nan(p["mean_score"]) for p in points], color=color,
                    linewidth=2, marker="o", markersize=3, label=f"{label}: persona {pid}")
    ax.plot([d["day"] for d in data["daily"]], [_nan(d["mean_score"]) for d in data["daily"]], color="black",
            linewidth=2, linestyle="--", label="mean over personas")
    ax.set_ylim(0, 4)
    ax.set_title(f"Per-persona daily mean score, arm {arm} ({len(data['per_persona'])} personas)")
    _day_axis(ax, "Mean score (0-4)")
    ax.legend(fontsize="small")
    return _save(fig, path)


def plot_trait_gain(summary: dict, arm: str, personas, path: str | Path) -> Path | None:
    """Mean gain of High vs Low personas for each Big Five trait (paper Fig. 6).

    Args:
        summary: the output of ``daily_summary``.
        arm: the arm to draw.
        personas: ``Persona`` objects (or anything with ``persona_id`` and ``big_five``), or None.
        path: PNG file to write.

    Returns:
        ``path``, or None (nothing written) when ``personas`` is None or none of them is in the arm.

    Raises:
        ValueError: ``arm`` is not in the summary.
    """
    gains = persona_gains(summary, arm)
    if personas is None:
        return None
    traits_of = {str(p.persona_id): p.big_five for p in personas if str(p.persona_id) in gains}
    if not traits_of:
        return None
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    x = np.arange(len(TRAITS))
    counts = {}
    for offset, level, color in ((-0.2, "high", "tab:blue"), (0.2, "low", "tab:orange")):
        groups = [[gains[pid] for pid, b5 in traits_of.items() if b5[t] == level] for t in TRAITS]
        counts[level] = [len(g) for g in groups]
        means = [float(np.mean(g)) if g else math.nan for g in groups]
        sems = [float(np.std(g, ddof=1) / math.sqrt(len(g))) if len(g) > 1 else 0.0 for g in groups]
        ax.bar(x + offset, means, width=0.4, yerr=sems, capsize=3, ecolor="0.35", color=color,
               label=level.capitalize())
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, [f"{t.capitalize()}\n(n High {h}, Low {lo})"
                      for t, h, lo in zip(TRAITS, counts["high"], counts["low"])], fontsize="small")
    ax.set_ylabel("Mean gain, last day − first day")
    ax.set_title(f"Score gain by Big Five trait level, arm {arm} ({len(traits_of)} personas, bars ±1 SEM)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(title="Trait level")
    return _save(fig, path)


def plot_criteria_change(summary: dict, arm: str, path: str | Path) -> Path | None:
    """Per-criterion mean on the first and last day: all decisions, recommendations, abstentions (paper Fig. 7).

    Args:
        summary: the output of ``daily_summary``.
        arm: the arm to draw.
        path: PNG file to write.

    Returns:
        ``path``, or None (nothing written) when the arm has no per-criterion scores (e.g. imported logs).

    Raises:
        ValueError: ``arm`` is not in the summary.
    """
    daily = _arm(summary, arm)["daily"]
    first, last = daily[0], daily[-1]
    panels = [("All decisions", first["criteria"], last["criteria"])] + [
        (kind.capitalize() + "s", first["criteria_split"][kind], last["criteria_split"][kind])
        for kind in ("recommendation", "abstention")]
    if all(v is None for _, a, b in panels for v in (*a.values(), *b.values())):
        return None
    fig = Figure(figsize=(12, 4.2))
    axes = fig.subplots(1, 3, sharey=True)
    x = np.arange(len(CRITERIA))
    for ax, (title, before, after) in zip(axes, panels):
        ax.bar(x - 0.2, [_nan(before[c]) for c in CRITERIA], width=0.4, label=f"day {first['day']}")
        ax.bar(x + 0.2, [_nan(after[c]) for c in CRITERIA], width=0.4, label=f"day {last['day']}")
        ax.set_xticks(x, [_CRITERION_LABELS[c] for c in CRITERIA], fontsize="small")
        ax.set_title(title)
        ax.set_ylim(0, 1)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("Mean criterion score (0-1)")
    axes[0].legend()
    fig.suptitle(f"Rubric criteria, first vs last day, arm {arm}")
    return _save(fig, path)
