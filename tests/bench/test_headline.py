"""bench-results.json's headline keys come from the detailed results of each benchmark (medians)."""

from jobs.bench.__main__ import headline


def _spread(x):
    return {"median": x, "min": x, "max": x, "n": 1}


def test_headline_keys_are_the_medians_of_the_details():
    results = {
        "orchestration": [{"model": "tiny-random", "orchestration_efficiency": _spread(0.97)},
                          {"model": "gemma-3-270m", "orchestration_efficiency": _spread(0.99)}],
        "scaling": [{"llm": None, "points": [{"backend": "local", "personas": 100, "wall_s": _spread(2.0),
                                              "peak_rss_mb": _spread(300.0),
                                              "cost_per_persona_tick_ms": _spread(0.08)}]}],
        "push": [{"points": [
            {"model": "tiny-random", "payload": "adapter", "bytes": 0.14 * 2**20, "replicas": 2, "adapters": 1,
             "ratio": _spread(40.0), "overhead": _spread(3.0)},
            {"model": "gemma-3-270m", "payload": "adapter", "bytes": 15.2 * 2**20, "replicas": 4, "adapters": 32,
             "ratio": _spread(9.0), "overhead": _spread(1.1)}]}],
        "trainer": [{"points": [{"model": "tiny-random", "deepspeed": "zero2", "pairs_per_s": _spread(3.5)}]}],
        "cost": [{"tokens_per_persona_day": 1.5e6}],
    }
    assert "judge_prefix_cached_share" not in headline(results), "the quick set measures no prefix caching"
    results["prefix"] = [{"cached_share": 0.7, "speedup": _spread(2.5)}]
    results["cost"][0]["modes"] = {"joint": {"requests_per_persona_day": 1.0, "prompt_tokens_per_persona_day": 2.0,
                                             "missed_prompt_tokens_per_persona_day": 3.0,
                                             "completion_tokens_per_persona_day": 4.0}}
    h = headline(results)
    assert h["orchestration_efficiency"] == 0.97, "the tiny model's, measured in both modes"
    assert h["orchestration_efficiency_by_model"] == {"tiny-random": 0.97, "gemma-3-270m": 0.99}
    assert h["scaling"] == [{"backend": "local", "llm": None, "personas": 100, "wall_s": 2.0, "peak_rss_mb": 300.0,
                             "cost_per_persona_tick_ms": 0.08}]
    assert h["weight_push_ratio"] == {"adapter@2": 40.0}, "the tiny adapter's, one at a time"
    assert h["push_overhead_ratio"] == {"0.1MB@2x1": 3.0, "15.2MB@4x32": 1.1}
    assert h["trainer_pairs_per_s"] == {"tiny-random/zero2": 3.5}
    assert h["tokens_per_persona_day"] == 1.5e6
    assert h["tokens_per_persona_day_by_judge_mode"] == {"joint": {"requests": 1.0, "prompt_tokens": 2.0,
                                                                   "missed_prompt_tokens": 3.0,
                                                                   "completion_tokens": 4.0}}
    assert (h["judge_prefix_cached_share"], h["judge_prefix_speedup"]) == (0.7, 2.5)


def test_a_failing_benchmark_is_reported_and_the_others_still_run(tmp_path, monkeypatch, capsys):
    import json
    import subprocess

    from jobs.bench import __main__ as bench

    ran = []

    def run_bench(name, args, tmp):
        ran.append(name)
        if name == "scaling":
            raise subprocess.CalledProcessError(1, ["scaling"])
        return {"orchestration": {"model": "tiny-random", "orchestration_efficiency": _spread(0.9)},
                "cost": {"tokens_per_persona_day": 2.0}}.get(name, {"points": []})

    monkeypatch.setattr(bench, "run_bench", run_bench)
    monkeypatch.setattr(bench, "machine_info", lambda: {})
    summary = bench.main(["--quick", "--out", str(tmp_path / "b.json")])
    assert ran == list(bench.QUICK), "every benchmark after the failed one ran"
    assert summary["failed"] == [{"bench": "scaling", "args": bench.QUICK["scaling"][0], "status": 1}]
    assert summary["scaling"] == [] and summary["tokens_per_persona_day"] == 2.0
    assert json.loads((tmp_path / "b.json").read_text())["failed"] == summary["failed"]
    assert "failed: scaling" in capsys.readouterr().out
