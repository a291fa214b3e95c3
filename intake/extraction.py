"""Rule-based reading of free text: request type, fields, urgency and links. No network, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Any

from intake.dates import find_deadline, parse_deadline
from intake.lists import split_list
from intake.numbers import number_in_text, stated_number
from intake.special_mentions import without_special_mentions
from intake.templates.loader import keyword_weights
from intake.templates.model import AnswerType, FieldSpec, Option, RequestTemplate, TemplateSet


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


@dataclass
class ParsedAnswer:
    """A typed answer to one question: ``value`` of the field's type (``None`` with
    ``no_deadline`` for a date question answered "no deadline")."""

    value: Any
    no_deadline: bool = False


@dataclass
class AnswerError:
    """Why a typed answer could not be read, worded for the person, with an example."""

    message: str


# -- Slack markup and plain text ----------------------------------------------------------------

_SLACK_LINK = re.compile(r"<(https?://[^|<>\s]+)(?:\|[^<>]*)?>", re.IGNORECASE)
_BARE_URL = re.compile(r"https?://[^\s<>|\"'`]+", re.IGNORECASE)
_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,})(?:\|[^<>]*)?>")
_OTHER_MARKUP = re.compile(r"<([#!][^<>|]*)(?:\|([^<>]*))?>")
_URL_TRAILING = ".,;:!?)]}'\"»”’"


def find_links(text: str) -> list[str]:
    """Every http(s) URL in ``text`` (Slack's ``<https://x|label>`` gives the URL), in order,
    without duplicates."""
    links: list[str] = []
    for m in _SLACK_LINK.finditer(text):
        links.append(m.group(1))
    rest = _SLACK_LINK.sub(" ", text)
    for m in _BARE_URL.finditer(rest):
        links.append(m.group(0).rstrip(_URL_TRAILING))
    return list(dict.fromkeys(link for link in links if len(link) > len("https://")))


def find_mentions(text: str) -> list[str]:
    """User IDs mentioned with Slack markup (``<@U123ABC>`` or ``<@U123|lee>``), in order."""
    return list(dict.fromkeys(m.group(1) for m in _MENTION.finditer(text)))


def plain_text(text: str) -> str:
    """``text`` with Slack markup made readable: links by their label or URL, mentions as
    ``@user``, channels as ``#name``; special mentions (``<!channel>``) dropped."""

    def link(m: re.Match[str]) -> str:
        inner = m.group(0)[1:-1]
        _, _, label = inner.partition("|")
        return label or m.group(1)

    def other(m: re.Match[str]) -> str:
        target, label = m.group(1), m.group(2)
        if target.startswith("#"):
            return "#" + (label or target[1:])
        return "@" + (label or target[1:]).lstrip("@")

    text = _SLACK_LINK.sub(link, without_special_mentions(text))
    text = _MENTION.sub("@user", text)
    text = _OTHER_MARKUP.sub(other, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _without_urls(text: str) -> str:
    return _BARE_URL.sub(" ", text)


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
    plain = _without_urls(plain_text(text)).lower()
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
    rf"|\bhigh[\s-]priority\b|\bright away\b|\bimmediately\b|\btime[\s-]sensitive\b"
)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?;])\s+|\n+")


def find_urgency(text: str) -> Urgency:
    """CRITICAL for something broken now (outage, down, sev1, blocker), HIGH for asap/urgent/
    soon; an outage spoken of in the past ("follow-up from last week's outage") is not urgent."""
    lowered = _without_urls(plain_text(text)).lower().replace("’", "'")
    for sentence in _SENTENCE_SPLIT.split(lowered):
        if _CRITICAL_NOW.search(sentence):
            return Urgency.CRITICAL
        if _CRITICAL_EVENT.search(sentence) and not _PAST_EVENT.search(sentence):
            return Urgency.CRITICAL
    if _HIGH.search(lowered):
        return Urgency.HIGH
    return Urgency.NONE


# -- services -----------------------------------------------------------------------------------

