"""Changes said in the conversation, at any point: corrections ("actually the deadline is
Friday", "it's for billing-api, not billing"), the request type settled or changed, checks typed
after the draft, and the one follow-up a vague acceptance criterion gets.

The engine's other half (it drives the engine's own steps: the next question, the draft):
``IntakeEngine`` hands a message here before reading it as an answer. Every change is said
back with its old and new value (``Corrected``), and the
conversation goes on where it was: the open question again, the next one, or the refreshed
draft. A title the engine proposed follows the change; a title a person wrote stays.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from intake import corrections, milestone_plan, readiness, request_types
from intake.answer_parsing import AnswerError
from intake.answers import Reading
from intake.conversation import Conversation, Phase
from intake.corrections import Change, Correction
from intake.dates import find_deadline
from intake.lists import split_list
from intake.planning import propose_title
from intake.replies import Corrected, Draft, Notice, Question, Reply
from intake.templates.model import AnswerType, FieldSpec, RequestTemplate

if TYPE_CHECKING:
    from intake.engine import IntakeEngine

CRITERIA = "acceptance_criteria"
# Marks, in ``Conversation.asked``, that the one follow-up on vague criteria was asked.
CHECK_ASKED = "check:acceptance_criteria"
DEFAULT_EXAMPLE = "“p99 latency under 200 ms” or “billing-api can connect from staging”"
_EXAMPLE = re.compile(r"e\.g\.\s*(“[^”]+”(?:\s+or\s+“[^”]+”)?)")
_CHECK_LEAD_IN = re.compile(
    r"^(?:(?:also|and|plus|oh|btw|ok|okay|another check|one more check|add)\b[\s,:;-]*)*"
    r"(?:(?:it'?s |we'?re |we are |it is )?done when|we'?ll know when|check(?:s)? that"
    r"|criteria?\s*:|success is)?\s*",
    re.IGNORECASE,
)


def is_auto_title(ticket: Any, template: RequestTemplate) -> bool:
    """Whether the title is the one the engine would propose (no one wrote it)."""
    return not ticket.title or ticket.title == propose_title(ticket, template)


def follow_up_text(template: RequestTemplate) -> str:
    spec = template.field(CRITERIA)
    m = _EXAMPLE.search(spec.question if spec else "")
    example = m.group(1) if m else DEFAULT_EXAMPLE
    return f"What would you check to know it works? e.g. {example}"


class Amender:
    def __init__(self, engine: IntakeEngine) -> None:
        self.engine = engine

    # -- corrections --------------------------------------------------------------------------

    def correct(self, conversation: Conversation, text: str, today: date) -> list[Reply] | None:
        """``text`` applied as a correction, or None when it is none (then it is an answer)."""
        engine, ticket = self.engine, conversation.ticket
        template = engine.template(conversation)
        correction = corrections.find(text, template, today)
        if correction is not None and correction.field == corrections.CATEGORY:
            new_type = request_types.type_named(correction.text, engine.templates)
            if new_type is None:
                names = ", ".join(t.name for t in engine.templates)
                return [Notice(f"I don't know that request type. The types are: {names}.")]
            return self.retype(conversation, new_type, today)
        if correction is None:
            new_type = request_types.named_type(text, engine.templates)
            if new_type is not None and new_type != ticket.category:
                return self.retype(conversation, new_type, today)
            return None
        resolved = corrections.resolve(correction, ticket, template, today)
        if resolved is None:
            return None
        asked = conversation.phase is Phase.ASKING and resolved.field == conversation.pending
        if asked and not resolved.replaced:
            return self.answer_by_name(conversation, template, resolved, today)
        return self.apply(conversation, template, resolved, today)

    def answer_by_name(
        self,
        conversation: Conversation,
        template: RequestTemplate,
        correction: Correction,
        today: date,
    ) -> list[Reply] | None:
        """ "services: billing-api" to the services question: the answer, by its name. None
        when the value cannot be read (the answer path then explains)."""
        changes = corrections.apply(correction, conversation.ticket, template, today)
        if isinstance(changes, AnswerError):
            return None
        conversation.pending = None
        spec, given = template.field(correction.field), conversation.ticket.get(correction.field)
        check = self.criteria_check(conversation, spec, template, given)
        return [check] if check is not None else self.engine.next_step(conversation, today)

    def apply(
        self,
        conversation: Conversation,
        template: RequestTemplate,
        correction: Correction,
        today: date,
    ) -> list[Reply]:
        ticket = conversation.ticket
        auto_title = is_auto_title(ticket, template) and correction.field != corrections.TITLE
        changes = corrections.apply(correction, ticket, template, today)
        if isinstance(changes, AnswerError):
            return [Notice(changes.message), *self.resume(conversation, today)]
        return self.after(conversation, template, changes, today, auto_title, correction)

    def after(
        self,
        conversation: Conversation,
        template: RequestTemplate,
        changes: list[Change],
        today: date,
        auto_title: bool,
        correction: Correction | None = None,
    ) -> list[Reply]:
        """Say what changed, re-title and re-plan as needed, and go on."""
        ticket = conversation.ticket
        if not changes:
            said = "That is what the ask already says; nothing changed."
            return [Notice(said), *self.resume(conversation, today)]
        for change in changes:  # "not sure" said earlier no longer stands beside the new value
            ticket.answer_notes.pop(change.name, None)
        replan = any(c.name in milestone_plan.PLAN_INPUTS for c in changes)
        if replan and conversation.phase is Phase.DRAFTED:
            ticket.milestones = []  # re-planned against the new deadline, criteria, environments
        if auto_title and ticket.title:
            old_title = ticket.title
            ticket.title = _renamed(propose_title(ticket, template), correction)
            if ticket.title != old_title:
                changes.append(Change("title", "Title", old_title, ticket.title))
        replies: list[Reply] = [Corrected(tuple(changes))]
        criteria = next((c for c in changes if c.name == CRITERIA), None)
        if criteria is not None:
            given = split_list(correction.text) if correction and correction.add else criteria.new
            question = self.follow_up(conversation, template, list(given or []))
            if question is not None:
                if conversation.phase is Phase.DRAFTED:
                    replies.append(self.refresh_draft(conversation, today))
                return [*replies, question]
        return [*replies, *self.resume(conversation, today)]

    def resume(self, conversation: Conversation, today: date) -> list[Reply]:
        """Where the conversation was: the open question again, the next, or the draft."""
        engine = self.engine
        if conversation.phase is Phase.DRAFTED:
            conversation.pending = None
            return [self.refresh_draft(conversation, today)]
        spec = engine.pending_spec(conversation)
        if spec is not None and not conversation.ticket.has(spec.name):
            return [engine.question_for(conversation, spec)]
        conversation.pending = None
        return engine.next_step(conversation, today)

    def refresh_draft(self, conversation: Conversation, today: date) -> Draft:
        """The draft again after a change, with what the change leaves to propose filled."""
        template = self.engine.template(conversation)
        self.engine.complete(conversation, template, today)
        return Draft(conversation.ticket, readiness.check(conversation.ticket, template))

    # -- the request type ---------------------------------------------------------------------

    def ask_type(self, conversation: Conversation, text: str) -> Question | None:
        """The one question "is this closer to A or B?" when the two likeliest request types
        are close; None when one clearly wins."""
        templates = self.engine.templates
        pair = request_types.close_call(text, templates, conversation.ticket.category)
        if pair is None:
            return None
        spec = request_types.type_question(templates, pair)
        conversation.asked.append(spec.name)
        conversation.pending = spec.name
        return Question(spec, conversation.questions_asked, spec.question)

    def settle_type(self, conversation: Conversation, text: str, today: date) -> list[Reply]:
        """The answer to "is this closer to A or B?": the type it names, else the best guess."""
        engine, ticket = self.engine, conversation.ticket
        pair = request_types.close_call(ticket.problem, engine.templates, ticket.category)
        picked = request_types.pick_type(text, engine.templates, pair or (ticket.category,) * 2)
        conversation.pending = None
        if picked is not None and picked != ticket.category:
            return self.retype(conversation, picked, today)
        corrected = self.correct(conversation, text, today) if picked is None else None
        return corrected or engine.next_step(conversation, today)

    def retype(self, conversation: Conversation, new_type: str, today: date) -> list[Reply]:
        """File the ask under ``new_type``: its fields read again from the opening ask."""
        engine, ticket = self.engine, conversation.ticket
        old = engine.template(conversation)
        auto_title = is_auto_title(ticket, old)
        ticket.category = new_type
        template = engine.template(conversation)
        if template.id == old.id:
            already = Notice(f"It is already filed as {old.name}.")
            return [already, *self.resume(conversation, today)]
        kept = {spec.name for spec in template.fields}
        ticket.fields = {name: value for name, value in ticket.fields.items() if name in kept}
        found = engine.assistant.extract(ticket.problem, template, today)
        engine.apply_facts(conversation, found, template)
        if conversation.pending is not None and template.field(conversation.pending) is None:
            conversation.pending = None
        if conversation.phase is Phase.DRAFTED:
            ticket.milestones = []  # the new type's plan
        change = Change(corrections.CATEGORY, "Request type", old.name, template.name)
        return self.after(conversation, template, [change], today, auto_title)

    # -- acceptance criteria ------------------------------------------------------------------

    def follow_up(
        self, conversation: Conversation, template: RequestTemplate, given: list[str]
    ) -> Question | None:
        """ONE follow-up when the criteria just given are all vague ("it works well"); never a
        second: a vague answer to it is kept as it is (the draft says it is not verifiable)."""
        if not given or any(readiness.is_verifiable(item) for item in given):
            return None
        if CHECK_ASKED in conversation.asked:
            return None
        spec = template.field(CRITERIA) or corrections.spec_of(template, CRITERIA)
        assert spec is not None
        interrupted = conversation.pending
        if interrupted not in (None, CRITERIA) and interrupted in conversation.asked:
            conversation.asked.remove(interrupted)  # asked again after the follow-up
        conversation.asked.append(CHECK_ASKED)
        conversation.pending = CRITERIA
        return Question(spec, conversation.questions_asked, follow_up_text(template))

    def criteria_check(
        self,
        conversation: Conversation,
        spec: FieldSpec | None,
        template: RequestTemplate,
        value: Any,
    ) -> Question | None:
        """The follow-up after an answer to the criteria question, when it is due."""
        if spec is None or spec.name != CRITERIA or not isinstance(value, list):
            return None
        return self.follow_up(conversation, template, value)

    def added_to(self, conversation: Conversation, reading: Reading) -> Reading:
        """``reading`` with the criteria said before kept, when it answers the follow-up."""
        return replace(reading, value=self.added_criteria(conversation, reading.value))

    def added_criteria(self, conversation: Conversation, value: Any) -> Any:
        """The answer to the follow-up adds to the criteria already said."""
        if not self.following_up(conversation) or not isinstance(value, list):
            return value
        return list(dict.fromkeys([*conversation.ticket.acceptance_criteria, *value]))

    def following_up(self, conversation: Conversation) -> bool:
        """Whether the open question is the follow-up on vague criteria."""
        return conversation.pending == CRITERIA and CHECK_ASKED in conversation.asked

    def amend_draft(self, conversation: Conversation, text: str, today: date) -> list[Reply]:
        """A message after the draft that is no correction by name: the answer to the
        follow-up, a check typed as it is (an acceptance criterion), or facts read from it."""
        engine, ticket = self.engine, conversation.ticket
        template = engine.template(conversation)
        check = _as_check(text, today)
        if self.following_up(conversation) and _declined(text):
            conversation.pending = None  # no check to add: the draft says what is missing
            return [self.refresh_draft(conversation, today)]
        if self.following_up(conversation) or check:
            conversation.pending = None
            criterion = Correction(CRITERIA, check or text.strip(), add=True)
            return self.apply(conversation, template, criterion, today)
        found = engine.assistant.extract(text, template, today)
        names = [*found.values, *(["deadline"] if found.no_deadline else [])]
        before = {name: _value(ticket, name) for name in names}
        auto_title = is_auto_title(ticket, template)
        changed = engine.apply_facts(conversation, found, template)
        if not changed:
            return [
                Notice(
                    "The draft is ready above: *Submit* it for review, *Edit* any field, "
                    "or *Cancel* it. You can also tell me a change, such as "
                    "“deadline: next Friday” or “criteria: …”."
                )
            ]
        changes = []
        for name in changed:
            spec = corrections.spec_of(template, name)
            kind, unit = (spec.type, spec.unit) if spec else (AnswerType.TEXT, "")
            label = corrections.label_of(template, name)
            changes.append(Change(name, label, before.get(name), _value(ticket, name), kind, unit))
        return self.after(conversation, template, changes, today, auto_title)


def _declined(text: str) -> bool:
    from intake.engine import SKIP_WORDS, _command  # the engine's own words for "skip"

    return _command(text) in SKIP_WORDS


def _value(ticket: Any, name: str) -> Any:
    if name == "deadline" and ticket.no_deadline:
        return "no deadline"
    value = ticket.get(name)
    return list(value) if isinstance(value, list) else value


def _as_check(text: str, today: date) -> str:
    """``text`` as a check someone can verify, when that is what it is ("p99 under 200 ms";
    "billing-api connects from staging"); "" otherwise."""
    body = _CHECK_LEAD_IN.sub("", " ".join(text.split()), count=1).strip(" .")
    if len(body.split()) < 3 or find_deadline(body, today) is not None:
        return ""
    items = split_list(body)
    return body if any(readiness.is_verifiable(item) for item in items) else ""


def _renamed(title: str, correction: Correction | None) -> str:
    """``title`` with a renamed value replaced ("billing" -> "billing-api")."""
    if correction is None or not correction.replaced:
        return title
    if re.search(rf"(?<![\w-]){re.escape(correction.text)}(?![\w-])", title, re.IGNORECASE):
        return title
    pattern = rf"(?<![\w-]){re.escape(correction.replaced)}(?![\w-])"
    return re.sub(pattern, correction.text, title, flags=re.IGNORECASE)
