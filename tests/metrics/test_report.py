"""Tests of the run report: summary.json, index.html and the PNGs it references."""

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from propersim.data import schema
from propersim.metrics import plots
from propersim.metrics.report import write_report
from propersim.personas.schema import TRAITS, persona_from_dict

EXAMPLE = Path(__file__).resolve().parents[1] / "personas" / "example_persona.json"


def make_table(with_criteria=True, failures=1, better=None):
    """Two arms, three personas, three days; persona p scores (p + day) % 5 on its decisions (arm ``better``
    one more, up to 4)."""
    cols = schema.empty_columns()
    n = 0
    for arm in ("propera", "no memory"):
        for pid in (1, 2, 3):
            for day in (1, 2, 3):
                for tick in range(4):
                    score = (pid + day + tick) % 5 if arm != better else min(4, (pid + day + tick) % 5 + 1)
                    failed = n < failures
                    n += 1
                    values = {
                        schema.RUN_ID: "r1", schema.ARM: arm, schema.PERSONA_ID: pid, schema.DAY: day,
                        schema.TICK: 200 + tick, schema.SIM_TIME: datetime(2025, 2, 12 + day) + timedelta(hours=8),
                        schema.ACTION: "reading", schema.LOCATION: "common room", schema.CANDIDATE: 0,
                        schema.DELIVERED: True, schema.RECOMMENDATION: "Stretch.", schema.IS_RECOMMENDATION: tick != 3,
                        **{c: (min(score, 1) if with_criteria and not failed else None) for c in schema.SCORE_COLUMNS},
                        schema.SCORE_TOTAL: None if failed else score, schema.REASONS: "{}", schema.JUDGE: "oracle",
                        schema.JUDGE_ERROR: "parse error" if failed else None, schema.ASSISTANT_ERROR: None,
                        schema.POLICY_VERSION: day - 1,
                        schema.ASSISTANT_MODEL: "m", schema.PROMPT_TOKENS: 10, schema.CACHED_PROMPT_TOKENS: 4,
                        schema.COMPLETION_TOKENS: 5,
                    }
                    for name, column in cols.items():
                        column.append(values[name])
    return schema.to_table(cols)


def make_personas():
    base = json.loads(EXAMPLE.read_text())
    personas = []
    for pid in (1, 2, 3):
        d = dict(base, persona_id=pid)
        d["big_five"] = {t: ("high" if (pid + k) % 2 else "low") for k, t in enumerate(TRAITS)}
        personas.append(persona_from_dict(d))
    return personas


def assert_drawn_png(path: Path, min_marks: int = 1000) -> None:
    """``path`` decodes as a PNG of a plausible figure size with data drawn on it: at least ``min_marks``
    strongly coloured pixels (lines, bands, bars). Axes, grid and text are grey or black, and a legend's
    samples alone come to a few hundred such pixels, so a figure with its data missing fails."""
    with Image.open(path) as image:
        assert image.format == "PNG", path.name
        width, height = image.size
        pixels = np.asarray(image.convert("RGB")).astype(int)
    assert 400 <= width <= 3000 and 300 <= height <= 3000, f"{path.name}: {width}x{height}"
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 1, f"{path.name} is blank"
    marks = int(((pixels.max(axis=-1) - pixels.min(axis=-1)) > 60).sum())
    assert marks >= min_marks, f"{path.name}: only {marks} coloured pixels, no data drawn"


def referenced_images(index: Path) -> list[str]:
    return re.findall(r'<img src="([^"]+)"', index.read_text())


def test_report_files(tmp_path):
    summary = write_report(tmp_path, make_table(), personas=make_personas())
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk == summary
    assert set(on_disk["arms"]) == {"propera", "no memory"}
    assert on_disk["run"]["n_rows"] == 72
    assert on_disk["run"]["n_judge_failures"] == 1
    index = tmp_path / "report" / "index.html"
    html = index.read_text()
    assert "Judge failures: 1" in html
    # 4 rows per persona-day, each of 10 prompt tokens (4 from the cache) and 5 generated
    assert on_disk["arms"]["propera"]["tokens"]["cached_per_persona_day"] == 16
    assert "LLM tokens per persona-day (assistant and judge): 40 prompt (16 from the prefix cache, 40%), 20 " \
           "generated." in html
    images = referenced_images(index)
    assert "daily_mean.png" in images and "recs_per_hour.png" in images
    for arm in ("propera", "no_memory"):
        for prefix in ("personas", "trait_gain", "criteria"):
            assert f"{prefix}_{arm}.png" in images
    for name in images:
        assert (index.parent / name).is_file()
        assert_drawn_png(index.parent / name)


