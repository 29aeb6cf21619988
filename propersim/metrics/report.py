"""The run report: ``RUN_DIR/summary.json`` and a self-contained ``RUN_DIR/report/index.html`` with its PNGs.

When the run has both reference arms, a content-blind baseline (never, always, random, scheduled) and an
``oracle_best`` arm, every arm's daily mean is also shown normalised between them
(:func:`propersim.metrics.daily.normalised_scores`): summary.json gets ``"references"`` and, per arm,
``"normalised_mean"`` and a ``"normalised_score"`` in each daily entry. The arms' policies are read from
``RUN_DIR/config.yaml``.

A learning arm's training points (``RUN_DIR/training.jsonl``) are listed in its section, with the kinds of the
pairs each trained on (:data:`propersim.data.rows.PAIR_KINDS`: two recommendations, or one against "No
Recommendation"); summary.json gets their totals as the arm's ``"training"``.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import yaml

from propersim.data.rows import PAIR_KINDS
from propersim.data.rundir import (
    CONFIG,
    REPORT_DIR,
    REPORT_INDEX,
    SUMMARY,
    read_training_log,
)
from propersim.data.schema import (
    ASSISTANT_ERROR,
    DAY,
    DELIVERED,
    PERSONA_ID,
    RUN_ID,
    SCORE_TOTAL,
)
from propersim.data.storage import Storage
from propersim.errors import InvalidInputError
from propersim.metrics import plots
from propersim.metrics.daily import (
    DEFAULT_TICK_SECONDS,
    daily_summary,
    normalised_scores,
)

_CSS = """body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f2f2f2}img{max-width:100%;display:block;margin:1em 0}.warn{color:#a40}"""
_COLUMNS = (("Day", "day"), ("Decisions", "n_decisions"), ("Judge failures", "n_judge_failures"),
            ("Mean score", "mean_score"), ("SEM", "sem"), ("Recs / hour", "recs_per_hour"),
            ("Success rate", "success_rate"))
#: Reference arms closer than this (mean score over the run) make normalised scores magnify small differences;
#: the report says so.
NARROW_SPREAD = 0.1


def run_info(table: pa.Table, tick_seconds: float) -> dict:
    """Counts describing the whole table: rows, delivered rows, judge failures, personas, days, run ids."""
    delivered = table.filter(pc.equal(table[DELIVERED], True))
    days = pc.min_max(table[DAY])
    return {
        "n_rows": table.num_rows,
        "n_delivered": delivered.num_rows,
        "n_judge_failures": delivered[SCORE_TOTAL].null_count,
        # every candidate counts: a broken output is a cost even when another candidate was delivered
        "n_assistant_format_errors": table.num_rows - table[ASSISTANT_ERROR].null_count,
        "n_personas": len(pc.unique(table[PERSONA_ID])),
        "first_day": days["min"].as_py(),
        "last_day": days["max"].as_py(),
        "run_ids": sorted(pc.unique(table[RUN_ID]).to_pylist()),
        "tick_seconds": tick_seconds,
    }


def _slug(arm: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", arm) or "arm"


#: The run-wide figures: file name -> (caption, plotting function).
_HEADLINE = {"daily_mean.png": ("Daily mean score (Fig. 4)", plots.plot_daily_mean),
             "recs_per_hour.png": ("Recommendations per hour", plots.plot_recs_per_hour)}
#: Drawn when the run has both reference arms.
_NORMALISED = ("normalised.png", "Daily normalised score (0: best content-blind arm, 1: oracle_best)",
               plots.plot_daily_normalised)


def _figures(summary: dict, out: Path, personas, live: str | None = None) -> dict[str, list[tuple[str, Path]]]:
    """Draw the figures; returns section -> [(caption, path)], skipped figures left out.

    ``live``: of a running run, only the run-wide figures: ``"draw"`` them, or ``"keep"`` the ones drawn last.
    """
    headline = dict(_HEADLINE)
    if summary.get("references"):
        headline[_NORMALISED[0]] = _NORMALISED[1:]
    figures = {"": [(caption, plot(summary, out / name) if live != "keep" else out / name)
                    for name, (caption, plot) in headline.items()]}
    if live is not None:
        figures[""] = [(caption, path) for caption, path in figures[""] if path.is_file()]
        return {**figures, **{arm: [] for arm in summary["arms"]}}
    for arm in summary["arms"]:
        slug = _slug(arm)
        drawn = [("Per-persona curves (Fig. 5)", plots.plot_persona_curves(summary, arm, out / f"personas_{slug}.png")),
                 ("Gain by Big Five trait (Fig. 6)",
                  plots.plot_trait_gain(summary, arm, personas, out / f"trait_gain_{slug}.png")),
                 ("Criteria, first vs last day (Fig. 7)",
                  plots.plot_criteria_change(summary, arm, out / f"criteria_{slug}.png"))]
        figures[arm] = [(caption, path) for caption, path in drawn if path is not None]
    return figures


def _fmt(value, key: str) -> str:
    if value is None:
        return "–"
    if key == "success_rate":
        return f"{100 * value:.1f}%"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _daily_table(daily: list[dict]) -> str:
    columns = _COLUMNS + ((("Normalised", "normalised_score"),) if "normalised_score" in daily[0] else ())
    head = "".join(f"<th>{name}</th>" for name, _ in columns) + "".join(
        f"<th>{html.escape(c)}</th>" for c in daily[0]["criteria"])
    rows = []
    for d in daily:
        cells = [_fmt(d[key], key) for _, key in columns] + [_fmt(v, "") for v in d["criteria"].values()]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


_TRAINING_COLUMNS = (("Day", "day"), ("After tick", "after_tick"), ("Adapter", "adapter"), ("Version", "version"),
                     ("Pairs", "pairs"), *((k.replace("_", " "), k) for k in PAIR_KINDS), ("Loss", "loss"),
                     ("Train s", "train_s"))


def _training_table(records: list[dict]) -> str:
    head = "".join(f"<th>{html.escape(name)}</th>" for name, _ in _TRAINING_COLUMNS)
    rows = []
    for r in records:
        values = {**r, **r.get("pair_kinds", {})}
        if "skipped" in r:
            values["version"] = html.escape(r["skipped"])
        rows.append("<tr>" + "".join(f"<td>{_fmt(values.get(key), key)}</td>" for _, key in _TRAINING_COLUMNS)
                    + "</tr>")
    return f"<h3>Training points</h3><table><tr>{head}</tr>{''.join(rows)}</table>"


def training_totals(records: list[dict]) -> dict | None:
    """One arm's training points, adapters trained and pairs trained on, in total and by kind; None when it
    trained nothing yet."""
    trained = [r for r in records if "skipped" not in r]
    if not trained:
        return None
    kinds = dict.fromkeys(PAIR_KINDS, 0)
    for r in trained:
        for kind, n in r.get("pair_kinds", {}).items():
            kinds[kind] += n
    return {"points": len({(r["day"], r["after_tick"]) for r in trained}), "adapters": len(trained),
            "pairs": sum(r["pairs"] for r in trained), "pair_kinds": kinds}


def _images(items: list[tuple[str, Path]]) -> str:
    return "".join(f'<h3>{html.escape(caption)}</h3><img src="{html.escape(path.name)}" alt="{html.escape(caption)}">'
                   for caption, path in items)


def _html(summary: dict, figures: dict, title: str, training: dict[str, list[dict]]) -> str:
    info = summary["run"]
    failures = info["n_judge_failures"]
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
             f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>",
             f"<p>{info['n_rows']} rows, {info['n_delivered']} delivered decisions, {info['n_personas']} personas, "
             f"days {info['first_day']}-{info['last_day']}, tick {info['tick_seconds']} s. "
             f"Runs: {html.escape(', '.join(info['run_ids']))}.</p>",
             f"<p class='{'warn' if failures else ''}'>Judge failures: {failures} "
             "(delivered decisions without a score; counted, left out of every mean).</p>",
             f"<p class='{'warn' if info['n_assistant_format_errors'] else ''}'>Assistant format errors: "
             f"{info['n_assistant_format_errors']} (candidates whose output broke the format; recorded as "
             "abstentions).</p>",
             _references(summary.get("references")),
             _images(figures[""])]
    progress = summary.get("progress")
    if progress is not None:
        parts.insert(1, f"<p class='warn'>Day {progress['days_done']} of {progress['days_total']}, running; "
                        f"last updated {html.escape(progress['updated'])}. The per-arm figures come with the "
                        "final report.</p>")
    for arm, data in summary["arms"].items():
        extremes = plots.best_worst_personas(summary, arm)
        parts.append(f"<h2>Arm {html.escape(arm)}</h2>")
        if extremes is not None:
            parts.append(f"<p>Best persona (last-day mean): {extremes[0]}; worst: {extremes[1]}.</p>")
        if "normalised_mean" in data:
            parts.append(f"<p>Normalised score over the run: {_fmt(data['normalised_mean'], '')}.</p>")
        if data.get("tokens"):
            parts.append(_tokens_line(data["tokens"]))
        parts.append(_daily_table(data["daily"]) + _images(figures[arm]))
        if training.get(arm):
            parts.append(_training_table(training[arm]))
    parts.append("</body></html>")
    return "\n".join(parts)


def _tokens_line(tokens: dict) -> str:
    """LLM tokens per persona-day: prompt (and the part the engine took from its prefix cache), generated."""
    prompt, cached = tokens["prompt_per_persona_day"], tokens["cached_per_persona_day"]
    if prompt is None:
        return ""
    share = f", {100 * cached / prompt:.0f}%" if cached is not None and prompt else ""
    cache = "cached tokens not recorded" if cached is None else f"{cached:,.0f} from the prefix cache{share}"
    return (f"<p>LLM tokens per persona-day (assistant and judge): {prompt:,.0f} prompt ({cache}), "
            f"{tokens['completion_per_persona_day']:,.0f} generated.</p>")


def _references(refs: dict | None) -> str:
    if not refs:
        return ""
    blind = ", ".join(f"{html.escape(arm)} {mean:.3f}" for arm, mean in refs["content_blind"].items())
    narrow = refs["spread"] < NARROW_SPREAD
    return (f"<p class='{'warn' if narrow else ''}'>Normalised score = (score − {html.escape(refs['lower'])}) / "
            f"({html.escape(refs['upper'])} − {html.escape(refs['lower'])}), day by day against the two reference "
            f"arms' means of the same day. Lower reference: the content-blind arm with the best mean over the run, "
            f"chosen once for the whole run ({blind}). Upper reference: oracle_best arm "
            f"{html.escape(refs['upper'])} ({refs['upper_mean']:.3f}), which acts on the personas' structured "
            f"preferences. Spread {refs['spread']:.3f}"
            + (f", under {NARROW_SPREAD}: small differences in score look large when normalised" if narrow else "")
            + ".</p>")


def arm_policies(run_dir: str | Path | Storage) -> dict[str, str]:
    """Arm name -> policy, from ``RUN_DIR/config.yaml`` (the resolved config); empty when there is none
    (imported logs) or it names no policies."""
    store = Storage.of(run_dir)
    if not store.is_file(CONFIG):
        return {}
    config = yaml.safe_load(store.read_text(CONFIG)) or {}
    arms = config.get("arms") or {}
    if arms:
        return {name: arm["policy"] for name, arm in arms.items() if isinstance(arm, dict) and "policy" in arm}
    policy = (config.get("assistant") or {}).get("policy")
    return {policy: policy} if policy else {}


def with_references(summary: dict, policies: dict[str, str]) -> dict:
    """``summary`` with the normalised scores of :func:`~propersim.metrics.daily.normalised_scores` added
    (``"references"``, each arm's ``"normalised_mean"`` and daily ``"normalised_score"``), when ``policies``
    (arm -> policy) name both reference arms; else ``summary`` without them."""
    from propersim.assistant.policies import CONTENT_BLIND, ORACLE_BEST

    arms = {arm: {k: v for k, v in data.items() if k != "normalised_mean"} for arm, data in summary["arms"].items()}
    for data in arms.values():
        data["daily"] = [{k: v for k, v in d.items() if k != "normalised_score"} for d in data["daily"]]
    summary = {k: v for k, v in summary.items() if k != "references"} | {"arms": arms}
    norm = normalised_scores(summary, [a for a, p in policies.items() if p in CONTENT_BLIND],
                             [a for a, p in policies.items() if p == ORACLE_BEST])
    if norm is None:
        return summary
    for arm, data in arms.items():
        data["normalised_mean"] = norm["arms"][arm]["mean"]
        for d in data["daily"]:
            d["normalised_score"] = norm["arms"][arm]["daily"][d["day"]]
    summary["references"] = {k: norm[k] for k in ("lower", "upper", "lower_mean", "upper_mean", "spread",
                                                  "content_blind")} | {
        "rule": "normalised = (score - lower) / (upper - lower) per day, with the two reference arms' means of "
                "that day; lower: the content-blind arm with the best mean over the run, chosen once; upper: "
                "the oracle_best arm"}
    return summary


def summarize(table: pa.Table, tick_seconds: float = DEFAULT_TICK_SECONDS) -> dict:
    """``daily_summary`` of ``table`` plus ``"run"`` (see :func:`run_info`).

    Raises:
        InvalidInputError: the table has no delivered rows.
        ValueError: the table lacks a required column.
    """
    summary = daily_summary(table, tick_seconds)
    if not summary["arms"]:
        raise InvalidInputError(f"no delivered rows in the {table.num_rows}-row table; nothing to report")
    summary["run"] = run_info(table, tick_seconds)
    return summary


def write_report(run_dir: str | Path | Storage, table: pa.Table, personas=None,
                 tick_seconds: float = DEFAULT_TICK_SECONDS, policies: dict[str, str] | None = None) -> dict:
    """Summarise ``table`` (:func:`summarize`) and write ``RUN_DIR/summary.json`` and the report.

    Args:
        run_dir: the run directory (created if missing).
        table: the run's interactions (``propersim.data.schema.INTERACTIONS`` layout).
        personas: the run's ``Persona`` objects, for the Big Five gain figure; None skips that figure.
        tick_seconds: simulated seconds per tick.
        policies: arm -> policy, for the normalised scores; None reads them from ``RUN_DIR/config.yaml``.

    Returns:
        The summary written.
    """
    return write_summary(run_dir, summarize(table, tick_seconds), personas, policies=policies)


def write_summary(run_dir: str | Path | Storage, summary: dict, personas=None, progress: dict | None = None,
                  draw: bool = True, policies: dict[str, str] | None = None) -> dict:
    """Write ``summary`` as ``RUN_DIR/summary.json`` and ``RUN_DIR/report/index.html`` with its PNGs, each
    atomically (a reader never sees half a file).

    Args:
        progress: of a run still going: ``{"days_done", "days_total", "updated"}``; kept in the summary as
            ``"progress"`` and shown at the top of the report, which then has the run-wide figures only (the
            per-arm ones come with the final report).
        draw: with ``progress``, redraw the run-wide figures (else the report shows the ones drawn last).
        policies: arm -> policy; with both reference arms among them, the normalised scores are added
            (:func:`with_references`). None reads them from ``RUN_DIR/config.yaml``.

    Returns:
        The summary (with ``progress`` and the normalised scores when given).
    """
    store = Storage.of(run_dir)
    summary = with_references(summary, arm_policies(store) if policies is None else policies)
    by_arm: dict[str, list[dict]] = {}
    for r in read_training_log(store):
        by_arm.setdefault(r["arm"], []).append(r)
    for arm, records in by_arm.items():
        if arm in summary["arms"] and (totals := training_totals(records)) is not None:
            summary["arms"][arm]["training"] = totals
    if progress is not None:
        summary = {**summary, "progress": progress}
    out = store.staging(REPORT_DIR)  # the figures are drawn here, then stored beside the page
    store.write(SUMMARY, json.dumps(summary, indent=1, allow_nan=False))
    figures = _figures(summary, out, personas, None if progress is None else "draw" if draw else "keep")
    if not store.local:
        for path in {path for section in figures.values() for _, path in section}:
            store.write(f"{REPORT_DIR}/{path.name}", path.read_bytes())
    store.write(f"{REPORT_DIR}/{REPORT_INDEX}", _html(summary, figures, f"propersim report: {store.name}", by_arm))
    return summary
