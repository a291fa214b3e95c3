"""The definition of ready: what a scoped ask must have before the platform team sees it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from intake.templates.model import AnswerType, FieldSpec, RequestTemplate
from intake.ticket import Ticket


@dataclass(frozen=True)
class ReadinessItem:
    label: str
    ok: bool
    hint: str = ""
    noted: bool = False  # answered with "not sure" (or words not read): ok, the lead decides


@dataclass(frozen=True)
class Readiness:
    items: tuple[ReadinessItem, ...]

    @property
    def ready(self) -> bool:
        return all(item.ok for item in self.items)

    @property
    def missing(self) -> tuple[ReadinessItem, ...]:
        return tuple(item for item in self.items if not item.ok)


VERIFIABLE_LABEL = "At least one verifiable acceptance criterion"
VERIFIABLE_HINT = (
    "Add a check someone can verify: a number or an observable result, e.g. "
    "“billing-api can connect from staging” or “p99 latency under 200 ms”."
)
DEADLINE_LABEL = "A deadline, or an explicit “no deadline”"
DEADLINE_HINT = "Give a date (“next Friday”, “2026-12-15”) or say “no deadline”."

# A number: digits, a number word, a percentage or a duration.
_NUMBER = re.compile(
    r"\d|%|\b(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen"
    r"|twenty|thirty|fifty|hundred|thousand|million|once|twice|half|single|percent|per cent"
    r"|(?:an?|one)\s+(?:second|minute|hour|day|week|month)|daily|hourly|nightly|weekly"
    r"|milliseconds?|seconds?|minutes?|hours?)\b"
)
# An observable state or a yes/no check.
_PARTICIPLES = (
    "reachable|deployed|documented|created|available|enabled|disabled|running|provisioned"
    "|merged|green|live|accessible|visible|configured|installed|renewed|valid|removed|deleted"
    "|migrated|rotated|encrypted|backed up|monitored|published|approved|granted|revoked|closed"
    "|resolved|in place|in use|listed|recorded|scheduled|restored|paged|rejected|applied"
    "|upgraded|replaced|sent|logged|tagged|assigned|archived|exported|imported|released|marked"
    "|written|agreed|confirmed|verified|tested|checked|reviewed|signed off|accepted"
    "|shipped|fixed|online|offline|up|healthy|connected|signed|issued|automated|blocked|denied"
    "|allowed|alerting|present|absent|empty|gone|done|complete|completed|passing|failing"
)
# Past participles that state a checkable fact on their own ("change merged").
_DONE_WORDS = "|".join(
    word for word in _PARTICIPLES.split("|") if word.endswith("ed") and word != "failed"
)
_OBSERVABLE = re.compile(
    rf"\bcan\s+(?!be\s+(?:better|faster|improved|nicer|good|fine|stable|quicker|easier|simpler"
    rf"|more|less)\b)\w+"
    rf"|\b(?:is|are|was|were|be|gets?|got|been|stays?|remains?|becomes?)\s+(?:now\s+|still\s+"
    rf"|all\s+|fully\s+)?(?:{_PARTICIPLES})\b"
    r"|\b(?:returns?|responds?|resolves?|pass(?:es|ed)?|succeeds?|succeeded|fails?|failed"
    r"|exists?|connects?|shows?|displays?|fires?|pages?|lists?|appears?|contains?|emits?"
    r"|receives?|completes?|finishes|restores?|rejects?|denies|allows?|redirects?|renews?"
    r"|triggers?|lands?|matches|reports?|alerts?\s+(?:fire|fires|go|goes|page|pages|when))\b"
    r"|\bruns?\s+(?:in|on|under|without|within|from|every|as)\b"
    rf"|\b(?:{_DONE_WORDS})\b"
    r"|\b(?:has|have|had|gets?|got)\s+(?:\w+\s+)?(?:access|permission|permissions|role"
    r"|a dashboard|an alert|alerts|a runbook|an owner|on-call)\b"
    r"|\bno\s+(?:errors?|alerts?|pages|failures?|downtime|oom|ooms|timeouts?|5xx|flakes?"
    r"|manual steps?|data loss)\b|\bwithout\s+(?:errors?|downtime|data loss|manual)\b"
    r"|\b(?:documented|in the runbook|in the wiki|in the readme|in the docs)\b"
    r"|\bdashboard\s+(?:shows|displays|has)\b|\b(?:yes|no)/(?:yes|no)\b|\?$"
)
# Words that only say "better" without saying how much or how to check.
_VAGUE = re.compile(
    r"\b(?:faster|better|quicker|slower|smoother|nicer|well|good|improved|improve|stable"
    r"|reliable|reliably|easier|simpler|cleaner|robust|optimi[sz]ed|enhanced|more|less|great"
    r"|fine|ok|okay|properly|correctly|smoothly)\b"
)


def is_verifiable(criterion: str) -> bool:
    """A criterion someone can check: it has a number, a yes/no check or an observable state.
    "works well" or "faster" alone are not."""
    text = " ".join(criterion.lower().replace("’", "'").split())
    if not text:
        return False
    if _NUMBER.search(text):
        return True
    observable = _OBSERVABLE.search(text)
    if not observable:
        return False
    # "loads faster", "deploys are better": an observable verb that only says "more of it".
    return not _VAGUE.search(text)


def _hint(spec: FieldSpec) -> str:
    if spec.help:
        return f"{spec.question} ({spec.help})"
    if spec.type is AnswerType.USER:
        return f"{spec.question}"
    return spec.question


def _acknowledged(ticket: Ticket, name: str) -> bool:
    """The requester answered the question without a value ("not sure", "you decide", or words
    the bot could not read): kept as a note for the lead, and not asked for again."""
    return name in ticket.answer_notes


def _item(label: str, ok: bool, hint: str, ticket: Ticket, name: str) -> ReadinessItem:
    """``ok`` as checked, or — when not — acknowledged by a note the lead reads."""
    if ok or not _acknowledged(ticket, name):
        return ReadinessItem(label, ok, hint)
    return ReadinessItem(label, True, hint, noted=True)


def _criteria_item(ticket: Ticket) -> ReadinessItem:
    ok = any(is_verifiable(criterion) for criterion in ticket.acceptance_criteria)
    return _item(VERIFIABLE_LABEL, ok, VERIFIABLE_HINT, ticket, "acceptance_criteria")


def _deadline_item(ticket: Ticket) -> ReadinessItem:
    return _item(DEADLINE_LABEL, ticket.has("deadline"), DEADLINE_HINT, ticket, "deadline")


def check(ticket: Ticket, template: RequestTemplate) -> Readiness:
    """Every required field present; at least one verifiable acceptance criterion; a deadline
    or an explicit "no deadline". A field the requester answered with "not sure" (a note in
    ``Ticket.answer_notes``) counts as answered: the lead reads the note and decides.

    The required ``deadline`` and ``acceptance_criteria`` fields are checked by the two items
    above (in their place in the template's order), not listed twice."""
    items: list[ReadinessItem] = []
    for spec in template.required:
        if spec.name == "acceptance_criteria":
            items.append(_criteria_item(ticket))
        elif spec.name == "deadline":
            items.append(_deadline_item(ticket))
        else:
            items.append(_item(spec.label, ticket.has(spec.name), _hint(spec), ticket, spec.name))
    labels = {item.label for item in items}
    if VERIFIABLE_LABEL not in labels:
        items.append(_criteria_item(ticket))
    if DEADLINE_LABEL not in labels:
        items.append(_deadline_item(ticket))
    return Readiness(tuple(items))
