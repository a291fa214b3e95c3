"""Rule-based reading of free text: request type, fields, urgency and links. No network, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Any

from intake.answer_parsing import ParsedAnswer, parse_answer
from intake.choices import DEFAULT_ENVIRONMENT, _choice_from_text, _option_terms
from intake.dates import find_deadline
from intake.lists import split_list
from intake.numbers import number_in_text
from intake.request_sentence import SENTENCE_BREAK
from intake.service_names import _HOSTNAME, find_hostnames, find_services
from intake.slack_markup import find_links, find_mentions, plain_text, prose, without_urls
from intake.templates.loader import keyword_weights
from intake.templates.model import AnswerType, FieldSpec, RequestTemplate, TemplateSet


class Urgency(StrEnum):
    NONE = "none"
    HIGH = "high"  # asap, urgent, soon
    CRITICAL = "critical"  # outage, blocker, sev1, production down


@dataclass
class Extraction:
    """What one message said. ``values`` maps field names (core or request-type) to parsed values
    of the field's type: str, list[str], date, float, or a user ID. A field absent from ``values``
    was not mentioned. ``no_deadline`` is True when the text says there is no deadline."""

    values: dict[str, Any] = field(default_factory=dict)
    no_deadline: bool = False
    urgency: Urgency = Urgency.NONE
    links: list[str] = field(default_factory=list)


# -- classification -----------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in keyword.split()]
    body = r"[\s-]+".join(words)
    suffix = r"(?:s|es)?" if keyword[-1].isalpha() else ""
    return re.compile(rf"(?<![\w]){body}{suffix}(?![\w])", re.IGNORECASE)


def _keyword_score(text: str, weights: dict[str, float]) -> tuple[float, int]:
    """Total weight of the keywords found in ``text`` (longest match first, no overlaps; a
    keyword of n words counts 1 + 0.5 (n - 1) times its weight) and how many matched."""
    taken: list[tuple[int, int]] = []
    total = 0.0
    hits = 0
    for keyword in sorted(weights, key=lambda k: (-len(k), k)):
        for m in _keyword_pattern(keyword).finditer(text):
            start, end = m.span()
            if any(start < e and end > s for s, e in taken):
                continue
            taken.append((start, end))
            total += weights[keyword] * (1 + 0.5 * (len(keyword.split()) - 1))
            hits += 1
    return total, hits


def score_templates(text: str, templates: TemplateSet) -> list[tuple[str, float]]:
    """Every request type with its keyword score for ``text``, best first (ties keep the
    templates' order); types with no match are left out."""
    plain = without_urls(plain_text(text)).lower()
    plain = re.sub(r"(?<![\w])#[\w-]+", " ", plain)  # channel names: "#ci-alerts" is not CI
    plain = _HOSTNAME.sub(" ", plain)  # hostnames: "cert.ci" or "ci.example.org" is not CI
    scored: list[tuple[float, int, int, str]] = []
    for index, template in enumerate(templates):
        total, hits = _keyword_score(plain, keyword_weights(template))
        if total > 0:
            scored.append((total, hits, -index, template.id))
    scored.sort(reverse=True)
    return [(template_id, total) for total, _, _, template_id in scored]


def classify(text: str, templates: TemplateSet) -> tuple[str, float]:
    """The best-matching request type id for ``text`` and a score in [0, 1]; "other" when no
    template's keywords match."""
    ranked = score_templates(text, templates)
    if not ranked:
        return TemplateSet.FALLBACK, 0.0
    best_id, best = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    # Confidence grows with the evidence and shrinks when another type is close behind.
    return best_id, round(best / (best + second + 1.0), 3)


# -- urgency ------------------------------------------------------------------------------------

_NOT = r"(?<!not )(?<!not a )(?<!no )(?<!non-)(?<!non )(?<!isn't )(?<!isnt )(?<!isn't a )"
_CRITICAL_NOW = re.compile(
    rf"\b(?:is|are|went|goes|going|keeps going|was|were|been|currently|still|all)\s+down\b"
    rf"|\b(?:site|prod|production|service|api|app|checkout|database|db)\s+(?:is\s+)?down\b"
    rf"|\bdown\s+(?:for|since|right now|again)\b|{_NOT}\bblocker\b"
    rf"|{_NOT}\bblocking\s+(?:prod|production|a release|the release|release|the launch|launch"
    rf"|deploys?|all deploys|customers)\b|\bemergency\b|\bprod(?:uction)? is (?:broken|on fire)\b"
    rf"|\bon fire\b"
)
_CRITICAL_EVENT = re.compile(
    rf"{_NOT}\b(?:outage|incident)s?\b|\bsev[\s-]?[01]\b|\bp[01]\b", re.IGNORECASE
)
_PAST_EVENT = re.compile(
    r"\bfollow[\s-]?ups?\b|\bpost[\s-]?mortem\b|\bretro(?:spective)?\b|\blast (?:week|month|"
    r"night|time|year|quarter)|\byesterday\b|\bprevious\b|\bearlier (?:this|today)\b|\bafter the\b"
    r"|\bfrom the\b|\bago\b"
    r"|\b(?:had|was|were|there was)\s+(?:an?\s+|the\s+)?(?:\w+\s+)?(?:outage|incident)"
    r"|\baction items?\b|\bprevent\b|\bnext time\b|\brca\b"
)
_HIGH = re.compile(
    rf"\basap\b|\ba\.s\.a\.p\b|\bas soon as (?:possible|you can|we can)\b"
    rf"|{_NOT}\burgent(?:ly)?\b|(?<!not )(?<!not that )\bsoon\b|\bcritical path\b"
    rf"|\bhigh[\s-]priority\b|\bright away\b|\bimmediately\b|{_NOT}\btime[\s-]sensitive\b"
)


def find_urgency(text: str) -> Urgency:
    """CRITICAL for something broken now (outage, down, sev1, blocker), HIGH for asap/urgent/
    soon; an outage spoken of in the past ("follow-up from last week's outage") is not urgent."""
    lowered = prose(text).lower()
    for sentence in SENTENCE_BREAK.split(lowered):
        if _CRITICAL_NOW.search(sentence):
            return Urgency.CRITICAL
        if _CRITICAL_EVENT.search(sentence) and not _PAST_EVENT.search(sentence):
            return Urgency.CRITICAL
    if _HIGH.search(lowered):
        return Urgency.HIGH
    return Urgency.NONE


# -- impact -------------------------------------------------------------------------------------

_IMPACT_KEEP = re.compile(
    r"\b(?:otherwise|blocking|blocks|blocked|customers (?:are|can't|cannot|can not|see|get)"
    r"|users (?:are|can't|cannot|see|get)|we lose|we're losing|we are losing|losing|costing us"
    r"|without (?:it|this)|we can't|we cannot|can't ship|can't launch|revenue)\b"
)


def find_impact(text: str) -> str:
    """The clause saying why it matters ("because ...", "so that ...", "otherwise ...",
    "blocking ...", "customers are ...", "we lose ..."), or ""."""
    plain = prose(text)
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", plain):
        lowered = sentence.lower()
        drop = re.search(r"\b(?:because|so that|so we can|so they can)\s+", lowered)
        keep = _IMPACT_KEEP.search(lowered)
        candidates = []
        if drop:
            candidates.append((drop.start(), drop.end()))
        if keep:
            begin = keep.start()
            if len(lowered[begin:].split()) < 4:  # "invoices are stuck without it": all of it
                begin = max(lowered.rfind(mark, 0, begin) for mark in ",;:") + 1
            candidates.append((keep.start(), begin))
        if not candidates:
            continue
        _start, begin = min(candidates)
        clause = sentence[begin:].strip(" ,;:-–—.!?")
        if len(clause.split()) < 2:
            continue
        return clause[0].upper() + clause[1:]
    return ""


# -- labelled lines ("Engine: postgres") --------------------------------------------------------


def _labelled(spec: FieldSpec, text: str) -> str | None:
    """The value written after the field's label or name at the start of a line."""
    names = {spec.label.lower(), spec.name.lower(), spec.name.replace("_", " ").lower()}
    if spec.name == "acceptance_criteria":
        names |= {"ac", "done when", "definition of done", "success criteria"}
    if spec.name == "out_of_scope":
        names |= {"not in scope", "non-goals", "non goals"}
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    m = re.search(
        rf"(?im)^\s*(?:[-*•]\s*)?\**(?:{alternatives})\**\s*[:=]\s*"
        rf"(?P<value>.+(?:\n(?!\s*\w[\w ]*:)\s*[-*•].*)*)",
        text,
    )
    if not m:
        return None
    value = m.group("value").strip()
    return value or None


# -- extract ------------------------------------------------------------------------------------

_HANDLED_CORE = frozenset({"deadline", "services", "environment", "impact"})


def _exclusions(template: RequestTemplate) -> frozenset[str]:
    words: set[str] = set()
    for spec in template.fields:
        for option in spec.options:
            for term in _option_terms(option):
                words.update(term.split())
    for option in DEFAULT_ENVIRONMENT.options:
        for term in _option_terms(option):
            words.add(term)
    return frozenset(words)


def extract(text: str, template: RequestTemplate, today: date) -> Extraction:
    """Every field of ``template`` (and the core fields) that ``text`` states, with dates read
    relative to ``today`` (the requester's local date)."""
    result = Extraction(links=find_links(text))
    plain = plain_text(text)
    readable = without_urls(plain)
    values = result.values

    urgency = find_urgency(text)
    deadline = find_deadline(text, today)
    if deadline is not None:
        if deadline.kind == "none":
            result.no_deadline = True
        elif deadline.value is not None:
            values["deadline"] = deadline.value
            if deadline.kind == "asap" and urgency is Urgency.NONE:
                urgency = Urgency.HIGH
    result.urgency = urgency

    environment = template.field("environment") or DEFAULT_ENVIRONMENT
    envs = _choice_from_text(_as_multiple(environment), readable)
    if envs:
        values["environment"] = envs

    services = find_services(text, _exclusions(template))
    labelled_services = _labelled(template.field("services") or _SERVICES_SPEC, plain)
    if labelled_services:
        services = list(dict.fromkeys([*split_list(labelled_services), *services]))
        services = [s.lower() for s in services]
    if services:
        values["services"] = services

    impact = _labelled(template.field("impact") or _IMPACT_SPEC, plain) or find_impact(text)
    if impact:
        values["impact"] = impact

    mentions = find_mentions(text)
    if len(mentions) > 1 and re.match(r"\s*<@", text):
        mentions = mentions[1:]  # the first is the bot being addressed

    for spec in template.fields:
        if spec.name in _HANDLED_CORE:
            continue
        labelled = _labelled(spec, plain)
        if labelled is not None:
            parsed = parse_answer(spec, labelled, today)
            if isinstance(parsed, ParsedAnswer) and parsed.value not in (None, "", []):
                values[spec.name] = parsed.value
                continue
        value: Any = None
        if spec.type is AnswerType.CHOICE:
            value = _choice_from_text(spec, readable)
        elif spec.type is AnswerType.NUMBER:
            value = number_in_text(spec, readable)
        elif spec.type is AnswerType.USER:
            if mentions:
                value = list(mentions) if spec.multiple else mentions[0]
        elif spec.type is AnswerType.TEXT:
            if spec.name.endswith(("_url", "_link")) and result.links:
                value = result.links[0]
        elif spec.type is AnswerType.LIST and spec.name in ("domains", "hostnames", "hosts"):
            hosts = find_hostnames(text)
            value = hosts or None
        if value not in (None, "", []):
            values[spec.name] = value
    return result


def _as_multiple(spec: FieldSpec) -> FieldSpec:
    """``spec`` read as a multiple choice (environments are always a list)."""
    return spec if spec.multiple else replace(spec, multiple=True)


_SERVICES_SPEC = FieldSpec("services", "Services", "", AnswerType.LIST)
_IMPACT_SPEC = FieldSpec("impact", "Impact", "", AnswerType.TEXT)
