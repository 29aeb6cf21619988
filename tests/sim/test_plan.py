"""`propersim plan`: placement and LLM cost of a config on a declared cluster, and its refusals."""

import json

import pytest

from propersim import cli
from propersim.config import load_config
from propersim.sim.cost import JUDGE_TOKENS, TOKENS_PER_REQUEST, judge_missed_tokens, run_cost
from propersim.sim.plan import plan

PAPER = "jobs/paper.yaml"


def test_cost_counts_candidates_and_judge_prompts_per_awake_tick():
    cfg = load_config(PAPER)
    loads = run_cost(cfg, persona_ticks=10, persona_days=1)
    assert loads["assistant"].requests == 10 * (2 + 1 + 1 + 1), "pp's two candidates and one per baseline"
    assert loads["judge"].requests == 10 * 5 * 5, "five checks per candidate"
    assert loads["judge"].prompt_tokens == loads["judge"].requests * JUDGE_TOKENS["separate"].prompt
    oracle = load_config(PAPER, ["user.judge=oracle"])
    assert set(run_cost(oracle, 10, 1)) == {"assistant"}


def test_cache_misses_count_what_a_tick_shares_once():
    t = JUDGE_TOKENS["separate"]
    # an arm's tick of two candidates: its head once, each candidate once, and each check's tail
    assert judge_missed_tokens("separate", 2) == pytest.approx(t.shared + 2 * t.candidate + 10 * t.asked)
    j = JUDGE_TOKENS["joint"]
    assert judge_missed_tokens("joint", 2) == pytest.approx(j.shared + 2 * (j.candidate + j.asked))
    separate, joint = (run_cost(load_config(PAPER, [f"user.judge_mode={m}"]), 10, 1) for m in ("separate", "joint"))
    assert joint["judge"].requests == separate["judge"].requests / 5
    assert separate["judge"].missed_prompt_tokens == pytest.approx(10 * sum(
        judge_missed_tokens("separate", n) for n in (2, 1, 1, 1)))
    assert separate["judge"].missed_prompt_tokens < separate["judge"].prompt_tokens / 3
    assistant = separate["assistant"]
    assert assistant.missed_prompt_tokens == 10 * 4 * TOKENS_PER_REQUEST["assistant"][0], "one prompt per arm-tick"


def test_paper_on_two_nodes_of_eight_gpus():
    report = plan(load_config(PAPER), [8, 8], PAPER, tokens_per_s=5000)
    assert report["engines"]["judge"]["nodes"] == [0, 1] and report["engines"]["judge"]["tensor_parallel_size"] == 2
    assert report["trainer"] == {"method": "dpo", "scope": "per_persona", "tasks_per_point": 32, "gpus_per_task": 1.0,
                                 "concurrent": 10}
    assert 300 * 32 < report["awake_persona_ticks_per_day"] < 400 * 32, "awake ticks of 32 waking days"
    judge = report["cost"]["judge"]
    assert judge["run"]["requests"] == pytest.approx(judge["per_day"]["requests"] * 14)
    hours = report["gpu_hours"]["judge"]
    tokens = judge["run"]["prompt_tokens"] + judge["run"]["generated_tokens"]
    assert hours["gpu_hours"] == pytest.approx(tokens / 5000 / 3600 * 2), "replica-hours x its 2 GPUs"
    computed = judge["run"]["missed_prompt_tokens"] + judge["run"]["generated_tokens"]
    assert hours["gpu_hours_cached"] == pytest.approx(computed / 5000 / 3600 * 2)


def test_cli_prints_placement_and_json(capsys):
    assert cli.main(["plan", PAPER, "--nodes", "2", "--gpus-per-node", "8", "--throughput", "5000"]) == 0
    out = capsys.readouterr().out
    assert "engines.judge: Qwen/Qwen2.5-14B-Instruct, 2 replicas x 2 GPU (tensor_parallel_size 2)" in out
    assert "32 training tasks a point" in out and "GPU-hours at 5,000 tokens/s" in out
    assert cli.main(["plan", PAPER, "sim.days=1", "--nodes", "1", "--gpus-per-node", "8", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["days"] == 1


@pytest.mark.parametrize("args, needle", [
    (["engines.judge.tensor_parallel_size=16", "--nodes", "2", "--gpus-per-node", "8"],
     "engines.judge.tensor_parallel_size=16 needs 16 GPUs on one node, but the largest node has 8"),
    (["engines.assistant.replicas=4", "--nodes", "1", "--gpus-per-node", "8"],
     "trainer.gpus=1: no node has 1 GPU that no engine replica holds (the replicas hold 8 of 8"),
    (["--nodes", "1", "--gpus-per-node", "4"], "asks for 6 GPUs"),
    ([], "plan needs the cluster"),
])
def test_cli_refuses_with_one_line(capsys, args, needle):
    assert cli.main(["plan", PAPER, *args]) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1
