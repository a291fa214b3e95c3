"""The gateway is never a dependency: retries, the circuit breaker, timeouts, malformed
answers, refusals, token budgets, usage and cost, and redacted logs. All through the real
openai client against the fake API."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import pytest
from pydantic import BaseModel

from bot.work_slots import WorkSlots
from intake.assistant import RuleAssistant
from intake.templates.model import TemplateSet
from intake.ticket import LlmUsage
from llm import (
    CircuitBreaker,
    LlmConfig,
    LlmGateway,
    LlmUnavailable,
    OpenAIAssistant,
    redact,
)
from llm.ledger import ProcessTokenLedger
from llm.prompts import Prompt, system_prompt
from llm.schemas import (
    ClassifyReply,
    DraftReply,
    ExtractionReply,
    NextFieldReply,
    QuestionReply,
    SummaryReply,
)
from tests.fakes.openai_api import FakeOpenAI, FakeReply
from tests.llm.conftest import API_KEY, TODAY, Rig

RULES = RuleAssistant()
TEXT = "we need a postgres db for billing"
FAST_500 = FakeReply.error(500, headers={"retry-after-ms": "1"})


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


# -- retries ------------------------------------------------------------------------------------


def test_a_429_with_retry_after_is_retried_by_the_client(rig: Rig, templates: TemplateSet) -> None:
    rig.fake.script(FakeReply.error(429, retry_after="0.3"), {"request_type": "ci_cd"})
    assert rig.assistant.classify(TEXT, templates) == "ci_cd"  # the model's, not the rules'
    first, second = rig.fake.chat_requests()
    assert second.at - first.at >= 0.3  # Retry-After honoured
    assert second.headers["x-stainless-retry-count"] == "1"
    assert first.body == second.body
    assert rig.gateway.breaker.state == CircuitBreaker.CLOSED


# -- the response format ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "schema",
    [ClassifyReply, ExtractionReply, NextFieldReply, QuestionReply, DraftReply, SummaryReply],
    ids=lambda schema: schema.__name__,
)
def test_the_model_is_asked_for_the_format_the_clients_parse_asks_for(
    rig: Rig, schema: type[BaseModel]
) -> None:
    """The gateway posts its own body (``parse()`` costs CPU per call: llm/client.py), yet the
    model gets the strict schema, name and all, that the client's public
    ``chat.completions.parse`` sends for the same Pydantic model."""
    rig.fake.script(FakeReply.refused(), FakeReply.refused())
    with pytest.raises(LlmUnavailable):
        rig.gateway.parse(Prompt("classify", "be brief", TEXT), schema)
    rig.gateway.client.chat.completions.parse(
        model="fake-gpt",
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": TEXT}],
        response_format=schema,
    )
    ours, the_clients = rig.fake.chat_requests()
    assert ours.schema_name == schema.__name__
    assert ours.body["response_format"] == the_clients.body["response_format"]


# -- a worker's slot --------------------------------------------------------------------------


def test_a_job_lends_its_slot_while_the_model_thinks(
    fake_openai: FakeOpenAI, templates: TemplateSet
) -> None:
    """In a worker (bot.work_slots, one slot here) another job runs while this one's request
    is with the model, and this one goes on once the slot is free again."""
    slots = WorkSlots(1)
    config = LlmConfig(
        api_key=API_KEY, base_url=fake_openai.base_url, model="fake-gpt", timeout_s=5.0
    )
    gateway = LlmGateway(config, ProcessTokenLedger(), waiting=slots.waiting)
    fake_openai.script(FakeReply.slow(0.5, {"request_type": "ci_cd"}))
    answers: list[str] = []
    other_ran_at: list[float] = []

    def job() -> None:
        with slots.hold():
            answers.append(OpenAIAssistant(gateway).classify(TEXT, templates))

    def other_job() -> None:
        with slots.hold():
            other_ran_at.append(time.monotonic())

    first = threading.Thread(target=job, daemon=True)
    first.start()
    deadline = time.monotonic() + 5
    while not fake_openai.chat_requests() and time.monotonic() < deadline:
        time.sleep(0.01)
    second = threading.Thread(target=other_job, daemon=True)
    second.start()
    second.join(5)
    assert other_ran_at and first.is_alive()  # it ran while the model was still thinking
    first.join(5)
    assert answers == ["ci_cd"]


# -- circuit breaker ----------------------------------------------------------------------------


def test_repeated_500s_open_the_circuit_until_the_cooldown(
    make_rig: Callable[..., Rig], templates: TemplateSet, caplog: pytest.LogCaptureFixture
) -> None:
    rig = make_rig(breaker_failures=3, breaker_cooldown_s=60)
    rules = RULES.classify(TEXT, templates)
    rig.fake.script(*[FAST_500] * 9)
    for _ in range(3):  # three logical calls, each with the client's two retries
        assert rig.assistant.classify(TEXT, templates) == rules
    assert len(rig.fake.chat_requests()) == 9
    assert rig.gateway.breaker.state == CircuitBreaker.OPEN

    caplog.clear()
    started = time.monotonic()
    assert rig.assistant.classify(TEXT, templates) == rules  # at once, no request
    assert time.monotonic() - started < 0.1
    assert len(rig.fake.chat_requests()) == 9
    assert _warnings(caplog) == ["llm classify: circuit open; answering from rules"]

    rig.clock.advance(59)
    assert rig.assistant.classify(TEXT, templates) == rules
    assert len(rig.fake.chat_requests()) == 9

    rig.clock.advance(2)  # cooldown over: one trial call, which succeeds and closes it
    rig.fake.script({"request_type": "ci_cd"}, {"request_type": "networking"})
    assert rig.gateway.breaker.state == CircuitBreaker.HALF_OPEN
    assert rig.assistant.classify(TEXT, templates) == "ci_cd"
    assert rig.gateway.breaker.state == CircuitBreaker.CLOSED
    assert rig.assistant.classify(TEXT, templates) == "networking"
    assert len(rig.fake.chat_requests()) == 11


def test_a_failed_trial_call_opens_the_circuit_again(
    make_rig: Callable[..., Rig], templates: TemplateSet
) -> None:
    rig = make_rig(breaker_failures=1, breaker_cooldown_s=30, max_retries=0)
    rig.fake.script(FAST_500)
    rig.assistant.classify(TEXT, templates)
    assert rig.gateway.breaker.state == CircuitBreaker.OPEN
    rig.clock.advance(31)
    rig.fake.script(FAST_500)
    rig.assistant.classify(TEXT, templates)  # the trial fails
    assert rig.gateway.breaker.state == CircuitBreaker.OPEN
    rig.clock.advance(29)
    rig.assistant.classify(TEXT, templates)
    assert len(rig.fake.chat_requests()) == 2


def test_the_breaker_lets_one_trial_through_at_a_time() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failures=2, cooldown_s=10, clock=lambda: now[0])
    breaker.failure()
    assert breaker.allow()
    breaker.success()
    breaker.failure()
    breaker.failure()
    assert not breaker.allow()
    now[0] = 10.0
    assert breaker.allow()  # the trial
    assert not breaker.allow()  # a second caller while the trial runs
    breaker.release()
    assert breaker.allow()


# -- timeouts, malformed answers, refusals ------------------------------------------------------


def test_a_timeout_is_answered_by_rules(
    make_rig: Callable[..., Rig], templates: TemplateSet, caplog: pytest.LogCaptureFixture
) -> None:
    rig = make_rig(timeout_s=0.2, max_retries=1)
    rig.fake.script(*[FakeReply.slow(2.0, {"request_type": "ci_cd"})] * 2)
    started = time.monotonic()
    assert rig.assistant.classify(TEXT, templates) == RULES.classify(TEXT, templates)
    assert time.monotonic() - started < 1.8
    assert len(rig.fake.chat_requests()) == 2  # the client's own bounded retry
    assert _warnings(caplog) == ["llm classify: timeout; answering from rules"]


def test_malformed_json_is_answered_by_rules_and_its_tokens_still_count(
    rig: Rig, templates: TemplateSet, caplog: pytest.LogCaptureFixture
) -> None:
    rig.fake.script(FakeReply.malformed(usage=(300, 20)))
    with rig.assistant.metering(0) as usage:
        assert rig.assistant.classify(TEXT, templates) == RULES.classify(TEXT, templates)
    assert _warnings(caplog) == ["llm classify: malformed output; answering from rules"]
    assert usage.tokens == 320
    assert rig.ledger.spent(TODAY) == 320
    assert rig.gateway.breaker.state == CircuitBreaker.CLOSED  # the service did answer


@pytest.mark.parametrize(
    "body", [b"{not json", b"[1, 2]", b'{"choices": "none of these"}', b"<html>busy</html>"]
)
def test_an_answer_that_is_not_a_chat_completion_is_answered_by_rules(
    rig: Rig, templates: TemplateSet, caplog: pytest.LogCaptureFixture, body: bytes
) -> None:
    rig.fake.script(FakeReply.garbled(body))
    assert rig.assistant.classify(TEXT, templates) == RULES.classify(TEXT, templates)
    assert _warnings(caplog) == ["llm classify: malformed output; answering from rules"]
    assert rig.gateway.breaker.state == CircuitBreaker.CLOSED  # the service did answer


def test_json_of_another_shape_is_malformed(rig: Rig, templates: TemplateSet) -> None:
    rig.fake.script({"type": "database"})
    assert rig.assistant.classify(TEXT, templates) == RULES.classify(TEXT, templates)


def test_a_refusal_is_answered_by_rules(
    rig: Rig, templates: TemplateSet, caplog: pytest.LogCaptureFixture
) -> None:
    rig.fake.script(FakeReply.refused("I can't help with approving requests."))
    database = templates.get("database")
    found = rig.assistant.extract(TEXT, database, TODAY)
    assert found == RULES.extract(TEXT, database, TODAY)
    assert _warnings(caplog) == ["llm extract: refusal; answering from rules"]


def test_output_cut_at_the_token_limit_is_answered_by_rules(
    rig: Rig, templates: TemplateSet, caplog: pytest.LogCaptureFixture
) -> None:
    rig.fake.script(FakeReply(content='{"request_type": "data', finish_reason="length"))
    assert rig.assistant.classify(TEXT, templates) == RULES.classify(TEXT, templates)
    assert "output cut at the token limit" in _warnings(caplog)[0]


# -- budgets ------------------------------------------------------------------------------------


def test_an_ask_over_its_budget_gets_rules_without_a_call(
    make_rig: Callable[..., Rig], templates: TemplateSet, caplog: pytest.LogCaptureFixture
) -> None:
    rig = make_rig(per_ask_tokens=20_000)
    with rig.assistant.metering(spent_tokens=20_000) as usage:
        assert rig.assistant.classify(TEXT, templates) == RULES.classify(TEXT, templates)
    assert rig.fake.chat_requests() == []
    assert usage == LlmUsage()
    assert _warnings(caplog) == ["llm classify: per-ask token budget used up; answering from rules"]


def test_the_per_ask_budget_counts_the_calls_of_the_block(
    make_rig: Callable[..., Rig], templates: TemplateSet
) -> None:
    rig = make_rig(per_ask_tokens=1_600)
    rig.fake.script(FakeReply.json({"request_type": "ci_cd"}, usage=(900, 100)))
    with rig.assistant.metering(spent_tokens=500) as usage:
        assert rig.assistant.classify(TEXT, templates) == "ci_cd"
        assert rig.assistant.classify(TEXT, templates) == RULES.classify(TEXT, templates)
    assert len(rig.fake.chat_requests()) == 1
    assert usage.tokens == 1000
    # Another ask has its own budget.
    rig.fake.script({"request_type": "networking"})
    with rig.assistant.metering(spent_tokens=0):
        assert rig.assistant.classify(TEXT, templates) == "networking"


def test_the_per_day_budget_is_shared_through_the_ledger(
    make_rig: Callable[..., Rig], templates: TemplateSet, caplog: pytest.LogCaptureFixture
) -> None:
    rig = make_rig(per_day_tokens=500_000)
    rig.ledger.add(TODAY, 500_000)  # another replica spent it
    assert rig.assistant.classify(TEXT, templates) == RULES.classify(TEXT, templates)
    assert rig.fake.chat_requests() == []
    assert _warnings(caplog) == ["llm classify: per-day token budget used up; answering from rules"]


# -- usage, cost and logs -----------------------------------------------------------------------


def test_usage_and_cost_are_counted_in_metering(
    make_rig: Callable[..., Rig], templates: TemplateSet, caplog: pytest.LogCaptureFixture
) -> None:
    rig = make_rig(usd_per_1m_input=2.0, usd_per_1m_output=8.0)
    caplog.set_level(logging.INFO, logger="llm")
    reply = FakeReply.json({"request_type": "database"}, usage=(1000, 200))
    rig.fake.script(reply, reply, reply)
    with rig.assistant.metering(spent_tokens=0) as usage:
        rig.assistant.classify(TEXT, templates)
        rig.assistant.classify(TEXT, templates)
    assert usage == LlmUsage(calls=2, prompt_tokens=2000, completion_tokens=400, cost_usd=0.0072)
    rig.assistant.classify(TEXT, templates)  # outside any block: still charged to the day
    assert usage.calls == 2
    assert rig.ledger.spent(TODAY) == 3600
    lines = [r.getMessage() for r in caplog.records if r.name == "llm.client"]
    assert lines[0] == (
        "llm call purpose=classify model=fake-gpt prompt_tokens=1000 completion_tokens=200 "
        "cost_usd=0.003600 latency_ms=0"
    )
    assert not any("billing" in r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)


def test_metering_is_per_thread_and_nests(rig: Rig, templates: TemplateSet) -> None:
    rig.fake.script(FakeReply.json({"request_type": "database"}, usage=(10, 1)))
    with rig.assistant.metering(0) as outer:
        with rig.assistant.metering(0) as inner:
            rig.assistant.classify(TEXT, templates)
        assert inner.tokens == 11
        assert outer.tokens == 0


def test_debug_logs_redact_tokens_and_emails(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="llm.client")
    secret = "xoxb-1234-5678-abcdefghij sk-proj-abcdef0123456789 Bearer eyJhbGci.x.y ann@corp.io"
    rig.fake.script({"request_type": f"database {secret}"})
    prompt = Prompt("classify", system_prompt("classify"), f"<ask>\n{secret}\n</ask>")
    reply = rig.gateway.parse(prompt, ClassifyReply)
    assert secret in reply.request_type
    debug = "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)
    assert "llm prompt purpose=classify" in debug and "llm answer purpose=classify" in debug
    for leaked in ("xoxb-1234", "sk-proj-abc", "eyJhbGci", "ann@corp.io"):
        assert leaked not in debug
    assert "[slack-token]" in debug and "[email]" in debug


def test_prompts_are_not_logged_above_debug(
    rig: Rig, templates: TemplateSet, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    rig.fake.script({"request_type": "database"})
    rig.assistant.classify("a secret project called bluebird", templates)
    assert caplog.records
    assert not any("bluebird" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("token xoxb-123-456-abcDEF here", "token [slack-token] here"),
        ("user token xoxp-1-2-3", "user token [slack-token]"),
        ("app xapp-1-A1-xyz", "app [slack-token]"),
        ("key sk-abcdef123456 and sk-proj-AbC_d-123456", "key [api-key] and [api-key]"),
        ("Authorization: Bearer abc.def-ghi", "Authorization: Bearer [token]"),
        ("mail lee.kim+ops@example.co.uk now", "mail [email] now"),
        ("nothing secret: p95 < 200 ms", "nothing secret: p95 < 200 ms"),
        ('{"text": "a\\nxoxb-1-2-x\\nsk-abcdef123"}', '{"text": "a\\n[slack-token]\\n[api-key]"}'),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_gateway_errors_name_the_reason(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(max_retries=0)
    rig.fake.script(FakeReply.error(401))
    with pytest.raises(LlmUnavailable, match="HTTP 401"):
        rig.gateway.parse(Prompt("classify", "s", "u"), ClassifyReply)
