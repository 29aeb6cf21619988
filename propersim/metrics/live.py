"""The live summary of a run: ``summary.json`` and the report refreshed after every simulated day from running
per-arm aggregates, so a day costs the summary of its own rows, never a re-read of the earlier ones.

Every daily figure depends only on its own day's rows (:mod:`propersim.metrics.daily`), so the summaries of
disjoint days merge exactly: daily and per-persona entries are concatenated, token counts and run counts are
summed, personas and run ids are united. The merged summary equals the one computed from all rows at once.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from propersim.data.schema import ARM, DAY, PERSONA_ID, RUN_ID
from propersim.data.storage import Storage
from propersim.metrics.daily import DEFAULT_TICK_SECONDS, daily_summary, token_figures
from propersim.metrics.report import run_info, write_summary

#: While a run goes, its run-wide figures are redrawn at most this often (drawing costs about as much as a
#: fast run's day; summary.json and the report's tables are refreshed every day).
FIGURE_INTERVAL_S = 60.0
#: run_info counts that add up over days.
_SUMMED = ("n_rows", "n_delivered", "n_judge_failures", "n_assistant_format_errors")


class LiveSummary:
    """Running aggregates of a run's rows, day by day, and the summary and report they give."""

    def __init__(self, run_dir: str | Path | Storage, personas=None, tick_seconds: float = DEFAULT_TICK_SECONDS,
                 days_total: int | None = None):
        self.run_dir, self.personas = Storage.of(run_dir), personas
        self.tick_seconds, self.days_total = tick_seconds, days_total
        self._arms: dict[str, dict] = {}
        self._persona_days: dict[str, int] = {}  # arm -> persona-days with rows (the token rate's denominator)
        self._counts = dict.fromkeys(_SUMMED, 0)
        self._personas: set[int] = set()
        self._run_ids: set[str] = set()
        self._days: set[int] = set()
        self._drawn_at: float | None = None  # monotonic time of the last live drawing of the figures

    def add(self, table: pa.Table) -> dict:
        """Take in the rows of whole days not added before (one day, or the earlier days of a resumed run).

        Returns:
            The summary of these rows alone (:func:`~propersim.metrics.daily.daily_summary`).

        Raises:
            ValueError: a day of ``table`` was added before.
        """
        if not table.num_rows:
            return {"arms": {}}
        days = set(pc.unique(table[DAY]).to_pylist())
        if days & self._days:
            raise ValueError(f"days {sorted(days & self._days)} were already added to the live summary")
        self._days |= days
        added = daily_summary(table, self.tick_seconds)
        for arm, part in added["arms"].items():
            mine = self._arms.setdefault(arm, {"daily": [], "per_persona": {},
                                               "tokens": {"prompt": 0, "cached": None, "completion": 0}})
            mine["daily"] = sorted(mine["daily"] + part["daily"], key=lambda d: d["day"])
            for pid, entries in part["per_persona"].items():
                mine["per_persona"][pid] = sorted(mine["per_persona"].get(pid, []) + entries, key=lambda d: d["day"])
            for key in ("prompt", "cached", "completion"):
                counts = [n for n in (mine["tokens"][key], part["tokens"][key]) if n is not None]
                mine["tokens"][key] = sum(counts) if counts else None  # cached: null until a day records it
        persona_days = table.group_by([ARM, PERSONA_ID, DAY]).aggregate([]).group_by(ARM).aggregate([(DAY, "count")])
        for arm, n in zip(persona_days[ARM].to_pylist(), persona_days[f"{DAY}_count"].to_pylist()):
            self._persona_days[arm] = self._persona_days.get(arm, 0) + n
        info = run_info(table, self.tick_seconds)
        for key in _SUMMED:
            self._counts[key] += info[key]
        self._personas |= set(pc.unique(table[PERSONA_ID]).to_pylist())
        self._run_ids |= set(pc.unique(table[RUN_ID]).to_pylist())
        return added

    def summary(self) -> dict:
        """The summary of every day added so far, as :func:`~propersim.metrics.report.summarize` gives it."""
        arms = {}
        for arm in sorted(self._arms):
            data = self._arms[arm]
            tokens = data["tokens"]
            arms[arm] = {"daily": data["daily"], "per_persona": data["per_persona"],
                         "tokens": token_figures(tokens["prompt"], tokens["cached"], tokens["completion"],
                                                 self._persona_days.get(arm))}
        run = {**self._counts, "n_personas": len(self._personas), "first_day": min(self._days, default=None),
               "last_day": max(self._days, default=None), "run_ids": sorted(self._run_ids),
               "tick_seconds": self.tick_seconds}
        return {"arms": arms, "run": run}

    def write(self, running: bool) -> dict:
        """Write ``summary.json`` and the report; a ``running`` one says how far the run is and since when, and
        redraws the run-wide figures at most every :data:`FIGURE_INTERVAL_S`; the final one draws them all."""
        if not running:
            return write_summary(self.run_dir, self.summary(), self.personas)
        progress = {"days_done": max(self._days, default=0), "days_total": self.days_total,
                    "updated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")}
        now = time.monotonic()
        draw = self._drawn_at is None or now - self._drawn_at >= FIGURE_INTERVAL_S
        if draw:
            self._drawn_at = now
        return write_summary(self.run_dir, self.summary(), self.personas, progress, draw)
