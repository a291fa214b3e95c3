"""Finding open asks that look like the same need, for the requester (join instead?) and for
the leads (on the review card).

Lexical similarity always works; with an ``Embedder`` (an LLM is configured) asks are compared
by their embeddings, each kept in the ``VectorStore`` with the text it was made from and made
again when that text changes. Embedding calls are made outside any transaction; if the embedder
is unavailable the lexical measure answers.

Every intake start, first draft and review card compares against all of the workspace's open
asks. Loading them each time costs the more the more are open, so the candidates (and their
vectors) are kept per workspace, with the version of every open ask: each lookup asks only for
those versions (one small query) and loads again only the asks saved or opened since, in
this process or another (asks closed since drop out). The tickets kept are shared: read,
never changed.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from intake.ports import UnitOfWorkFactory, VectorStore
from intake.similarity import (
    OPEN_STATUSES,
    Embedder,
    Match,
    Profile,
    ask_text,
    profile,
    similar,
)
from intake.ticket import Ticket

LIMIT = 3


def _newest_first(ticket: Ticket) -> tuple[float, int]:
    """The order of ``AskRepository.list``: newest first, then the higher id."""
    created = ticket.created_at.timestamp() if ticket.created_at is not None else 0.0
    return (-created, -(ticket.id or 0))


@dataclass
class _Candidates:
    """One workspace's open asks as loaded when their versions were ``versions``, and the
    vectors found for them so far (``{ask id: (text embedded, vector)}``)."""

    versions: dict[int, int]
    tickets: tuple[Ticket, ...]
    profiles: dict[int, Profile] = field(default_factory=dict)
    vectors: dict[int, tuple[str, list[float]]] = field(default_factory=dict)


class SimilarAsks:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        *,
        embedder: Embedder | None = None,
        vectors: VectorStore | None = None,
        model: str = "",
    ) -> None:
        self.uow_factory = uow_factory
        self.embedder = embedder
        self.vectors = vectors
        self.model = model
        self._lock = threading.Lock()
        self._kept: dict[str, _Candidates] = {}  # by team_id

    def like(
        self, ticket: Ticket, *, exclude: Collection[str] = (), limit: int = LIMIT
    ) -> list[Match]:
        """Up to ``limit`` open asks of the same workspace like ``ticket``, best first; asks
        whose keys are in ``exclude`` (marked "not the same") are left out."""
        kept = self._open_asks(ticket.team_id)
        candidates = [c for c in kept.tickets if c.key not in exclude and c.id != ticket.id]
        if not candidates:
            return []
        query_vector, vectors = self._embeddings(ticket, candidates, kept.vectors)
        return similar(
            ticket,
            candidates,
            limit=limit,
            vectors=vectors,
            query_vector=query_vector,
            profiles=kept.profiles,
        )

    def _open_asks(self, team_id: str) -> _Candidates:
        statuses = list(OPEN_STATUSES)
        with self.uow_factory() as uow:
            versions = uow.asks.versions(team_id=team_id, statuses=statuses)
            with self._lock:
                kept = self._kept.get(team_id)
            if kept is not None and kept.versions == versions:
                return kept
            # The first time every open ask; then only those opened or saved since (under
            # load: a few of hundreds). Asks closed since are not in ``versions``: they drop out.
            known = kept.versions if kept is not None else {}
            changed = [i for i, v in versions.items() if known.get(i) != v]
            loaded = (
                uow.asks.list(
                    team_id=team_id,
                    statuses=statuses,
                    brief=True,
                    ids=changed if kept is not None else None,
                )
                if changed
                else []
            )
        # An ask unchanged since keeps its ticket, profile and vector. One opened between the
        # two reads is loaded without a version: the next lookup loads it again.
        unchanged = versions.keys() - changed
        carried = [t for t in kept.tickets if t.id in unchanged] if kept is not None else []
        profiles: dict[int, Profile] = {}
        vectors: dict[int, tuple[str, list[float]]] = {}
        for t in carried:
            assert t.id is not None and kept is not None
            profiles[t.id] = kept.profiles[t.id]
            if t.id in kept.vectors:
                vectors[t.id] = kept.vectors[t.id]
        for t in loaded:
            assert t.id is not None
            profiles[t.id] = profile(t)
        fresh = _Candidates(
            {i: versions[i] for i in profiles if i in versions},
            tuple(sorted([*carried, *loaded], key=_newest_first)),
            profiles,
            vectors,
        )
        with self._lock:
            self._kept[team_id] = fresh
        return fresh

    def _embeddings(
        self,
        ticket: Ticket,
        candidates: Sequence[Ticket],
        known: dict[int, tuple[str, list[float]]],
    ) -> tuple[list[float] | None, dict[int, list[float]] | None]:
        """The query's vector and the candidates' (``known`` ones and stored ones reused while
        their text is unchanged; missing ones made in one call). (None, None) without an
        embedder. Candidates' vectors found or made are added to ``known``."""
        if self.embedder is None or self.vectors is None:
            return None, None
        everyone = [*candidates, ticket] if ticket.id is not None else list(candidates)
        texts_of = {t.id: ask_text(t) for t in everyone if t.id is not None}
        vectors: dict[int, list[float]] = {}
        for t in candidates:
            assert t.id is not None
            found = known.get(t.id)
            if found is not None and found[0] == texts_of[t.id]:
                vectors[t.id] = found[1]
        unknown = [ask_id for ask_id in texts_of if ask_id not in vectors]
        stored = self.vectors.get_many(unknown, self.model) if unknown else {}
        stale: list[Ticket] = []
        candidate_ids = {t.id for t in candidates}
        for t in everyone:
            assert t.id is not None
            if t.id in vectors:
                continue
            text = texts_of[t.id]
            if t.id in stored and stored[t.id][0] == text:
                vectors[t.id] = stored[t.id][1]
                if t.id in candidate_ids:
                    known[t.id] = stored[t.id]
            else:
                stale.append(t)
        need_query = ticket.id is None
        texts = [ask_text(t) for t in stale] + ([ask_text(ticket)] if need_query else [])
        if texts:
            made = self.embedder.embed(texts)
            if made is None or len(made) != len(texts):
                return None, None  # unavailable: the lexical measure answers
            for t, vector in zip(stale, made, strict=False):
                assert t.id is not None
                vectors[t.id] = vector
                self.vectors.put(t.id, self.model, texts_of[t.id], vector)
                if t.id in candidate_ids:
                    known[t.id] = (texts_of[t.id], vector)
            if need_query:
                return made[-1], vectors
        assert ticket.id is not None
        return vectors.pop(ticket.id, None), vectors
