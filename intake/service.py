"""Use cases of an intake, each one transaction: load, let the engine decide, persist, then
hand back what to say. Entry points (Slack listeners, the terminal chat) call only this.

Everything a person said is written to the transcript and committed before the caller posts a
reply, so a crash or restart resumes where the person left off.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime
from typing import Any

from intake import events
from intake.assistant import RuleAssistant
from intake.clock import Clock
from intake.conflicts import retry_on_conflict
from intake.conversation import AboutAsk, Conversation, Source, Thread
from intake.engine import IntakeEngine
from intake.ports import UnitOfWork, UnitOfWorkFactory
from intake.prepared import Recorder, Replayer
from intake.replies import Joined, Reply, Submitted
from intake.scoping import TeamScoped
from intake.stored_text import clean
from intake.ticket import AuditEntry, LlmUsage, Status, Ticket

log = logging.getLogger(__name__)

BOT = "intake-bot"

# A decision of the engine about a conversation: what the use case asks it to do.
Decide = Callable[[IntakeEngine, Conversation], list[Reply]]


@dataclass
class Outcome(AboutAsk):
    """What happened to an intake. ``answered`` is the (field, question number) that the
    person's message or click closed, so the adapter can show the answer under it."""

    conversation: Conversation
    replies: list[Reply] = field(default_factory=list)
    answered: tuple[str, int] | None = None


class NotFound(Exception):
    """No intake with that id."""


class NotAllowed(Exception):
    """The person may not do this to this intake; the message says so, for them to read."""


