"""Finding open asks that look like the same need, for the requester (join instead?) and for
the leads (on the review card).

Lexical similarity always works; with an ``Embedder`` (an LLM is configured) asks are compared
by their embeddings, each kept in the ``VectorStore`` with the text it was made from and made
again when that text changes. Embedding calls are made outside any transaction; if the embedder
is unavailable the lexical measure answers.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from intake.ports import UnitOfWorkFactory, VectorStore
from intake.similarity import OPEN_STATUSES, Embedder, Match, ask_text, similar
from intake.ticket import Ticket

LIMIT = 3


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

    def like(
        self, ticket: Ticket, *, exclude: Collection[str] = (), limit: int = LIMIT
    ) -> list[Match]:
        """Up to ``limit`` open asks of the same workspace like ``ticket``, best first; asks
        whose keys are in ``exclude`` (marked "not the same") are left out."""
        with self.uow_factory() as uow:
            candidates = uow.asks.list(team_id=ticket.team_id, statuses=list(OPEN_STATUSES))
        candidates = [c for c in candidates if c.key not in exclude and c.id != ticket.id]
        if not candidates:
            return []
        query_vector, vectors = self._embeddings(ticket, candidates)
        return similar(ticket, candidates, limit=limit, vectors=vectors, query_vector=query_vector)

    def _embeddings(
        self, ticket: Ticket, candidates: Sequence[Ticket]
    ) -> tuple[list[float] | None, dict[int, list[float]] | None]:
        """The query's vector and the candidates' (stored ones reused while their text is
        unchanged; missing ones made in one call). (None, None) without an embedder."""
        if self.embedder is None or self.vectors is None:
            return None, None
        everyone = [*candidates, ticket] if ticket.id is not None else list(candidates)
        stored = self.vectors.get_many([t.id for t in everyone if t.id is not None], self.model)
        vectors: dict[int, list[float]] = {}
        stale: list[Ticket] = []
        for t in everyone:
            assert t.id is not None
            text = ask_text(t)
            if t.id in stored and stored[t.id][0] == text:
                vectors[t.id] = stored[t.id][1]
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
                self.vectors.put(t.id, self.model, ask_text(t), vector)
            if need_query:
                return made[-1], vectors
        assert ticket.id is not None
        return vectors.pop(ticket.id, None), vectors
