"""What an opening ask states in passing, read so the engine does not ask it again.

People rarely label their asks; they say what they need and why in one breath:

* why it matters: "I need them for the agent issues I'm working on", "they're running the
  migration tests", "users keep getting their sessions killed", "sticky sessions are killing
  us", "nobody notices until ...", "the whole site went down" (``find_reason``);
* what access is to: "admin permissions back on ci.jenkins.io", "read access to the logs
  bucket", "VPN access" (``find_access_target``);
* which service: "the toronto hub", "the payments e2e tests", "auth logs", "the mirror job",
  "when search gets slow", "dgraph.xyz went down" (``find_named_services``);
* a field's label in the middle of a line: "post-mortem action item: alert on disk usage"
  (``labelled_inline``).

Every reader returns nothing when the words are not there: a wrong value is worse than a
question, so each pattern is one people use to say exactly that, no guessing beyond it.
"""

from __future__ import annotations

import re
from datetime import date

from intake.choices import _option_terms
from intake.extraction import Extraction, extract
from intake.lists import split_names
from intake.request_sentence import SENTENCE_BREAK, find_request
from intake.service_names import (
    _GENERIC,
    _HOSTNAME,
    _NAME_TOKEN,
    _is_name,
    find_hostnames,
)
from intake.slack_markup import plain_text, prose
from intake.templates.model import RequestTemplate

# -- why it matters -----------------------------------------------------------------------------

_PEOPLE = (
    r"(?:users?|customers?|people|students|developers|devs|contributors|members|folks|everyone"
    r"|we|i|they|he|she|our team|the team)"
)
# Patterns whose clause is the reason as said, from where the pattern starts.
_REASON_FROM_MATCH = re.compile(
    # "I need them for the agent issues", "we need it to run the release"
    r"\b(?:i|we|they|he|she)\s+(?:really\s+)?need\s+(?:it|them|this|that|these|those)\s+"
    r"(?:for|to)\s+\w+"
    # "they're running the migration tests", "he's looking into the download issues"
    r"|\b(?:i'm|i am|we're|we are|they're|they are|he's|he is|she's|she is)\s+(?:currently\s+)?"
    r"(?:running|working on|looking into|investigating|debugging|fixing|migrating|testing"
    r"|preparing|trying to)\b"
    # "nobody notices until ...", "no one got told"
    r"|\b(?:nobody|no one|noone)\s+(?:notices|noticed|got told|was told|knew|knows|gets told)\b"
)
# Patterns that make their whole clause (from its start) the reason.
_REASON_CLAUSE = re.compile(
    # "users on the hub keep getting their sessions killed", "I keep waiting for ..."
    rf"\b{_PEOPLE}(?:'[a-z]+)?\b(?:\s+[\w.'-]+){{0,5}}?\s+(?:keep|keeps|kept)\s+\w+ing\b"
    # "sticky sessions are killing us", "this is blocking us"
    r"|\b(?:is|are)\s+killing\s+(?:us|me|them)\b"
    # "the whole site went down", "prod was down for an hour", "we ran out of disk"
    r"|\b(?:went|was|were|goes)\s+down\b|\bran out of\b"
    # "want to keep the old docs up while the new ones land"
    r"|\b(?:want|need)\s+to\s+keep\b"
    # "updates will no longer be provided", "the VMs may become vulnerable"
    r"|\bwill no longer\b|\b(?:may|will|could) become vulnerable\b"
)
_AFTER_REASON_WORDS = re.compile(r"\b(?:so (?:i|he|she|you|it) can|in order to)\s+", re.I)
# Where a clause stops: the ask that follows it ("..., can we bump ...").
_ASK_AFTER = re.compile(
    r",\s*(?=(?:can|could|would|will|please|pls|any way|is there|what|how|we need|i need"
    r"|need)\b)|\?\s*"
)


def _clauses(text: str) -> list[str]:
    parts = SENTENCE_BREAK.split(prose(text))
    clauses: list[str] = []
    for part in parts:
        clauses += [c for c in _ASK_AFTER.split(part) if c and c.strip(" .,!?")]
    return [" ".join(c.split()) for c in clauses]


def find_reason(text: str) -> str:
    """Why the ask matters, as the opening says it, or "" (see the module docstring)."""
    for clause in _clauses(text):
        lowered = clause.lower()
        found = []
        if (m := _REASON_FROM_MATCH.search(lowered)) is not None:
            found.append((m.start(), m.start()))
        if (m := _AFTER_REASON_WORDS.search(lowered)) is not None:
            found.append((m.start(), m.end()))
        if (m := _REASON_CLAUSE.search(lowered)) is not None:
            start = lowered.rfind(", ", 0, m.start())  # the part of the sentence saying it
            found.append((m.start(), 0 if start < 0 else start + 2))
        if not found:
            continue
        _, begin = min(found)
        reason = clause[begin:].strip(" ,;:-–—.!?")
        if len(reason.split()) >= 2:
            first = reason.split()[0]
            return reason if "." in first else reason[0].upper() + reason[1:]
    return ""