_GENERIC = frozenset(
    """
    a an the our my your their his her its this that these those it us me we you them him i
    team teams everyone everybody all everything something anything nothing some any more most
    new another other same each every one two three few many lot lots bit couple
    db dbs database databases prod production staging stage dev development test testing qa
    live sandbox preprod uat env environment environments service services svc svcs app apps
    api apis system systems project projects thing things stuff help now asap soon today
    tomorrow tonight week weeks month months year years quarter day days hour hours minute
    minutes next last eod weekend morning afternoon evening launch release customers customer
    users user people company org sure example reason reasons access read write admin cluster
    clusters pipeline pipelines ci cd cost costs bill while instance instances replica backup
    backups free use usage approval purpose sake real good better faster review reviews work
    infra infrastructure platform ops devops sre oncall on-call it's that's here there
    monday tuesday wednesday thursday friday saturday sunday mon tue wed thu fri sat sun
    january february march april june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec
    postgres postgresql pg mysql mariadb redis mongo mongodb rds aurora sql dynamodb
    python go golang java kotlin node nodejs typescript rust ruby
    dashboards dashboard alerts alert logs metrics monitoring tracing
    cpu memory ram gpu nodes node disk storage capacity
    dns tls ssl cert certificate domain firewall vpn
    what which who why how when where whatever because so to of in on at by with from
    is are was were be been being do does did have has had can could should would will
    please thanks hi hey hello ok okay yes no not just also still
    slow broken down urgent important critical quick small big large huge
    add and or but get got need needs want wants set create make give spin fix update change
    remove delete move run running build deploy ship set up setup provision bump increase both
    k8s kubernetes aws gcp azure terraform github gitlab jenkins grafana datadog pagerduty slack
    jira okta vault compliance security performance reliability scale scaling debugging
    reporting auditing audit load research experiments experiment demo onboarding safety
    redundancy failover recovery dr ha savings visibility observability later whole rest
    for into onto via about than then as if or s3 gcs ebs ec2 iam bucket buckets vm vms
    """.split()  # noqa: SIM905
)
_NAME_TOKEN = r"[a-z0-9][a-z0-9._-]*[a-z0-9]|[a-z0-9]"
_SERVICE_WORDS = r"(?:micro)?(?:services?|svcs?|apis?|apps?|backends?|frontends?|workers?)"
_SERVICE_SUFFIXES = (
    "api", "svc", "service", "worker", "workers", "web", "app", "backend", "frontend",
    "gateway", "ui", "db", "cron", "job", "jobs", "consumer", "proxy", "server", "indexer",
    "scheduler", "bot",
)  # fmt: skip
_HYPHENATED = re.compile(
    rf"(?<![\w./@-])([a-z0-9]+(?:[-_][a-z0-9]+)*[-_](?:{'|'.join(_SERVICE_SUFFIXES)}))(?![\w-])"
)
_BACKTICKED = re.compile(r"`([^`\n]{1,60})`")
_LIST_OF_NAMES = rf"((?:{_NAME_TOKEN})(?:\s*(?:,|and|&|/|\+)\s*(?:{_NAME_TOKEN}))*)"
_NAMES_THEN_SERVICE = re.compile(rf"(?:^|(?<=[\s(]))(?:the\s+|our\s+){{0,1}}{_LIST_OF_NAMES}\s+"
                                 rf"{_SERVICE_WORDS}\b(?![.-]\w)")  # fmt: skip
_CALLED = re.compile(rf"\b(?:called|named)\s+`?({_NAME_TOKEN})`?")
# What may follow "for <name>" when the name is a service ("for billing asap", "for checkout
# in prod"); anything else ("for ml training data") is a phrase, not a name.
_AFTER_FOR_NAME = frozenset(
    {"", "asap", "in", "on", "by", "please", "too", "as", "before", "until", "so", "because",
     "to", "with", "from", "at", "next", "this", "soon", "now", "today", "tomorrow", "if",
     "but", "which", "that", "we", "it", "is", "are", "urgently", "pls", "thanks"}
)  # fmt: skip
_FOR_NAMES = re.compile(rf"\bfor\s+(?:the\s+|our\s+|a\s+)?{_LIST_OF_NAMES}(?P<after>\s+\w+)?")
_POSSESSIVE = re.compile(
    rf"\b({_NAME_TOKEN})'s\s+(?:db|database|pipeline|ci|build|builds|dashboards?|alerts?"
    rf"|cluster|deploys?|pods?|nodes?|repo|bill|costs?)\b"
)
_NAME_THEN_THING = re.compile(
    rf"\b({_NAME_TOKEN})\s+(?:db|database|cluster|pipeline|repo|pods|queue|bucket)\b"
)
_SPLIT_NAMES = re.compile(r"\s*(?:,|\band\b|&|/|\+)\s*")


_NOT_A_NAME = re.compile(
    r"\d+(?:st|nd|rd|th|gb|tb|k|m|x|%|ms|s|h|d|w)?|[qh][1-4]|fy\d+|v\d+(?:\.\d+)*"
    r"|[a-z]{2}-[a-z]+-\d+|p\d|sev\d"
)


