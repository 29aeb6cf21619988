"""Plain-Python test doubles shared by the unit tests of LLM-driven components."""

from __future__ import annotations

from propersim.llm.engine import Engine, Generation, GenerationRequest


class ScriptedEngineBase(Engine):
    """An Engine whose answers come from :meth:`answer`; records every batch in ``calls``."""

    model = "scripted"

    def __init__(self, chat: bool = True):
        self.chat = chat
        self.calls: list[list[GenerationRequest]] = []

    @property
    def has_chat_template(self) -> bool:
        return self.chat

    def generate(self, requests):
        self.calls.append(list(requests))
        return self.answer(list(requests))

    def answer(self, requests: list[GenerationRequest]) -> list[Generation]:
        raise NotImplementedError
