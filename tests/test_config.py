from pathlib import Path

import pytest
import yaml

from propersim.config import ConfigError, load_config, to_yaml

REPO_JOBS = sorted(str(p.relative_to(Path(__file__).parents[1]))
                   for p in (Path(__file__).parents[1] / "jobs").rglob("*.yaml"))


def assert_applied(loaded, raw, key=""):
    """Every value written in the YAML file is the loaded config's value (nothing dropped or defaulted)."""
    if isinstance(raw, dict):
        for name, value in raw.items():
            assert_applied(loaded[name] if isinstance(loaded, dict) else getattr(loaded, name), value,
                           f"{key}.{name}".lstrip("."))
    else:
        assert loaded == raw, f"{key}: the file says {raw!r}, the loaded config has {loaded!r}"


@pytest.mark.parametrize("path", REPO_JOBS)
def test_job_files_load(path):
    cfg = load_config(path)
    raw = yaml.safe_load(Path(path).read_text())
    assert_applied(cfg, raw)
    assert list(cfg.arm_configs()) == sorted(raw["arms"]), "the file's arms, in name order"
    for name, arm in cfg.arm_configs().items():
        if arm.policy == "llm":
            assert arm.engine in cfg.engines, f"arm {name} names engine {arm.engine!r}, not one of {list(cfg.engines)}"
    assert len(REPO_JOBS) >= 5


def test_paper_settings():
    cfg = load_config("jobs/paper.yaml")
    assert (cfg.sim.days, cfg.sim.tick_seconds, len(cfg.sim.personas.file) > 0) == (14, 150, True)
    assert sorted(cfg.arms) == ["ar", "ars", "no_memory", "pp"] and cfg.learning_arms() == ["pp"]
    pp = cfg.arms["pp"]
    assert (pp.policy, pp.memory_mode, pp.retrieval, pp.retrieval_top_k, pp.n_candidates) == ("llm", "ar", True, 5, 2)
    assert [cfg.arms[a].memory_mode for a in ("no_memory", "ar", "ars")] == ["no_memory", "ar", "ars"]
    assert cfg.user.judge == "llm" and "/" in cfg.engines["assistant"].model, "models by Hugging Face id"
    t = cfg.trainer
    assert (t.method, t.cadence, t.replay_buffer, t.lora_r, t.lora_alpha, t.beta, t.lr, t.epochs, t.scope) == \
        ("dpo", "day", 200, 16, 32, 0.1, 5e-5, 2, "per_persona")
    gpus = sum(e.replicas * e.gpus_per_replica for e in cfg.engines.values())
    assert gpus + t.gpus <= 8, "replicas and a training task fit one 8-GPU node"
    assert cfg.engines["assistant"].max_loras == 32, "one LoRA slot per persona of a batch"


def test_models_are_overridable_on_the_command_line():
    cfg = load_config("jobs/paper.yaml", ["engines.assistant.model=/models/x", "engines.judge.replicas=1"])
    assert cfg.engines["assistant"].model == "/models/x" and cfg.engines["judge"].replicas == 1


def test_trainer_method_without_a_learning_arm_is_an_error():
    with pytest.raises(ConfigError, match=r"^trainer.method=dpo but no arm has learn: true.*trainer.method=none$"):
        load_config("jobs/baselines.yaml", ["trainer.method=dpo"])


@pytest.mark.parametrize("overrides, gpus", [
    ([], 0.0), (["engines.m.tensor_parallel_size=2"], 2.0), (["engines.m.gpus_per_replica=0.5"], 0.5),
    (["engines.m.tensor_parallel_size=4", "engines.m.gpus_per_replica=4"], 4.0)])
def test_gpus_per_replica_follows_tensor_parallel_size(overrides, gpus):
    assert load_config(None, ["engines.m.model=x"] + overrides).engines["m"].gpus_per_replica == gpus


@pytest.mark.parametrize("overrides, needle", [
    (["engines.m.tensor_parallel_size=2", "engines.m.gpus_per_replica=4"],
     "engines.m.gpus_per_replica=4 does not match tensor_parallel_size=2 .*set gpus_per_replica=2 or leave it out"),
    (["engines.m.gpus_per_replica=4"], "does not match tensor_parallel_size=1 .*set tensor_parallel_size=4")])
def test_gpus_per_replica_that_tensor_parallelism_does_not_use_is_refused(overrides, needle):
    with pytest.raises(ConfigError, match=needle):
        load_config(None, ["engines.m.model=x"] + overrides)


@pytest.mark.parametrize("overrides, slots", [
    ([], (4, 4)), (["trainer.mode=async"], (8, 8)), (["trainer.scope=shared"], (1, 1)),
    (["runtime.max_in_flight=2"], (2, 4)), (["engines.m.max_loras=3"], (3, 4)),
    (["engines.m.max_loras=6"], (6, 6))])
