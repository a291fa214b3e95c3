"""Over 400 lines: most of it is ``Sandbox``, the one object the page drives (send, act, submit,
jump, snapshot) over one running bot, clock and Slack emulation.

The sandbox: the real bot in HTTP mode, on the embedded default (SQLite, rule engine), talking
to the Slack emulation (bot.sandbox.slack_api) and driven with signed Slack requests
(bot.sandbox.requests), on a clock that can jump to next Monday.

    sandbox = Sandbox().start()
    sandbox.send("U0ALICE", "C0REQUESTS", "/intake we need a postgres db")
    sandbox.snapshot("U0ALICE", channel="DU0ALICE")
    sandbox.stop()

Everything a person does on the page goes through here: ``send`` (messages, thread replies,
/intake), ``act`` (a click or a choice in a message, a modal or the Home tab), ``submit`` and
``close`` (modals), ``open_home``, ``shortcut``; ``jump`` moves the clock and runs what the
scheduler would have run meanwhile. ``snapshot`` is what the page shows.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self

from bot.sandbox import cast
from bot.sandbox.clock import SandboxClock, monday_nine, stops
from bot.sandbox.github_panel import Delivery, LocalGitHub
from bot.sandbox.requests import DriverResponse, SlackDriver
from bot.sandbox.slack_api import ApiCall, FakeSlack
from bot.sandbox.startable import Startable

log = logging.getLogger(__name__)

SHORTCUT_CALLBACK = "intake_from_message"  # deploy/slack-app-manifest.yaml
COMMAND = "/intake"
LOG_LIMIT = 400  # Web API calls kept in a snapshot (the newest)
_HANDLE = re.compile(r"(?<![<\w])@([A-Za-z][\w.-]*(?: Intake)?)")
_CHANNEL = re.compile(r"(?<![<\w])#([a-z0-9][a-z0-9_-]*)")


class SandboxError(Exception):
    """Something the page asked for that cannot be done (the message says what)."""


@dataclass
class JumpReport:
    """What a clock jump ran: each stop's scheduler tick and the messages sent."""

    start: datetime
    end: datetime
    ticks: int = 0
    nudges: int = 0
    progress: int = 0
    digests: int = 0
    completed: int = 0
    sent: int = 0
    seconds: float = 0.0
    stops: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Every field, the times as ISO strings and the seconds rounded (for the page)."""
        return {
            **asdict(self),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "seconds": round(self.seconds, 2),
        }


class Sandbox(Startable):
    """One sandbox: the emulated Slack, the bot, its scheduler and senders. ``start()`` then
    ``stop()``; every method is safe to call from the page server's threads."""

    def __init__(
        self,
        *,
        start_at: datetime | None = None,
        templates_dir: Path | None = None,
        database_url: str | None = None,
        documented_rates: bool = True,
        scheduler: bool = True,
    ) -> None:
        self.clock = SandboxClock(start_at)
        self.templates_dir = templates_dir
        self._database_url = database_url
        self.documented_rates = documented_rates
        self.run_scheduler = scheduler
        self.bot_token = f"xoxb-sandbox-{secrets.token_hex(12)}"
        self.signing_secret = secrets.token_hex(16)
        self.fake = FakeSlack(
            self.bot_token,
            bot_user_id=cast.BOT_USER_ID,
            bot_name="platform-intake",
            clock=self.clock.timestamp,
        )
        self.github = LocalGitHub(clock=self.clock.now)  # where accepted asks become issues
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._bot_server: Any = None
        self._bot_thread: threading.Thread | None = None
        self._jump_lock = threading.Lock()
        self.container: Any = None
        self.background: Any = None
        self.driver: SlackDriver | None = None
        self.events_url = ""

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def workdir(self) -> Path:
        """The sandbox's temporary directory (its database, its tracker configuration)."""
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="intake-sandbox-")
        return Path(self._tmp.name)

    @property
    def database_url(self) -> str:
        if self._database_url is None:
            self._database_url = f"sqlite:///{self.workdir / 'sandbox.db'}"
        return self._database_url

    def settings_overrides(self) -> dict[str, Any]:
        """The configuration of the sandbox's bot: whatever the environment says about Slack,
        the database, an LLM or a tracker is replaced (only INTAKE_TEMPLATES_DIR,
        INTAKE_ID_PREFIX and LOG_LEVEL are taken from it)."""
        overrides: dict[str, Any] = {
            "database_url": self.database_url,
            "slack_bot_token": self.bot_token,
            "slack_signing_secret": self.signing_secret,
            "slack_app_token": None,
            "slack_api_url": self.fake.api_url,
            "intake_review_channel": cast.REVIEW.id,
            "intake_digest_channel": cast.DIGEST.id,
            "intake_leads": cast.LEAD.id,
            "intake_timezone": cast.TEAM_TIMEZONE,
            "intake_digest_schedule": "0 9 * * 1",  # Mondays 09:00 (bot.cron)
            "intake_run_scheduler": self.run_scheduler,
            "intake_webhook_url": None,
            "intake_webhook_secret": None,
            "openai_api_key": None,
            "openai_base_url": None,
        }
        # Every accepted ask becomes an issue in platform/asks on the sandbox's own GitHub.
        overrides["intake_trackers_file"] = str(self.github.config_file(self.workdir))
        if self.templates_dir is not None:
            overrides["intake_templates_dir"] = self.templates_dir
        return overrides

    def start(self) -> Self:
        from bot.app import create_app
        from bot.background import start_background
        from bot.bootstrap import build
        from bot.serving import create_server, http_app
        from bot.settings import load_settings

        self.fake.start()
        cast.populate(self.fake)
        self.github.start()
        if self.documented_rates:
            self.fake.use_documented_rates()
        settings = load_settings(**self.settings_overrides())
        self.container = build(settings, clock=self.clock, migrate=True)
        app = create_app(self.container)
        # The emulation's wait_idle() waits for the bot's own work in flight (bot.in_flight).
        self.fake.watch(self.container.in_flight.wait_idle)
        # The bot as `serve` serves it: Slack's events and the trackers' webhooks.
        self._bot_server = create_server(http_app(app, self.container), "127.0.0.1", 0)
        bot_url = f"http://127.0.0.1:{self._bot_server.effective_port}"
        self.events_url = f"{bot_url}/slack/events"
        self.github.webhook_url = f"{bot_url}/trackers/github"
        self._bot_thread = threading.Thread(
            target=self._serve_bot, name="sandbox-bot-http", daemon=True
        )
        self._bot_thread.start()
        self.background = start_background(self.container, app.client, schedule=self.run_scheduler)
        self.driver = SlackDriver(self.events_url, self.signing_secret, self.fake)
        return self

    def _serve_bot(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # closed from stop()
            self._bot_server.run()

    def stop(self) -> None:
        if self.background is not None:
            self.background.stop()
            self.background = None
        if self._bot_server is not None:
            self._bot_server.close()
            self._bot_server = None
        if self.container is not None:
            self.container.db_engine.dispose()
            self.container = None
        self.fake.stop()
        self.github.stop()
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                self._tmp.cleanup()
            self._tmp = None

    @property
    def _driver(self) -> SlackDriver:
        if self.driver is None:
            raise SandboxError("the sandbox is not started")
        return self.driver

    # -- what people do ------------------------------------------------------------------

    def send(
        self, user: str, channel: str, text: str, thread_ts: str | None = None
    ) -> dict[str, Any]:
        """The composer: ``/intake …`` is the slash command (as in Slack, not in threads);
        anything else is a message in ``channel`` (or a reply in ``thread_ts``). "@alice",
        "@Platform Intake" and "#platform-review" become mentions, as Slack's client does."""
        self._person(user)
        self._check_channel(user, channel)
        text = text.strip()
        if not text:
            raise SandboxError("Nothing to send.")
        if text.split()[0] == COMMAND:
            if thread_ts:
                raise SandboxError("/intake is not supported in threads (as in Slack).")
            response = self._driver.slash_command(
                user, text[len(COMMAND) :].strip(), command=COMMAND, channel=channel
            )
            self._settle()
            return self._answer([response])
        if text.startswith("/"):
            raise SandboxError(f"{text.split()[0]} is not a valid command. Try {COMMAND}.")
        responses, ts = self._driver.human_message(user, self.encode(text), channel, thread_ts)
        self._settle()
        return {**self._answer(responses), "ts": ts}

    def act(
        self,
        user: str,
        *,
        action_id: str,
        block_id: str | None = None,
        message_ts: str | None = None,
        view_id: str | None = None,
        value: Any = None,
        inputs: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A click or a choice (button, select, overflow, date, checkboxes, radio) in a
        message (``message_ts``), a modal or the Home tab (``view_id``). ``value``: the
        button's value, the chosen option's value, the user ID, the date, or a list of
        option values for checkboxes. ``inputs``: the modal's form as the person left it."""
        self._person(user)
        driver = self._driver
        if view_id is not None:
            view = self.fake.view(view_id)
            if view is None:
                raise SandboxError("That view is gone.")
            element = _element(view.get("blocks"), action_id)
            state = None
            if view.get("type") == "modal":
                values = driver.state_values(view, _known_inputs(view, inputs), require=False)
                state = {"values": values}
            kwargs = _action_kwargs(element, value)
            response = driver.block_action(
                user, action_id, view=view, block_id=block_id, state=state, **kwargs
            )
        elif message_ts is not None:
            message = self.fake.find_ephemeral(message_ts) or self.fake.find_message(message_ts)
            if message is None:
                raise SandboxError("That message is gone.")
            element = _element(message.get("blocks"), action_id)
            kwargs = _action_kwargs(element, value)
            response = driver.block_action(
                user, action_id, message=message, block_id=block_id, **kwargs
            )
        else:
            raise SandboxError("A click needs a message or a view.")
        self._settle()
        return self._answer([response])

    def submit(self, user: str, view_id: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """Submit the modal ``view_id`` with {block_id: value}; ``errors`` (block_id -> text)
        when the bot or Slack's client refuses it, as Slack shows them under the inputs."""
        self._person(user)
        view = self.fake.view(view_id)
        if view is None:
            raise SandboxError("That modal is gone.")
        errors = _missing_required(view, inputs)
        if errors:
            return {"ok": False, "errors": errors}
        try:
            response = self._driver.submit_view(user, view, **_known_inputs(view, inputs))
        except AssertionError as exc:
            raise SandboxError(str(exc)) from None
        self._settle()
        answer = self._answer([response])
        ack = response.json if isinstance(response.json, dict) else {}
        if ack.get("response_action") == "errors":
            return {**answer, "ok": False, "errors": ack.get("errors") or {}}
        return answer

    def close(self, user: str, view_id: str) -> dict[str, Any]:
        """The modal's Cancel (or ×): Slack tells the app only when the view asked for it
        (notify_on_close) with a view_closed request."""
        self._person(user)
        view = self.fake.view(view_id)
        if view is None:
            return {"ok": True}
        if view.get("notify_on_close"):
            response = self._driver.view_closed(user, view)
            self._settle()
            return self._answer([response])
        self.fake.close_view(view_id, clear=bool(view.get("clear_on_close")))
        return {"ok": True}

    def open_home(self, user: str) -> dict[str, Any]:
        """The person opens the bot's Home tab: an app_home_opened event."""
        self._person(user)
        response = self._driver.app_home_opened(user)
        self._settle()
        return self._answer([response])

    def shortcut(self, user: str, message_ts: str) -> dict[str, Any]:
        """The message shortcut "Scope this as a platform ask" on a message."""
        self._person(user)
        message = self.fake.find_message(message_ts)
        channel = self.fake.channel_of(message_ts)
        if message is None or channel is None:
            raise SandboxError("That message is gone.")
        response = self._driver.message_shortcut(user, message, channel, SHORTCUT_CALLBACK)
        self._settle()
        return self._answer([response])

    def github_state(self, user: str, closed: bool, number: int) -> dict[str, Any]:
        """``user`` closes (or reopens) issue ``number`` on the sandbox's GitHub page: GitHub
        sends the bot its signed ``issues`` webhook; the answer is the delivery."""
        login = self._person(user).name
        try:
            delivery: Delivery = self.github.set_state(number, closed=closed, by=login)
        except (LookupError, ValueError) as exc:
            raise SandboxError(str(exc)) from None
        self._settle()
        return {"ok": True, "delivery": delivery.__dict__}

    # -- time ----------------------------------------------------------------------------

    def jump(self, to: str = "monday") -> JumpReport:
        """Move the clock forward, running on the way what the scheduler of a bot that ran all
        along would have: at 09:00 of each day in each person's time zone (and at the end) one
        follow-through tick, then the outbox sender. ``to``: "monday" (next Monday 09:00, for
        everyone: the jump ends when it is 09:00 in the last of their time zones), "day"
        (24 hours) or "hour"."""
        from bot.sender import send_due

        if self.background is None:
            raise SandboxError("the sandbox is not started")
        zones = [p.tz for p in cast.PEOPLE] + [cast.TEAM_TIMEZONE]
        with self._jump_lock:
            started = time.perf_counter()
            now = self.clock.now()
            if to == "monday":
                target = monday_nine(now, cast.TEAM_TIMEZONE, zones)
            elif to == "day":
                target = now + timedelta(days=1)
            elif to == "hour":
                target = now + timedelta(hours=1)
            else:
                raise SandboxError(f"unknown jump {to!r}")
            report = JumpReport(start=now, end=target)
            follow = self.background.follow
            for at in stops(now, target, zones):
                self.clock.advance_to(at)
                ran = follow.tick()
                report.ticks += 1
                report.nudges += ran.nudges
                report.progress += ran.progress
                report.digests += ran.digests
                report.completed += ran.completed
                report.sent += send_due(self.container.db_engine, self.clock, follow.clients)
                if ran.nudges or ran.progress or ran.digests or ran.completed:
                    report.stops.append(at.isoformat())
            with contextlib.suppress(AssertionError):
                self.fake.wait_idle(timeout=5)
            report.seconds = time.perf_counter() - started
            log.info("clock moved to %s: %s", target.isoformat(), report.as_dict())
            return report

    # -- what the page shows -------------------------------------------------------------

    def snapshot(
        self,
        user: str,
        channel: str | None = None,
        thread_ts: str | None = None,
        log_after: int = -1,
    ) -> dict[str, Any]:
        """Everything the page shows ``user``: the clock, the people and channels (with message
        counts, for unread marks), the open channel and thread, their modal and Home tab, and
        the Web API calls after number ``log_after`` with every violation."""
        me = self._person(user)
        fake = self.fake
        dm = fake.dm_channel(user)
        channels = [
            {"id": c.id, "name": c.name, "topic": c.topic, "kind": "channel"} for c in cast.CHANNELS
        ]
        channels.append(
            {"id": dm, "name": cast.BOT_NAME, "topic": "Your DM with the bot", "kind": "app"}
        )
        mine = [e for e in fake.ephemerals(user)]
        counts = {c["id"]: len(fake.messages(c["id"])) for c in channels}
        for e in mine:
            if e.get("channel") in counts:
                counts[e["channel"]] += 1
        stack = fake.modal_stack(user)
        out: dict[str, Any] = {
            "me": me.id,
            "now": self.clock.now().isoformat(),
            "now_epoch": self.clock.timestamp(),
            "people": [_person_dict(p) for p in cast.PEOPLE],
            "bot": {"id": cast.BOT_USER_ID, "name": cast.BOT_NAME},
            "users": [
                {"id": u["id"], "name": u["name"], "real_name": u["real_name"], "tz": u["tz"]}
                for u in fake.users()
            ],
            "channels": channels,
            "counts": counts,
            "modal": stack[-1] if stack else None,
            "modal_depth": len(stack),
            "home": fake.home(user),
            "log": self.log(after=log_after),
        }
        if channel is not None:
            self._check_channel(user, channel)
            top = [
                m
                for m in fake.messages(channel)
                if m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"
            ]
            top += [e for e in mine if e.get("channel") == channel and not e.get("thread_ts")]
            out["channel"] = channel
            out["messages"] = [_message(m) for m in sorted(top, key=lambda m: float(m["ts"]))]
        if channel is not None and thread_ts is not None:
            thread = fake.thread(channel, thread_ts)
            thread += [
                e for e in mine if e.get("channel") == channel and e.get("thread_ts") == thread_ts
            ]
            out["thread_ts"] = thread_ts
            out["thread"] = [_message(m) for m in sorted(thread, key=lambda m: float(m["ts"]))]
        return out

    def log(self, after: int = -1) -> dict[str, Any]:
        """Web API calls numbered above ``after`` (at most the newest LOG_LIMIT), every
        violation with when it was seen, and counts."""
        calls, violations, times = self.fake.recorded()
        start = max(after + 1, len(calls) - LOG_LIMIT, 0)
        return {
            "total": len(calls),
            "failed": sum(1 for c in calls if not c.ok),
            "ratelimited": sum(1 for c in calls if c.status == 429),
            "calls": [_call(i, calls[i]) for i in range(start, len(calls))],
            "violations": [
                {"method": m, "reason": r, "at": times[i] if i < len(times) else None}
                for i, (m, r) in enumerate(violations)
            ],
        }

    def call_detail(self, number: int) -> dict[str, Any]:
        """One Web API call in full: its arguments and Slack's answer."""
        calls = self.fake.recorded()[0]
        if not 0 <= number < len(calls):
            raise SandboxError(f"no call {number}")
        call = calls[number]
        return {**_call(number, call), "args": call.args, "response": call.response}

    # -- helpers -------------------------------------------------------------------------

    def encode(self, text: str) -> str:
        """What Slack's client sends for typed text: &, <, > escaped; @handles and #channels
        that exist turned into mentions."""
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        handles = {u["name"].lower(): u["id"] for u in self.fake.users()}
        handles[cast.BOT_NAME.lower()] = cast.BOT_USER_ID
        for p in cast.PEOPLE:
            handles[p.real_name.split()[0].lower()] = p.id

        def user(match: re.Match[str]) -> str:
            word = match.group(1)
            for candidate in (word, word.split()[0]):
                found = handles.get(candidate.lower().rstrip(".,:;!?"))
                if found:
                    rest = word[len(candidate.rstrip(".,:;!?")) :]
                    return f"<@{found}>{rest}"
            return match.group(0)

        names = {c.name: c.id for c in cast.CHANNELS}

        def channel(match: re.Match[str]) -> str:
            cid = names.get(match.group(1))
            return f"<#{cid}|{match.group(1)}>" if cid else match.group(0)

        return _CHANNEL.sub(channel, _HANDLE.sub(user, text))

    def _person(self, user: str) -> cast.Person:
        found = cast.person(user)
        if found is None:
            raise SandboxError(f"no such person {user!r}")
        return found

    def _check_channel(self, user: str, channel: str) -> None:
        if channel == self.fake.dm_channel(user) or channel in {c.id for c in cast.CHANNELS}:
            return
        raise SandboxError(f"{user} cannot see channel {channel!r}")

    def _settle(self) -> None:
        """Wait (up to 4 s) until the bot has done the work behind its ack, so the page shows
        the outcome of a click at once; slower work shows at the page's next poll."""
        with contextlib.suppress(AssertionError):
            self.fake.wait_idle(timeout=4)

    def _answer(self, responses: list[DriverResponse]) -> dict[str, Any]:
        bad = [r for r in responses if r.status != 200]
        if bad:
            return {"ok": False, "error": f"the bot answered HTTP {bad[0].status}: {bad[0].body}"}
        slowest = max((r.elapsed_seconds for r in responses), default=0.0)
        return {"ok": True, "ack_ms": round(slowest * 1000)}


# -- shaping for the page --------------------------------------------------------------------


def _person_dict(p: cast.Person) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "real_name": p.real_name,
        "role": p.role,
        "tz": p.tz,
        "title": p.title,
    }


def _message(m: dict[str, Any]) -> dict[str, Any]:
    keep = (
        "ts",
        "user",
        "bot_id",
        "text",
        "blocks",
        "thread_ts",
        "reply_count",
        "reply_users",
        "latest_reply",
        "reactions",
        "subtype",
        "is_ephemeral",
    )
    out = {k: m[k] for k in keep if k in m}
    if m.get("edited"):
        out["edited"] = True
    return out


def _call(number: int, c: ApiCall) -> dict[str, Any]:
    reasons: list[str] = []
    if not c.ok:
        errors = c.response.get("errors")
        if isinstance(errors, list):
            reasons = [str(e) for e in errors]
        metadata = c.response.get("response_metadata")
        if not reasons and isinstance(metadata, dict):
            reasons = [str(m) for m in metadata.get("messages") or []]
    args = c.args
    channel = args.get("channel") or args.get("user_id") or args.get("user") or ""
    text = args.get("text") if isinstance(args.get("text"), str) else ""
    if c.method.startswith("views.") and isinstance(args.get("view"), dict):
        title = args["view"].get("title") or {}
        text = title.get("text", "") if isinstance(title, dict) else ""
        text = text or str(args["view"].get("type", ""))
    return {
        "n": number,
        "method": c.method,
        "at": c.at,
        "status": c.status,
        "ok": c.ok,
        "error": c.error,
        "reasons": reasons,
        "retry_after": c.retry_after,
        "channel": str(channel),
        "summary": (text or "")[:140],
    }


def _iter_elements(blocks: Any) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for b in blocks or []:
        if not isinstance(b, dict):
            continue
        if b.get("type") == "actions":
            for e in b.get("elements") or []:
                if isinstance(e, dict):
                    yield b, e
        for k in ("accessory", "element"):
            if isinstance(b.get(k), dict):
                yield b, b[k]


def _element(blocks: Any, action_id: str) -> dict[str, Any]:
    for _, e in _iter_elements(blocks):
        if e.get("action_id") == action_id:
            return e
    raise SandboxError("That button is no longer there (the bot changed the message).")


def _action_kwargs(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """SlackDriver.block_action's arguments for a click or choice on ``element``."""
    kind = element.get("type")
    if kind == "button":
        return {"value": element.get("value")}
    if kind in ("static_select", "overflow", "radio_buttons"):
        return {"value": str(value)}
    if kind == "users_select":
        return {"selected_user": str(value)}
    if kind == "checkboxes":
        chosen = {str(v) for v in value or []}
        options = [o for o in element.get("options") or [] if o.get("value") in chosen]
        return {"extra": {"selected_options": options}}
    if kind == "multi_static_select":
        chosen = {str(v) for v in value or []}
        options = [o for o in element.get("options") or [] if o.get("value") in chosen]
        return {"extra": {"selected_options": options}}
    if kind == "multi_users_select":
        return {"extra": {"selected_users": [str(v) for v in value or []]}}
    return {"value": None if value is None else str(value)}


def _known_inputs(view: dict[str, Any], inputs: dict[str, Any] | None) -> dict[str, Any]:
    ids = {b.get("block_id") for b in view.get("blocks") or [] if b.get("type") == "input"}
    return {k: v for k, v in (inputs or {}).items() if k in ids}


def _missing_required(view: dict[str, Any], inputs: dict[str, Any]) -> dict[str, str]:
    """What Slack's client says before it sends anything: required inputs left empty."""
    errors = {}
    for b in view.get("blocks") or []:
        if b.get("type") != "input" or b.get("optional"):
            continue
        bid = b.get("block_id")
        given = inputs.get(bid) if bid in inputs else _initial(b.get("element") or {})
        if given in (None, "", []):
            errors[str(bid)] = "Please complete this required field."
    return errors


def _initial(element: dict[str, Any]) -> Any:
    for key in ("initial_value", "initial_date", "initial_user", "initial_time"):
        if key in element:
            return element[key]
    if "initial_option" in element:
        return element["initial_option"].get("value")
    if "initial_options" in element:
        return [o.get("value") for o in element["initial_options"]]
    return None


def utc(text: str) -> datetime:
    """An ISO time for ``--start``; without a zone it is UTC."""
    at = datetime.fromisoformat(text)
    return at if at.tzinfo else at.replace(tzinfo=UTC)
