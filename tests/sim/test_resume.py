"""Checkpoints and resume of the single-process runner (the same day loop drives Ray runs)."""

import shutil

import pytest

from propersim.config import load_config
from propersim.data.checkpoint import latest_checkpoint, save_checkpoint
from propersim.data.store import read_interactions, verify
from propersim.llm.engine import Generation
from propersim.sim.runner import run
from tests.conftest import assert_same_metrics
from tests.fakes import ScriptedEngineBase

BASE = ["sim.personas.count=6", "sim.days=3", "sim.first_hour=6", "sim.last_hour=14", "assistant.n_candidates=2",
        "user.noise=0.05"]
KEYS = ["arm", "persona_id", "day", "tick", "candidate"]


def sorted_rows(run_dir):
    return read_interactions(run_dir).sort_by([(k, "ascending") for k in KEYS])


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    cfg = load_config("jobs/baselines.yaml", BASE)
    out = tmp_path_factory.mktemp("runs") / "full"
    summary = run(cfg, out, "jobs/baselines.yaml", progress=False)
    return cfg, out, summary


def test_every_day_leaves_a_checkpoint(full_run):
    cfg, out, _ = full_run
    day, state = latest_checkpoint(out)
    assert day == 3 and len(state["shards"]) == 1
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["day=1", "day=2", "day=3"]


def test_resume_after_a_crash_ends_with_the_same_rows_once(full_run, tmp_path):
    cfg, out, summary = full_run
    crashed = tmp_path / "crashed"
    shutil.copytree(out, crashed)
    # the crash came after day 3's shard was written but before its checkpoint, and day 2's checkpoint is lost
    for day in (2, 3):
        shutil.rmtree(crashed / "checkpoints" / f"day={day}")
    (crashed / "summary.json").unlink()
    resumed = run(cfg, crashed, "jobs/baselines.yaml", resume=True, progress=False)
    assert verify(crashed) == []
    assert sorted_rows(crashed).equals(sorted_rows(out))
    assert_same_metrics(resumed["arms"], summary["arms"])


def test_resume_refuses_a_different_config(full_run, tmp_path):
    cfg, out, _ = full_run
    other = load_config("jobs/baselines.yaml", BASE + ["sim.tick_seconds=300"])
    with pytest.raises(ValueError, match=r"different config; differs at sim.tick_seconds \(150 there, 300 now\)"):
        run(other, out, "jobs/baselines.yaml", resume=True, progress=False)
    with pytest.raises(FileNotFoundError, match="no run there"):
        run(cfg, tmp_path / "nothing", resume=True, progress=False)


def test_a_new_run_refuses_an_existing_run_dir(full_run):
    cfg, out, _ = full_run
    with pytest.raises(FileExistsError, match="--resume"):
        run(cfg, out, "jobs/baselines.yaml", progress=False)


class Prompted(ScriptedEngineBase):
    """Recommends or abstains by the prompt's length: a memory restored wrongly changes the rows."""

    def answer(self, requests):
        return [Generation(" Put on some calm music while you read.\n" if len(r.prompt) % 3
                           else " No Recommendation\n", len(r.prompt) // 4, 8) for r in requests]


def test_a_checkpoint_resumes_after_a_policy_class_is_renamed(tmp_path, monkeypatch):
    """Checkpoints hold plain data (JSON and Parquet), not pickled objects: renaming the policy and memory
    classes does not break a resume, and the restored memory shows in the next day's prompts."""
    from functools import partial

    import propersim.assistant.llm_policy as llm_policy
    import propersim.assistant.memory as memory
    from propersim.sim.local import LocalSimulator

    cfg = load_config(None, ["engines.m.model=scripted", "arms.pp.policy=llm", "arms.pp.engine=m",
                             "arms.pp.memory_mode=ars", "arms.pp.n_candidates=2", "sim.personas.count=2",
                             "sim.days=2", "sim.first_hour=6", "sim.last_hour=24"])
    full, full_engine = tmp_path / "full", Prompted(chat=False)
    run(cfg, full, progress=False, simulator=partial(LocalSimulator, engines={"m": full_engine}))
    assert not list((full / "checkpoints").rglob("*.pkl")), "no pickles in a checkpoint"
    state_json = (full / "checkpoints" / "day=1" / "state.json").read_text()
    assert "AssistantMemory" not in state_json and "LLMPolicy" not in state_json

    crashed = tmp_path / "crashed"
    shutil.copytree(full, crashed)
    shutil.rmtree(crashed / "checkpoints" / "day=2")
    monkeypatch.delattr(memory, "AssistantMemory")
    monkeypatch.setattr(llm_policy, "LLMPolicy", type("RenamedPolicy", (llm_policy.LLMPolicy,), {}))
    resumed_engine = Prompted(chat=False)
    run(cfg, crashed, resume=True, progress=False, simulator=partial(LocalSimulator, engines={"m": resumed_engine}))
    day2 = [r.prompt for batch in resumed_engine.calls for r in batch]
    assert day2 and day2 == [r.prompt for batch in full_engine.calls for r in batch][-len(day2):], \
        "day 2 sees the same memory as in the uninterrupted run"
    assert sorted_rows(crashed).equals(sorted_rows(full))


def test_a_policy_memory_survives_the_checkpoint_exactly(tmp_path, personas):
    """What the assistant remembers at a day's end is what it remembers after save and load: same events,
    same rendering (yesterday's evening shown at midnight)."""
    from propersim.sim.local import LocalSimulator

    cfg = load_config(None, ["engines.m.model=scripted", "arms.pp.policy=llm", "arms.pp.engine=m",
                             "arms.pp.memory_mode=ars", "sim.first_hour=14", "sim.last_hour=24"])
    before = LocalSimulator(cfg, personas[:2], engines={"m": Prompted(chat=False)})
    before.group.run_day(1)
    save_checkpoint(tmp_path, 1, before.state())
    after = LocalSimulator(cfg, personas[:2], engines={"m": Prompted(chat=False)})
    after.load_state(latest_checkpoint(tmp_path)[1])
    old, new = before.group.arm("pp").policy.memories, after.group.arm("pp").policy.memories
    assert sorted(new) == sorted(old) == sorted(p.persona_id for p in personas[:2])
    for pid, memory in old.items():
        name = next(p.name for p in personas if p.persona_id == pid)
        assert memory.export() and new[pid].export() == memory.export()
        shown = new[pid].render(2, 0, name, scores=True)
        assert "yesterday" in shown and shown == memory.render(2, 0, name, scores=True)
