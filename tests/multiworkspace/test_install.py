"""Installing the app in a workspace: /slack/install sends the admin to Slack with the app's
client ID, its bot scopes and a one-time state; /slack/oauth_redirect exchanges the code for the
workspace's bot token and stores it; from then on that workspace's requests are served with
its own token."""

from __future__ import annotations

import urllib.parse

from sqlalchemy import func, select

from bot.followthrough import follow_through_for
from bot.oauth import BOT_SCOPES
from bot.sender import send_due
from storage.models import SLACK_BOTS, SLACK_INSTALLATIONS, SLACK_OAUTH_STATES, QueueItemRow
from tests.e2e.helpers import wait_for_bot
from tests.fakes.slack_requests import SlackDriver
from tests.multiworkspace.conftest import (
    CLIENT_ID,
    REQUESTER,
    SIGNING_SECRET,
    T1,
    T2,
    MultiBot,
    MultiWorkspaceSlack,
    authorize_url,
    bearer,
)
from tests.storage.slack_messages import enqueue


def count(bot: MultiBot, table: object) -> int:
    with bot.container.db_engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_install_page_links_to_slack_with_client_id_scopes_and_state(multi_bot: MultiBot) -> None:
    page = multi_bot.get("/slack/install")
    assert page.status == 200
    url = urllib.parse.urlsplit(authorize_url(page.body))
    assert (url.scheme, url.netloc, url.path) == ("https", "slack.com", "/oauth/v2/authorize")
    query = urllib.parse.parse_qs(url.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"][0].split(",") == list(BOT_SCOPES)
    assert "user_scope" not in query or query["user_scope"] == [""]
    state = query["state"][0]
    assert len(state) >= 32
    # The state is in the database (any replica may get the redirect) and in the browser.
    with multi_bot.container.db_engine.connect() as connection:
        stored = connection.execute(select(SLACK_OAUTH_STATES.c.state)).scalars().all()
    assert stored == [state]
    assert multi_bot.cookies["slack-app-oauth-state"] == state
    # A second visit: a new state (each install link is used once).
    assert state_of(multi_bot.get("/slack/install").body) != state


def test_redirect_stores_the_installation_and_the_workspace_is_served_with_its_token(
    multi_bot: MultiBot, multi_slack: MultiWorkspaceSlack
) -> None:
    done = multi_bot.install(multi_slack, T2)
    assert done.status == 200, done.body
    assert "slack://app" in done.body or "Thank you" in done.body  # Bolt's success page

    exchange = multi_slack.calls_to("oauth.v2.access")
    assert len(exchange) == 1 and exchange[0].ok
    assert exchange[0].args["code"].startswith(f"code-{T2.id}")
    assert count(multi_bot, SLACK_INSTALLATIONS) == 1
    assert count(multi_bot, SLACK_OAUTH_STATES) == 0, "the state is consumed"
    with multi_bot.container.db_engine.connect() as connection:
        bot_row = connection.execute(select(SLACK_BOTS)).mappings().one()
    assert (bot_row["team_id"], bot_row["bot_token"]) == (T2.id, T2.token)
    assert bot_row["client_id"] == CLIENT_ID and bot_row["enterprise_id"] is None
    assert set(str(bot_row["bot_scopes"]).split(",")) == set(BOT_SCOPES)

    # A signed request from T2: its listener's Web API calls carry T2's bot token.
    driver = SlackDriver(multi_bot.events_url, SIGNING_SECRET, multi_slack, team_id=T2.id)
    before = len(multi_slack.calls)
    driver.app_home_opened(REQUESTER)
    wait_for_bot(multi_slack, before)
    publish = multi_slack.calls_to("views.publish")
    assert len(publish) == 1 and publish[0].ok
    assert bearer(publish[0]) == T2.token
    assert multi_slack.home(REQUESTER) is not None
    # The token is checked (auth.test) once, not again before every later request's ack.
    checks = multi_slack.tokens_of("auth.test")
    before = len(multi_slack.calls)
    driver.app_home_opened(REQUESTER)
    wait_for_bot(multi_slack, before)
    assert multi_slack.tokens_of("views.publish") == [T2.token, T2.token]
    assert multi_slack.tokens_of("auth.test") == checks


def state_of(page_body: str) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(authorize_url(page_body)).query)["state"][0]


