"""The domain rules every answer of the model must pass before the engine sees it.

Nothing here trusts the model: values are re-read through the same functions the rule engine
uses (``intake.extraction.parse_answer``, ``intake.readiness.is_verifiable``), so they have the
types and forms the rest of the code expects. A whole answer that fails raises ``Rejected``; an
answer made of parts (an extraction, a draft) keeps the parts that pass and says which did not.
Reasons name fields and rules, never the text the model or the requester wrote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from intake.answer_parsing import AnswerError, parse_answer
from intake.assistant import SUMMARY_LIMIT, DraftProposal
from intake.choices import DEFAULT_ENVIRONMENT
from intake.extraction import Extraction, Urgency
from intake.milestone_schedule import TITLE_LIMIT as MILESTONE_TITLE_LIMIT
from intake.milestone_schedule import Kind, Plan, Step, cut, schedule
from intake.planning import TITLE_LIMIT
from intake.readiness import is_verifiable
from intake.templates.model import AnswerType, FieldSpec, RequestTemplate, TemplateSet
from intake.ticket import Priority, Size
from llm.schemas import DraftReply, ExtractionReply, MilestoneReply

MAX_MILESTONES = 8
MAX_CRITERIA = 5
MAX_ITEMS = 5  # out of scope, risks
ITEM_LIMIT = 200  # characters of one criterion, out-of-scope item, risk or done criterion
QUESTION_LIMIT = 300
RATIONALE_LIMIT = 200
PROBLEM_LIMIT = 2000

# The core fields ``intake.extraction.extract`` reads from any message, whatever the template.
EXTRACTED_CORE = ("deadline", "environment", "services", "impact")

_URGENCY_RANK = {Urgency.NONE: 0, Urgency.HIGH: 1, Urgency.CRITICAL: 2}


class Rejected(ValueError):
    """The model's answer breaks a domain rule; ``reason`` says which (no user text)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- Slack control sequences --------------------------------------------------------------------

# <!channel>, <!here>, <!subteam^S123>, <@U123>, <#C123|name>, <https://x|label>, <mailto:…>
_CONTROL = re.compile(r"<\s*(?:[!@#]|[a-z][a-z0-9+.-]*:)[^<>]*>", re.IGNORECASE)
_BROADCAST = re.compile(r"(?<![\w@])@(channel|here|everyone)\b", re.IGNORECASE)


def strip_controls(text: str) -> str:
    """``text`` without Slack control sequences (mentions, broadcasts, links), on one line."""
    text = _CONTROL.sub(" ", text)
    text = _BROADCAST.sub(r"\1", text)
    return " ".join(text.split())


def _clean_block(text: str) -> str:
    """Like ``strip_controls`` but keeps line breaks (for a problem statement or a summary)."""
    lines = [strip_controls(line) for line in text.splitlines()]
    return "\n".join(line for line in lines if line).strip()


# -- classify, next_field, word_question, summarise_thread --------------------------------------


def request_type(value: str, templates: TemplateSet) -> str:
    template_id = value.strip()
    if template_id not in templates.templates:
        raise Rejected("unknown request type")
    return template_id


def next_field(name: str, candidates: Sequence[FieldSpec]) -> FieldSpec:
    for spec in candidates:
        if spec.name == name.strip():
            return spec
    raise Rejected("field is not one of the candidates")


def question(text: str) -> str:
    cleaned = _within(strip_controls(text), "question", QUESTION_LIMIT)
    if not cleaned.endswith("?"):
        raise Rejected("not a question")
    return cleaned


def summary(text: str) -> str:
    return _within(_clean_block(text), "summary", SUMMARY_LIMIT)


def _within(cleaned: str, what: str, limit: int) -> str:
    """``cleaned`` if it is not empty and at most ``limit`` characters; else Rejected."""
    if not cleaned:
        raise Rejected(f"empty {what}")
    if len(cleaned) > limit:
        raise Rejected(f"{what} longer than {limit} characters")
    return cleaned


