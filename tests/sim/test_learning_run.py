"""A learning run in one process: pairs on day 1, a real DPO training point on the tiny model at its end, day 2
generated with the new adapter (policy_version 1 in the rows), and resume after the training point.

Generation is scripted (the random tiny model rarely writes a parsable decision, so it would give no pairs);
that vLLM serves the adapters this loop trains is tested in tests/trainers/test_preference.py."""

import json
import shutil
from functools import partial
from pathlib import Path

import pyarrow.compute as pc
import pytest

from propersim.config import load_config
from propersim.data import schema as S
from propersim.data.checkpoint import latest_checkpoint
from propersim.data.rundir import PAIRS_DIR
from propersim.data.store import read_dataset, read_interactions, verify
from propersim.llm.artifacts import Artifact, artifacts_root
from propersim.sim.local import LocalSimulator
from propersim.sim.runner import run
from tests.trainers.test_pairs import Alternating
from trainers.points import Trainings


class Recording(Alternating):
    """Alternating decisions; remembers the adapter every request asked for."""

    model = "tiny-random"

    def answer(self, requests):
        self.adapters = getattr(self, "adapters", [])
        self.adapters += [r.adapter for r in requests]
        return super().answer(requests)

pytestmark = pytest.mark.integration

OVERRIDES = ["sim.personas.count=3", "sim.days=2", "sim.first_hour=9", "sim.last_hour=12", "sim.tick_seconds=600",
             "engines.tiny.model=tiny-random", "engines.tiny.dtype=float32", "engines.tiny.max_model_len=1024",
             "arms.pp.policy=llm", "arms.pp.engine=tiny", "arms.pp.learn=true", "arms.pp.n_candidates=2",
             "arms.pp.max_tokens=12", "arms.pp.temperature=1.0", "arms.scheduled.policy=scheduled",
             "trainer.method=dpo", "trainer.lora_r=8", "trainer.lora_alpha=16", "trainer.epochs=1",
             "trainer.replay_buffer=16"]


@pytest.fixture(scope="module", params=["shared", "per_persona"])
def learned(request, tmp_path_factory):
    cfg = load_config(None, OVERRIDES + [f"trainer.scope={request.param}"])
    out = tmp_path_factory.mktemp("runs") / "learn"
    engine = Recording(chat=False)
    run(cfg, out, progress=False,
        simulator=partial(LocalSimulator, engines={"tiny": engine}), training=Trainings)
    return cfg, out, engine


def test_day_two_runs_on_the_adapters_trained_after_day_one(learned):
    cfg, out, engine = learned
    v1 = out / "checkpoints" / "adapters" / "pp" / "v1"
    keys = ["shared"] if cfg.trainer.scope == "shared" else ["1", "2", "3"]
    served = {Path(a).name.rsplit("-", 1)[0]: Path(a) for a in set(engine.adapters) - {None}}
    assert sorted(served) == keys, "one adapter per persona, or one"
    for key, path in served.items():  # served from this machine's cache, as stored in RUN_DIR
        assert path.is_relative_to(artifacts_root()) and path.parent.name == "v1"
        assert Artifact.from_dir("adapter", path) == Artifact.from_dir("adapter", v1 / key)
    assert verify(out) == []
    rows = read_interactions(out)
    pp = rows.filter(pc.equal(rows[S.ARM], "pp"))
    versions = {d: set(pp.filter(pc.equal(pp[S.DAY], d))[S.POLICY_VERSION].to_pylist()) for d in (1, 2)}
    assert versions == {1: {0}, 2: {1}}
    pairs = read_dataset(out, PAIRS_DIR)
    assert pairs.num_rows > 0 and set(pairs[S.DAY].to_pylist()) <= {1, 2}
    records = [json.loads(line) for line in (out / "training.jsonl").read_text().splitlines()]
    assert [(r["day"], r["adapter"], r["version"]) for r in records] == [(1, k, 1) for k in keys], \
        "no training point at the run's end"
    assert all(r["pairs"] <= 16 and r["steps"] >= 1 and r["push_bytes"] > 0 for r in records)
    day, state = latest_checkpoint(out)
    assert day == 2 and state["adapters"]["pp"]["version"] == 1 and sorted(state["adapters"]["pp"]["paths"]) == keys
    assert all((v1 / k / "adapter_config.json").is_file() and not (v1 / k / "ref").exists() for k in keys), \
        "the trained adapter alone"


def test_resume_after_a_training_point(learned, tmp_path, monkeypatch):
    cfg, out, first = learned
    crashed = tmp_path / "crashed"
    shutil.copytree(out, crashed)
    shutil.rmtree(crashed / "checkpoints" / "day=2")  # died at the end of day 2
    monkeypatch.setenv("PROPERSIM_CACHE", str(tmp_path / "another-node"))  # nothing cached here yet
    engine = Recording(chat=False)
    run(cfg, crashed, resume=True, progress=False,
        simulator=partial(LocalSimulator, engines={"tiny": engine}), training=Trainings)
    served = set(engine.adapters) - {None}
    assert served and all(Path(a).is_relative_to(tmp_path / "another-node") for a in engine.adapters if a), \
        "the run's adapters read back from RUN_DIR into this node's cache"
    assert {Path(a).name for a in served} == {Path(a).name for a in set(first.adapters) - {None}}, \
        "the same versions as before the crash"
    assert verify(crashed) == []
    rows = read_interactions(crashed)
    pp = rows.filter(pc.and_(pc.equal(rows[S.ARM], "pp"), pc.equal(rows[S.DAY], 2)))
    assert set(pp[S.POLICY_VERSION].to_pylist()) == {1}, "day 2 re-ran on the adapter of day 1's training"
    assert rows.num_rows == read_interactions(out).num_rows, "every row once"
    records = [json.loads(line) for line in (crashed / "training.jsonl").read_text().splitlines()]
    assert sorted({(r["day"], r["version"]) for r in records}) == [(1, 1)]