# -- what access is to --------------------------------------------------------------------------

_ACCESS_WORDS = r"(?:access|permissions?|perms|rights|role)"
_ACCESS_TO = re.compile(
    rf"\b{_ACCESS_WORDS}\s+(?:back\s+)?(?:to|on|for|in|into)\s+(?P<what>.+)", re.IGNORECASE
)
_THING_ACCESS = re.compile(rf"\b(?P<what>[\w.-]+)\s+{_ACCESS_WORDS}\b", re.IGNORECASE)
# Words before "access" that say how much access, or are not a thing ("admin access").
_NOT_A_THING = frozenset(
    """
    read write admin administrator view viewer edit editor full root owner readonly read-only
    read-write rw ro superuser elevated more some any my his her their our your the a an
    me us him them you everyone everybody someone somebody it this that
    push pull merge deploy shell ssh console api programmatic cli web network remote direct ui
    need needs get give grant have had request requesting want same temporary temp console
    prod production staging dev development test my own back
    """.split()  # noqa: SIM905
)
_TARGET_END = re.compile(
    r"\s*(?:[?!;:(]|\.(?:\s|$)|,|\s-\s|\s–\s|\s—\s|\b(?:so|because|since|as|for|asap|please"
    r"|pls|thanks|by|until|before|when|while|to (?:help|debug|fix|look|check|see|do|work))\b"
    r"|\b(?:he|she|they|i|we)(?:'s|'re|'m| is| are| am)\b)",
    re.IGNORECASE,
)


def find_access_target(text: str) -> str:
    """What access is asked to ("the orders database in staging", "ci.jenkins.io", "VPN"),
    or "" when the ask does not say."""
    plain = " ".join(prose(text).split())
    m = _ACCESS_TO.search(plain)
    if m is not None:
        what = m.group("what")
        end = _TARGET_END.search(what)
        target = (what[: end.start()] if end else what).strip(" .,")
        if target.lower() in _GENERIC:
            return ""  # "access to it": the thing was named before, in words we can't resolve
        if target and len(target.split()) <= 10:
            return target
    for m in _THING_ACCESS.finditer(plain):
        word = m.group("what").strip(".")
        if word.lower() not in _NOT_A_THING and not word.isdigit() and len(word) > 1:
            return word
    return ""


# -- which service ------------------------------------------------------------------------------

# "the toronto hub", "our ingest cluster", "the mirror job", "the payments e2e tests"
_THE_NAME_THING = re.compile(
    rf"\b(?:the|our|on|for)\s+(?:the\s+)?({_NAME_TOKEN})\s+(?:(?:e2e|unit|integration|smoke"
    r"|end-to-end)\s+(?:tests|test suite)|hub|hubs|job|jobs|cronjob|calls|outage|incident)\b"
)
# "auth logs disappear", "last week's checkout outage": a name right before what it produced.
# A sentence that starts with the name: "reporting workers keep getting OOMKilled", "m2lines
# ran out of GPUs during a demo", "checkout needs a redis".
_SUBJECT_NAME = re.compile(
    rf"^(?:the\s+|our\s+)?({_NAME_TOKEN})(?P<kind>\s+(?:workers|pods|jobs|service|api|hub))?"
    r"\s+(?:keep|keeps|kept|ran out of|runs out of|(?:is|are) (?:running )?out of|needs)\b"
)
# Purpose words that name a service when one stands before "workers" ("reporting workers").
_NOT_PURPOSES = frozenset(
    """
    running pending failing existing remaining missing building testing staging during
    everything something anything nothing logging monitoring tracing alerting scaling
    """.split()  # noqa: SIM905
)
# "some of our packages need a GPU for their tests (pytorch, cupy)": the names in brackets.
_GROUP_THEN_NAMES = re.compile(
    r"\b(?:packages|repos|repositories|projects|services|apps|feedstocks|libraries)\b"
    r"[^().?!]{0,60}\(([^()]{2,80})\)"
)
# "can they be added as hydra builders?"
_AS_NAME_MACHINES = re.compile(
    rf"\bas\s+({_NAME_TOKEN})\s+(?:builders|runners|build agents|agents|build machines)\b"
)
_NAME_LOGS = re.compile(rf"\b({_NAME_TOKEN})(?:'s)?\s+(?:logs|outage|incident)\b")
# "alert us when search gets slow", "dgraph.xyz went down"
_NAME_IS_DOWN = re.compile(
    rf"(?:^|\bwhen\s+|\bif\s+)(?:the\s+)?({_NAME_TOKEN})\s+(?:gets|is|goes|went|was|becomes"
    r"|got|keeps)\s+(?:slow|slower|down|unreachable|offline|unavailable|flaky)\b"
)
# Words that sit where a name would but say what kind of thing it is ("the error logs").
_KINDS = frozenset(
    """
    error errors debug application container pod request event kernel raw old recent all
    flaky failing slow random nightly daily weekly hourly cron e2e unit integration smoke
    end-to-end big small last whole entire same first second previous outbound inbound
    self-hosted hosted extra additional macos linux windows arm arm64 x86 shared dedicated
    they we he she you people users everyone someone somebody nobody
    flow query cdn gc crash install startup boot stdout stderr json text
    """.split()  # noqa: SIM905
)


