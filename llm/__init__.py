"""The LLM-backed assistant (issue 5): structured outputs from an OpenAI-compatible API, checked
by the domain rules, with the rule engine answering whenever the model cannot.

The adapter to the model, beside ``storage`` (the database) and wired by ``bot.bootstrap``: it
implements the domain's ports (``intake.assistant.Assistant``, ``intake.similarity.Embedder``,
``intake.ports.TokenLedger``) and imports ``intake`` only, never ``storage`` or ``bot``
(``[tool.importlinter]`` in pyproject.toml). The domain never imports it.

    config = LlmConfig(api_key=..., base_url=None, model="gpt-4o-mini")
    gateway = LlmGateway(config, ledger)          # one per process: breaker, budgets, usage
                                                  # (no ledger: ledger.ProcessTokenLedger)
    assistant = OpenAIAssistant(gateway)          # an intake.assistant.Assistant
    embedder = OpenAIEmbedder(gateway)            # an intake.similarity.Embedder

The names are loaded when first used: importing ``llm.prompts`` (the log redaction uses
its ``redact``) must not import the openai package, which takes a second.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llm.assistant import OpenAIAssistant
    from llm.breaker import CircuitBreaker
    from llm.client import LlmConfig, LlmGateway, LlmUnavailable
    from llm.embeddings import OpenAIEmbedder
    from llm.prompts import redact, scrub

_WHERE = {
    "OpenAIAssistant": "llm.assistant",
    "CircuitBreaker": "llm.breaker",
    "LlmConfig": "llm.client",
    "LlmGateway": "llm.client",
    "LlmUnavailable": "llm.client",
    "OpenAIEmbedder": "llm.embeddings",
    "redact": "llm.prompts",
    "scrub": "llm.prompts",
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
