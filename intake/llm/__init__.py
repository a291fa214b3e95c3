"""The LLM-backed assistant (issue 5): structured outputs from an OpenAI-compatible API, checked
by the domain rules, with the rule engine answering whenever the model cannot.

    config = LlmConfig(api_key=..., base_url=None, model="gpt-4o-mini")
    gateway = LlmGateway(config, ledger)          # one per process: breaker, budgets, usage
    assistant = OpenAIAssistant(gateway)          # an intake.assistant.Assistant
    embedder = OpenAIEmbedder(gateway)            # an intake.similarity.Embedder

The names are loaded when first used: importing ``intake.llm.prompts`` (the log redaction uses
its ``redact``) must not import the openai package, which takes a second.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from intake.llm.assistant import OpenAIAssistant
    from intake.llm.client import CircuitBreaker, LlmConfig, LlmGateway, LlmUnavailable
    from intake.llm.embeddings import OpenAIEmbedder
    from intake.llm.prompts import redact, scrub

_WHERE = {
    "OpenAIAssistant": "intake.llm.assistant",
    "CircuitBreaker": "intake.llm.client",
    "LlmConfig": "intake.llm.client",
    "LlmGateway": "intake.llm.client",
    "LlmUnavailable": "intake.llm.client",
    "OpenAIEmbedder": "intake.llm.embeddings",
    "redact": "intake.llm.prompts",
    "scrub": "intake.llm.prompts",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_WHERE[name]), name)


__all__ = [
    "CircuitBreaker",
    "LlmConfig",
    "LlmGateway",
    "LlmUnavailable",
    "OpenAIAssistant",
    "OpenAIEmbedder",
    "redact",
    "scrub",
]