def find_named_services(text: str, exclude: frozenset[str] = frozenset()) -> list[str]:
    """Services an ask names by what they are or do (see the module docstring), lowercase."""
    plain = " ".join(prose(text).split())
    lowered = plain.lower()
    found = _named_by_pattern(lowered, exclude)
    found += _bracketed_names(lowered, exclude) + _subject_names(lowered, exclude)
    found.sort()
    return list(dict.fromkeys(name for _, name in found))


def _named_by_pattern(lowered: str, exclude: frozenset[str]) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for pattern in (_THE_NAME_THING, _NAME_LOGS, _NAME_IS_DOWN, _AS_NAME_MACHINES):
        for sentence_start, sentence in _sentence_spans(lowered):
            for m in pattern.finditer(sentence):
                name = m.group(1).strip(".")
                hostname = _HOSTNAME.fullmatch(name) is not None and pattern is _NAME_IS_DOWN
                if name not in _KINDS and (hostname or _is_name(name, exclude)):
                    found.append((sentence_start + m.start(1), name))
    return found


def _bracketed_names(lowered: str, exclude: frozenset[str]) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for m in _GROUP_THEN_NAMES.finditer(lowered):
        names = [n.strip(" .'\"`") for n in split_names(m.group(1))]
        if len(names) >= 2 and all(_is_name(n, exclude) for n in names):
            found.extend((m.start(1) + i, n) for i, n in enumerate(names))
    return found


def _subject_names(lowered: str, exclude: frozenset[str]) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for sentence_start, sentence in _sentence_spans(lowered):
        m = _SUBJECT_NAME.match(sentence.strip())
        if m is None or m.group(1) in _KINDS:
            continue
        name = m.group(1)
        purpose = m.group("kind") and name.endswith("ing") and name not in _NOT_PURPOSES
        if purpose or _is_name(name, exclude):
            found.append((sentence_start, name))
    return found


def _sentence_spans(text: str) -> list[tuple[int, str]]:
    spans, start = [], 0
    for m in re.finditer(r"(?<=[!?])\s+|\.\s+|\n+", text):
        spans.append((start, text[start : m.start()]))
        start = m.end()
    spans.append((start, text[start:]))
    return spans


# -- labels in the middle of a line -------------------------------------------------------------


def labelled_inline(label: str, text: str) -> str:
    """The words after ``label:`` anywhere in a line ("post-mortem action item: alert on disk
    usage"), to the end of that line, or ""."""
    pattern = r"(?i)(?:^|[\s(\-])" + re.escape(label) + r"\s*:\s*(?P<value>[^\n]+)"
    m = re.search(pattern, plain_text(text))
    return m.group("value").strip(" .") if m else ""


# -- all of it ----------------------------------------------------------------------------------


def read(text: str, template: RequestTemplate, today: date) -> Extraction:
    """``intake.extraction.extract``, plus what the readers above find for the fields it left
    empty (services: added to those it found)."""
    found = extract(text, template, today)
    values = found.values
    if "impact" not in values and (reason := find_reason(text)):
        values["impact"] = reason
    services = find_named_services(text, _option_terms_of(template))
    if services:
        known = list(values.get("services") or [])
        values["services"] = known + [s for s in services if s not in known]
    if template.field("resource") is not None and template.field("who_needs_access"):
        if "resource" not in values and (target := find_access_target(text)):
            values["resource"] = target
        hosts = find_hostnames(text)
        if "environment" not in values and hosts:
            values["environment"] = hosts  # "reach infra.ci and cert.ci": where, by host
    for name in ("action_item", "desired_outcome"):
        spec = template.field(name)
        if spec is None or name in values:
            continue
        said = labelled_inline(spec.label or name.replace("_", " "), text)
        if not said and name == "action_item":
            said = labelled_inline("action item", text)
        if not said and (request := find_request(text)) is not None:
            said = request.phrase
        if said:
            values[name] = said
    return found


def _option_terms_of(template: RequestTemplate) -> frozenset[str]:
    """The template's choice terms, whole ("postgres", "log search"): never service names."""
    return frozenset(t for spec in template.fields for o in spec.options for t in _option_terms(o))
