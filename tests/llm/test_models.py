"""Model resolution: registry builds once per node under a lock, and Hugging Face ids from the HF cache offline."""

import json
import shutil
import subprocess
import sys
import threading
import time

import pytest

from propersim.llm import models
from propersim.llm.models import resolve_model
from tests.conftest import REPO


@pytest.fixture
def counting_builder(monkeypatch, tmp_path):
    monkeypatch.setenv("PROPERSIM_CACHE", str(tmp_path / "cache"))
    calls = []

    def build(out):
        calls.append(out)
        time.sleep(0.2)  # long enough for the other callers to arrive while it builds
        (out / "config.json").write_text("{}")

    monkeypatch.setitem(models.BUILDERS, "fake", build)
    return calls


def test_concurrent_resolves_build_a_registry_model_once(counting_builder, tmp_path):
    paths = []
    threads = [threading.Thread(target=lambda: paths.append(resolve_model("fake"))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    target = tmp_path / "cache" / "models" / "fake"
    assert len(counting_builder) == 1 and paths == [target] * 4
    assert sorted(p.name for p in target.parent.iterdir()) == [".fake.lock", "fake"], "no temporary directory left"


def test_a_leftover_without_config_is_rebuilt(counting_builder, tmp_path):
    target = tmp_path / "cache" / "models" / "fake"
    target.mkdir(parents=True)
    (target / "half-written.bin").write_text("x")
    assert resolve_model("fake") == target and sorted(p.name for p in target.iterdir()) == ["config.json"]


def test_unknown_names_are_a_one_line_error():
    with pytest.raises(FileNotFoundError, match=r"^model 'no-such-model' is not a registry name .*org/name\)$"):
        resolve_model("no-such-model")


def test_hugging_face_ids_resolve_offline_from_the_hf_cache(tmp_path):
    """A tiny model saved in the HF cache layout (refs/main -> snapshots/<commit>/) under HF_HOME, read with
    HF_HUB_OFFLINE=1 in a fresh process (huggingface_hub reads both variables at import)."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hf" / "hub" / "models--acme--tiny-chat"
    shutil.copytree(resolve_model("tiny-random"), repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    script = """if True:
        import json
        from transformers import AutoTokenizer
        from propersim.llm.models import resolve_model
        path = resolve_model("acme/tiny-chat")
        try:
            resolve_model("acme/not-cached")
        except FileNotFoundError as e:
            error = str(e)
        print(json.dumps({"path": str(path), "chat": AutoTokenizer.from_pretrained(path).chat_template is not None,
                          "error": error}))
    """
    env = {"PATH": "/usr/bin:/bin", "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1"}
    r = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["path"] == str(repo / "snapshots" / commit) and out["chat"]
    assert out["error"].startswith(f"model 'acme/not-cached' is not in the Hugging Face cache {tmp_path}/hf/hub and "
                                   "HF_HUB_OFFLINE is set; fill the cache first (hf download acme/not-cached)")
