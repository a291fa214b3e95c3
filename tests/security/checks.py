"""What the security tests observe: the bot's side effects (every database row, every Web API
call) and the Slack markup in everything it posts."""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from bot.blocks.when import MOMENT_FORMAT
from bot.sandbox.requests import SignedRequest
from tests.e2e.conftest import REVIEW_CHANNEL, BotServer
from tests.e2e.helpers import (
    ASK,
    Conversation,
    answer_database_questions,
    review_card,
    start_dm,
)
from tests.fakes.fake_rest import Answer, Call, FakeRestServer
from tests.fakes.slack_api import ApiCall, FakeSlack
from tests.fakes.slack_requests import DriverResponse, SlackDriver

FORM = "application/x-www-form-urlencoded"
REFUSED = "refused, nothing changed"

# -- capturing and replaying requests ----------------------------------------------------------


class CapturingDriver(SlackDriver):
    """A SlackDriver that keeps the bytes and headers of every request, so a test can send
    one again unchanged (a replay) or changed (a forgery)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent: list[SignedRequest] = []

    def deliver(self, request: SignedRequest) -> DriverResponse:
        self.sent.append(request)
        return super().deliver(request)

    def replay(self, sent: SignedRequest, **header_changes: str) -> DriverResponse:
        """``sent`` again, byte for byte, with the same signature headers (or changed ones)."""
        headers = {**sent.headers, **header_changes}
        return self.send_raw(sent.body, sent.content_type, headers, sign=False, kind="replay")

    def payload_body(self, payload: dict[str, Any]) -> bytes:
        """An interactivity request body (``payload=<json>``), as Slack encodes it."""
        return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()

    def send_payload(self, payload: dict[str, Any]) -> DriverResponse:
        """An interactivity payload built by the test, signed with the app's secret."""
        body = self.payload_body(payload)
        return self.send_raw(body, FORM, kind=str(payload.get("type")), payload=payload)


# -- side effects ---------------------------------------------------------------------------------


