"""The question flow: from an opening ask to a draft that meets the definition of ready.

Pure functions of a Conversation and today's date (in the requester's time zone). The engine
changes the conversation in place and returns what to say; the service layer persists it.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from intake import answers, lifecycle, milestone_plan, pastes, readiness
from intake.amending import Amender, is_auto_title
from intake.assistant import Assistant
from intake.conversation import Conversation, Phase, Source
from intake.extraction import Extraction
from intake.lifecycle import Action, Role
from intake.planning import propose_title
from intake.reask import second_wording as reask_wording
from intake.replies import (
    Cancelled,
    Draft,
    Fact,
    Joined,
    Notice,
    NotReady,
    Question,
    Reply,
    Resubmitted,
    Submitted,
    Understood,
)
from intake.request_types import TYPE_FIELD
from intake.similarity import OPEN_STATUSES
from intake.special_mentions import without_special_mentions
from intake.templates.loader import shipped_core_fields
from intake.templates.model import AnswerType, FieldSpec, RequestTemplate, TemplateSet
from intake.ticket import Status, Ticket

MAX_QUESTIONS = 8
REQUESTER = frozenset({Role.REQUESTER})

# Words a requester types to skip a question ("not sure" is an answer: see intake.unsure).
SKIP_WORDS = frozenset({"skip", "pass", "next", "skip it", "skip this"})
DONE_WORDS = frozenset({"done", "that's all", "thats all", "draft", "finish"})
SUBMIT_WORDS = frozenset({"submit", "send", "send it"})
CANCEL_WORDS = frozenset({"cancel", "stop", "abort", "never mind", "nevermind"})

_COMMAND_TRIM = re.compile(r"[\s.!]+$")


def _command(text: str) -> str:
    return _COMMAND_TRIM.sub("", text.strip().lower())


class IntakeEngine:
    def __init__(self, templates: TemplateSet, assistant: Assistant) -> None:
        self.templates = templates
        self.assistant = assistant
        self.amend = Amender(self)  # corrections, the request type, checks after the draft

    def using(self, assistant: Assistant) -> IntakeEngine:
        """The same engine consulting another assistant."""
        return IntakeEngine(self.templates, assistant)

    def template(self, conversation: Conversation) -> RequestTemplate:
        return self.templates.get(conversation.ticket.category)

    # -- starting ---------------------------------------------------------------------------

    def start(
        self, text: str, requester: str, source: Source, tz: str, now: datetime
    ) -> tuple[Conversation, list[Reply]]:
        """A new intake from an opening ask: classify, extract, and ask the first question."""
        today = _local_date(now, tz)
        category = self.assistant.classify(text, self.templates)
        problem = without_special_mentions(text).strip()  # "<!channel>" is nobody's ask
        ticket = Ticket(requester=requester, category=category, problem=problem)
        conversation = Conversation(ticket=ticket, source=source, tz=tz)
        template = self.template(conversation)
        found = self.assistant.extract(text, template, today)
        self.apply_facts(conversation, found, template)
        ask_type = self.amend.ask_type(conversation, text)  # when two types are close
        understood = Understood(
            request_type=ask_type.spec.label if ask_type else template.name,
            facts=tuple(self._facts(ticket, template, found)),
        )
        first = [ask_type] if ask_type else self.next_step(conversation, today)
        return conversation, [understood, *first]

    # -- answering --------------------------------------------------------------------------

    def answer(self, conversation: Conversation, text: str, now: datetime) -> list[Reply]:
        """A message typed in the intake thread."""
        today = _local_date(now, conversation.tz)
        command = _command(text)
        if conversation.ticket.status is Status.NEEDS_INFO:
            return self._revise(conversation, text, today, now, note=text)
        if conversation.phase in (Phase.SUBMITTED, Phase.CANCELLED):
            return [self._closed_notice(conversation)]
        if command in CANCEL_WORDS:
            return self.cancel(conversation, conversation.ticket.requester, now)
        if conversation.pending == TYPE_FIELD:
            return self.amend.settle_type(conversation, text, today)
        if conversation.phase is Phase.DRAFTED and command in SUBMIT_WORDS:
            return [Notice("Use the *Submit* button on the draft to send it for review.")]
        corrected = self.amend.correct(conversation, text, today)
        if corrected is not None:
            return corrected
        if conversation.phase is Phase.DRAFTED:
            return self.amend.amend_draft(conversation, text, today)
        if command in DONE_WORDS or command in SUBMIT_WORDS:  # the draft first, then Submit
            return self._draft(conversation, today)
        spec = self.pending_spec(conversation)
        if spec is None:
            return self.next_step(conversation, today)
        if command in SKIP_WORDS:
            conversation.skipped.append(spec.name)
            conversation.pending = None
            return self.next_step(conversation, today)
        return self._take_answer(conversation, spec, text, today)

    def _take_answer(
        self, conversation: Conversation, spec: FieldSpec, text: str, today: date
    ) -> list[Reply]:
        """The pending question's answer (``intake.answers``): a value or the person's words as
        a note; an unreadable answer is asked about once more, never twice."""
        template = self.template(conversation)
        paste = pastes.is_paste(text)
        # An answer often says more than was asked ("prod and staging, by Dec 18"): read all
        # of it — but a paste answers this question only, and only its prose is read.
        extra = self.assistant.extract(pastes.prose(text) if paste else text, template, today)
        retried = conversation.asked.count(spec.name) > 1  # asked once more already
        reading = answers.read(spec, text, today, conversation.ticket.requester, extra, retried)
        if reading.problem:
            conversation.asked.append(spec.name)  # asked again: it counts as a question
            number, problem = conversation.questions_asked, reading.problem
            return [Question(spec, number, text=reask_wording(spec), problem=problem)]
        reading = self.amend.added_to(conversation, reading)  # a follow-up adds to criteria
        answers.record(conversation.ticket, spec, reading)
        conversation.pending = None
        if paste or reading.unsure:
            extra = Extraction(links=extra.links)
        extra.values.pop(spec.name, None)
        extra.no_deadline = extra.no_deadline and spec.name != "deadline"
        self.apply_facts(conversation, extra, template, only_missing=True)
        check = self.amend.criteria_check(conversation, spec, template, reading.value)
        return [check] if check is not None else self.next_step(conversation, today)

    def choose(
        self, conversation: Conversation, field: str, value: str, now: datetime
    ) -> list[Reply]:
        """A button clicked under a question."""
        if conversation.phase in (Phase.SUBMITTED, Phase.CANCELLED):
            return [self._closed_notice(conversation)]
        if conversation.pending != field:
            return [Notice("That question has already been answered; nothing changed.")]
        return self.answer(conversation, value, now)

    # -- the draft --------------------------------------------------------------------------

    def edit(
        self, conversation: Conversation, values: dict[str, Any], now: datetime
    ) -> list[Reply]:
        """Fields saved from the edit form, already typed (see intake.forms)."""
        today = _local_date(now, conversation.tz)
        revising = conversation.ticket.status is Status.NEEDS_INFO
        if conversation.phase in (Phase.SUBMITTED, Phase.CANCELLED) and not revising:
            return [self._closed_notice(conversation)]
        ticket = conversation.ticket
        old_plan = milestone_plan.inputs(ticket)  # deadline, criteria, environments, size
        auto_title = is_auto_title(ticket, self.template(conversation)) and (
            values.get("title", ticket.title) == ticket.title
        )
        milestones_given = "milestones" in values
        if "category" in values and values["category"] in self.templates.templates:
            ticket.category = values.pop("category")
        for name, value in values.items():
            if name == "no_deadline":
                ticket.no_deadline = bool(value)
            elif name == "milestones":
                ticket.milestones, ticket.plan_warning = list(value), ""
            else:
                ticket.set(name, value)
        if ticket.deadline is not None:
            ticket.no_deadline = False
        if milestone_plan.inputs(ticket) != old_plan and not milestones_given:
            ticket.milestones = []
        if auto_title:  # a title no one wrote follows the fields it was made from
            ticket.title = propose_title(ticket, self.template(conversation))
        if revising:
            self.complete(conversation, self.template(conversation), today)
            return self._revise(conversation, "", today, now, note="(edited the ask)")
        conversation.pending = None
        conversation.phase = Phase.DRAFTED
        template = self.template(conversation)
        self.complete(conversation, template, today)
        return [Draft(ticket, readiness.check(ticket, template))]

    def submit(
        self, conversation: Conversation, actor: str, now: datetime, *, force: bool = False
    ) -> list[Reply]:
        """Submit for review. The caller gives the ticket its key before persisting."""
        ticket = conversation.ticket
        if conversation.phase in (Phase.SUBMITTED, Phase.CANCELLED):
            return [self._closed_notice(conversation)]
        template = self.template(conversation)
        if conversation.phase is Phase.ASKING:
            self.complete(conversation, template, _local_date(now, conversation.tz), first=True)
        check = readiness.check(ticket, template)
        if not check.ready and not force:
            return [NotReady(ticket, check)]
        lifecycle.apply(ticket, Action.SUBMIT, actor, REQUESTER, now)
        conversation.phase = Phase.SUBMITTED
        conversation.pending = None
        return [Submitted(ticket)]

    def cancel(self, conversation: Conversation, actor: str, now: datetime) -> list[Reply]:
        ticket = conversation.ticket
        if conversation.phase in (Phase.SUBMITTED, Phase.CANCELLED):
            return [self._closed_notice(conversation)]
        self._close(conversation, actor, now, "Cancelled during intake")
        return [Cancelled(ticket)]

    def join(
        self, conversation: Conversation, target: Ticket, actor: str, now: datetime
    ) -> list[Reply]:
        """The requester joins ``target`` (an open ask like this one) instead: they become one
        of its watchers and this intake is closed."""
        if conversation.phase in (Phase.SUBMITTED, Phase.CANCELLED):
            return [self._closed_notice(conversation)]
        if target.status not in OPEN_STATUSES:
            return [Notice(f"{target.label} is no longer open, so there is nothing to join.")]
        if actor != target.requester and actor not in target.watchers:
            target.watchers.append(actor)
        self._close(conversation, actor, now, f"Joined {target.label} instead")
        return [Joined(conversation.ticket, target)]

    def not_same(self, conversation: Conversation, key: str) -> list[Reply]:
        """The requester says ``key`` is a different need: it is not suggested again."""
        if key not in conversation.dismissed:
            conversation.dismissed.append(key)
        return []

    @staticmethod
    def _close(conversation: Conversation, actor: str, now: datetime, note: str) -> None:
        lifecycle.apply(conversation.ticket, Action.CANCEL, actor, REQUESTER, now, note)
        conversation.phase = Phase.CANCELLED
        conversation.pending = None

    # -- the steps (the amender, intake.amending, drives them too) -----------------------------
    def next_step(self, conversation: Conversation, today: date) -> list[Reply]:
        """The next question, or the draft when nothing worth asking is missing."""
        if conversation.questions_asked >= MAX_QUESTIONS:
            return self._draft(conversation, today)
        ticket = conversation.ticket
        candidates = [
            spec
            for spec in self.template(conversation).fields
            if (spec.required or spec.ask)
            and not ticket.has(spec.name)
            and spec.name not in conversation.skipped
            and spec.name not in conversation.asked
        ]
        if not candidates:
            return self._draft(conversation, today)
        spec = self.assistant.next_field(conversation, candidates)
        if spec not in candidates:  # an assistant may only choose among the candidates
            spec = candidates[0]
        conversation.asked.append(spec.name)
        conversation.pending = spec.name
        return [self.question_for(conversation, spec)]

    def question_for(self, conversation: Conversation, spec: FieldSpec) -> Question:
        text = self.assistant.word_question(conversation, spec)
        return Question(spec=spec, number=conversation.questions_asked, text=text)

    def _draft(self, conversation: Conversation, today: date) -> list[Reply]:
        conversation.phase = Phase.DRAFTED
        conversation.pending = None
        template = self.template(conversation)
        self.complete(conversation, template, today, first=True)
        return [Draft(conversation.ticket, readiness.check(conversation.ticket, template))]

    def complete(
        self,
        conversation: Conversation,
        template: RequestTemplate,
        today: date,
        *,
        first: bool = False,
    ) -> None:
        """Fill what the requester did not give from the assistant's proposal: anything the
        requester said or edited stays. The problem statement is rewritten only when the draft
        is first written (``first``); the rationale always follows the latest proposal."""
        ticket = conversation.ticket
        proposal = self.assistant.propose_draft(conversation, template, today)
        if first and proposal.problem and "<@" not in ticket.problem:
            # A rewrite cannot keep the people the requester named (the assistant never sees
            # their IDs), so then the requester's own words stay.
            ticket.problem = proposal.problem
        if not ticket.title:
            ticket.title = proposal.title
        for name in ("acceptance_criteria", "out_of_scope", "risks"):
            if not getattr(ticket, name):
                setattr(ticket, name, list(getattr(proposal, name)))
        if ticket.priority is None:
            ticket.priority = proposal.priority
        if ticket.size is None:
            ticket.size = proposal.size
        if not ticket.milestones:
            ticket.milestones = list(proposal.milestones)
            ticket.plan_warning = proposal.plan_warning
        if proposal.rationale:
            ticket.rationale = proposal.rationale

    def pending_spec(self, conversation: Conversation) -> FieldSpec | None:
        if conversation.pending is None:
            return None
        return self.template(conversation).field(conversation.pending)

    def apply_facts(
        self,
        conversation: Conversation,
        found: Extraction,
        template: RequestTemplate,
        *,
        only_missing: bool = False,
    ) -> list[str]:
        """Copy what a message stated into the ticket; the names of the fields that changed."""
        ticket = conversation.ticket
        changed: list[str] = []
        if found.no_deadline and not (only_missing and ticket.has("deadline")):
            if not ticket.no_deadline or ticket.deadline is not None:
                changed.append("deadline")
            ticket.no_deadline, ticket.deadline = True, None
        for name, value in found.values.items():
            if only_missing and ticket.has(name):
                continue
            if ticket.get(name) != value:
                ticket.set(name, value)
                changed.append(name)
        if "deadline" in found.values:
            ticket.no_deadline = False
        for link in found.links:
            if link not in ticket.links:
                ticket.links.append(link)
        if _URGENCY_RANK[found.urgency] > _URGENCY_RANK[conversation.urgency]:
            conversation.urgency = found.urgency
        return changed

    def _facts(self, ticket: Ticket, template: RequestTemplate, found: Extraction) -> list[Fact]:
        facts: list[Fact] = []
        for spec in template.fields:
            if spec.name == "deadline" and ticket.no_deadline:
                facts.append(Fact("deadline", spec.label, "no deadline", AnswerType.TEXT))
            elif spec.name in found.values:
                facts.append(Fact.of(spec, ticket.get(spec.name)))
        for name in ("environment", "services", "deadline"):
            if name in found.values and all(f.name != name for f in facts):
                facts.append(Fact.of(shipped_core_fields()[name], ticket.get(name)))
        if found.urgency.value != "none":
            facts.append(Fact("urgency", "Urgency", found.urgency.value, AnswerType.TEXT))
        return facts

    def _label(self, template: RequestTemplate, name: str) -> str:
        spec = template.field(name)
        return spec.label if spec else name.replace("_", " ").capitalize()

    def _revise(
        self, conversation: Conversation, text: str, today: date, now: datetime, note: str
    ) -> list[Reply]:
        """The requester answered the platform team's questions: keep what the answer states
        and send the ask back to review, the answer as the history note."""
        template = self.template(conversation)
        found = self.assistant.extract(text, template, today)
        changed = self.apply_facts(conversation, found, template)
        ticket = conversation.ticket
        lifecycle.apply(ticket, Action.RESUBMIT, ticket.requester, REQUESTER, now, note)
        labels = tuple(self._label(template, name) for name in changed)
        return [Resubmitted(ticket, labels)]

    @staticmethod
    def _closed_notice(conversation: Conversation) -> Notice:
        ticket = conversation.ticket
        if conversation.phase is Phase.SUBMITTED:
            return Notice(f"This ask was already submitted as {ticket.label}; nothing changed.")
        return Notice("This intake was cancelled. Start a new one with `/intake` and your ask.")


_URGENCY_RANK = {"none": 0, "high": 1, "critical": 2}


def _local_date(now: datetime, tz: str) -> date:
    return now.astimezone(ZoneInfo(tz)).date()
