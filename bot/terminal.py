"""`intake-bot chat`: the same intake engine and database, in a terminal instead of Slack."""

from __future__ import annotations

import textwrap
import uuid
from dataclasses import KW_ONLY, dataclass
from datetime import date
from typing import Any, TextIO

from bot.blocks.intake import NOTES_HEADING, describe, note_lines
from bot.blocks.when import day
from intake import readiness
from intake.answer_parsing import AnswerError, parse_answer
from intake.clock import local_today
from intake.conversation import Conversation, Phase, Source, Thread
from intake.corrections import aliases
from intake.readiness import Readiness
from intake.replies import (
    Cancelled,
    Corrected,
    Draft,
    Notice,
    NotReady,
    Question,
    Reply,
    Submitted,
    Understood,
)
from intake.request_types import TYPE_FIELD, close_call, type_question
from intake.service import IntakeService, Outcome
from intake.templates.model import AnswerType
from intake.ticket import Status, Ticket

TEAM = "local"
WIDTH = 88

DRAFT_HELP = (
    "Type  submit  to send it for review,  edit <field>  to change a field (e.g. edit deadline),\n"
    'cancel  to drop it, or just tell me a change (e.g. "deadline: Dec 12", "criteria: …").'
)


@dataclass(eq=False)
class TerminalChat:
    service: IntakeService
    user: str
    tz: str
    out: TextIO
    inp: TextIO
    _: KW_ONLY
    # What the person types to come back (Ctrl-D's hint): the way they started this chat.
    resume_command: str = "intake-bot chat"

    def run(self) -> int:
        self.say("Platform Intake: tell me what you need from the platform team.")
        self.say(
            "(I ask a few short questions, then show a draft ticket. "
            "Ctrl-D quits; your answers are saved.)\n"
        )
        conversation = self._resume()
        if conversation is None:
            text = self.ask("Your ask:")
            if text is None:
                return 0
            thread = Thread(f"cli:{self.user}", uuid.uuid4().hex)
            outcome = self.service.start(
                team_id=TEAM,
                requester=self.user,
                text=text,
                source=Source.CLI,
                tz=self.tz,
                thread=thread,
            )
            assert outcome is not None
            conversation = outcome.conversation
            self.show(outcome.replies)
        return self._loop(conversation)

    # -- the conversation -------------------------------------------------------------------

    def _loop(self, conversation: Conversation) -> int:
        assert conversation.thread is not None and conversation.ticket.id is not None
        ask_id = conversation.ticket.id
        while conversation.phase in (Phase.ASKING, Phase.DRAFTED):
            line = self.ask(">" if conversation.phase is Phase.ASKING else "draft")
            if line is None:
                self.say(
                    f"\nSaved. Run `{self.resume_command}` again to continue where you left off."
                )
                return 0
            command = line.strip().lower()
            outcome: Outcome | None
            if conversation.phase is Phase.DRAFTED and command in ("submit", "submit anyway"):
                outcome = self.service.submit(
                    ask_id=ask_id, user=self.user, force=command == "submit anyway"
                )
            elif conversation.phase is Phase.DRAFTED and command.startswith("edit"):
                outcome = self._edit(conversation, command.removeprefix("edit").strip())
            else:
                outcome = self.service.answer(
                    team_id=TEAM, thread=conversation.thread, user=self.user, text=line
                )
            if outcome is None:
                continue
            conversation = outcome.conversation
            self.show(outcome.replies)
        return 0

    def _resume(self) -> Conversation | None:
        drafts = self.service.list(team_id=TEAM, requester=self.user, statuses=[Status.DRAFT])
        if not drafts:
            return None
        latest = drafts[0]
        assert latest.id is not None
        conversation = self.service.get(latest.id)
        if conversation.phase not in (Phase.ASKING, Phase.DRAFTED):
            return None
        self.say(f"You have an unfinished intake: “{_short(latest.problem)}”.")
        answer = self.ask("Continue it? [Y/n]")
        if answer is None or answer.strip().lower() in ("n", "no"):
            return None
        self._recap(conversation)
        return conversation

    def _recap(self, conversation: Conversation) -> None:
        template = self.service.engine.template(conversation)
        if conversation.phase is Phase.DRAFTED:
            self.show([Draft(conversation.ticket, readiness.check(conversation.ticket, template))])
            return
        spec = template.field(conversation.pending or "")
        if conversation.pending == TYPE_FIELD:  # "is this closer to A or B?" comes back too
            templates = self.service.engine.templates
            pair = close_call(conversation.ticket.problem, templates, conversation.ticket.category)
            spec = type_question(templates, pair) if pair else None
        if spec is not None:
            self.show([Question(spec, conversation.questions_asked, spec.question)])

    def _edit(self, conversation: Conversation, name: str) -> Outcome | None:
        template = self.service.engine.template(conversation)
        names = {spec.name: spec for spec in template.fields}
        said = " ".join(name.lower().removeprefix("the ").split())
        # Fields by the names people use ("pipeline link", "due date", "env", "criteria").
        key = aliases(template).get(said) or said.replace(" ", "_")
        spec = names.get(key)
        if spec is None:
            labels = sorted(spec.label.lower() for spec in template.fields)
            self.say("Which field? One of: " + ", ".join(labels) + ", title")
            if key != "title":
                return None
        question = spec.question if spec else "New title"
        value = self.ask(question)
        if value is None:
            return None
        values: dict[str, Any]
        if spec is None:
            values = {"title": value.strip()}
        else:
            parsed = parse_answer(spec, value, _today(self.service, conversation))
            if isinstance(parsed, AnswerError):
                self.say(parsed.message)
                return None
            values = {spec.name: parsed.value}
            if spec.name == "deadline":
                values["no_deadline"] = parsed.no_deadline
        assert conversation.ticket.id is not None
        return self.service.edit(ask_id=conversation.ticket.id, user=self.user, values=values)

    # -- rendering --------------------------------------------------------------------------

    def show(self, replies: list[Reply]) -> None:
        for reply in replies:
            if isinstance(reply, Understood):
                self.say(
                    f"\nThanks! Here is what I understood:\n  • Request type: {reply.request_type}"
                )
                for fact in reply.facts:
                    self.say(f"  • {fact.label}: {describe(fact.value, fact.type, fact.unit)}")
            elif isinstance(reply, Question):
                if reply.problem:
                    self.say(f"\n! {reply.problem}")
                self.say(f"\nQuestion {reply.number}: {reply.text.replace('*', '')}")
                if reply.spec.type is AnswerType.CHOICE:
                    options = "  ".join(
                        f"[{i}] {o.value}" for i, o in enumerate(reply.spec.options, 1)
                    )
                    self.say(f"  {options}")
                self.say("  (skip: skip it · done: see the draft now · cancel: stop)")
            elif isinstance(reply, Corrected):
                self.say("")
                today = local_today(self.service.clock, self.tz)
                for change in reply.changes:
                    old = describe(change.old, change.type, change.unit, today)
                    new = describe(change.new, change.type, change.unit, today)
                    self.say(f"{change.label} changed: {old} → {new}")
            elif isinstance(reply, Draft):
                if reply.changed:
                    self.say(f"\nUpdated: {', '.join(reply.changed)}")
                today = local_today(self.service.clock, self.tz)
                self.say("\n" + render_ticket(reply.ticket, self.service, reply.readiness, today))
                self.say(DRAFT_HELP)
            elif isinstance(reply, NotReady):
                self.say("\nNot ready for review yet. Still missing:")
                for item in reply.readiness.missing:
                    self.say(f"  • {item.label}" + (f": {item.hint}" if item.hint else ""))
                self.say("Add it (edit <field>), or type  submit anyway.")
            elif isinstance(reply, Submitted):
                self.say(f"\nSubmitted as {reply.ticket.key}. The platform team will review it.")
            elif isinstance(reply, Cancelled):
                self.say("\nCancelled; nothing was sent to the platform team.")
            elif isinstance(reply, Notice):
                self.say(reply.text.replace("*", ""))

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def ask(self, prompt: str) -> str | None:
        """One line from the person; None at end of input."""
        while True:
            self.out.write(f"{prompt} ")
            self.out.flush()
            line = self.inp.readline()
            if not line:
                return None
            if line.strip():
                if not self.inp.isatty():
                    self.out.write(line if line.endswith("\n") else line + "\n")
                return line.rstrip("\n")


