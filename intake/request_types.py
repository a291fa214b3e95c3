"""Which request type an ask is, and when it is a close call worth one question.

The keywords of every sentence count (``intake.extraction.score_templates``); the sentence
that states the ask (``intake.request_sentence``) counts twice, so "We're on 18.04 and our
builds break. We need read access to the build logs." is an access request, not CI/CD.
When the two likeliest types are close, the engine asks the requester to pick one (with the
two as buttons) instead of guessing; when one clearly wins, it never asks.
"""

from __future__ import annotations

import re

from intake.extraction import score_templates
from intake.request_sentence import find_request
from intake.templates.model import AnswerType, FieldSpec, Option, TemplateSet

# The runner-up is "close" when it scores at least this share of the best type's score...
CLOSE_SHARE = 0.65
# ...and the best is not overwhelming in absolute terms either.
CLEAR_MARGIN = 4.0

TYPE_FIELD = "request_type"  # the pseudo-field the type question is pending on

NEW_SERVICE = "new_service"
NEW_THING_WEIGHT = 3.0
# Someone starting something that will run as a service ("we're starting a fraud-scoring
# service in go", "building a new pricing api"): a new service, whatever it is called.
_NEW_THING = re.compile(
    r"\b(?:start|starting|build|building|write|writing|launch|launching|create|creating"
    r"|set(?:ting)? up|spin(?:ning)? up)\s+(?:a|an)\s+(?:new\s+)?(?:[\w-]+\s+){0,2}"
    r"(?:service|microservice|api|app|backend)\b"
)

COST = "cost"
MONEY_WEIGHT = 2.0
# A sum of money stated in the ask ("costs us ~$4k a month", "€300 per month", "2k USD"): the
# ask is about what something costs, whatever the something is.
_MONEY = re.compile(
    r"(?:[$€£]\s?\d[\d,.]*\s?[km]?\b|\b\d[\d,.]*\s?[km]?\s?(?:usd|eur|gbp|dollars|euros)\b)"
)


def rank(text: str, templates: TemplateSet) -> list[tuple[str, float]]:
    """Every request type whose keywords ``text`` mentions, best first, with its score."""
    scores = dict(score_templates(text, templates))
    request = find_request(text)
    if request is not None:
        for template_id, score in score_templates(request.phrase, templates):
            scores[template_id] = scores.get(template_id, 0.0) + score
    if _NEW_THING.search(" ".join(text.lower().split())) and NEW_SERVICE in templates.templates:
        scores[NEW_SERVICE] = scores.get(NEW_SERVICE, 0.0) + NEW_THING_WEIGHT
    if _MONEY.search(text.lower()) and COST in templates.templates:
        scores[COST] = scores.get(COST, 0.0) + MONEY_WEIGHT
    order = {t.id: i for i, t in enumerate(templates)}
    return sorted(scores.items(), key=lambda item: (-item[1], order.get(item[0], 0)))


def classify(text: str, templates: TemplateSet) -> str:
    """The best request type id for ``text``; "other" when no keyword matches."""
    ranked = rank(text, templates)
    return ranked[0][0] if ranked else TemplateSet.FALLBACK


def close_call(text: str, templates: TemplateSet, chosen: str) -> tuple[str, str] | None:
    """The two likeliest types (``chosen`` first) when they are too close to call, else None."""
    ranked = rank(text, templates)
    if len(ranked) < 2:
        return None
    (first, best), (second, runner_up) = ranked[0], ranked[1]
    if runner_up < CLOSE_SHARE * best or best - runner_up >= CLEAR_MARGIN:
        return None
    pair = (first, second)
    if chosen not in pair:
        return None
    return (chosen, second if chosen == first else first)


def type_question(templates: TemplateSet, pair: tuple[str, str]) -> FieldSpec:
    """The one question that settles a close call: the two types as buttons."""
    first, second = (templates.get(t) for t in pair)
    return FieldSpec(
        name=TYPE_FIELD,
        label=f"{first.name} or {second.name}?",
        question=(
            f"Is this closer to *{first.name}* ({_lower(first.description)}) or "
            f"*{second.name}* ({_lower(second.description)})? Pick one, or say in a few words "
            "what kind of request it is."
        ),
        type=AnswerType.CHOICE,
        options=(Option(first.name, (first.id,)), Option(second.name, (second.id,))),
    )


def pick_type(answer: str, templates: TemplateSet, pair: tuple[str, str]) -> str | None:
    """The type ``answer`` names: one of the pair by its name, id or number ("1", "the
    first"), else the type the answer's own words point to; None when they point nowhere."""
    text = " ".join(answer.lower().split()).strip(" .!?")
    names = {t: templates.get(t).name.lower() for t in pair}
    for position, template_id in enumerate(pair, start=1):
        name = names[template_id]
        ordinal = ("first", "1st", "one") if position == 1 else ("second", "2nd", "two")
        if text in (name, template_id, template_id.replace("_", " "), str(position), *ordinal):
            return template_id
        if text in (f"the {o}" for o in ordinal) or text in (f"the {o} one" for o in ordinal):
            return template_id
    mentioned = [t for t in pair if names[t] in text or names[t].split()[0] in text.split()]
    if len(mentioned) == 1:
        return mentioned[0]
    ranked = rank(answer, templates)
    return ranked[0][0] if ranked else None


_NAMED = re.compile(
    r"^(?:(?:actually|no|nope|oh|sorry|wrong type|correction)[\s,.:;!-]*)*"
    r"(?:it'?s|this is|that'?s|it is|this should be|it should be|should be|file it as|file this as"
    r"|file it under|make it|make this|type is|request type is|type:|request type:)\s+"
    r"(?:(?:more|rather|really)\s+)?(?:(?:of\s+)?an?\s+)?(?P<name>.+?)"
    r"(?:\s+(?:request|ask|thing|ticket|one|type))?(?:\s*,?\s+not\s+.+)?$"
)


def named_type(text: str, templates: TemplateSet) -> str | None:
    """The request type a message says the ask is ("it's an access request, not CI"), if any."""
    lowered = " ".join(text.lower().replace("’", "'").split()).strip(" .!")
    m = _NAMED.match(lowered) if len(lowered.split()) <= 10 else None
    if m is None:
        return None
    # "it's the reporting db" names a thing, not a type: guess from keywords only when the
    # message speaks of a kind of request ("a cost thing", "an access request").
    kind = re.search(r"\b(?:request|ask|thing|ticket|type|issue|problem|kind)\b", lowered)
    return type_named(m.group("name"), templates, guess=kind is not None)


def type_named(words: str, templates: TemplateSet, *, guess: bool = True) -> str | None:
    """The request type ``words`` name: by its name or id ("access request", "ci/cd", "cost"),
    else (``guess``), for a few words, the type their keywords point to."""
    text = " ".join(words.lower().split()).strip(" .!?")
    text = re.sub(r"\s+(?:request|ask|type|one)$", "", text)
    if not text:
        return None
    for template in templates.templates.values():
        name = template.name.lower()
        if text in (name, template.id, template.id.replace("_", " "), name.split()[0]):
            return template.id
    if not guess or len(text.split()) > 3 or re.search(r"\b(?:for|on|in|to|of|with)\b", text):
        return None
    ranked = rank(text, templates)
    return ranked[0][0] if ranked else None


def _lower(description: str) -> str:
    text = description.strip().rstrip(".")
    text = text.split(" — ")[0].split(";")[0]
    return text[:1].lower() + text[1:]
