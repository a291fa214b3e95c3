"""The LLM-backed assistant (issue 5): structured outputs from an OpenAI-compatible API, checked
by the domain rules, with the rule engine answering whenever the model cannot.

    config = LlmConfig(api_key=..., base_url=None, model="gpt-4o-mini")
    gateway = LlmGateway(config, ledger)          # one per process: breaker, budgets, usage
    assistant = OpenAIAssistant(gateway)          # an intake.assistant.Assistant
    embedder = OpenAIEmbedder(gateway)            # an intake.similarity.Embedder
"""

from intake.llm.assistant import OpenAIAssistant
from intake.llm.client import CircuitBreaker, LlmConfig, LlmGateway, LlmUnavailable
from intake.llm.embeddings import OpenAIEmbedder
from intake.llm.prompts import redact, scrub

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
