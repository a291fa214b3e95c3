"""Similar asks: is someone already asking the platform team for this?

When an intake starts (and again before submit) the bot shows up to three *open* asks of the
same workspace that look like the same need ("Looks like PLAT-7 'Postgres for billing': join it
instead?"), and leads see them on the review card. Pure Python, no I/O:

* ``ask_text`` is the text that stands for an ask: what is compared, and what an ``Embedder``
  embeds.
* With embeddings (an ``Embedder`` such as ``llm.embeddings``), two asks are compared by
  the cosine of their vectors, kept above ``EMBEDDING_THRESHOLD``.
* Without them (no embedder, or it answered ``None``), by a lexical measure: TF-IDF-weighted
  cosine over normalised word stems (stop words removed, platform abbreviations such as
  pg/k8s/db mapped to one word, the services and request type as features of their own), mixed
  with a cosine over character trigrams of those stems for spellings that differ a little
  ("notification"/"notifications-svc"). IDF is computed over the candidates plus the query, so a
  word every open ask shares ("service", "production") counts for little. Kept above
  ``LEXICAL_THRESHOLD``.

Either score is lowered for each way the two asks say they differ (``conflicts``: another
service, another engine). The lexical measure was tuned on the labelled set in
``tests/unit/similarity_cases.yaml``; the precision and recall both methods reach there are
asserted in ``tests/unit/test_similarity.py``.
"""

from __future__ import annotations

import math
import operator
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from intake.ask_terms import terms
from intake.slack_markup import has_url, without_urls
from intake.ticket import Status, Ticket

OPEN_STATUSES: frozenset[Status] = frozenset(
    {Status.SUBMITTED, Status.NEEDS_INFO, Status.ACCEPTED, Status.IN_PROGRESS}
)

# Lowest score of a match shown to people; a false "join PLAT-7 instead?" is worse than a
# missed one. LEXICAL_THRESHOLD is tuned on the labelled set (precision and recall 0.97 there).
# EMBEDDING_THRESHOLD is a cautious start for OpenAI text-embedding-3 vectors of ``ask_text``,
# not measured on real vectors (the tests use a hashed bag-of-words fake); published figures put
# duplicate pairs of text-embedding-3-small near 0.74 and unrelated ones near 0.33, so expect
# high precision and low recall until it is calibrated on real asks.
LEXICAL_THRESHOLD = 0.45
EMBEDDING_THRESHOLD = 0.80
DEFAULT_LIMIT = 3

# How much the word-stem cosine counts in the lexical score; the rest is the trigram cosine.
WORD_WEIGHT = 0.6
# The lexical score is multiplied by this for each way two asks say they differ: no service in
# common, or another value of the same request-type choice (engine Redis vs PostgreSQL,
# "slow pipeline" vs "flaky pipeline"). Words shared by "postgres for billing" and "postgres
# for search" are real overlap; the services say it is not the same need.
CONFLICT_FACTOR = 0.6
CHOICE_WORDS = 3  # a field value of at most this many words is compared as a choice
# The parts of ``ask_text`` the lexical measure reads (by label; "" is the title and problem).
# Request-type fields are compared as choices by ``conflicts`` instead; environments not at all
# (one ask says prod, another prod and staging, for the same need).
LEXICAL_PARTS = frozenset({"", "Services"})
PROBLEM_CHARS = 1500  # of the problem statement in ``ask_text`` (thread summaries run long)

Method = Literal["embedding", "lexical"]


class Embedder(Protocol):
    def embed(self, texts: Sequence[str]) -> list[list[float]] | None:
        """One vector per text, in order; ``None`` when embeddings are unavailable (no key,
        the service is down, over budget): callers then use lexical similarity."""


@dataclass(frozen=True)
class Match:
    """An open ask that looks like the same need, with how alike they are (0..1) and how that
    was measured."""

    ticket: Ticket
    score: float
    method: Method = "lexical"


# -- the text of an ask -------------------------------------------------------------------------

_SLACK_ID = re.compile(r"^[UWSG][A-Z0-9]{6,}$")


def _field_words(value: object) -> str:
    """A request-type field's value as words, or "" when it says nothing about the need (a
    person's ID, a link, a number)."""
    if isinstance(value, str):
        text = value.strip()
        return "" if _SLACK_ID.match(text) else without_urls(text).strip()
    if isinstance(value, list | tuple):
        return ", ".join(w for w in (_field_words(item) for item in value) if w)
    return ""


