"""GET /metrics over real HTTP: ack latency by request kind, Web API calls by method and
status, 429s, the database gauges (outbox, asks, job runs), the LLM observer."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError

from bot.observability.metrics import Metrics, request_kind
from bot.serving import OpsApp
from intake.conversation import Source, Thread
from llm import LlmConfig, LlmGateway, LlmUnavailable
from llm.prompts import Prompt
from llm.schemas import ClassifyReply
from storage import job_runs, queue, slack_outbox
from storage.db import make_engine, transaction
from tests.e2e.conftest import REQUESTER
from tests.e2e.helpers import ASK, answered
from tests.fakes.fixtures import serve_wsgi
from tests.fakes.openai_api import FakeOpenAI, FakeReply
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_requests import SlackDriver
from tests.observability.conftest import ObservedBot, scrape, value


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def test_a_slash_command_is_one_command_ack(
    bot: ObservedBot, driver: SlackDriver, slack: FakeSlack
) -> None:
    response = answered(slack, lambda: driver.slash_command(REQUESTER, ASK))
    assert response.status == 200

    samples = bot.scrape()
    assert value(samples, "intake_ack_seconds_count", kind="command") == 1
    assert value(samples, "intake_slack_requests_total", kind="command", status="200") == 1
    took = value(samples, "intake_ack_seconds_sum", kind="command")
    assert took is not None and 0 < took <= response.elapsed_seconds
    # Slack's limit is 3 s: the ack is in a bucket well below it.
    assert value(samples, "intake_ack_seconds_bucket", kind="command", le="1.0") == 1
    assert value(samples, "intake_ack_seconds_count", kind="event") is None


def test_requests_are_timed_by_kind_and_status(
    bot: ObservedBot, driver: SlackDriver, slack: FakeSlack
) -> None:
    answered(slack, lambda: driver.message_im(REQUESTER, ASK))
    bad = SlackDriver(bot.events_url, "not-the-signing-secret", driver.fake)
    assert bad.slash_command(REQUESTER, "hello").status == 401
    samples = bot.scrape()
    assert value(samples, "intake_ack_seconds_count", kind="event") == 1
    assert value(samples, "intake_slack_requests_total", kind="event", status="200") == 1
    assert value(samples, "intake_slack_requests_total", kind="command", status="401") == 1


def test_the_bots_web_api_calls_are_counted_by_method_and_status(
    bot: ObservedBot, driver: SlackDriver, slack: FakeSlack
) -> None:
    answered(slack, lambda: driver.slash_command(REQUESTER, ASK))
    with pytest.raises(SlackApiError):
        bot.app.client.users_info(user="U0NOBODY")

    outcomes = Counter(
        (
            call.method,
            "ok" if call.status == 200 and call.response.get("ok") else call.response["error"],
        )
        for call in slack.calls
    )
    assert ("chat.postMessage", "ok") in outcomes
    assert outcomes[("users.info", "user_not_found")] == 1
    samples = bot.scrape()
    counted = {
        (dict(labels)["method"], dict(labels)["status"]): n
        for (name, labels), n in samples.items()
        if name == "intake_slack_api_calls_total"
    }
    assert counted == outcomes  # every call the fake saw, nothing else


def test_a_429_is_counted_and_the_call_retried(
    bot: ObservedBot, driver: SlackDriver, slack: FakeSlack
) -> None:
    slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    response = driver.slash_command(REQUESTER, ASK)
    assert response.status == 200

    def retried() -> bool:
        samples = bot.scrape()
        return bool(
            value(samples, "intake_slack_api_calls_total", method="chat.postMessage", status="ok")
        )

    eventually(retried, timeout=10)
    samples = bot.scrape()
    assert value(samples, "intake_slack_api_ratelimited_total", method="chat.postMessage") == 1
    assert (
        value(
            samples, "intake_slack_api_calls_total", method="chat.postMessage", status="ratelimited"
        )
        == 1
    )
    assert slack.ratelimited["chat.postMessage"] == 1


def test_outbox_depth_and_asks_by_status_come_from_the_database(
    make_bot: Callable[..., ObservedBot], database_url: str, clock: object
) -> None:
    bot = make_bot(
        database_url,
        intake_webhook_url="http://127.0.0.1:9/nobody-listens",
        intake_webhook_secret="webhook-secret-for-tests",
    )
    container = bot.container
    assert container is not None
    samples = bot.scrape()
    assert value(samples, "intake_database_up") == 1
    assert value(samples, "intake_outbox_depth", outbox="slack") == 0
    assert value(samples, "intake_outbox_oldest_age_seconds", outbox="slack") == 0
    assert value(samples, "intake_outbox_depth", outbox="webhook") == 0
    assert value(samples, "intake_asks", status="submitted") == 0
    assert value(samples, "intake_job_runs_total", job="digest") == 0
    assert value(samples, "intake_jobs_queued") == 0
    assert value(samples, "intake_jobs_oldest_age_seconds") == 0

    # Two asks: one left a draft, one submitted (which queues a webhook event that the
    # receiver, which is not there, does not take).
    for n, submit in enumerate((False, True)):
        started = container.intake.start(
            team_id="T0001", requester=REQUESTER, text=f"we need a postgres db for service-{n}",
            source=Source.DM, tz="UTC", thread=Thread("D0ALICE", f"1700000000.{n:06d}"),
        )  # fmt: skip
        assert started is not None and started.ticket.id is not None
        if submit:
            container.intake.submit(ask_id=started.ticket.id, user=REQUESTER, force=True)
    now = container.clock.now()
    with transaction(container.db_engine) as session:
        for n in range(3):
            slack_outbox.enqueue_message(
                session, key=f"nudge:T0001:U{n}:2026-W48", kind="nudge", team_id="T0001",
                channel=f"U0PERSON{n}", payload={"text": "your milestones"}, at=now,
            )  # fmt: skip
        slack_outbox.enqueue_message(  # not sendable before tomorrow: not counted
            session, key="nudge:T0001:later:2026-W48", kind="nudge", team_id="T0001",
            channel="U0LATER", payload={"text": "later"}, at=now,
            not_before=now + timedelta(days=1),
        )  # fmt: skip
        assert job_runs.claim_run(session, "digest", "2026-W48", "test", now)
        assert job_runs.claim_run(session, "nudge:T0001:U0OWEN", "2026-W48", "test", now)
        assert job_runs.claim_run(session, "nudge:T0001:U0KIM", "2026-W48", "test", now)
    with transaction(container.db_engine) as session:  # acked by serve, waiting for a worker
        for n in range(2):
            queue.enqueue(session, "command", {"command": "Start", "args": {"n": n}}, at=now)
    clock.advance(minutes=11)  # type: ignore[attr-defined]

    samples = bot.scrape()
    assert value(samples, "intake_asks", status="draft") == 1
    assert value(samples, "intake_asks", status="submitted") == 1
    assert value(samples, "intake_asks", status="accepted") == 0
    assert value(samples, "intake_outbox_depth", outbox="slack") == 3
    assert value(samples, "intake_outbox_oldest_age_seconds", outbox="slack") == 660
    assert value(samples, "intake_outbox_given_up", outbox="slack") == 0
    webhook_depth = value(samples, "intake_outbox_depth", outbox="webhook")
    assert webhook_depth is not None and webhook_depth >= 1
    assert value(samples, "intake_outbox_oldest_age_seconds", outbox="webhook") == 660
    assert value(samples, "intake_job_runs_total", job="digest") == 1
    assert value(samples, "intake_job_runs_total", job="nudge") == 2
    assert value(samples, "intake_job_last_run_timestamp_seconds", job="digest") == now.timestamp()
    assert value(samples, "intake_jobs_queued") == 2
    assert value(samples, "intake_jobs_oldest_age_seconds") == 660


def test_a_failing_database_leaves_its_gauges_out_not_the_page(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing' / 'intake.db'}")
    metrics = Metrics(engine)
    metrics.observe_slack_api("chat.postMessage", "ok")
    with serve_wsgi(OpsApp(engine, metrics)) as url:
        samples = scrape(f"{url}/metrics")
    assert value(samples, "intake_database_up") == 0
    assert not [name for name, _ in samples if name.startswith(("intake_asks", "intake_outbox"))]
    assert (
        value(samples, "intake_slack_api_calls_total", method="chat.postMessage", status="ok") == 1
    )


def test_without_metrics_there_is_no_metrics_page(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'intake.db'}")
    import urllib.error
    import urllib.request

    with serve_wsgi(OpsApp(engine)) as url, pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{url}/metrics", timeout=5)
    assert refused.value.code == 404


def test_two_metrics_objects_do_not_share_samples() -> None:
    first, second = Metrics(process=False), Metrics(process=False)
    first.observe_ack("command", 0.1, 200)
    assert b'intake_ack_seconds_count{kind="command"} 1.0' in first.exposition()
    assert b'intake_ack_seconds_count{kind="command"}' not in second.exposition()


def test_llm_calls_latency_tokens_and_outcomes(fake_openai: FakeOpenAI) -> None:
    metrics = Metrics(process=False)
    now = [100.0]
    gateway = LlmGateway(
        LlmConfig(
            api_key="sk-test-0123456789abcdef", base_url=fake_openai.base_url, model="fake-gpt",
            max_retries=0, breaker_failures=1, breaker_cooldown_s=60,
        ),
        clock=lambda: now[0],
    )  # fmt: skip
    assert metrics.watch_llm(gateway)
    prompt = Prompt(purpose="classify", system="Classify the ask.", user="a postgres db")
    fake_openai.script({"request_type": "database"}, FakeReply.error(500))
    assert gateway.parse(prompt, ClassifyReply).request_type == "database"
    with pytest.raises(LlmUnavailable):
        gateway.parse(prompt, ClassifyReply)  # HTTP 500: the breaker opens (1 failure)
    with pytest.raises(LlmUnavailable, match="circuit open"):
        gateway.parse(prompt, ClassifyReply)  # no call made

    text = metrics.exposition().decode()
    assert 'intake_llm_calls_total{outcome="ok",purpose="classify"} 1.0' in text
    assert 'intake_llm_calls_total{outcome="http_error",purpose="classify"} 1.0' in text
    assert 'intake_llm_calls_total{outcome="circuit_open",purpose="classify"} 1.0' in text
    assert 'intake_llm_seconds_count{purpose="classify"} 2.0' in text  # calls made only
    prompt_tokens = [
        line for line in text.splitlines()
        if line.startswith('intake_llm_tokens_total{kind="prompt",purpose="classify"}')
    ]  # fmt: skip
    assert prompt_tokens and float(prompt_tokens[0].rsplit(" ", 1)[1]) > 0
    assert 'intake_llm_tokens_total{kind="completion",purpose="classify"}' in text


def test_a_failing_llm_observer_never_fails_the_call(fake_openai: FakeOpenAI) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("metrics are down")

    gateway = LlmGateway(
        LlmConfig(api_key="sk-test-0123456789abcdef", base_url=fake_openai.base_url),
        observer=broken,
    )
    fake_openai.script({"request_type": "database"})
    prompt = Prompt(purpose="classify", system="Classify the ask.", user="a postgres db")
    assert gateway.parse(prompt, ClassifyReply).request_type == "database"


@pytest.mark.parametrize(
    ("body", "content_type", "kind"),
    [
        (b"command=%2Fintake&text=hi", "application/x-www-form-urlencoded", ("command", None)),
        (
            b"payload=%7B%22type%22%3A%22block_actions%22%7D",
            "application/x-www-form-urlencoded",
            ("block_actions", None),
        ),
        (
            b"payload=%7B%22type%22%3A%22view_submission%22%7D",
            "application/x-www-form-urlencoded",
            ("view_submission", None),
        ),
        (
            b"payload=%7B%22type%22%3A%22anything%20else%22%7D",
            "application/x-www-form-urlencoded",
            ("other", None),
        ),
        (
            b'{"type": "event_callback", "event": {"type": "app_mention"}}',
            "application/json",
            ("event", "app_mention"),
        ),
        (
            b'{"type": "url_verification", "challenge": "x"}',
            "application/json",
            ("url_verification", None),
        ),
        (b"{not json", "application/json", ("malformed", None)),
        (b"payload=%7Bnot", "application/x-www-form-urlencoded", ("malformed", None)),
        (b"ssl_check=1&token=x", "application/x-www-form-urlencoded", ("ssl_check", None)),
    ],
)
def test_request_kinds(body: bytes, content_type: str, kind: tuple[str, str | None]) -> None:
    assert request_kind(body, content_type) == kind


def test_the_oauth_install_pages_are_served_next_to_the_events(tmp_path: Path) -> None:
    """Multi-workspace mode: WsgiApp hands GET /slack/install and the redirect to Bolt."""
    import urllib.error
    import urllib.request

    from slack_bolt import App
    from slack_bolt.oauth.oauth_settings import OAuthSettings
    from slack_sdk.oauth.installation_store import FileInstallationStore
    from slack_sdk.oauth.state_store import FileOAuthStateStore

    from bot.serving import WsgiApp

    app = App(
        signing_secret="install-test-signing",
        oauth_settings=OAuthSettings(
            client_id="111.222",
            client_secret="install-test-client-secret",
            scopes=["chat:write"],
            install_path="/slack/install",
            redirect_uri_path="/slack/oauth_redirect",
            installation_store=FileInstallationStore(base_dir=str(tmp_path / "installs")),
            state_store=FileOAuthStateStore(expiration_seconds=600, base_dir=str(tmp_path / "st")),
        ),
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'intake.db'}")
    with serve_wsgi(WsgiApp(app, engine)) as url:
        with urllib.request.urlopen(f"{url}/slack/install", timeout=5) as page:
            assert page.status == 200
            assert "slack.com/oauth/v2/authorize" in page.read().decode()
        redirect = f"{url}/slack/oauth_redirect?error=access_denied"
        with urllib.request.urlopen(redirect, timeout=5) as failed:  # Bolt's page, not a 404
            assert "access_denied" in failed.read().decode()
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{url}/elsewhere", timeout=5)
        assert missing.value.code == 404
    engine.dispose()


@pytest.mark.parametrize(
    ("body", "content_type", "headers", "status"),
    [
        (b"[]", "application/json", {}, 400),
        (b"payload=%5B%5D", "application/x-www-form-urlencoded", {}, 400),
        (b"[" * 50_000 + b"]" * 50_000, "application/json", {}, 400),
        (b"payload=\xff\xfe", "application/x-www-form-urlencoded", {}, 400),
        (
            b"command=%2Fintake",
            "application/x-www-form-urlencoded",
            {"X-Slack-Signature": "v0=é"},
            401,
        ),
        (
            b"command=%2Fintake",
            "application/x-www-form-urlencoded",
            {"X-Slack-Request-Timestamp": "soon"},
            401,
        ),
    ],
)
def test_bodies_and_headers_bolt_cannot_read_are_refused_and_counted(
    bot: ObservedBot,
    driver: SlackDriver,
    body: bytes,
    content_type: str,
    headers: dict[str, str],
    status: int,
) -> None:
    sent = {**driver.sign(body), **headers}
    response = driver.send_raw(body, content_type, sent, sign=False)
    assert response.status == status
    samples = bot.scrape()
    counted = sum(
        n for (name, labels), n in samples.items()
        if name == "intake_slack_requests_total" and dict(labels)["status"] == str(status)
    )  # fmt: skip
    assert counted == 1
