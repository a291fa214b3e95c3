"""`serve`'s HTTP face in the multi-workspace install: GET /slack/install and
/slack/oauth_redirect reach Bolt's OAuth flow through WsgiApp, next to POST /slack/events;
with a bot token they stay 404."""

from __future__ import annotations

import io
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from slack_bolt import App

from bot.serving import WsgiApp, close_when_idle, create_server, run_in_thread
from storage import db
from tests.e2e.helpers import wait_for_bot
from tests.fakes.slack_requests import SlackDriver
from tests.multiworkspace.conftest import (
    REQUESTER,
    SIGNING_SECRET,
    T1,
    MultiBot,
    MultiWorkspaceSlack,
    bearer,
)


@pytest.fixture
def served(multi_bot: MultiBot) -> Iterator[MultiBot]:
    server = create_server(WsgiApp(multi_bot.app, multi_bot.container.db_engine), "127.0.0.1", 0)
    run_in_thread(server, "multi-bot")
    try:
        yield MultiBot(
            multi_bot.container, multi_bot.app, f"http://127.0.0.1:{server.effective_port}"
        )
    finally:
        close_when_idle(server)


def test_install_redirect_and_events_are_served_by_wsgiapp(
    served: MultiBot, multi_slack: MultiWorkspaceSlack
) -> None:
    assert served.install(multi_slack, T1).status == 200
    driver = SlackDriver(served.events_url, SIGNING_SECRET, multi_slack, team_id=T1.id)
    before = len(multi_slack.calls)
    driver.app_home_opened(REQUESTER)
    wait_for_bot(multi_slack, before)
    assert bearer(multi_slack.calls_to("views.publish")[-1]) == T1.token


def test_only_get_reaches_the_oauth_paths(served: MultiBot) -> None:
    request = urllib.request.Request(f"{served.base_url}/slack/install", data=b"", method="POST")
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=5)
    assert error.value.code == 405


def test_with_a_bot_token_there_is_nothing_to_install() -> None:
    app = App(token="xoxb-test", signing_secret="secret", token_verification_enabled=False)
    wsgi = WsgiApp(app, db.make_engine("sqlite://"))
    status: list[str] = []
    for path in ("/slack/install", "/slack/oauth_redirect"):
        environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO()}
        b"".join(wsgi(environ, lambda s, headers: status.append(s)))
    assert [s.split()[0] for s in status] == ["404", "404"]