@dataclass(eq=False)
class IntakeService(TeamScoped):
    uow_factory: UnitOfWorkFactory
    engine: IntakeEngine
    clock: Clock
    _: KW_ONLY
    id_prefix: str = "PLAT"

    # -- entry ------------------------------------------------------------------------------

    def start(
        self,
        *,
        team_id: str,
        requester: str,
        text: str,
        source: Source,
        tz: str,
        thread: Thread | None = None,
        dedupe_key: str | None = None,
    ) -> Outcome | None:
        """Open an intake. None when ``dedupe_key`` was already handled (a retried event)."""
        text = clean(text)
        now = self.clock.now()
        if dedupe_key and not self.claim(dedupe_key):
            return None
        engine, usage = self._prepare(
            None, lambda engine, _: engine.start(text, requester, source, tz, now)[1]
        )
        with self.uow_factory() as uow:
            conversation, replies = engine.start(text, requester, source, tz, now)
            conversation.ticket.team_id = team_id
            conversation.ticket.created_at = now
            conversation.ticket.usage.add(usage)
            conversation.thread = thread
            uow.asks.add(conversation)
            assert conversation.ticket.id is not None
            uow.record_message(conversation.ticket.id, requester, text, now)
            uow.commit()
        _log_usage(conversation.ticket, usage)
        return Outcome(conversation, replies)

    def claim(self, dedupe_key: str) -> bool:
        """Record the delivery ``dedupe_key`` as handled; False when it was already (by this
        process or another replica), and the caller does nothing."""
        with self.uow_factory() as uow:
            if not uow.claim(dedupe_key):
                return False
            uow.commit()
        return True

    def answer(
        self,
        *,
        team_id: str,
        thread: Thread,
        user: str,
        text: str,
        dedupe_key: str | None = None,
    ) -> Outcome | None:
        """A message in a thread. None when the thread is no intake's, the author is not its
        requester (others may talk in the thread), or the message was handled before."""
        text = clean(text)
        now = self.clock.now()
        with self.uow_factory() as uow:
            conversation = uow.asks.by_thread(team_id, thread)
            if conversation is None or conversation.ticket.requester != user:
                return None
            if dedupe_key and not uow.claim(dedupe_key):
                return None
            self._said(uow, conversation, user, text, now)
        return self._decide(
            conversation, lambda engine, c: engine.answer(c, text, now), track_answer=True
        )

    def choose(
        self, *, ask_id: int, user: str, field: str, value: str, dedupe_key: str | None = None
    ) -> Outcome:
        now = self.clock.now()
        with self.uow_factory() as uow:
            conversation = self._own(uow, ask_id, user)
            if dedupe_key and not uow.claim(dedupe_key):
                return Outcome(conversation, [])
            self._said(uow, conversation, user, value, now)
        return self._decide(
            conversation, lambda engine, c: engine.choose(c, field, value, now), track_answer=True
        )

    def edit(self, *, ask_id: int, user: str, values: dict[str, Any]) -> Outcome:
        now = self.clock.now()
        with self.uow_factory() as uow:
            conversation = self._own(uow, ask_id, user)
            self._said(uow, conversation, user, f"(edited: {', '.join(sorted(values))})", now)
        return self._decide(conversation, lambda engine, c: engine.edit(c, dict(values), now))

    def submit(self, *, ask_id: int, user: str, force: bool = False) -> Outcome:
        now = self.clock.now()
        with self.uow_factory() as uow:
            conversation = self._own(uow, ask_id, user)
            self._said(uow, conversation, user, "(submit anyway)" if force else "(submit)", now)
        return self._decide(
            conversation, lambda engine, c: engine.submit(c, user, now, force=force)
        )

    def cancel(self, *, ask_id: int, user: str) -> Outcome:
        now = self.clock.now()
        with self.uow_factory() as uow:
            conversation = self._own(uow, ask_id, user)
            self._said(uow, conversation, user, "(cancel)", now)
        return self._decide(conversation, lambda engine, c: engine.cancel(c, user, now))

    @retry_on_conflict
    def join(self, *, ask_id: int, user: str, key: str) -> Outcome:
        """Join the open ask ``key`` instead of this intake (which is closed)."""
        now = self.clock.now()
        with self.uow_factory() as uow:
            conversation = self._own(uow, ask_id, user)
            target = uow.asks.by_key(key, conversation.ticket.team_id)
            if target is None:
                raise NotFound(key)
            seen = len(conversation.ticket.history)
            replies = self.engine.join(conversation, target.ticket, user, now)
            if any(isinstance(reply, Joined) for reply in replies):
                assert target.ticket.id is not None
                uow.record_audit(target.ticket.id, AuditEntry(now, user, "join", "ok"))
                uow.asks.save(target)
            uow.record_message(ask_id, user, f"(joined {key})", now)
            self._save(uow, conversation, seen)
        return Outcome(conversation, replies)

    @retry_on_conflict
    def not_same(self, *, ask_id: int, user: str, key: str) -> Outcome:
        """``key`` is a different need: stop suggesting it for this intake."""
        now = self.clock.now()
        with self.uow_factory() as uow:
            conversation = self._own(uow, ask_id, user)
            seen = len(conversation.ticket.history)
            replies = self.engine.not_same(conversation, key)
            uow.record_message(ask_id, user, f"(not the same as {key})", now)
            self._save(uow, conversation, seen)
        return Outcome(conversation, replies)

    def summarise(self, messages: list[str]) -> str:
        """An opening ask from a thread's messages (oldest first), by the assistant. No
        transaction is open: this may be a slow call."""
        return self.engine.assistant.summarise_thread([clean(m) for m in messages])

    # -- bookkeeping the adapters need ------------------------------------------------------

    def attach_thread(self, ask_id: int, thread: Thread) -> None:
        """Where the intake lives, once the adapter has opened its thread."""
        self._update(ask_id, thread=thread)

    def remember_messages(
        self, ask_id: int, *, question_ts: str | None = None, draft_ts: str | None = None
    ) -> None:
        """The bot's question and draft messages, to update them in place later."""
        changes: dict[str, Any] = {}
        if question_ts is not None:
            changes["question_ts"] = question_ts
        if draft_ts is not None:
            changes["draft_ts"] = draft_ts
        if changes:
            self._update(ask_id, **changes)

    def get(self, ask_id: int) -> Conversation:
        with self.uow_factory() as uow:
            conversation = uow.asks.get(ask_id)
        if conversation is None:
            raise NotFound(ask_id)
        return conversation

    def by_thread(self, team_id: str, thread: Thread) -> Conversation | None:
        with self.uow_factory() as uow:
            return uow.asks.by_thread(team_id, thread)

    def find(self, key: str, team_id: str | None = None) -> Conversation | None:
        """The ask ``key`` (``PLAT-12``) of ``team_id``. Keys repeat in every workspace:
        without ``team_id`` the oldest ask with that key in any (operator tools only)."""
        with self.uow_factory() as uow:
            return uow.asks.by_key(key, team_id)

    def list(
        self,
        *,
        team_id: str | None = None,
        requester: str | None = None,
        statuses: list[Status] | None = None,
        limit: int | None = None,
    ) -> list[Ticket]:
        """Tickets of ``team_id``, newest first (the newest ``limit``); without it every
        workspace's (operator tools and scheduled work that goes through them team by team)."""
        with self.uow_factory() as uow:
            return uow.asks.list(
                team_id=team_id, requester=requester, statuses=statuses, limit=limit
            )

    # -- internals --------------------------------------------------------------------------

    def _own(self, uow: UnitOfWork, ask_id: int, user: str) -> Conversation:
        conversation = uow.asks.get(ask_id)
        if conversation is None:
            raise NotFound(ask_id)
        if conversation.ticket.requester != user:
            raise NotAllowed("Only the person who opened this intake can change it.")
        return conversation

    @staticmethod
    def _said(
        uow: UnitOfWork, conversation: Conversation, user: str, text: str, now: datetime
    ) -> None:
        """What the person said or did, committed before anything is decided on it."""
        assert conversation.ticket.id is not None
        uow.record_message(conversation.ticket.id, user, text, now)
        uow.commit()

    def _prepare(
        self, conversation: Conversation | None, decide: Decide
    ) -> tuple[IntakeEngine, LlmUsage]:
        """The engine to decide with inside the transaction. With the rule assistant that is
        the engine itself; with a slow (LLM) assistant, ``decide`` is first run on a copy of
        ``conversation`` outside any transaction, and the engine returned replays its answers
        (see ``intake.prepared``)."""
        assistant = self.engine.assistant
        if isinstance(assistant, RuleAssistant):
            return self.engine, LlmUsage()
        recorder = Recorder(assistant)
        spent = conversation.ticket.usage.tokens if conversation is not None else 0
        with assistant.metering(spent) as usage:
            decide(self.engine.using(recorder), copy.deepcopy(conversation))  # type: ignore[arg-type]
        return self.engine.using(Replayer(recorder.answers)), usage

    def _decide(
        self, conversation: Conversation, decide: Decide, *, track_answer: bool = False
    ) -> Outcome:
        ask_id = conversation.ticket.id
        assert ask_id is not None
        engine, usage = self._prepare(conversation, decide)
        outcome = self._apply(ask_id, engine, usage, decide, track_answer)
        _log_usage(outcome.ticket, usage)
        return outcome

    @retry_on_conflict
    def _apply(
        self,
        ask_id: int,
        engine: IntakeEngine,
        usage: LlmUsage,
        decide: Decide,
        track_answer: bool,
    ) -> Outcome:
        """Load the ask afresh, decide, and persist, in one transaction."""
        with self.uow_factory() as uow:
            conversation = uow.asks.get(ask_id)
            if conversation is None:
                raise NotFound(ask_id)
            seen = len(conversation.ticket.history)
            was = (conversation.pending, conversation.questions_asked)
            replies = decide(engine, conversation)
            ticket = conversation.ticket
            if any(isinstance(reply, Submitted) for reply in replies):
                ticket.key = f"{self.id_prefix}-{uow.next_number(ticket.team_id)}"
            ticket.usage.add(usage)
            self._save(uow, conversation, seen)
        answered = _answered(was, conversation) if track_answer else None
        return Outcome(conversation, replies, answered)

    def _save(self, uow: UnitOfWork, conversation: Conversation, seen: int) -> None:
        """Persist the conversation; every status change since ``seen`` history entries
        becomes an integration event in the same transaction."""
        ticket = conversation.ticket
        assert ticket.id is not None
        now = self.clock.now()
        for entry in ticket.history[seen:]:
            uow.enqueue_event(ticket.id, events.status_changed(ticket, entry), now)
        uow.asks.save(conversation)
        uow.commit()

    @retry_on_conflict
    def _update(self, ask_id: int, **changes: Any) -> None:
        with self.uow_factory() as uow:
            conversation = uow.asks.get(ask_id)
            if conversation is None:
                raise NotFound(ask_id)
            for name, value in changes.items():
                setattr(conversation, name, value)
            uow.asks.save(conversation)
            uow.commit()


def _log_usage(ticket: Ticket, usage: LlmUsage) -> None:
    if usage.calls:
        log.info(
            "LLM usage ask=%s calls=%d tokens=%d cost_usd=%.6f (ask total tokens=%d cost_usd=%.6f)",
            ticket.id,
            usage.calls,
            usage.tokens,
            usage.cost_usd,
            ticket.usage.tokens,
            ticket.usage.cost_usd,
        )


def _answered(was: tuple[str | None, int], conversation: Conversation) -> tuple[str, int] | None:
    field_name, number = was
    asked_again = conversation.questions_asked != number  # a follow-up on the same field
    if field_name is not None and (conversation.pending != field_name or asked_again):
        return field_name, number
    return None
