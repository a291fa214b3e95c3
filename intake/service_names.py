"""Service names a message mentions ("for billing", "the billing service", `payments-api`)
and the hostnames in it. Rule-based: no network, no I/O."""

from __future__ import annotations

import re

from intake.lists import NAME_SEPARATORS, split_names
from intake.slack_markup import _SLACK_LINK, find_links, plain_text, without_urls

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
_LIST_OF_NAMES = rf"((?:{_NAME_TOKEN})(?:\s*(?:{NAME_SEPARATORS})\s*(?:{_NAME_TOKEN}))*)"
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
    names = [n.strip(" .,;:'\"`") for n in split_names(group)]
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
    lowered = without_urls(_BACKTICKED.sub(lambda m: " " * len(m.group(0)), raw)).lower()
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
        if names and len(names) == len(split_names(m.group(1))):
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
    rest = without_urls(_SLACK_LINK.sub(" ", text))
    for m in _HOSTNAME.finditer(rest):
        candidate = m.group(1).lower()
        if re.search(r"[a-z]", candidate.split(".")[0]) or len(candidate.split(".")) > 2:
            hosts.append(candidate)
    return list(dict.fromkeys(h for h in hosts if not re.fullmatch(r"[\d.]+", h)))
