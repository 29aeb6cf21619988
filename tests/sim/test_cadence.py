"""Training cadences: when training points run, days simulated in parts, intra-day and asynchronous training
in a real learning run (tiny model, real DPO; generation scripted as in test_learning_run)."""

import json
import shutil
from functools import partial

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from propersim.config import ConfigError, load_config
from propersim.data import schema as S
from propersim.data.store import read_interactions, verify
from propersim.sim.local import LocalSimulator
from propersim.sim.runner import run
from propersim.sim.schedule import Schedule, training_positions
from propersim.sim.wiring import build_group
from tests.sim.test_learning_run import OVERRIDES, Recording
from trainers.points import Trainings


def test_training_positions_of_each_cadence():
    assert training_positions("day", 3, 10) == [(1, 10), (2, 10)], "none at the run's end: nothing would use it"
    assert training_positions("days:2", 5, 10) == [(2, 10), (4, 10)]
    assert training_positions("half_day", 2, 10) == [(1, 5), (1, 10), (2, 5)]
    assert training_positions("ticks:4", 2, 7) == [(1, 4), (2, 1), (2, 5)], "counted across days"
    assert training_positions("never", 3, 10) == []
    for bad in ("hourly", "days:0", "ticks:x", "ticks:"):
        with pytest.raises(ValueError, match="half_day"):
            training_positions(bad, 3, 10)


def test_segments_cut_days_at_training_and_push_points():
    sync = Schedule.of("half_day", 2, 10)
    assert sync.push_at[(1, 5)] == (1, 5) and sync.segments(1) == [range(0, 5), range(5, 10)]
    late = Schedule.of("ticks:9", 2, 10, asynchronous=True, max_staleness=3)
    assert late.push_at == {(1, 9): (2, 2), (2, 8): (2, 10)}, "3 ticks later, into the next day; at most the end"
    assert late.segments(1) == [range(0, 9), range(9, 10)] and late.segments(2) == [range(0, 2), range(2, 8),
                                                                                    range(8, 10)]
    assert Schedule.of("never", 2, 10).segments(1) == [range(0, 10)]


def test_a_bad_cadence_is_a_config_error():
    with pytest.raises(ConfigError, match="trainer.cadence='hourly'"):
        load_config(None, OVERRIDES + ["trainer.cadence=hourly"])


def test_a_day_in_parts_equals_the_day_in_one(personas):
    cfg = load_config(None, ["arms.r.policy=random", "arms.s.policy=scheduled", "sim.first_hour=7",
                             "sim.last_hour=21"])
    whole = build_group(cfg, personas).run_day(2)
    group = build_group(cfg, personas)
    ticks = group.ticks
    parts = [group.run_ticks(2, ticks[a:b]) for a, b in ((0, 7), (7, 100), (100, len(ticks)))]
    assert all(p.num_rows for p in parts) and pa.concat_tables(parts).equals(whole)
    with pytest.raises(ValueError, match="do not continue day 2"):
        group.run_ticks(2, ticks[3:9])


def _versions_by_tick(out):
    rows = read_interactions(out)
    pp = rows.filter(pc.equal(rows[S.ARM], "pp"))
    by = {}
    for r in pp.select([S.DAY, S.TICK, S.POLICY_VERSION]).to_pylist():
        by.setdefault((r[S.DAY], r[S.TICK]), set()).add(r[S.POLICY_VERSION])
    return by


@pytest.mark.integration
def test_half_day_training_serves_a_new_adapter_from_the_middle_of_the_day(tmp_path):
    cfg = load_config(None, OVERRIDES + ["trainer.scope=shared", "trainer.cadence=half_day", "sim.days=1"])
    engine = Recording(chat=False)
    run(cfg, tmp_path / "half", progress=False,
        simulator=partial(LocalSimulator, engines={"tiny": engine}), training=Trainings)
    assert verify(tmp_path / "half") == []
    versions = _versions_by_tick(tmp_path / "half")
    middle = 54 + 9  # 9:00 at 10-minute ticks, 9 of the window's 18 ticks
    assert {t: v for (d, t), v in versions.items() if t < middle} and \
        all(v == {0} for (d, t), v in versions.items() if t < middle)
    assert all(v == {1} for (d, t), v in versions.items() if t >= middle), "the afternoon half on v1"
    records = [json.loads(line) for line in (tmp_path / "half" / "training.jsonl").read_text().splitlines()]
    assert [(r["day"], r["after_tick"], r["version"]) for r in records] == [(1, 9, 1)]
    assert (tmp_path / "half" / "interactions" / "day=1" / "part-s001-00000.parquet").is_file()


@pytest.fixture(scope="module")
def asynchronous(tmp_path_factory):
    cfg = load_config(None, OVERRIDES + ["trainer.scope=shared", "trainer.mode=async", "trainer.max_staleness=3"])
    out = tmp_path_factory.mktemp("async") / "run"
    run(cfg, out, progress=False,
        simulator=partial(LocalSimulator, engines={"tiny": Recording(chat=False)}), training=Trainings)
    return cfg, out


@pytest.mark.integration
def test_async_training_pushes_after_the_staleness_bound(asynchronous):
    _, out = asynchronous
    versions = _versions_by_tick(out)
    day2 = sorted(t for d, t in versions if d == 2)
    assert all(versions[2, t] == {0} for t in day2[:3]), "day 2's first 3 ticks on the old policy"
    assert all(versions[2, t] == {1} for t in day2[3:])


@pytest.mark.integration
def test_resume_retrains_a_pending_async_point(asynchronous, tmp_path):
    cfg, out = asynchronous
    crashed = tmp_path / "crashed"
    shutil.copytree(out, crashed)
    shutil.rmtree(crashed / "checkpoints" / "day=2")  # died during day 2, the adapter of day 1 not pushed yet
    shutil.rmtree(crashed / "checkpoints" / "adapters")
    run(cfg, crashed, resume=True, progress=False,
        simulator=partial(LocalSimulator, engines={"tiny": Recording(chat=False)}), training=Trainings)
    assert verify(crashed) == []
    assert read_interactions(crashed).equals(read_interactions(out)), "the same rows, each once"
    records = [json.loads(line) for line in (crashed / "training.jsonl").read_text().splitlines()]
    assert [(r["day"], r["version"]) for r in records] == [(1, 1)]