def _is_name(word: str, exclude: frozenset[str]) -> bool:
    return bool(
        word
        and word not in _GENERIC
        and word not in exclude
        and not _NOT_A_NAME.fullmatch(word)
        and len(word) > 1
        and "." not in word.strip(".")  # hostnames are not services
    )


def _names(group: str, exclude: frozenset[str]) -> list[str]:
    names = [n.strip(" .,;:'\"`") for n in _SPLIT_NAMES.split(group)]
    return [n for n in names if _is_name(n, exclude)]


def find_services(text: str, exclude: frozenset[str] = frozenset()) -> list[str]:
    """Service names a message mentions ("for billing", "the billing service", `payments-api`,
    "checkout svc", "billing and payments services"), lowercase, without duplicates. Words in
    ``exclude`` (say, the template's option keywords such as "postgres") are never names."""
    raw = plain_text(text)
    found: list[tuple[int, str]] = []
    for m in _BACKTICKED.finditer(raw):
        name = m.group(1).strip().lower()
        if re.fullmatch(r"[a-z0-9][a-z0-9._/-]*", name) and _is_name(name, exclude):
            found.append((m.start(), name))
    lowered = _without_urls(_BACKTICKED.sub(lambda m: " " * len(m.group(0)), raw)).lower()
    lowered = lowered.replace("’", "'")
    for m in _HYPHENATED.finditer(lowered):
        found.append((m.start(), m.group(1)))
    for m in _NAMES_THEN_SERVICE.finditer(lowered):
        for name in _names(m.group(1), exclude):
            found.append((m.start(1), name))
    for m in _CALLED.finditer(lowered):
        if _is_name(m.group(1), exclude):
            found.append((m.start(1), m.group(1)))
    for m in _FOR_NAMES.finditer(lowered):
        after = (m.group("after") or "").strip()
        if after not in _AFTER_FOR_NAME:
            continue
        names = _names(m.group(1), exclude)
        # "for billing asap": one name; a sentence after "for" ("for testing the app") is not.
        if names and len(names) == len(_SPLIT_NAMES.split(m.group(1))):
            found.extend((m.start(1), name) for name in names)
    for pattern in (_POSSESSIVE, _NAME_THEN_THING):
        for m in pattern.finditer(lowered):
            if _is_name(m.group(1), exclude):
                found.append((m.start(1), m.group(1)))
    found.sort(key=lambda item: item[0])
    result: list[str] = []
    for _, name in found:
        name = re.sub(r"\s+(?:service|svc)$", "", name.strip(" .,;:'\"`"))
        name = re.sub(r"'s$", "", name)
        if name and name not in result:
            result.append(name)
    # "payments" and "payments-api" in one message: keep the more specific one only.
    return [n for n in result if not any(o != n and o.startswith(n + "-") for o in result)]


_HOSTNAME = re.compile(
    r"(?<![\w@.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:com|net|org|io|dev|app|co|cloud"
    r"|internal|local|ai|us|uk|de|eu|fr|nl|ch|se|no|es|it|info|biz|tech|sh|xyz|gg|me|[a-z]{2})"
    r")(?![\w-])",
    re.IGNORECASE,
)


def find_hostnames(text: str) -> list[str]:
    """Hostnames named in ``text``, bare or inside URLs (``api.example.com``)."""
    hosts: list[str] = []
    for link in find_links(text):
        host = re.sub(r"^https?://", "", link, flags=re.IGNORECASE).split("/")[0].split(":")[0]
        hosts.append(host.lower())
    rest = _BARE_URL.sub(" ", _SLACK_LINK.sub(" ", text))
    for m in _HOSTNAME.finditer(rest):
        candidate = m.group(1).lower()
        if re.search(r"[a-z]", candidate.split(".")[0]) or len(candidate.split(".")) > 2:
            hosts.append(candidate)
    return list(dict.fromkeys(h for h in hosts if not re.fullmatch(r"[\d.]+", h)))


# -- impact -------------------------------------------------------------------------------------

_IMPACT_KEEP = re.compile(
    r"\b(?:otherwise|blocking|blocks|blocked|customers (?:are|can't|cannot|can not|see|get)"
    r"|users (?:are|can't|cannot|see|get)|we lose|we're losing|we are losing|losing|costing us"
    r"|without (?:it|this)|we can't|we cannot|can't ship|can't launch|revenue)\b"
)


def find_impact(text: str) -> str:
    """The clause saying why it matters ("because ...", "so that ...", "otherwise ...",
    "blocking ...", "customers are ...", "we lose ..."), or ""."""
    plain = _without_urls(plain_text(text)).replace("’", "'")
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


# -- choice, number, user readers ---------------------------------------------------------------

