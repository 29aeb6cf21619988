"""Side-by-side comparison of several runs (a sweep's grid points): CSV, markdown table and a plot."""

from __future__ import annotations

import csv
from pathlib import Path

from propersim.metrics.plots import plot_daily_mean

CSV_FIELDS = ("setting", "arm", "day", "mean_score", "sem", "recs_per_hour", "success_rate")


def write_comparison(out_dir: str | Path, summaries: dict[str, dict]) -> dict[str, Path]:
    """Write ``comparison.csv`` (one row per setting, arm and day), ``comparison.md`` (per setting and arm:
    first and last day mean, change, mean over days, last day's recommendations per hour) and
    ``comparison.png`` (daily mean per setting and arm).

    Args:
        out_dir: where the three files go.
        summaries: setting name -> that run's summary.json dict.

    Returns:
        name -> path of each file written.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out_dir / "comparison.csv", "md": out_dir / "comparison.md", "png": out_dir / "comparison.png"}
    with paths["csv"].open("w", newline="") as fh:
        writer = csv.DictWriter(fh, CSV_FIELDS)
        writer.writeheader()
        for setting, summary in summaries.items():
            for arm, data in summary["arms"].items():
                for d in data["daily"]:
                    writer.writerow({"setting": setting, "arm": arm, **{k: d.get(k) for k in CSV_FIELDS[2:]}})
    lines = ["| setting | arm | first day | last day | change | mean over days | recs/hour (last day) |",
             "|---|---|---|---|---|---|---|"]
    fmt = lambda x: "n/a" if x is None else f"{x:.3f}"  # noqa: E731
    for setting, summary in summaries.items():
        for arm, data in summary["arms"].items():
            means = [d["mean_score"] for d in data["daily"] if d["mean_score"] is not None]
            first, last = (means[0], means[-1]) if means else (None, None)
            change = None if first is None else last - first
            overall = sum(means) / len(means) if means else None
            lines.append(f"| {setting} | {arm} | {fmt(first)} | {fmt(last)} | {fmt(change)} | {fmt(overall)} | "
                         f"{fmt(data['daily'][-1]['recs_per_hour'] if data['daily'] else None)} |")
    paths["md"].write_text("\n".join(lines) + "\n")
    curves = {f"{setting} / {arm}": data for setting, summary in summaries.items()
              for arm, data in summary["arms"].items()}
    plot_daily_mean({"arms": curves}, paths["png"], legend="Setting / arm")
    return paths
