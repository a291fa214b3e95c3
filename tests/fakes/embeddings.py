"""A deterministic stand-in for an embedding model, for tests and the fake OpenAI server.

``fake_embedding(text)`` hashes the normalised word stems of ``text`` (``intake.ask_terms.terms``:
the same synonym map, stop words and stemming as the lexical measure) into ``DIMENSIONS``
buckets, each with a sign from the hash so collisions cancel out rather than add up, and
L2-normalises the result. Texts sharing their words get a high cosine, others near 0; the same
text always gets the same vector, in every process (``hashlib``, not ``hash()``).

    embedder = FakeEmbedder()
    vectors = embedder.embed(["postgres db for billing", "pg database for billing"])
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

from intake.ask_terms import terms

DIMENSIONS = 256


def _bucket(term: str) -> tuple[int, float]:
    digest = hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest()
    number = int.from_bytes(digest, "big")
    return number % DIMENSIONS, 1.0 if (number >> 63) & 1 else -1.0


def fake_embedding(text: str, dimensions: int = DIMENSIONS) -> list[float]:
    """A unit vector of ``dimensions`` floats for ``text`` (all zeros when it has no words
    that count)."""
    vector = [0.0] * dimensions
    for term in terms(text):
        index, sign = _bucket(term)
        vector[index % dimensions] += sign
    norm = math.sqrt(sum(value * value for value in vector))
    return [value / norm for value in vector] if norm else vector


class FakeEmbedder:
    """An ``intake.similarity.Embedder``. ``available=False`` answers ``None`` (embeddings
    unavailable); ``calls`` records every batch asked for."""

    def __init__(self, *, available: bool = True, dimensions: int = DIMENSIONS) -> None:
        self.available = available
        self.dimensions = dimensions
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> list[list[float]] | None:
        self.calls.append(list(texts))
        if not self.available:
            return None
        return [fake_embedding(text, self.dimensions) for text in texts]