def _parts(ticket: Ticket) -> list[tuple[str, str]]:
    """The pieces of an ask's text, each with its label ("" for the title and problem)."""
    parts: list[tuple[str, str]] = []
    title = " ".join(ticket.title.split())
    if title:
        parts.append(("", title))
    problem = " ".join(ticket.problem.split())
    if problem and problem != title:
        parts.append(("", problem[:PROBLEM_CHARS]))
    parts.append(("Request type", ticket.category.replace("_", " ")))
    if ticket.services:
        parts.append(("Services", ", ".join(ticket.services)))
    if ticket.environment:
        parts.append(("Environment", ", ".join(ticket.environment)))
    for name, value in sorted(ticket.fields.items()):
        words = _field_words(value)
        if words:
            parts.append((name.replace("_", " ").capitalize(), words))
    return parts


def ask_text(ticket: Ticket) -> str:
    """The text that represents an ask for similarity: title, problem, request type,
    services, environments and the request type's own fields (engine, access level, ...),
    one per line."""
    return "\n".join(f"{label}: {value}" if label else value for label, value in _parts(ticket))


# -- lexical similarity -------------------------------------------------------------------------

_SERVICE_SUFFIX = re.compile(
    r"[-_](?:api|svc|service|worker|workers|web|app|backend|frontend|ui|job|jobs|db)$"
)


def _service_names(ticket: Ticket) -> frozenset[str]:
    """The ask's services, lowercase, each also without a suffix ("billing-api": "billing")."""
    names: set[str] = set()
    for service in ticket.services:
        name = service.strip().lower()
        if name:
            names.add(name)
            names.add(_SERVICE_SUFFIX.sub("", name))
    return frozenset(names)


def _choices(value: object) -> frozenset[str] | None:
    """A request-type field's value as a set of choices ("PostgreSQL", ["Alerts", "Logs"]), or
    None when it is not one (longer free text, a number, a person, a link)."""
    items = value if isinstance(value, list | tuple) else [value]
    choices: set[str] = set()
    for item in items:
        if not isinstance(item, str) or _SLACK_ID.match(item) or has_url(item):
            return None
        words = sorted(set(terms(item)))  # "prod logs in Kibana" == "Kibana production logs"
        if not words or len(words) > CHOICE_WORDS:
            return None
        choices.add(" ".join(words))
    return frozenset(choices) or None


@dataclass(frozen=True)
class Profile:
    """What the lexical measure and ``conflicts`` read from one ask."""

    features: Counter[str]  # word stems, plus "type:<category>" and "service:<name>"
    services: frozenset[str]
    choices: Mapping[str, frozenset[str]]


def profile(ticket: Ticket) -> Profile:
    """What is compared of an ask (a pure function of its text: keep it while that holds)."""
    text = " ".join(value for label, value in _parts(ticket) if label in LEXICAL_PARTS)
    features = Counter(terms(text))
    # The request type and the services, as features of their own: sharing "billing" as a
    # service says more than sharing the word.
    features[f"type:{ticket.category}"] += 1
    services = _service_names(ticket)
    for name in services:
        features[f"service:{name}"] += 1
    choices = {name: c for name, value in ticket.fields.items() if (c := _choices(value))}
    return Profile(features, services, choices)


def _names_one_of(one: Profile, services: Iterable[str]) -> bool:
    """Whether an ask names one of ``services``: as one of its services, or every word of the
    name in its text."""
    for name in services:
        if name in one.services:
            return True
        name_terms = terms(name.replace("-", " ").replace("_", " "))
        if name_terms and all(term in one.features for term in name_terms):
            return True
    return False


def _conflicts(a: Profile, b: Profile) -> int:
    count = 0
    if (a.services and not _names_one_of(b, a.services)) or (
        b.services and not _names_one_of(a, b.services)
    ):
        count += 1
    for name in a.choices.keys() & b.choices.keys():
        if not a.choices[name] & b.choices[name]:
            count += 1
    return count


def conflicts(a: Ticket, b: Ticket) -> int:
    """How many ways two asks say they are about different things: one is for services the
    other never names (as a service or in its words), and each request-type choice both give
    with no value in common (engine Redis vs PostgreSQL). Each multiplies the similarity by
    ``CONFLICT_FACTOR``."""
    return _conflicts(profile(a), profile(b))


def _trigrams(features: Counter[str]) -> Counter[str]:
    grams: Counter[str] = Counter()
    for word, count in features.items():
        if ":" in word:
            continue
        padded = f"#{word}#"
        for i in range(len(padded) - 2):
            grams[padded[i : i + 3]] += count
    return grams


def _tfidf(bags: Sequence[Counter[str]]) -> list[dict[str, float]]:
    """Each bag weighted by sublinear term frequency times smoothed inverse document frequency
    (computed over ``bags``), L2-normalised."""
    documents = len(bags)
    frequency: Counter[str] = Counter()
    for bag in bags:
        frequency.update(bag.keys())
    idf = {term: math.log((1 + documents) / (1 + df)) + 1.0 for term, df in frequency.items()}
    vectors: list[dict[str, float]] = []
    for bag in bags:
        vector = {term: (1.0 + math.log(count)) * idf[term] for term, count in bag.items()}
        norm = math.sqrt(sum(value * value for value in vector.values()))
        vectors.append({t: v / norm for t, v in vector.items()} if norm else {})
    return vectors


