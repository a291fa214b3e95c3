"""The sentence of an ask that says what is asked for, and the ask itself as a short phrase.

People open with context ("We're on Ubuntu 18.04 and its support runs out soon.") before the
request ("We need to upgrade the build machines."). A title and the request type come from the
request, not the context: this module finds it. Pure text rules, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from intake.slack_markup import prose

# Verbs that state an action the platform team can take: "upgrade X" is the ask itself.
ACTION_VERBS = frozenset(
    """
    add allow archive automate bump cancel change clean configure connect create cut decommission
    delete deploy disable drop enable expand expose extend fix give grant increase install lift
    lower make migrate move open provision raise reduce remove rename replace reset restore
    revoke rotate run scale set setup shrink speed spin split stop switch tune turn update
    upgrade downgrade upsize downsize investigate debug monitor alert backup back double triple
    lock unblock block whitelist allowlist onboard offboard purge retire renew issue restart
    shorten trim consolidate tidy stand reserve transfer publish host mirror cache
    """.split()  # noqa: SIM905
)
# Verbs that only carry a noun phrase: "can we get a db" asks for "a db".
_CARRIER_VERBS = frozenset({"get", "have", "need", "see", "receive", "obtain", "acquire"})

_SUBJECT = r"(?:we|i|our team|the team|my team|you|someone|somebody|the platform team|u)"
_SOFT = r"(?:\s+(?:really|urgently|also|just|still|kindly|please|badly|now|soon))*"
_PATTERNS: tuple[re.Pattern[str], ...] = (
    # "we need to upgrade X", "I'd like to move X", "we want you to raise X"
    re.compile(
        rf"\b{_SUBJECT}{_SOFT}(?:\s+(?:need|needs|want|wants|would like|wanna|have)|'d like)"
        rf"(?:\s+(?:you|someone|somebody|the platform team))?\s+to\s+(?P<verb>\w+)\s+(?P<rest>.+)"
    ),
    # "can you raise X", "could we get X", "would someone grant X"
    re.compile(
        rf"\b(?:can|could|would|will|may)\s+{_SUBJECT}{_SOFT}\s+(?:please\s+)?"
        rf"(?P<verb>\w+)\s+(?P<rest>.+)"
    ),
    # "please upgrade X", "pls add X"
    re.compile(r"(?:^|\b)(?:please|pls|plz|kindly)\s+(?P<verb>\w+)\s+(?P<rest>.+)"),
    # "need to upgrade X" with no subject
    re.compile(r"^(?:need|needs|want|wants|trying)\s+to\s+(?P<verb>\w+)\s+(?P<rest>.+)"),
    # "is it possible to move X", "looking to raise X"
    re.compile(
        r"\b(?:possible|able|looking|hoping|planning|asking)\s+to\s+(?P<verb>\w+)\s+(?P<rest>.+)"
    ),
)
# "we need X", "I want X", "the hub needs X", "requesting X"
_NOUN_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(
        rf"\b{_SUBJECT}{_SOFT}(?:\s+(?:need|needs|want|wants|would like|require|requires)|'d like)"
        r"\s+(?P<np>.+)"
    ),
    re.compile(r"^(?:need|needs|want|requesting|request|asking for|looking for)\s+(?P<np>.+)"),
    re.compile(r"\b(?:requesting|request for|asking for|looking for)\s+(?P<np>.+)"),
    re.compile(r"^(?P<subject>(?:the |our |my )?[\w./-]+(?: [\w./-]+)?) needs? (?P<np>.+)"),
)
# Where a sentence (or a part of one that stands alone) ends.
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+|;\s+")
_IMPERATIVE = re.compile(r"^(?P<verb>\w+)\s+(?P<rest>.+)")
_GREETING = re.compile(
    r"^(?:(?:hi|hey|hello|morning|yo|ok|okay|so|also|and|but|folks|team|all|there|everyone"
    r"|platform team|infra team|quick one|quick question|question)\b[\s,!:.-]*)+",
)
# Where the ask stops and the reason or the timing begins.
_CLAUSE_END = re.compile(
    r"\s*(?:,|;|:|\s-\s|\s–\s|\s—\s|\(|\bbecause\b|\bsince\b|\bso that\b|\bso we\b|\bso it\b"
    r"|\bas (?:we|our|the|it)\b|\bwhich\b|\bthat way\b|\botherwise\b|\bbefore (?:the|our|we)\b"
    r"|\bif (?:possible|you can|we can)\b|\bthanks\b|\bthank you\b|\bcheers\b|\bwhen you\b)",
    re.IGNORECASE,
)
_TRAILING_TIME = re.compile(
    r"(?:\s+(?:asap|a\.s\.a\.p|urgently|please|pls|soon|today|tomorrow|now|right away"
    r"|as soon as (?:possible|you can)|this (?:week|month|quarter|sprint)|next (?:week|month"
    r"|quarter|sprint)|(?:for|in|by) (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
    r"|by (?:eod|eow|end of (?:day|week|month)|\w+day|next \w+|the \w+|\d[\w-]*"
    r"(?: \w+)?|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w* \d+\w*)|in \w+ (?:days?"
    r"|weeks?|months?)|too|as well|for us|for me))+\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class RequestPhrase:
    """What an ask asks for: ``phrase`` starts with its verb when ``action`` ("Upgrade the
    build machines") or is a noun phrase ("A postgres db for billing"); ``sentence`` is the
    sentence it came from."""

    phrase: str
    action: bool
    sentence: str


def sentences(text: str) -> list[str]:
    """``text`` as sentences, Slack markup made readable and URLs left out."""
    parts = SENTENCE_BREAK.split(prose(text))
    return [" ".join(p.split()).strip(" .!?") for p in parts if p.strip(" .!?")]


def find_request(text: str) -> RequestPhrase | None:
    """The first sentence of ``text`` that asks for something: as "verb + object" when it asks
    for an action, else as the noun phrase of the thing; None when no sentence asks."""
    said = sentences(text)
    for index, sentence in enumerate(said):
        lowered = _GREETING.sub("", sentence.lower()).strip()
        original = sentence[len(sentence) - len(lowered) :] if lowered else sentence
        found = _action(lowered, original)
        if found is not None:
            return RequestPhrase(_named_pronoun(found[0], said[:index]), found[1], sentence)
        noun = _noun(lowered, original)
        if noun:
            return RequestPhrase(noun, False, sentence)
    return None


_VERSIONED = re.compile(r"\b([A-Za-z][\w+-]*\s+v?\d+(?:\.\d+)+)\b")


def _named_pronoun(phrase: str, context: list[str]) -> str:
    """ "Upgrade the build machines off it" after "We're on Ubuntu 18.04 ...": the trailing
    "it" named ("... off Ubuntu 18.04"), when the context names one versioned thing."""
    if not re.search(r"\s(?:it|them)$", phrase):
        return phrase
    named = [m.group(1) for sentence in context for m in _VERSIONED.finditer(sentence)]
    if len(set(named)) != 1:
        return phrase
    return re.sub(r"(?:it|them)$", named[0], phrase)


def _span(original: str, lowered: str, start: int) -> str:
    """The original-case text of ``lowered[start:]`` (same length: lowercasing kept it)."""
    return original[start:] if len(original) == len(lowered) else lowered[start:]


def _action(lowered: str, original: str) -> tuple[str, bool] | None:
    """(verb + object, True), or (noun phrase, False) for "can we get a db"."""
    candidates = [p.search(lowered) for p in _PATTERNS]
    imperative = _IMPERATIVE.match(lowered)
    if imperative and imperative.group("verb") in ACTION_VERBS:
        candidates.append(imperative)
    for m in candidates:
        if m is None:
            continue
        verb = m.group("verb")
        rest = _trim(_span(original, lowered, m.start("rest")))
        if verb in _CARRIER_VERBS and len(rest.split()) >= 2:
            return _capitalize(re.sub(r"^(?:me|us)\s+", "", rest)), False
        if verb not in ACTION_VERBS or not rest:
            continue
        return _capitalize(f"{verb} {rest}"), True
    return None


def _noun(lowered: str, original: str) -> str | None:
    for pattern in _NOUN_PATTERNS:
        m = pattern.search(lowered)
        if m is None:
            continue
        np = _trim(_span(original, lowered, m.start("np")))
        if np.lower().startswith("to "):
            continue  # "need to ..." with a verb we do not know as an action
        np = re.sub(r"^(?:(?:to\s+)?(?:get|have)\s+)", "", np, flags=re.IGNORECASE)
        if len(np.split()) < 2 and not re.search(r"\d", np):
            continue
        subject = m.groupdict().get("subject")
        if subject and subject.split()[-1] not in ("we", "i", "team"):
            np = f"{np} for {_span(original, lowered, m.start('subject'))[: len(subject)]}"
        return _capitalize(np)
    return None


def _trim(rest: str) -> str:
    """The ask without the reason, the timing or the pleasantries after it."""
    m = _CLAUSE_END.search(rest)
    if m and m.start() > 0:
        rest = rest[: m.start()]
    rest = _TRAILING_TIME.sub("", rest.strip())
    rest = re.sub(r"\s+(?:and|or|but|to|for|with|by|in|on|at|of)$", "", rest.strip())
    # "an alarm well before we hit the limit": the adverb belonged to the cut-off clause.
    rest = re.sub(r"\s+(?:well|way|long|right|just|shortly|even|ideally|soon)$", "", rest)
    return rest.strip(" ,.!?-–—:")


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