def table_counts(bot: BotServer) -> dict[str, int]:
    """Rows in every table of the bot's database (asks, transcript, audit, processed keys,
    outboxes, people, ...), migrations' bookkeeping aside."""
    assert bot.container is not None
    engine = bot.container.db_engine
    names = [n for n in sa.inspect(engine).get_table_names() if n != "alembic_version"]
    with engine.connect() as connection:
        return {
            name: int(connection.execute(sa.text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one())
            for name in names
        }


@dataclass
class Effects:
    """The bot's state at one moment, to tell later what a request changed."""

    bot: BotServer
    slack: FakeSlack
    rows: dict[str, int] = field(default_factory=dict)
    calls: int = 0

    @classmethod
    def now(cls, bot: BotServer, slack: FakeSlack, quiet: float = 0.3) -> Effects:
        slack.wait_idle(quiet=quiet, timeout=10)
        return cls(bot, slack, table_counts(bot), len(slack.calls))

    def new_calls(self) -> list[ApiCall]:
        return self.slack.calls[self.calls :]

    def changed_rows(self) -> dict[str, tuple[int, int]]:
        after = table_counts(self.bot)
        return {t: (self.rows.get(t, 0), n) for t, n in after.items() if n != self.rows.get(t, 0)}

    def assert_none(self, *, but: Collection[str] = ()) -> None:
        """Nothing happened since: no row written anywhere (tables in ``but`` aside), no Web
        API call (response_url posts included). Listeners run after the ack: wait until the
        bot has none in flight."""
        self.slack.wait_idle(timeout=10)
        calls = [f"{c.method} {c.args.get('channel', '')}" for c in self.new_calls()]
        assert calls == [], f"the bot called Slack: {calls}"
        rows = {table: n for table, n in self.changed_rows().items() if table not in but}
        assert rows == {}, f"rows written (before, after): {rows}"

    def verdict(self, response: DriverResponse, refusals: Collection[int] = (400, 401)) -> str:
        """REFUSED when ``response`` has a status in ``refusals`` and nothing happened since;
        else what did happen."""
        self.slack.wait_idle(timeout=10)  # a listener runs after the ack: wait for it
        calls = [f"{c.method} {c.args.get('channel', '')}".strip() for c in self.new_calls()]
        rows = self.changed_rows()
        if response.status in refusals and not calls and not rows:
            return REFUSED
        return f"status {response.status}, calls {calls}, rows written {rows}"

    def assert_some(self) -> None:
        """Something happened since (the control case: the same request, properly signed)."""
        self.slack.wait_idle(timeout=10)
        assert self.new_calls() or self.changed_rows(), "the request had no effect at all"


# -- Slack markup in what the bot posts ----------------------------------------------------------

# Control sequences the bot itself writes: mentions of validated user IDs, dates, and links to
# Slack permalinks. Anything else in rendered text came from a person or a model.
_MARKUP = re.compile(r"<([^<>]*)>")
_BOT_DATE = re.compile(rf"!date\^\d+\^{re.escape(MOMENT_FORMAT)}\|[^<>|]*")  # bot.blocks.when
_PERMALINK = re.compile(r"https://[a-z0-9-]+\.slack\.com/archives/[^|<>\s]+(\|original)?")
# Message methods whose top-level ``text`` Slack renders as mrkdwn (and notifies with).
_MESSAGE_METHODS = {
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "chat.scheduleMessage",
    "response_url",
}


@dataclass(frozen=True)
class Rendered:
    where: str  # e.g. "chat.postMessage text", "views.publish blocks[3].text"
    text: str
    markdown: bool = False  # a "markdown" block: standard Markdown links render too
    element: dict[str, Any] | None = None  # a rich_text element (link, user, broadcast, ...)


def rendered_texts(method: str, args: dict[str, Any]) -> Iterator[Rendered]:
    """Every string of a call that Slack parses for mentions and links: mrkdwn text objects,
    message text fallbacks, attachments, markdown blocks and rich text. plain_text objects,
    input values, private_metadata and message metadata are shown as typed (or not at all),
    so they are not markup."""
    text = args.get("text")
    if method in _MESSAGE_METHODS and isinstance(text, str) and args.get("mrkdwn") is not False:
        yield Rendered(f"{method} text", text)
    for key in ("blocks", "view", "attachments"):
        if key in args:
            yield from _walk(args[key], f"{method} {key}", in_attachment=key == "attachments")


def _walk(node: Any, where: str, *, in_attachment: bool = False) -> Iterator[Rendered]:
    if isinstance(node, list):
        for n, item in enumerate(node):
            yield from _walk(item, f"{where}[{n}]", in_attachment=in_attachment)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "mrkdwn" and isinstance(node.get("text"), str):
        yield Rendered(f"{where}.text", node["text"])
    elif kind == "markdown" and isinstance(node.get("text"), str):
        yield Rendered(f"{where}.text", node["text"], markdown=True)
    elif kind in ("link", "user", "usergroup", "broadcast") and "elements" not in node:
        yield Rendered(f"{where} rich_text {kind}", json.dumps(node), element=node)
    if in_attachment:
        for key in ("text", "pretext", "fallback", "title", "footer", "author_name", "value"):
            if isinstance(node.get(key), str):
                yield Rendered(f"{where}.{key}", node[key])
    for key, value in node.items():
        if key in ("private_metadata", "metadata", "initial_value", "value", "state"):
            continue  # not rendered as markup
        if isinstance(value, dict | list):
            yield from _walk(value, f"{where}.{key}", in_attachment=in_attachment)


def markup_problems(shown: Rendered, allowed_people: set[str]) -> list[str]:
    """What in ``shown`` would ping, mislead or link somewhere a person or model chose."""
    problems: list[str] = []
    element = shown.element
    if element is not None:
        kind = element.get("type")
        if kind == "link" and element.get("text") not in (None, element.get("url")):
            problems.append(f"a rich_text link labelled {element['text']!r} to {element['url']}")
        elif kind == "user" and element.get("user_id") not in allowed_people:
            problems.append(f"a rich_text mention of {element.get('user_id')}")
        elif kind in ("usergroup", "broadcast"):
            problems.append(f"a rich_text {kind}: {shown.text}")
        return problems
    for match in _MARKUP.finditer(shown.text):
        inner = match.group(1)
        if inner.startswith("@") and inner[1:] in allowed_people:
            continue
        if _BOT_DATE.fullmatch(inner) or _PERMALINK.fullmatch(inner):
            continue
        problems.append(f"control sequence {match.group(0)!r}")
    if shown.markdown and re.search(r"\]\([^)]*\)", shown.text):
        problems.append("a Markdown link in a markdown block")
    return problems


def scan_calls(calls: list[ApiCall], allowed_people: set[str]) -> list[tuple[str, str, list[str]]]:
    """(where, text, problems) for every rendered text with a problem, over every recorded
    Web API call and response_url post."""
    found = []
    for call in calls:
        for shown in rendered_texts(call.method, call.args):
            problems = markup_problems(shown, allowed_people)
            if problems:
                found.append((shown.where, shown.text, problems))
    return found


def scan_ack(
    response: DriverResponse, allowed_people: set[str]
) -> list[tuple[str, str, list[str]]]:
    """The same check on a message the bot put in an ack body (e.g. /intake show)."""
    if not isinstance(response.json, dict):
        return []
    found = []
    for shown in rendered_texts("response_url", response.json):
        problems = markup_problems(shown, allowed_people)
        if problems:
            found.append((f"ack {shown.where}", shown.text, problems))
    return found


def visible_text(args: dict[str, Any]) -> str:
    """All rendered text of one call, joined (to look for what people should see)."""
    return "\n".join(r.text for r in rendered_texts("chat.postMessage", args))


class Canary(FakeRestServer):
    """An HTTP server on loopback that records every request: a URL no one should call."""

    def __init__(self) -> None:
        super().__init__()
        for method in ("GET", "POST", "PUT"):
            self.route(method, r"/.*", lambda call, found: Answer(200))

    @property
    def url(self) -> str:
        return f"{super().url}/hook"

    @property
    def requests(self) -> list[Call]:
        """Every request it was sent (method, path, query, body)."""
        return self.calls


def submitted_ask(
    d: SlackDriver, slack: FakeSlack, user: str
) -> tuple[Conversation, dict[str, Any]]:
    """``tests.e2e.helpers.submit_ready_ask``, waiting for the review card however busy the
    machine is (the card is posted after the requester's confirmation)."""
    c = start_dm(d, slack, user, ASK)
    answer_database_questions(c)
    cards = len([m for m in slack.messages(REVIEW_CHANNEL) if m.get("bot_id")])
    c.click_button("Submit")
    slack.wait_for(
        "chat.postMessage",
        lambda call: call.args.get("channel") == REVIEW_CHANNEL,
        count=cards + 1,
        timeout=15,
    )
    slack.wait_idle(quiet=0.3, timeout=10)
    return c, review_card(slack)