# -- extract ------------------------------------------------------------------------------------


def extractable_fields(template: RequestTemplate) -> dict[str, FieldSpec]:
    """The fields the model may fill for ``template``: the template's own fields and the core
    fields extraction reads from any message, by name. People (user fields) and links are
    left to the rules: the model never sees user IDs and must not invent URLs."""
    specs = {spec.name: spec for spec in template.fields}
    if "environment" not in specs:
        specs["environment"] = DEFAULT_ENVIRONMENT
    missing = [name for name in EXTRACTED_CORE if name not in specs]
    if missing:  # every loaded template has them; a hand-made one may not
        for name in missing:
            specs[name] = _core_spec(name)
    return {
        name: spec
        for name, spec in specs.items()
        if spec.type is not AnswerType.USER and not name.endswith(("_url", "_link"))
    }


def _core_spec(name: str) -> FieldSpec:
    kinds = {"deadline": AnswerType.DATE, "services": AnswerType.LIST}
    label = name.replace("_", " ").capitalize()
    return FieldSpec(name, label, "", kinds.get(name, AnswerType.TEXT))


def _read_value(spec: FieldSpec, values: list[str], today: date) -> Any:
    """The model's ``values`` for ``spec`` read the way a typed answer is, or None."""
    items = [strip_controls(v) for v in values]
    items = [item for item in items if item]
    if not items:
        return None
    if spec.type is AnswerType.CHOICE and spec.multiple:
        known = [
            item for item in items if not isinstance(parse_answer(spec, item, today), AnswerError)
        ]
        if not known:
            return None
        items = known  # unknown options are dropped, the known ones kept
    elif spec.type is not AnswerType.LIST:
        items = items[:1]
    parsed = parse_answer(spec, ", ".join(items), today)
    if isinstance(parsed, AnswerError) or parsed.no_deadline:
        return None
    if parsed.value in (None, "", []):
        return None
    if isinstance(parsed.value, date) and parsed.value < today:
        return None
    return parsed.value


def extraction(
    reply: ExtractionReply, template: RequestTemplate, today: date, rules: Extraction
) -> tuple[Extraction, list[str]]:
    """The rule extraction of the same text with the model's valid values laid over it: the
    model adds fields, the rules keep what they found when the model leaves it out. Links are
    always the rules'. Returns the merged extraction and what was dropped."""
    specs = extractable_fields(template)
    values: dict[str, Any] = {}
    dropped: list[str] = []
    unknown = 0
    for item in reply.fields:
        spec = specs.get(item.name.strip())
        if spec is None:
            unknown += 1
            continue
        value = _read_value(spec, item.values, today)
        if value is None:
            dropped.append(spec.name)
            continue
        values[spec.name] = value
    if unknown:
        dropped.append(f"{unknown} unknown field(s)")
    merged = replace(rules, values={**rules.values, **values}, links=list(rules.links))
    merged.no_deadline = "deadline" not in merged.values and (
        rules.no_deadline or reply.no_deadline
    )
    try:
        urgency = Urgency(reply.urgency.strip().lower())
    except ValueError:
        dropped.append("urgency")
        urgency = Urgency.NONE
    if _URGENCY_RANK[urgency] > _URGENCY_RANK[rules.urgency]:
        merged.urgency = urgency
    return merged, dropped


# -- propose_draft ------------------------------------------------------------------------------


def _line(text: str, limit: int) -> str | None:
    cleaned = strip_controls(text)
    if not cleaned or len(cleaned) > limit:
        return None
    return cleaned


def _items(texts: Sequence[str], limit: int) -> tuple[list[str], int]:
    """Up to ``limit`` cleaned items of at most ITEM_LIMIT characters, and how many were
    dropped."""
    kept: list[str] = []
    for text in texts:
        line = _line(text, ITEM_LIMIT)
        if line and line not in kept:
            kept.append(line)
    return kept[:limit], len(texts) - min(len(kept), limit)


