"""Two runs of one config and seed give the same rows: a learning LLM arm on the real vLLM-CPU engine (sampled
at temperature 1, catalogue output so that the random tiny model gives pairs), DPO training between the days,
and the adapter served on day 2. The second run shares the engine the first left behind, so nothing it
generated may depend on the engine's history or on which requests shared a batch. Only the prompt tokens served
from the prefix cache differ: that is the engine's history (a fresh engine per run gives the same counts)."""

import json
from functools import partial

import pyarrow.compute as pc
import pytest

from propersim.config import load_config
from propersim.data import schema as S
from propersim.data.rundir import MANIFEST, PAIRS_DIR
from propersim.data.store import read_dataset, read_interactions
from propersim.sim.local import LocalSimulator
from propersim.sim.runner import run
from trainers.points import Trainings

pytestmark = pytest.mark.integration

OVERRIDES = ["sim.personas.ids=[13,14]", "sim.days=2", "sim.first_hour=11", "sim.last_hour=12",
             "sim.tick_seconds=900", "engines.tiny.model=tiny-random", "arms.pp.policy=llm", "arms.pp.engine=tiny",
             "arms.pp.output=catalogue", "arms.pp.learn=true", "arms.pp.n_candidates=2", "arms.pp.temperature=1.0",
             "trainer.method=dpo", "trainer.lora_r=8", "trainer.lora_alpha=16", "trainer.epochs=1",
             "trainer.replay_buffer=4"]


def test_a_learning_llm_run_reproduces_its_rows(tiny_engine, tmp_path):
    cfg = load_config(None, OVERRIDES)
    runs = [tmp_path / "a", tmp_path / "b"]
    for out in runs:
        run(cfg, out, progress=False, simulator=partial(LocalSimulator, engines={"tiny": tiny_engine}),
            training=Trainings)
    a, b = (read_interactions(out).sort_by([(S.DAY, "ascending"), (S.PERSONA_ID, "ascending"),
                                            (S.TICK, "ascending"), (S.CANDIDATE, "ascending")]) for out in runs)
    assert sum(b[S.CACHED_PROMPT_TOKENS].to_pylist()) > sum(a[S.CACHED_PROMPT_TOKENS].to_pylist()), \
        "the second run's prompts were served from the cache the first one filled"
    a, b = a.drop([S.CACHED_PROMPT_TOKENS]), b.drop([S.CACHED_PROMPT_TOKENS])
    assert a.num_rows > 0 and a.equals(b)
    assert set(a.filter(pc.equal(a[S.DAY], 2))[S.POLICY_VERSION].to_pylist()) == {1}, "day 2 ran on the adapter"
    assert len(set(a[S.RECOMMENDATION].to_pylist())) > 2, "sampled, not greedy"
    assert read_dataset(runs[0], PAIRS_DIR).num_rows > 0
    assert read_dataset(runs[0], PAIRS_DIR).equals(read_dataset(runs[1], PAIRS_DIR))
    losses = [[json.loads(line)["loss"] for line in (out / "training.jsonl").read_text().splitlines()]
              for out in runs]
    assert losses[0] == losses[1] and losses[0]
    pair_shards = [{k: v for k, v in json.loads((out / MANIFEST).read_text())["shards"].items()
                    if k.startswith(PAIRS_DIR)} for out in runs]
    assert pair_shards[0] and pair_shards[0] == pair_shards[1], "byte-identical pair shards"
