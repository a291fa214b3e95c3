"""``OpenAIEmbedder``: vectors for texts (to find similar asks), or None when the model cannot
answer. It satisfies ``intake.similarity.Embedder``: ``embed(texts) -> list[list[float]] | None``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from intake.ports import TokenLedger
from llm.client import LlmConfig, LlmGateway, LlmUnavailable
from llm.prompts import scrub

log = logging.getLogger(__name__)


class OpenAIEmbedder:
    """Embeddings through the gateway (its breaker, budgets and usage count apply). Give it the
    ``LlmGateway`` the assistant uses, or a ``LlmConfig`` (and the shared ledger)."""

    def __init__(self, source: LlmConfig | LlmGateway, ledger: TokenLedger | None = None) -> None:
        self.gateway = source if isinstance(source, LlmGateway) else LlmGateway(source, ledger)

    def embed(self, texts: Sequence[str]) -> list[list[float]] | None:
        """One vector per text, in order; None on any failure (logged as one warning line)."""
        if not texts:
            return []
        try:
            return self.gateway.embed([scrub(text) for text in texts])
        except LlmUnavailable as error:
            log.warning("llm embed: %s; no vectors", error.reason)
        except Exception as error:
            log.warning("llm embed: error %s; no vectors", type(error).__name__)
        return None