def render_ticket(
    ticket: Ticket, service: IntakeService, check: Readiness, today: date | None = None
) -> str:
    """The ticket as text (its dates without the year when they fall in ``today``'s)."""
    template = service.engine.templates.get(ticket.category)
    deadline = (
        day(ticket.deadline, today)
        if ticket.deadline
        else ("no deadline" if ticket.no_deadline else "—")
    )
    lines = [
        f"── {ticket.key or 'Draft'}: {ticket.title} "
        + "─" * max(0, WIDTH - len(ticket.title) - 12),
        f"Type: {template.name}   Priority: {ticket.priority or '—'}   "
        f"Size: {ticket.size or '—'}   Deadline: {deadline}",
        f"Environment: {describe(ticket.environment)}   Services: {describe(ticket.services)}",
        "Problem:",
        textwrap.indent(textwrap.fill(_short(ticket.problem, 1200), WIDTH - 4), "    "),
    ]
    if ticket.impact:
        lines += ["Impact:", textwrap.indent(textwrap.fill(ticket.impact, WIDTH - 4), "    ")]
    if ticket.desired_outcome:
        lines += [
            "Desired outcome:",
            textwrap.indent(textwrap.fill(ticket.desired_outcome, WIDTH - 4), "    "),
        ]
    lines.append("Acceptance criteria:")
    lines += [f"    • {c}" for c in ticket.acceptance_criteria] or ["    —"]
    if ticket.answer_notes:
        lines += [f"{NOTES_HEADING}:"] + [f"    • {n}" for n in note_lines(ticket, template)]
    if ticket.out_of_scope:
        lines += ["Out of scope:"] + [f"    • {c}" for c in ticket.out_of_scope]
    for spec in template.fields:
        if spec.name in ticket.fields:
            lines.append(
                f"{spec.label}: {describe(ticket.fields[spec.name], spec.type, spec.unit)}"
            )
    if ticket.milestones:
        lines.append("Milestones:")
        if ticket.plan_warning:
            lines.append(f"    ! {ticket.plan_warning}")
        for m in ticket.milestones:
            due = f" (due {day(m.due, today)})" if m.due else ""
            lines.append(f"    • {m.title}{due}")
            if m.done_criterion:
                lines.append(f"        done when: {m.done_criterion}")
    lines.append("Readiness:" + (" ready for review" if check.ready else " not ready yet"))
    for item in check.items:
        lines.append(
            f"    [{'?' if item.noted else 'x' if item.ok else ' '}] {item.label}"
            + ("" if item.ok or not item.hint else f": {item.hint}")
        )
    return "\n".join(lines)


def _today(service: IntakeService, conversation: Conversation) -> date:
    return local_today(service.clock, conversation.tz)


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