def milestones(
    plan: Sequence[MilestoneReply], today: date, deadline: date | None, size: Size
) -> Plan:
    """The model's milestone plan under the rule planner's rules, or ``Rejected``: 1 to
    MAX_MILESTONES milestones, each with a title and a done criterion (cleaned and cut to
    length). Due dates go through ``milestone_schedule.schedule``, as the rule plan's do: the
    model's dates are kept when they can be (moved onto working days between tomorrow and the
    deadline), otherwise re-spaced; a deadline too tight for the plan merges it, with a warning."""
    if not plan:
        raise Rejected("no milestones")
    if len(plan) > MAX_MILESTONES:
        raise Rejected(f"more than {MAX_MILESTONES} milestones")
    steps: list[Step] = []
    hints: list[date | None] = []
    for item in plan:
        title = strip_controls(item.title)
        done = strip_controls(item.done_criterion)
        if not title or not done:
            raise Rejected("a milestone without a title or a done criterion")
        steps.append(Step(cut(title, MILESTONE_TITLE_LIMIT), cut(done, ITEM_LIMIT), Kind.WORK))
        try:
            hints.append(date.fromisoformat(item.due.strip()))
        except ValueError:
            hints.append(None)  # re-spaced with the others
    return schedule(steps, today, deadline, size, hints)


def draft(
    reply: DraftReply,
    rules: DraftProposal,
    today: date,
    deadline: date | None,
    size: Size | None = None,
) -> tuple[DraftProposal, list[str]]:
    """The model's draft with each part that breaks a rule replaced by the rules' proposal.
    ``size`` is the requester's, when they gave one (it sets the plan's length without a
    deadline). Returns the proposal and the parts that were replaced."""
    rejected: list[str] = []
    proposal = DraftProposal()

    title = _line(reply.title, TITLE_LIMIT)
    if title is None:
        rejected.append("title")
    proposal.title = title or rules.title

    problem = _clean_block(reply.problem)
    if len(problem) > PROBLEM_LIMIT:
        rejected.append("problem")
        problem = ""
    proposal.problem = problem or rules.problem

    criteria = [c for c in reply.acceptance_criteria if is_verifiable(strip_controls(c))]
    kept, _ = _items(criteria, MAX_CRITERIA)
    if len(kept) < len(reply.acceptance_criteria):
        rejected.append(f"{len(reply.acceptance_criteria) - len(kept)} acceptance criteria")
    proposal.acceptance_criteria = kept or list(rules.acceptance_criteria)

    for name in ("out_of_scope", "risks"):
        given: list[str] = getattr(reply, name)
        items, dropped = _items(given, MAX_ITEMS)
        if dropped:
            rejected.append(f"{dropped} {name.replace('_', ' ')} item(s)")
        setattr(proposal, name, items or list(getattr(rules, name)))

    try:
        proposal.priority = Priority(reply.priority.strip().upper())
    except ValueError:
        rejected.append("priority")
        proposal.priority = rules.priority
    try:
        proposal.size = Size(reply.size.strip().upper())
    except ValueError:
        rejected.append("size")
        proposal.size = rules.size

    try:
        plan = milestones(reply.milestones, today, deadline, size or proposal.size or Size.M)
        proposal.milestones, proposal.plan_warning = plan.milestones, plan.warning
    except Rejected as error:
        if reply.milestones:  # an empty plan is no proposal, not a broken one
            rejected.append(f"milestones ({error.reason})")
        proposal.milestones, proposal.plan_warning = list(rules.milestones), rules.plan_warning

    rationale = reply.rationale.strip()
    line = _line(rationale, RATIONALE_LIMIT) if "\n" not in rationale else None
    if line is None:
        rejected.append("rationale")
    proposal.rationale = line or rules.rationale
    return proposal, rejected