def test_lora_slots_default_to_the_personas_of_a_batch_and_the_versions_in_flight(overrides, slots):
    base = ["engines.m.model=x", "arms.pp.policy=llm", "arms.pp.engine=m", "arms.pp.learn=true",
            "trainer.method=dpo", "sim.personas.count=4"]
    e = load_config("jobs/baselines.yaml", base + overrides).engines["m"]
    assert (e.max_loras, e.max_cpu_loras) == slots


def test_overrides_apply_with_types():
    cfg = load_config("jobs/baselines.yaml", ["sim.days=5", "user.noise=0.25", "arms.random.p=0.5"])
    assert cfg.sim.days == 5 and cfg.user.noise == 0.25 and cfg.arm_configs()["random"].p == 0.5


def test_unknown_key_names_key_and_valid_keys():
    with pytest.raises(ConfigError) as e:
        load_config("jobs/baselines.yaml", ["sim.dayz=3"])
    assert "sim.dayz" in str(e.value) and "tick_seconds" in str(e.value) and "days" in str(e.value)


def test_unknown_key_in_arm():
    with pytest.raises(ConfigError, match=r"arms\.random\.prob.*every_ticks"):
        load_config("jobs/baselines.yaml", ["arms.random.prob=0.3"])


@pytest.mark.parametrize("override, needle", [
    ("sim.days=abc", "sim.days='abc'"),
    ("sim.days=0", "expected >= 1"),
    ("user.noise=1.5", "expected <= 1.0"),
    ("world.planner=magic", "procedural, replay, llm"),
    ("sim.last_hour=25", "expected <= 24.0"),
])
def test_bad_values_name_key_value_and_expectation(override, needle):
    with pytest.raises(ConfigError, match=None) as e:
        load_config("jobs/baselines.yaml", [override])
    assert needle in str(e.value) and override.split("=")[0] in str(e.value)


def test_missing_file_names_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.yaml"):
        load_config(tmp_path / "nope.yaml")


def test_override_without_equals():
    with pytest.raises(ConfigError, match="key=value"):
        load_config(None, ["sim.days"])


def test_resolved_yaml_round_trips(tmp_path):
    cfg = load_config("jobs/baselines.yaml", ["sim.days=2"])
    path = tmp_path / "config.yaml"
    path.write_text(to_yaml(cfg))
    assert load_config(path) == cfg


@pytest.mark.parametrize("name", ["../../escape", "a/b", "/abs", ".hidden", "..", "two words"])
def test_a_run_name_that_is_not_one_plain_directory_name_is_refused(name):
    with pytest.raises(ConfigError, match=r"^run.name=.* must be one plain directory name"):
        load_config("jobs/baselines.yaml", [f"run.name={name}"])


def test_plain_run_names_load():
    assert load_config("jobs/baselines.yaml", ["run.name=cadence_day-2.v1"]).run.name == "cadence_day-2.v1"


def test_empty_day_window_is_refused():
    with pytest.raises(ConfigError, match="sim.first_hour=12.0 must be below sim.last_hour=8.0"):
        load_config("jobs/baselines.yaml", ["sim.first_hour=12", "sim.last_hour=8"])


@pytest.mark.parametrize("override, needle", [
    ("arms.pp.policy=scheduled", "needs policy=llm and n_candidates >= 2"),
    ("trainer.method=none", "needs trainer.method=dpo or kto"),
    ("trainer.lora_r=0", "full fine-tuning.* needs trainer.scope=shared"),
    ("trainer.lora_r=0 trainer.scope=shared arms.b.policy=llm arms.b.engine=m", r"also serves \['arms.b'\]"),
    ("trainer.cadence=hourly", "expected day, days:K"),
    ("engines.m.backend=openai engines.m.base_url=http://127.0.0.1:9/v1",
     r"engines.m.backend='openai' cannot load them; use backend=vllm"),
])
def test_learning_arms_are_checked(override, needle):
    base = ["engines.m.model=tiny-random", "arms.pp.policy=llm", "arms.pp.engine=m", "arms.pp.learn=true",
            "trainer.method=dpo"]
    with pytest.raises(ConfigError, match=needle):
        load_config(None, base + override.split())
    cfg = load_config(None, base)
    assert cfg.engines["m"].enable_lora, "a learning arm's engine serves LoRA adapters"
    full = load_config(None, base + ["trainer.lora_r=0", "trainer.scope=shared"])
    assert not full.engines["m"].enable_lora, "full fine-tuning loads weights, no adapters"
