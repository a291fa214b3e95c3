"""OpenAIEmbedder through the real openai client against the fake API."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import pytest

from intake.similarity import Embedder
from llm import LlmGateway, OpenAIEmbedder
from tests.fakes.openai_api import FakeReply
from tests.llm.conftest import TODAY, Rig


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / (
        math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    )


def test_embeddings_come_back_in_order_and_similar_texts_are_close(rig: Rig) -> None:
    embedder: Embedder = OpenAIEmbedder(rig.gateway)
    texts = [
        "postgres database for the billing service",
        "a postgres database for billing",
        "rotate the tls certificates on the edge proxies",
    ]
    with rig.assistant.metering(0) as usage:
        vectors = embedder.embed(texts)
    assert vectors is not None and len(vectors) == 3
    assert all(len(v) == 256 for v in vectors)
    assert _cosine(vectors[0], vectors[1]) > 0.5 > _cosine(vectors[0], vectors[2])
    [request] = rig.fake.embedding_requests()
    assert request.body["model"] == "fake-embedding"
    assert request.body["input"] == texts
    assert usage.calls == 1 and usage.prompt_tokens > 0
    assert rig.ledger.spent(TODAY) == usage.prompt_tokens


def test_no_vectors_on_failure_or_open_circuit(
    make_rig: Callable[..., Rig], caplog: pytest.LogCaptureFixture
) -> None:
    rig = make_rig(breaker_failures=1, max_retries=0)
    embedder = OpenAIEmbedder(rig.gateway)
    rig.fake.script_embeddings(FakeReply.error(503))
    assert embedder.embed(["postgres for billing"]) is None
    assert embedder.embed(["postgres for billing"]) is None  # the circuit is open: no request
    assert len(rig.fake.embedding_requests()) == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["llm embed: HTTP 503; no vectors", "llm embed: circuit open; no vectors"]


def test_embeddings_respect_the_day_budget(rig: Rig) -> None:
    rig.ledger.add(TODAY, 10_000_000)
    assert OpenAIEmbedder(rig.gateway).embed(["postgres for billing"]) is None
    assert rig.fake.embedding_requests() == []


def test_embedder_from_config_and_no_texts(rig: Rig) -> None:
    embedder = OpenAIEmbedder(rig.gateway.config)
    assert isinstance(embedder.gateway, LlmGateway)
    assert embedder.embed([]) == []
    assert embedder.embed(["hello world"]) is not None
