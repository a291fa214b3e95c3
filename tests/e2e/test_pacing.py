"""PacedWebClient against the fake Slack Web API over HTTP, with Slack-like rate limits:
fan-outs are delivered once with few 429s, a click during a fan-out is answered quickly, and
clients that share a pace store (replicas) keep to one limit together. Behaviour tests with
generous bounds; benchmarks/fanout.py measures the figures."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from slack_bolt import Ack, App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.pacing import CURRENT_LANE, Lane, PacedWebClient, Pacer, lane, pace_bolt_app
from storage.db import make_engine
from storage.pace import MemoryPaceStore, PaceStore, SqlPaceStore
from tests.fakes.slack_api import FakeSlack
from tests.fakes.test_fake_slack import post_each

POST = "chat.postMessage"


def paced(fake: FakeSlack, store: PaceStore, **kwargs: Any) -> PacedWebClient:
    return PacedWebClient(token=fake.bot_token, base_url=fake.api_url, pacer=Pacer(store), **kwargs)


def slack_limits(fake: FakeSlack, per_minute: float, burst: float) -> None:
    """chat.postMessage as Slack limits it: ~1/s per channel and a workspace-wide limit."""
    fake.set_rate(POST, per_minute=60, burst=1, per_channel=True)
    fake.set_workspace_rate(POST, per_minute=per_minute, burst=burst)


def nudge(client: WebClient, owners: list[str]) -> None:
    with lane(Lane.BULK):
        for owner in owners:
            client.chat_postMessage(channel=owner, text=f"A milestone of yours is due, {owner}")


def assert_each_got_one(fake: FakeSlack, owners: list[str]) -> None:
    counts = {owner: len(fake.bot_messages(fake.dm_channel(owner))) for owner in owners}
    assert {owner: n for owner, n in counts.items() if n != 1} == {}


def owners(n: int, prefix: str = "U0OWNER") -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(n)]


# -- the fake's workspace-wide limit -------------------------------------------------------


def test_the_fake_limits_chat_post_message_per_workspace_across_channels(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.expect_violations()
    slack_limits(fake_slack, per_minute=60, burst=3)
    client = WebClient(token=fake_slack.bot_token, base_url=fake_slack.api_url)
    answers = post_each(client, ("C1", "C2", "C3", "C4"))
    assert answers == [(200, None), (200, None), (200, None), (429, "1")]
    assert fake_slack.ratelimited_by == {(POST, "workspace"): 1}
    with pytest.raises(SlackApiError):  # another channel, but the workspace is rate limited
        client.chat_postMessage(channel="C5", text="right away")
    assert fake_slack.violations[0][1].startswith("called while rate limited")


# -- 429 handling --------------------------------------------------------------------------


def test_a_429_is_retried_after_retry_after_and_slows_the_method(fake_slack: FakeSlack) -> None:
    store = MemoryPaceStore()
    client = paced(fake_slack, store)
    client.chat_postMessage(channel="C1", text="warm up")
    fake_slack.rate_limit(POST, times=1, retry_after=1)
    assert client.chat_postMessage(channel="C2", text="eventually")["ok"]
    first, second = fake_slack.calls_to(POST)[1:]
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 1.0 - 0.05
    assert store.rate(POST) < 300  # slowed down
    assert len(fake_slack.messages("C2")) == 1


def test_a_429_that_persists_is_raised_after_the_retries(fake_slack: FakeSlack) -> None:
    client = paced(fake_slack, MemoryPaceStore(), max_rate_limit_retries=1)
    fake_slack.rate_limit(POST, times=2, retry_after=1)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="no luck")
    assert raised.value.response.status_code == 429
    assert [c.status for c in fake_slack.calls_to(POST)] == [429, 429]


class SpyPacer(Pacer):
    """Records what it paced."""

    def __init__(self, store: PaceStore) -> None:
        super().__init__(store)
        self.acquired: list[tuple[str, str | None, Lane]] = []

    def acquire(self, method: str, channel: str | None = None, lane: Lane | None = None) -> None:
        super().acquire(method, channel, lane)
        self.acquired.append((method, channel, lane or CURRENT_LANE.get()))


@pytest.mark.parametrize("paced_app", [False, True], ids=["app-client-only", "pace_bolt_app"])
def test_bolt_listeners_get_a_paced_client_only_with_pace_bolt_app(
    fake_slack: FakeSlack, paced_app: bool
) -> None:
    pacer = SpyPacer(MemoryPaceStore())
    app = App(
        client=PacedWebClient(token=fake_slack.bot_token, base_url=fake_slack.api_url, pacer=pacer),
        signing_secret="unused",
        token_verification_enabled=False,
        request_verification_enabled=False,
    )
    if paced_app:
        pace_bolt_app(app, pacer)
    clients: list[type[WebClient]] = []

    @app.command("/intake")
    def on_command(ack: Ack, client: WebClient, command: dict[str, Any]) -> None:
        ack()
        clients.append(type(client))
        client.chat_postMessage(channel=command["channel_id"], text="On it")
        with lane(Lane.BULK):
            client.chat_postMessage(channel=command["user_id"], text="(a digest)")

    body = "command=%2Fintake&text=db&user_id=U1&channel_id=C1&team_id=T0001&trigger_id=1.2.3"
    response = app.dispatch(
        BoltRequest(body=body, headers={"content-type": ["application/x-www-form-urlencoded"]})
    )
    assert response.status == 200
    fake_slack.wait_for(POST, count=2)
    if paced_app:
        assert clients == [PacedWebClient]
        assert pacer.acquired == [(POST, "C1", Lane.INTERACTIVE), (POST, "U1", Lane.BULK)]
    else:  # Bolt builds a plain WebClient per request, whatever the app's client is
        assert clients == [WebClient]
        assert pacer.acquired == []


# -- fan-outs and lanes --------------------------------------------------------------------


def test_a_burst_of_bulk_sends_is_delivered_once_with_few_429s(fake_slack: FakeSlack) -> None:
    slack_limits(fake_slack, per_minute=1200, burst=10)
    everyone = owners(100)
    nudge(paced(fake_slack, MemoryPaceStore()), everyone)
    assert_each_got_one(fake_slack, everyone)
    assert fake_slack.ratelimited[POST] <= 5
    # the fixture fails the test if a call ignored a Retry-After


def test_an_interactive_reply_goes_out_quickly_during_a_bulk_fan_out(
    fake_slack: FakeSlack,
) -> None:
    slack_limits(fake_slack, per_minute=1200, burst=10)
    store = MemoryPaceStore()
    bulk = threading.Thread(target=nudge, args=(paced(fake_slack, store), owners(100)))
    bulk.start()
    clicks = paced(fake_slack, store)  # same process, same pacer store
    latencies = []
    # The fan-out is in full swing: past the 10-message burst, held to the workspace's rate.
    fake_slack.wait_for(POST, lambda c: c.ok, count=15, timeout=30)
    n = 0
    while bulk.is_alive():
        start = time.monotonic()
        clicks.chat_postMessage(channel=f"C0CLICK{n % 10}", text=f"Approved ({n})")
        latencies.append(time.monotonic() - start)
        n += 1
        time.sleep(0.25)
    bulk.join()
    assert_each_got_one(fake_slack, owners(100))
    assert len(latencies) >= 10
    assert max(latencies) < 1.5, latencies


# -- replicas ------------------------------------------------------------------------------


def two_replicas_fan_out(fake: FakeSlack, store_a: PaceStore, store_b: PaceStore) -> float:
    """Two clients, each with its own Pacer, split a fan-out; the elapsed time it returns shows
    whether they shared what they learned (unshared stores each learn the limit alone and take
    about 2.5 times as long). Neither may call while a Retry-After lasts, except in the moment
    it takes the one that got the 429 to record it: a call the other sent then could not know
    (real Slack answers it 429 too). At most two such calls, each within 0.25 s of the 429."""
    slack_limits(fake, per_minute=1200, burst=10)
    fake.expect_violations()
    elapsed = _fan_out(fake, store_a, store_b)
    calls, violations, _ = fake.recorded()
    retry_after = max((float(c.retry_after or 0) for c in calls), default=0.0)
    left = [float(m.group(1)) for _, r in violations if (m := _LEFT.search(r))]
    assert len(violations) == len(left) <= 2, violations
    assert all(seconds >= retry_after - 0.25 for seconds in left), (retry_after, left)
    return elapsed


_LEFT = re.compile(r"called while rate limited \((\d+\.\d+)s of Retry-After left\)")


def _fan_out(fake: FakeSlack, store_a: PaceStore, store_b: PaceStore) -> float:
    everyone = owners(100)
    start = time.monotonic()
    with ThreadPoolExecutor(2) as pool:
        done = [
            pool.submit(nudge, paced(fake, store_a), everyone[0::2]),
            pool.submit(nudge, paced(fake, store_b), everyone[1::2]),
        ]
        for future in done:
            future.result()
    assert_each_got_one(fake, everyone)
    return time.monotonic() - start


def test_two_clients_sharing_a_memory_store_keep_to_one_limit(fake_slack: FakeSlack) -> None:
    store = MemoryPaceStore()
    elapsed = two_replicas_fan_out(fake_slack, store, store)
    assert fake_slack.ratelimited[POST] <= 5
    assert elapsed < (100 - 10) / 20 * 2.5


@pytest.fixture
def pace_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def test_two_replicas_sharing_the_database_keep_to_one_limit(
    fake_slack: FakeSlack, pace_engine: Engine
) -> None:
    # One engine each, as two processes would have.
    other = make_engine(pace_engine.url)
    try:
        elapsed = two_replicas_fan_out(fake_slack, SqlPaceStore(pace_engine), SqlPaceStore(other))
    finally:
        other.dispose()
    assert fake_slack.ratelimited[POST] <= 5
    assert elapsed < (100 - 10) / 20 * 2.5
    assert SqlPaceStore(pace_engine).rate(POST) > 0  # what they learned is in the database
