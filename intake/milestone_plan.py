"""The milestone plan of a draft, made from the ask itself.

One milestone per thing the ask must prove (its verifiable acceptance criteria), staged by its
environments: pre-production (development, staging) before named clusters or zones before
production. A criterion that names an environment is proved there only; one about docs,
runbooks, costs or sign-off is proved once, at the end. The request type's template only fills
what the ask does not say: its usual plan when the ask has no checkable criterion, an "approach
agreed" step first when the ask is large (size L or XL), and a "verified with the requester"
step last when no criterion already has the requester confirm. Plans stay readable: past
``MAX_STEPS`` milestones, the checks of a stage are grouped, earliest stage first.

Dates, and the merge when the deadline is too tight, come from ``intake.milestone_schedule``:
the same rules a model's plan passes (``llm.validate``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date

from intake.milestone_schedule import (
    Kind,
    Plan,
    Step,
    cut,
    fit,
    schedule,
    step_title,
)
from intake.readiness import is_verifiable
from intake.templates.model import MilestoneTemplate, RequestTemplate
from intake.ticket import Size, Ticket

MAX_STEPS = 6  # milestones in a plan made from the ask (before any merge for the deadline)
CHECK_LIMIT = 60  # characters of a criterion in a milestone title
STAGE_LIMIT = 24  # characters of an environment name in a milestone title
LARGE = frozenset({Size.L, Size.XL})

# The fields a plan is made from: when one of them changes, the plan is made again.
PLAN_INPUTS = ("deadline", "no_deadline", "acceptance_criteria", "environment", "size")

_PRE_PRODUCTION = re.compile(
    r"\b(?:dev|development|test|testing|qa|sandbox|stag\w*|stg|pre-?prod\w*|uat|non-?prod\w*"
    r"|preview|canary)\b",
    re.IGNORECASE,
)
_PRODUCTION = re.compile(r"\b(?:prod|production|prd|live)\b", re.IGNORECASE)
_DEV_FIRST = re.compile(r"\b(?:dev|development|test|testing|qa|sandbox)\b", re.IGNORECASE)
# A criterion saying where it holds ("connects from staging", "p95 in prod"); a bare "test" or
# "live" in a criterion is not a place.
_PRE_PRODUCTION_IN_TEXT = re.compile(
    r"\b(?:in|on|from|to|into)\s+(?:the\s+)?(?:dev|development|stag\w*|stg|pre-?prod\w*|uat|qa"
    r"|sandbox|test)\b",
    re.IGNORECASE,
)
_PRODUCTION_IN_TEXT = re.compile(
    r"\b(?:in|on|from|to|into)\s+(?:the\s+)?(?:prod|production|prd)\b", re.IGNORECASE
)
# Criteria proved once, whatever the environments: paperwork, money, people.
_ONCE = re.compile(
    r"\b(?:runbook|documented|documentation|docs?|wiki|register|postmortem|cost|costs|spend"
    r"|budget|invoice|bill|sign(?:s|ed)?[- ]?off|approv\w*|requester|confirm\w*"
    r"|review(?:ed)?|training)\b",
    re.IGNORECASE,
)
# Criteria in which the requester already confirms: no separate sign-off step then.
_REQUESTER_CONFIRMS = re.compile(
    r"\b(?:requester|sign(?:s|ed)?[- ]?off|confirms?|confirmed|accepts?|accepted"
    r"|(?:both|all|each) of us|(?:i|we|our team)\s+(?:can|could|see|get|have))\b",
    re.IGNORECASE,
)
_AGREEMENT = re.compile(
    r"\b(?:agreed|planned|approved|plan|sizing|breakdown|design|cause found)\b", re.IGNORECASE
)
_LEAD_IN = re.compile(r"^\s*(?:[-*•]\s*|done when\s*:?\s*|when\s+|that\s+)", re.IGNORECASE)

APPROACH = Step(
    "Approach agreed",
    "The approach is written in the ticket and the requester agreed to it.",
    Kind.PLAN,
)
SIGN_OFF = Step(
    "Verified with the requester",
    "The requester confirmed in the ticket that each acceptance criterion passes.",
    Kind.SIGN_OFF,
)


def plan(ticket: Ticket, template: RequestTemplate, today: date, size: Size) -> Plan:
    """The dated plan for ``ticket`` (``today`` is the requester's local date)."""
    return schedule(steps_for(ticket, template, size), today, ticket.deadline, size)


def inputs(ticket: Ticket) -> tuple[object, ...]:
    """What the plan is made from, to tell when it must be made again."""
    return tuple(
        tuple(value) if isinstance(value := getattr(ticket, name), list) else value
        for name in PLAN_INPUTS
    )


# -- steps --------------------------------------------------------------------------------------


def criterion_text(criterion: str) -> str:
    """A criterion as the core of a milestone title: one line, no lead-in, capitalised, cut."""
    text = _LEAD_IN.sub("", " ".join(criterion.split())).rstrip(" .;,")
    return cut(text[:1].upper() + text[1:], CHECK_LIMIT)


def stages(environments: Sequence[str]) -> list[tuple[str, list[str]]]:
    """(label, environments) in the order they are proved: pre-production (development
    before staging), then other named places (clusters, zones, hosts) as given, then
    production. Pre-production and the other places each form one stage."""
    pre, other, production = [], [], []
    for env in dict.fromkeys(e.strip() for e in environments if e.strip()):
        if _PRE_PRODUCTION.search(env):
            pre.append(env)
        elif _PRODUCTION.search(env):
            production.append(env)
        else:
            other.append(env)
    pre.sort(key=lambda env: 0 if _DEV_FIRST.search(env) else 1)
    groups = ((pre, "pre-production"), (other, ""), (production, "production"))
    return [(_label(group, kind), group) for group, kind in groups if group]


def _label(group: Sequence[str], kind: str) -> str:
    if len(group) == 1:
        return cut(group[0], STAGE_LIMIT)
    if len(group) == 2 and len(group[0]) + len(group[1]) <= STAGE_LIMIT:
        return f"{group[0]} and {group[1]}"
    more = f" and {len(group) - 1} more"
    return kind or cut(group[0], STAGE_LIMIT - len(more)) + more


def _stage_of(criterion: str, staged: Sequence[tuple[str, list[str]]]) -> int | None:
    """The stage a criterion names (by an environment's name or kind), if exactly one."""
    lowered = criterion.lower()
    named = [
        index
        for index, (_label_, envs) in enumerate(staged)
        if any(re.search(rf"\b{re.escape(env.lower())}\b", lowered) for env in envs)
    ]
    if not named:
        kinds = [
            index
            for index, (_label_, envs) in enumerate(staged)
            if any(
                kind.search(env) and in_text.search(criterion)
                for env in envs
                for kind, in_text in (
                    (_PRE_PRODUCTION, _PRE_PRODUCTION_IN_TEXT),
                    (_PRODUCTION, _PRODUCTION_IN_TEXT),
                )
            )
        ]
        named = kinds
    return named[0] if len(set(named)) == 1 else None


def _check(criterion: str, stage: str, *, named: bool = False) -> Step:
    """A check of one criterion in ``stage``; its title names the stage unless the
    criterion already does (``named``)."""
    text = criterion_text(criterion)
    where = f" in {stage}" if stage and not named else ""
    done = f"{' '.join(criterion.split()).rstrip('.')}{where}."
    step = Step("", done, Kind.CHECK, stage=stage, checks=(text,))
    shown = replace(step, stage="") if named else step
    return replace(step, title=step_title(shown))


def _checks(criteria: Sequence[str], environments: Sequence[str]) -> list[Step]:
    """One check per criterion and stage, in stage order; criteria proved once come last."""
    staged = stages(environments)
    per_stage: list[list[Step]] = [[] for _ in staged]
    once: list[Step] = []
    for criterion in criteria:
        if not staged or _ONCE.search(criterion):
            once.append(_check(criterion, ""))
            continue
        own = _stage_of(criterion, staged)
        if own is not None:  # it names where: proved there only
            per_stage[own].append(_check(criterion, staged[own][0], named=True))
            continue
        for index, (label, _envs) in enumerate(staged):
            per_stage[index].append(_check(criterion, label))
    return [step for group in per_stage for step in group] + once


def _group(steps: list[Step], room: int) -> list[Step]:
    """Checks of a stage grouped into one, earliest stage first, until ``room`` is enough;
    then neighbours merged."""
    total = len({check for step in steps for check in step.checks})
    for stage in dict.fromkeys(s.stage for s in steps if s.stage):
        if len(steps) <= room:
            break
        members = [s for s in steps if s.stage == stage]
        if len(members) < 2:
            continue
        merged = fit(members, 1)[0]
        grouped = Step("", merged.done, Kind.CHECK, stage=stage, checks=merged.checks)
        at = steps.index(members[0])
        steps = [s for s in steps if s.stage != stage]
        steps.insert(at, replace(grouped, title=step_title(grouped, total)))
    return fit(steps, room) if len(steps) > room else steps


def _from_template(milestones: Sequence[MilestoneTemplate]) -> list[Step]:
    return [Step(m.title, m.done_criterion, Kind.WORK, m.weight) for m in milestones]


def _approach(template: RequestTemplate) -> Step:
    first = template.milestones[0] if template.milestones else None
    if first is not None and _AGREEMENT.search(first.title):
        return Step(first.title, first.done_criterion, Kind.PLAN, first.weight)
    return APPROACH


def steps_for(ticket: Ticket, template: RequestTemplate, size: Size) -> list[Step]:
    """The plan's steps, undated, from the ask (see the module's rules)."""
    criteria = [c for c in ticket.acceptance_criteria if c.strip() and is_verifiable(c)]
    if not criteria:
        return _from_template(template.milestones)
    large = size in LARGE
    sign_off = not any(_REQUESTER_CONFIRMS.search(c) for c in criteria)
    room = MAX_STEPS - int(large) - int(sign_off)
    steps = _group(_checks(criteria, ticket.environment), room)
    return [*([_approach(template)] if large else []), *steps, *([SIGN_OFF] if sign_off else [])]