def test_a_state_works_once_and_only_from_the_browser_it_was_given_to(
    multi_bot: MultiBot, multi_slack: MultiWorkspaceSlack
) -> None:
    state = state_of(multi_bot.get("/slack/install").body)
    multi_slack.add_install("code-1", T1)

    stranger = MultiBot(multi_bot.container, multi_bot.app, multi_bot.base_url)  # no cookie
    assert stranger.get("/slack/oauth_redirect", code="code-1", state=state).status >= 400
    forged = multi_bot.get("/slack/oauth_redirect", code="code-1", state="not-a-state")
    assert forged.status >= 400
    assert count(multi_bot, SLACK_INSTALLATIONS) == 0
    assert multi_slack.calls_to("oauth.v2.access") == [], "no code is exchanged without a state"

    state = state_of(multi_bot.get("/slack/install").body)  # a refusal clears the cookie
    assert multi_bot.get("/slack/oauth_redirect", code="code-1", state=state).status == 200
    assert count(multi_bot, SLACK_INSTALLATIONS) == 1

    multi_slack.add_install("code-2", T1)
    multi_bot.cookies["slack-app-oauth-state"] = state
    replayed = multi_bot.get("/slack/oauth_redirect", code="code-2", state=state)
    assert replayed.status >= 400, "a used state does not work again"
    assert count(multi_bot, SLACK_INSTALLATIONS) == 1


def test_a_workspace_without_an_installation_gets_nothing(
    multi_bot: MultiBot, multi_slack: MultiWorkspaceSlack
) -> None:
    multi_bot.install(multi_slack, T1)
    driver = SlackDriver(multi_bot.events_url, SIGNING_SECRET, multi_slack, team_id=T2.id)
    assert driver.slash_command(REQUESTER, "list").status == 200
    multi_slack.wait_idle(quiet=0.3, timeout=5)
    # Bolt's own answer through the command's response_url: the app is not installed there.
    told = [str(post.body.get("text", "")) for post in multi_slack.responses]
    assert any("install this app" in text.lower() for text in told), told
    assert all(bearer(call) != T2.token for call in multi_slack.calls)
    assert multi_slack.calls_to("chat.postMessage") == []
    assert multi_slack.calls_to("views.publish") == []


def test_queued_messages_go_out_with_their_workspaces_token(
    multi_bot: MultiBot, multi_slack: MultiWorkspaceSlack
) -> None:
    multi_bot.install(multi_slack, T1)
    multi_bot.install(multi_slack, T2)
    container = multi_bot.container
    now = container.clock.now()
    for team in (T1.id, T2.id, "T9NOWHERE"):
        enqueue(
            container.db_engine,
            f"progress:{team}:1:2026-W48",
            team_id=team,
            channel="C0REVIEW",
            payload={"text": f"hello {team}"},
            at=now,
        )
    follow = follow_through_for(container, multi_bot.app.client)
    assert send_due(container.db_engine, container.clock, follow.clients) == 2
    posted = {call.args["text"]: bearer(call) for call in multi_slack.calls_to("chat.postMessage")}
    assert posted == {f"hello {T1.id}": T1.token, f"hello {T2.id}": T2.token}
    # No installation: not sent, retried later (then kept and reported), never dropped.
    with container.db_engine.connect() as connection:
        (stuck,) = connection.execute(
            select(QueueItemRow.__table__).where(QueueItemRow.done_at.is_(None))
        ).all()
    assert (stuck.team_id, stuck.last_error, stuck.attempts) == ("T9NOWHERE", "not_installed", 1)
    assert stuck.gave_up_at is None and stuck.run_at > now