_FREE_TEXT_SKIP = frozenset({"other", "something else", "others"})
# Keywords that also are everyday words: in free text they count only next to an
# environment word ("test env", "in stage").
_WEAK_ENV_WORDS = frozenset({"test", "testing", "live", "stage"})
_ENV_CONTEXT_AFTER = re.compile(
    r"\s+(?:env|envs|environment|environments|cluster|account|stack|site|db|database|instance"
    r"|server|servers)\b"
)
_ENV_CONTEXT_BEFORE = re.compile(r"\b(?:in|on|to|into)\s+(?:the\s+)?$")

DEFAULT_ENVIRONMENT = FieldSpec(
    name="environment",
    label="Environments",
    question="Which environments — production, staging, development? Pick any.",
    type=AnswerType.CHOICE,
    multiple=True,
    options=(
        Option("production", ("prod", "prd", "live", "production")),
        Option("staging", ("stage", "stg", "staging", "preprod", "pre-prod", "uat")),
        Option("development", ("dev", "development", "test", "testing", "qa", "sandbox")),
    ),
)


def _option_terms(option: Option) -> list[str]:
    return [option.value.lower(), *(k.lower() for k in option.keywords)]


@lru_cache(maxsize=4096)
def _term_pattern(term: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in term.split()]
    body = r"[\s-]+".join(words)
    return re.compile(rf"(?<![\w]){body}(?![\w])", re.IGNORECASE)


def _options_in_text(spec: FieldSpec, text: str, *, free_text: bool) -> list[tuple[int, Option]]:
    """Options named in ``text`` with the position of their first mention."""
    found: list[tuple[int, Option]] = []
    lowered = text.lower()
    for option in spec.options:
        positions = []
        for term in _option_terms(option):
            if free_text and term in _FREE_TEXT_SKIP:
                continue
            for m in _term_pattern(term).finditer(lowered):
                if (
                    free_text
                    and spec.name == "environment"
                    and term in _WEAK_ENV_WORDS
                    and not (
                        _ENV_CONTEXT_AFTER.match(lowered, m.end())
                        or _ENV_CONTEXT_BEFORE.search(lowered[: m.start()])
                    )
                ):
                    continue
                positions.append(m.start())
                break
        if positions:
            found.append((min(positions), option))
    return found


def _choice_from_text(spec: FieldSpec, text: str) -> str | list[str] | None:
    found = _options_in_text(spec, text, free_text=True)
    if not found:
        return None
    if spec.multiple:
        return [option.value for option in spec.options if any(o is option for _, o in found)]
    return min(found, key=lambda item: item[0])[1].value


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
    readable = _without_urls(plain)
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


# -- parse_answer -------------------------------------------------------------------------------