def _sparse_cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(value * b.get(term, 0.0) for term, value in a.items())


def _lexical(profiles: Sequence[Profile]) -> list[float]:
    """The lexical score of the first profile (the query) against each of the others."""
    word_bags = [one.features for one in profiles]
    words = _tfidf(word_bags)
    grams = _tfidf([_trigrams(bag) for bag in word_bags])
    scores: list[float] = []
    for index in range(1, len(profiles)):
        word_score = _sparse_cosine(words[0], words[index])
        gram_score = _sparse_cosine(grams[0], grams[index])
        score = WORD_WEIGHT * word_score + (1.0 - WORD_WEIGHT) * gram_score
        scores.append(score * CONFLICT_FACTOR ** _conflicts(profiles[0], profiles[index]))
    return scores


def lexical_scores(query: Ticket, candidates: Sequence[Ticket]) -> list[float]:
    """How alike ``query`` is to each candidate (0..1, in the candidates' order): TF-IDF
    cosine over word stems (weight ``WORD_WEIGHT``) plus cosine over their character
    trigrams, with the IDF computed over the candidates plus the query; times
    ``CONFLICT_FACTOR`` for each of their ``conflicts``."""
    return _lexical([profile(ticket) for ticket in (query, *candidates)])


# -- embeddings ---------------------------------------------------------------------------------


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """The cosine of two vectors (0.0 when either is all zeros or their lengths differ)."""
    if len(a) != len(b) or not a:
        return 0.0
    dot = sum(map(operator.mul, a, b))  # the loops in C: hundreds of candidates per lookup
    norm = math.hypot(*a) * math.hypot(*b)
    return dot / norm if norm else 0.0


# -- similar asks -------------------------------------------------------------------------------


def is_open(ticket: Ticket) -> bool:
    """Submitted and not yet done, declined or cancelled: an ask someone could still join."""
    return ticket.status in OPEN_STATUSES


def _comparable(query: Ticket, candidate: Ticket) -> bool:
    if not is_open(candidate) or candidate.team_id != query.team_id:
        return False
    return query.id is None or candidate.id != query.id


def similar(
    query: Ticket,
    candidates: Sequence[Ticket],
    *,
    limit: int = DEFAULT_LIMIT,
    threshold: float | None = None,
    vectors: Mapping[int, Sequence[float]] | None = None,
    query_vector: Sequence[float] | None = None,
    profiles: Mapping[int, Profile] | None = None,
) -> list[Match]:
    """Up to ``limit`` open asks of the query's workspace that look like the same need, best
    first. The query itself (same ``id``), asks that are not open and asks of another
    ``team_id`` are never matches.

    A candidate with a vector in ``vectors`` (keyed by ticket id) is compared by the cosine
    of the embeddings when ``query_vector`` is given, and kept at ``EMBEDDING_THRESHOLD`` or
    above; any other by ``lexical_scores``, kept at ``LEXICAL_THRESHOLD`` or above (a
    ``threshold`` given replaces both). Either score is multiplied by ``CONFLICT_FACTOR`` for
    each of the two asks' ``conflicts``. Matches are ranked by how far above its threshold
    each score is, so a mix of both kinds ranks fairly. ``profiles``: candidates' ``profile``
    computed before, by ticket id (a caller comparing many queries with the same asks)."""
    if limit <= 0:
        return []
    pool = [ticket for ticket in candidates if _comparable(query, ticket)]
    if not pool:
        return []
    vectors = vectors or {}
    known = profiles or {}
    compared = [profile(query)] + [
        known[t.id] if t.id is not None and t.id in known else profile(t) for t in pool
    ]

    def vector_of(ticket: Ticket) -> Sequence[float] | None:
        if query_vector is None or ticket.id is None:
            return None
        return vectors.get(ticket.id)

    lexical: list[float] = []
    if any(vector_of(ticket) is None for ticket in pool):
        lexical = _lexical(compared)
    ranked: list[tuple[float, int, Match]] = []
    for index, ticket in enumerate(pool):
        vector = vector_of(ticket)
        method: Method
        if query_vector is not None and vector is not None:
            conflicting = _conflicts(compared[0], compared[index + 1])
            score = cosine(query_vector, vector) * CONFLICT_FACTOR**conflicting
            method, floor = "embedding", EMBEDDING_THRESHOLD
        else:
            score, method, floor = lexical[index], "lexical", LEXICAL_THRESHOLD
        if threshold is not None:
            floor = threshold
        if score < floor:
            continue
        margin = (score - floor) / (1.0 - floor) if floor < 1.0 else 0.0
        ranked.append((margin, -index, Match(ticket, round(score, 4), method)))
    ranked.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [match for _, _, match in ranked[:limit]]
