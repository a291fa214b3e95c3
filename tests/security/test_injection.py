"""Text from people and from the model is shown, never obeyed: no @channel, @here, user-group
or user mention, and no link that hides where it goes.

Slack renders mrkdwn (section and context texts, fields, and the ``text`` of a message, which
is also what notifications show) and turns ``<!channel>``, ``<!here>``, ``<!subteam^S…>``,
``<@U…>`` and ``<url|label>`` into pings and links. The bot must escape (``&``, ``<``, ``>``)
whatever a person or the model wrote. Each test below pushes every trick through one whole
path, then checks *every* Web API call and response_url post FakeSlack recorded (messages,
updates, ephemerals, modals, Home tabs, the digest; text fallbacks included) and every ack
body: the only control sequences allowed are the ones the bot makes itself (mentions of the
people involved, dates, permalinks). plain_text objects and input values are not parsed by
Slack, so they are left as typed (an edit form must show the title as it is).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient

from bot.followthrough import FollowThrough
from bot.oauth import OneWorkspace
from bot.sender import send_due
from tests.e2e.conftest import (
    BOT_TOKEN,
    GROUP_LEAD,
    LEAD,
    OTHER,
    OWNER,
    REQUESTER,
    BotServer,
    MovableClock,
)
from tests.e2e.helpers import (
    Conversation,
    review_card,
    start_dm,
    text_of,
    wait_for_bot,
)
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.slack_api import FakeSlack
from tests.security.checks import CapturingDriver, scan_ack, scan_calls, visible_text

# What people type (and Slack delivers as markup), what they type literally (Slack delivers
# it escaped), Markdown links, and zero-width characters splitting or wrapping a mention.
TRICKS = (
    "<!channel> <!here> <!everyone> <!subteam^S123> <!subteam^S123|@platform> "
    "<@U0BOB> <@U0BOB|bob> <https://evil.example|docs.google.com> "
    "<mailto:attacker@evil.example|security@example.com> &lt;!channel&gt; "
    "[docs.google.com](https://evil.example) <!chan\u200bnel> \u200b<!here>\u200b "
    "<\u200b!channel> <!date^0^{date}|today>"
)
SHORT_TRICKS = "<!channel> <@U0BOB> <https://evil.example|docs.google.com> &lt;!here&gt;"
# The people the bot may mention in these tests (never U0BOB: that mention is a trick).
PEOPLE = {REQUESTER, LEAD, OWNER, GROUP_LEAD, "UBOT"}
DIGEST = "C0DIGEST"


def assert_nothing_obeyed(slack: FakeSlack, *acks: Any) -> None:
    found = scan_calls(slack.calls, PEOPLE)
    for ack in acks:
        found += scan_ack(ack, PEOPLE)
    report = "\n".join(
        f"{where}: {problems}\n    {text[:300]!r}" for where, text, problems in found
    )
    assert found == [], f"{len(found)} rendered text(s) obey what someone typed:\n{report}"


def act(slack: FakeSlack, send: Callable[[], Any]) -> Any:
    calls = len(slack.calls)
    response = send()
    wait_for_bot(slack, calls)
    return response


def shows_real_links(text: str) -> None:
    """A disguised link shows where it goes."""
    assert "https://evil.example" in text
    assert "<https://evil.example|" not in text


def test_every_message_card_form_and_home_tab_of_an_ask_shows_tricks_as_text(
    capturing: CapturingDriver, slack: FakeSlack, bot: BotServer, clock: MovableClock
) -> None:
    d = capturing
    slack.add_channel(DIGEST, "platform-digest")
    # The requester's ask and answers carry every trick.
    c = start_dm(d, slack, REQUESTER, f"we need a postgres db for billing asap {TRICKS}")
    assert "environment" in text_of(c.last).lower()
    c.click_button("production")
    c.say(f"about 200 GB {SHORT_TRICKS}")
    c.say(f"invoices can't be generated without it {TRICKS}")
    c.say(f"billing-api connects to it from production {SHORT_TRICKS}; backups restore in 1 hour")
    draft = c.draft()
    shows_real_links(text_of(draft))
    # ... and the title, set in the edit form.
    act(slack, lambda: d.click(REQUESTER, draft, "intake_edit"))
    act(slack, lambda: d.submit_view(REQUESTER, slack.current_view(REQUESTER), title=SHORT_TRICKS))
    c.click_button("Submit")
    card = review_card(slack)
    assert "evil.example" in text_of(card), "the title is on the card"

    # A lead's questions, the requester's answer, the approval with a milestone title.
    act(slack, lambda: d.click(LEAD, card, "review_request_changes"))
    act(slack, lambda: d.submit_view(LEAD, slack.current_view(LEAD), questions=TRICKS))
    c.say(f"eu-west-1 {TRICKS}")
    act(slack, lambda: d.click(LEAD, review_card(slack), "review_approve"))
    form = slack.current_view(LEAD) or {}
    first_row = next(b["block_id"] for b in form["blocks"] if b["block_id"].startswith("ms_title:"))
    act(slack, lambda: d.submit_view(LEAD, form, owner=OWNER, **{first_row: SHORT_TRICKS}))
    # The owner blocks the first milestone with a reason.
    dm = [m for m in slack.messages(slack.dm_channel(OWNER)) if m.get("bot_id")][-1]
    ask_id = (bot.container.intake.list()[0].id if bot.container else 0) or 0
    act(slack, lambda: d.click(OWNER, dm, "milestone_status_blocked", f"{ask_id}:0"))
    act(slack, lambda: d.submit_view(OWNER, slack.current_view(OWNER), reason=TRICKS))

    # Someone else's similar ask, opened with /intake, is offered PLAT-1, title and all.
    act(slack, lambda: d.slash_command(GROUP_LEAD, f"a postgres database for billing? {TRICKS}"))
    # Every Home tab, /intake list and /intake show.
    for who in (REQUESTER, LEAD, OWNER):
        act(slack, lambda w=who: d.app_home_opened(w))  # type: ignore[misc]
    acks = [d.slash_command(REQUESTER, "list"), d.slash_command(LEAD, "show PLAT-1")]
    # The weekly owner nudge, progress reply and digest.
    assert bot.container is not None
    weekly = FollowThrough(
        bot.container.intake,
        bot.container.db_engine,
        WebClient(token=BOT_TOKEN, base_url=slack.api_url),
        default_tz="UTC",
        digest_channel=DIGEST,
        digest_schedule="0 9 * * 1",
        auto_complete=bot.container.milestones.auto_complete,
    )
    sender = OneWorkspace(WebClient(token=BOT_TOKEN, base_url=slack.api_url))
    for at in (datetime(2026, 11, 29, 20, 5, tzinfo=UTC), datetime(2026, 11, 30, 9, 5, tzinfo=UTC)):
        clock.at = at
        weekly.tick()
        send_due(bot.container.db_engine, clock, sender)
    slack.wait_idle(quiet=0.3)
    assert [m for m in slack.messages(DIGEST) if m.get("bot_id")], "the digest was posted"

    shown = "\n".join(visible_text(call.args) for call in slack.calls)
    assert "&lt;!channel&gt;" in shown and "@U0BOB" in shown, "shown as text"
    assert "https://evil.example" in shown
    assert_nothing_obeyed(slack, *acks)


def test_a_mention_typed_in_a_thread_reply_is_not_echoed_as_a_mention(
    capturing: CapturingDriver, slack: FakeSlack
) -> None:
    """Replies the bot quotes back (answers under their question, "back from the requester")
    and the notes it sends when it cannot use a reply."""
    c: Conversation = start_dm(capturing, slack, REQUESTER, "CI is slow, help")
    c.say(TRICKS)
    c.say(f"skip {SHORT_TRICKS}")
    c.say("done")
    act(slack, lambda: capturing.app_mention(OTHER, TRICKS, "C0REQUESTS"))
    assert len(slack.calls_to("chat.postMessage")) >= 4, "the scan sees the conversation"
    assert_nothing_obeyed(slack)


# -- the model's words ---------------------------------------------------------------------------

MODEL_TRICKS = (
    "<!channel> <!subteam^S123> <@U0BOB> <https://evil.example|docs.google.com> "
    "&lt;!here&gt; <\u200b!channel> <!chan\u200bnel> [docs.google.com](https://evil.example)"
)


def tricky_model(schema: str, body: dict[str, Any]) -> dict[str, Any]:
    """A model (or a prompt-injected one) that writes control sequences into everything."""
    if schema == "ClassifyReply":
        return {"request_type": "database"}
    if schema == "ExtractionReply":
        return {
            "fields": [
                {"name": "engine", "values": [f"PostgreSQL {MODEL_TRICKS}"]},
                {"name": "services", "values": [f"billing {MODEL_TRICKS}"]},
                {"name": "environment", "values": ["production"]},
                {"name": "deadline", "values": ["2026-12-12"]},
            ],
            "no_deadline": False,
            "urgency": "none",
        }
    if schema == "NextFieldReply":
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        listed = user.split("Candidate fields", 1)[1]
        return {"name": listed.split("- ", 1)[1].split(" (", 1)[0]}
    if schema == "QuestionReply":
        return {"question": f"<!here> How much storage? {MODEL_TRICKS}"}
    if schema == "DraftReply":
        return {
            "title": f"<!channel> PostgreSQL for billing {MODEL_TRICKS}",
            "problem": f"Billing needs PostgreSQL {MODEL_TRICKS}",
            "acceptance_criteria": [f"billing-api connects to it {MODEL_TRICKS}"],
            "out_of_scope": [MODEL_TRICKS],
            "risks": [f"<!here> month-end close {MODEL_TRICKS}"],
            "milestones": [],
            "priority": "P2",
            "size": "M",
            "rationale": f"<!channel> {MODEL_TRICKS}",
        }
    return {"summary": f"<!channel> we need a database {MODEL_TRICKS}"}


def test_what_the_model_writes_is_shown_as_text(
    model_driver: CapturingDriver, slack: FakeSlack, model_bot: BotServer, fake_openai: FakeOpenAI
) -> None:
    fake_openai.responder = tricky_model
    c = start_dm(model_driver, slack, REQUESTER, "postgres 15 for billing, prod, before Dec 12")
    c.say("done")
    c.draft()
    c.click_button("Submit")
    act(slack, lambda: model_driver.app_home_opened(LEAD))
    acks = [model_driver.slash_command(REQUESTER, "show PLAT-1")]
    assert "PLAT-1" in text_of(review_card(slack))
    asked = {r.schema_name for r in fake_openai.chat_requests()}
    assert {"ExtractionReply", "DraftReply"} <= asked, f"the model wrote the draft: {asked}"
    assert_nothing_obeyed(slack, *acks)