def quote(text: str, limit: int = 80) -> str:
    """The person's words, cut to ``limit`` characters, in curly quotes."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return f"“{text}”"


def _parse_text(spec: FieldSpec, text: str) -> ParsedAnswer | AnswerError:
    value = " ".join(text.split()) if "\n" not in text else text.strip()
    if not value:
        return AnswerError(f"I need a few words for “{spec.label}”. Type a short answer.")
    return ParsedAnswer(value)


def _option_list(spec: FieldSpec) -> str:
    return ", ".join(f"{i}. {o.value}" for i, o in enumerate(spec.options, start=1))


def _match_option(spec: FieldSpec, part: str) -> Option | None:
    part = part.strip(" .!?\"'`").lower()
    if not part:
        return None
    for option in spec.options:
        if part == option.value.lower() or part in (k.lower() for k in option.keywords):
            return option
    if part.isdigit() and 1 <= int(part) <= len(spec.options):
        return spec.options[int(part) - 1]
    prefixed = [o for o in spec.options if len(part) >= 2 and o.value.lower().startswith(part)]
    if len(prefixed) == 1:
        return prefixed[0]
    found = _options_in_text(spec, part, free_text=False)
    if len({id(o) for _, o in found}) == 1:
        return found[0][1]
    return None


_ALL = re.compile(r"^(?:all|all of them|all three|everything|every one|each|all envs?"
                  r"|all environments|every environment)$")  # fmt: skip


def _parse_choice(spec: FieldSpec, text: str) -> ParsedAnswer | AnswerError:
    cleaned = " ".join(text.strip().split())
    lowered = cleaned.lower().strip(" .!")
    unknown = AnswerError(
        f"I didn't recognise {quote(cleaned)}. "
        f"{'Pick one or more' if spec.multiple else 'Pick one'} of: {_option_list(spec)} "
        f"(the name or its number)."
    )
    if not lowered:
        return unknown
    if spec.multiple:
        if _ALL.match(lowered):
            return ParsedAnswer([o.value for o in spec.options])
        whole = _match_option(spec, lowered)
        if whole is not None:
            return ParsedAnswer([whole.value])
        chosen: list[Option] = []
        for part in re.split(r"\s*(?:,|\+|&|/|;|\band\b|\bor\b|\bplus\b)\s*", lowered):
            words = [w for w in part.split() if w not in _FILLER_WORDS]
            if not words:
                continue
            option = _match_option(spec, " ".join(words))
            if option is not None:
                chosen.append(option)
                continue
            found = _options_in_text(spec, part, free_text=False)
            if not found:
                return unknown
            chosen.extend(o for _, o in sorted(found, key=lambda item: item[0]))
        if not chosen:
            return unknown
        return ParsedAnswer([o.value for o in spec.options if any(c is o for c in chosen)])
    option = _match_option(spec, lowered)
    if option is None:
        found = _options_in_text(spec, lowered, free_text=False)
        distinct = {id(o): o for _, o in found}
        if len(distinct) == 1:
            option = next(iter(distinct.values()))
        elif len(distinct) > 1:
            names = ", ".join(o.value for o in distinct.values())
            return AnswerError(f"Just one, please: which of {names}? Type its name or number.")
    if option is None:
        return unknown
    return ParsedAnswer(option.value)


_FILLER_WORDS = frozenset(
    {"the", "a", "an", "in", "on", "to", "for", "please", "both", "env", "envs", "environment",
     "environments", "only", "just", "too", "also", "and", "of", "them", "it"}
)  # fmt: skip


def _day(value: date) -> str:
    return f"{value:%a} {value.day} {value:%b %Y}"


def _parse_date(spec: FieldSpec, text: str, today: date) -> ParsedAnswer | AnswerError:
    answer = parse_deadline(text, today, allow_past=True)
    if answer is None:
        return AnswerError(
            f"I couldn't read {quote(text)} as a date. "
            "Try “next Friday”, “2026-12-15”, or “no deadline”."
        )
    if answer.kind == "none":
        return ParsedAnswer(None, no_deadline=True)
    assert answer.value is not None
    if answer.value < today:
        return AnswerError(
            f"{quote(text)} is in the past ({_day(answer.value)}). "
            "When do you need it by? e.g. “next Friday” or “no deadline”."
        )
    return ParsedAnswer(answer.value)


def _parse_list(spec: FieldSpec, text: str) -> ParsedAnswer | AnswerError:
    items = split_list(text)
    if spec.name == "services":
        items = list(dict.fromkeys(item.strip("`").lower() for item in items))
    if not items:
        return AnswerError("I need at least one item. Put each on its own line or separate them "
                           "with commas.")  # fmt: skip
    return ParsedAnswer(items)


_BARE_ID = re.compile(r"^@?([UW][A-Z0-9]{6,})$")


def _parse_user(spec: FieldSpec, text: str) -> ParsedAnswer | AnswerError:
    mentions = find_mentions(text)
    if not mentions:
        ids = [m.group(1) for m in (_BARE_ID.match(w.strip(" ,;")) for w in text.split()) if m]
        mentions = list(dict.fromkeys(ids))
    if not mentions:
        return AnswerError(
            f"I couldn't tell who {quote(text)} is. @mention the person, e.g. “@lee”."
        )
    return ParsedAnswer(mentions if spec.multiple else mentions[0])


def _parse_number(spec: FieldSpec, text: str) -> ParsedAnswer | AnswerError:
    value = stated_number(spec, text)
    if value is None:
        example = f"“100 {spec.unit}”" if spec.unit else "“100”"
        unit_hint = f" in {spec.unit}" if spec.unit else ""
        return AnswerError(
            f"I couldn't read {quote(text)} as a number{unit_hint}. Type a number, e.g. {example}."
        )
    return ParsedAnswer(value)


def parse_answer(spec: FieldSpec, text: str, today: date) -> ParsedAnswer | AnswerError:
    """Read ``text`` as the answer to the question ``spec`` asks."""
    if spec.type is AnswerType.TEXT:
        return _parse_text(spec, plain_text(text))
    if spec.type is AnswerType.CHOICE:
        return _parse_choice(spec, plain_text(text))
    if spec.type is AnswerType.DATE:
        return _parse_date(spec, text, today)
    if spec.type is AnswerType.LIST:
        return _parse_list(spec, plain_text(text))
    if spec.type is AnswerType.USER:
        return _parse_user(spec, text)
    if spec.type is AnswerType.NUMBER:
        return _parse_number(spec, plain_text(text))
    return AnswerError("I can't read answers to this question yet.")