def test_report_skips_figures_without_personas_or_criteria(tmp_path):
    table = make_table(with_criteria=False, failures=0)
    column = table.schema.get_field_index(schema.CACHED_PROMPT_TOKENS)  # as a run from before the column reads
    write_report(tmp_path, table.set_column(column, schema.CACHED_PROMPT_TOKENS, [[None] * table.num_rows]))
    index = tmp_path / "report" / "index.html"
    images = referenced_images(index)
    assert not any(name.startswith(("trait_gain", "criteria")) for name in images)
    assert all((index.parent / name).is_file() for name in images)
    assert "Judge failures: 0" in index.read_text() and "40 prompt (cached tokens not recorded)" in index.read_text()


def test_report_without_delivered_rows_raises(tmp_path):
    table = make_table()
    undelivered = table.set_column(table.schema.get_field_index(schema.DELIVERED), schema.DELIVERED,
                                   [[False] * table.num_rows])
    with pytest.raises(ValueError, match="no delivered rows"):
        write_report(tmp_path, undelivered)


def test_best_worst_and_gains():
    summary = {"arms": {"a": {"daily": [], "per_persona": {
        "1": [{"day": 1, "mean_score": 2.0}, {"day": 2, "mean_score": 3.5}],
        "2": [{"day": 1, "mean_score": 3.0}, {"day": 2, "mean_score": 2.5}, {"day": 3, "mean_score": None}],
        "3": [{"day": 1, "mean_score": None}]}}}}
    assert plots.best_worst_personas(summary, "a") == ("1", "2")
    assert plots.persona_gains(summary, "a") == pytest.approx({"1": 1.5, "2": -0.5})
    with pytest.raises(ValueError, match="not in the summary"):
        plots.persona_gains(summary, "b")


def test_summary_and_report_show_normalised_scores(tmp_path):
    policies = {"propera": "oracle_best", "no memory": "scheduled"}
    summary = write_report(tmp_path, make_table(better="propera"), personas=make_personas(), policies=policies)
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk == summary
    refs = on_disk["references"]
    assert (refs["lower"], refs["upper"]) == ("no memory", "propera")
    assert set(refs) == {"lower", "upper", "lower_mean", "upper_mean", "spread", "content_blind", "rule"}
    for arm, data in on_disk["arms"].items():
        assert "normalised_mean" in data
        for d in data["daily"]:
            lower = next(x for x in on_disk["arms"]["no memory"]["daily"] if x["day"] == d["day"])["mean_score"]
            upper = next(x for x in on_disk["arms"]["propera"]["daily"] if x["day"] == d["day"])["mean_score"]
            expected = None if not upper > lower else (d["mean_score"] - lower) / (upper - lower)
            assert d["normalised_score"] == (expected if expected is None else pytest.approx(expected))
    index = tmp_path / "report" / "index.html"
    html = index.read_text()
    assert "<th>Normalised</th>" in html and "Lower reference" in html and "chosen once" in html
    assert "normalised.png" in referenced_images(index)
    assert_drawn_png(index.parent / "normalised.png")


def test_references_come_from_the_run_config(tmp_path):
    from propersim.config import load_config, to_yaml

    config = tmp_path / "c.yaml"
    config.write_text("arms:\n  propera:\n    policy: oracle_best\n  no memory:\n    policy: never\n")
    (tmp_path / "config.yaml").write_text(to_yaml(load_config(config)))
    summary = write_report(tmp_path, make_table())
    assert summary["references"]["lower"] == "no memory"
    # without both reference arms nothing is added, and a second write removes stale figures
    again = write_report(tmp_path, make_table(), policies={"propera": "llm", "no memory": "never"})
    assert "references" not in again
    assert all("normalised_score" not in d for data in again["arms"].values() for d in data["daily"])
    assert "normalised.png" not in referenced_images(tmp_path / "report" / "index.html")


def test_training_points_and_their_pair_kinds_are_reported(tmp_path):
    kinds = ({"rec_vs_rec": 3, "rec_vs_silence": 1, "silence_vs_silence": 0},
             {"rec_vs_rec": 0, "rec_vs_silence": 4, "silence_vs_silence": 0})
    records = [{"day": 1, "after_tick": 8, "arm": "propera", "adapter": "shared", "pairs": 0,
                "skipped": "no pairs yet"}]
    records += [{"day": day, "after_tick": 8, "arm": "propera", "adapter": "shared", "pairs": 4, "version": day - 1,
                 "pair_kinds": k, "steps": 1, "loss": 0.69, "train_s": 12.5} for day, k in zip((2, 3), kinds)]
    (tmp_path / "training.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    summary = write_report(tmp_path, make_table(failures=0))
    assert summary["arms"]["propera"]["training"] == {
        "points": 2, "adapters": 2, "pairs": 8, "pair_kinds": {"rec_vs_rec": 3, "rec_vs_silence": 5,
                                                               "silence_vs_silence": 0}}
    assert "training" not in summary["arms"]["no memory"]
    page = (tmp_path / "report" / "index.html").read_text()
    table = page[page.index("<h3>Training points</h3>"):]
    assert table.count("<tr>") == 4 and "rec vs rec" in table and "no pairs yet" in table
    assert "<td>3</td><td>1</td><td>0</td>" in table and page.count("Training points") == 1
