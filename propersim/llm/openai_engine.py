"""The OpenAI-compatible HTTP backend: any ``/v1/completions`` + ``/v1/chat/completions`` endpoint.

Requests go out concurrently (at most ``concurrency`` in flight), each with a timeout, retried with
exponential backoff on 429, 5xx and connection errors. The API key is read from the environment variable
the config names and is never logged or written anywhere.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

from propersim.config import ConfigError
from propersim.llm.engine import Engine, Generation, GenerationRequest

RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


class OpenAIEngine(Engine):
    """Generation through an OpenAI-compatible HTTP endpoint.

    Args:
        base_url: endpoint base, e.g. ``http://127.0.0.1:8000/v1``.
        model: model name the endpoint serves.
        api_key_env: environment variable holding the API key (None: no key).
        chat: whether the model takes chat prompts.
        timeout_s: per-request timeout.
        max_retries: retries after the first attempt on retryable errors.
        concurrency: requests in flight at once.
        backoff_s: first backoff; doubles each retry.

    Raises:
        ValueError: ``api_key_env`` names a variable that is not set.
    """

    def __init__(self, base_url: str, model: str, api_key_env: str | None = None, chat: bool = True,
                 timeout_s: float = 60.0, max_retries: int = 4, concurrency: int = 8, backoff_s: float = 0.5):
        import httpx

        headers = {}
        if api_key_env:
            key = os.environ.get(api_key_env)
            if not key:
                raise ConfigError(f"engines: api_key_env={api_key_env!r} is not set in the environment")
            headers["Authorization"] = f"Bearer {key}"
        self.model = model
        self._chat = chat
        self._client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s)
        self._max_retries = max_retries
        self._backoff_s = backoff_s
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="openai-engine")

    @property
    def has_chat_template(self) -> bool:
        return self._chat

    def _payload(self, r: GenerationRequest) -> tuple[str, dict]:
        body = {"model": self.model, "max_tokens": r.max_tokens, "temperature": r.temperature, "top_p": r.top_p}
        if r.stop:
            body["stop"] = list(r.stop)
        if r.json_schema:
            body["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": "output", "schema": r.json_schema}}
        if r.choices:  # vLLM's extensions; other servers ignore them and the caller checks the output
            body["structured_outputs"] = {"choice": list(r.choices)}
        elif r.regex:
            body["structured_outputs"] = {"regex": r.regex}
        if r.seed is not None:  # honoured by vLLM's server; best effort elsewhere
            body["seed"] = r.seed
        if isinstance(r.prompt, str):
            return "/completions", {**body, "prompt": r.prompt}
        return "/chat/completions", {**body, "messages": r.prompt}

    def _one(self, r: GenerationRequest) -> Generation:
        import httpx

        path, body = self._payload(r)
        start, error = time.perf_counter(), ""
        for attempt in range(self._max_retries + 1):
            if attempt:
                time.sleep(self._backoff_s * 2 ** (attempt - 1))
            try:
                resp = self._client.post(path, json=body)
            except httpx.TransportError as e:
                error = f"{type(e).__name__}: {e}"
                continue
            if resp.status_code in RETRY_STATUS:
                error = f"HTTP {resp.status_code}"
                continue
            if resp.status_code != 200:
                return Generation("", 0, 0, time.perf_counter() - start,
                                  error=f"HTTP {resp.status_code}: {resp.text[:200]}")
            data = resp.json()
            choice = data["choices"][0]
            text = choice["message"]["content"] if "message" in choice else choice["text"]
            usage = data.get("usage") or {}
            cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0  # where the server says
            return Generation(text or "", usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0),
                              time.perf_counter() - start, cached_tokens=cached)
        return Generation("", 0, 0, time.perf_counter() - start,
                          error=f"gave up after {self._max_retries + 1} attempts: {error}")

    def generate(self, requests: list[GenerationRequest]) -> list[Generation]:
        return list(self._pool.map(self._one, requests))

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._client.close()
