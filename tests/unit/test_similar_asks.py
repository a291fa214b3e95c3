"""Similar-ask lookups keep each workspace's open asks between lookups (``SimilarAsks``): what
people are offered must still follow every change at once, made here or by another process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from intake.conversation import Conversation, Source
from intake.ports import UnitOfWorkFactory
from intake.similar_asks import SimilarAsks
from intake.ticket import Status, Ticket
from tests.fakes.embeddings import FakeEmbedder
from tests.fakes.memory_store import InMemoryStore, InMemoryUnitOfWork, MemoryVectorStore

TEAM = "T1"


def store_ask(store: InMemoryStore, title: str, *, status: Status = Status.SUBMITTED) -> Ticket:
    ticket = Ticket(
        requester="U1",
        team_id=TEAM,
        category="database",
        title=title,
        problem=title,
        services=["billing-api"],
        status=status,
        key=f"PLAT-{len(store._asks) + 1}" if status is not Status.DRAFT else None,
    )
    with store() as uow:
        uow.asks.add(Conversation(ticket=ticket, source=Source.CLI))
        uow.commit()
    return ticket


def change(
    store: InMemoryStore, ask_id: int, *, title: str = "", status: Status | None = None
) -> None:
    with store() as uow:
        conversation = uow.asks.get(ask_id)
        assert conversation is not None
        if title:
            conversation.ticket.title = conversation.ticket.problem = title
        if status is not None:
            conversation.ticket.status = status
        uow.asks.save(conversation)
        uow.commit()


def listing_through(
    store: InMemoryStore, *, before: Callable[[], None] = lambda: None, seen: list[int | None]
) -> UnitOfWorkFactory:
    """The store's units of work, whose ``asks.list`` runs ``before`` first (another process
    acting meanwhile) and records in ``seen`` the id of every ticket it gives."""

    def factory() -> InMemoryUnitOfWork:
        uow = store()
        real = uow.asks.list

        def listed(**kwargs: Any) -> list[Ticket]:
            before()
            found = real(**kwargs)
            seen.extend(t.id for t in found)
            return found

        uow.asks.list = listed  # type: ignore[method-assign]
        return uow

    return factory


def keys(matches: list[object]) -> list[str | None]:
    return [m.ticket.key for m in matches]  # type: ignore[attr-defined]


def test_an_ask_submitted_after_a_lookup_is_offered_at_the_next() -> None:
    store = InMemoryStore()
    asks = SimilarAsks(store)
    query = store_ask(store, "postgres database for billing", status=Status.DRAFT)
    assert asks.like(query) == []
    other = store_ask(store, "a postgres database for the billing service")
    assert keys(asks.like(query)) == [other.key]


def test_an_ask_closed_or_retitled_since_the_last_lookup_is_shown_as_it_is_now() -> None:
    store = InMemoryStore()
    asks = SimilarAsks(store)
    query = store_ask(store, "postgres database for billing", status=Status.DRAFT)
    first = store_ask(store, "a postgres database for the billing service")
    second = store_ask(store, "postgres database for billing reports")
    assert sorted(keys(asks.like(query))) == sorted([first.key, second.key])

    assert first.id is not None and second.id is not None
    change(store, first.id, status=Status.DECLINED)
    change(store, second.id, title="postgres database for billing invoices")
    (match,) = asks.like(query)
    assert match.ticket.key == second.key and match.ticket.title.endswith("invoices")


def test_a_change_made_through_another_process_is_seen() -> None:
    store = InMemoryStore()  # one database, two processes' lookups
    here, there = SimilarAsks(store), SimilarAsks(store)
    query = store_ask(store, "postgres database for billing", status=Status.DRAFT)
    other = store_ask(store, "a postgres database for the billing service")
    assert keys(here.like(query)) == keys(there.like(query)) == [other.key]
    assert other.id is not None
    change(store, other.id, status=Status.DONE)
    assert here.like(query) == []


def test_open_asks_are_not_embedded_again_while_they_do_not_change() -> None:
    store = InMemoryStore()
    embedder = FakeEmbedder()
    asks = SimilarAsks(store, embedder=embedder, vectors=MemoryVectorStore(), model="m")
    query = store_ask(store, "postgres database for billing", status=Status.DRAFT)
    other = store_ask(store, "a postgres database for the billing service")
    assert keys(asks.like(query)) == [other.key]
    assert [m.method for m in asks.like(query)] == ["embedding"]
    embedded = [text for batch in embedder.calls for text in batch]
    assert len(embedded) == 2, "each ask's text once: the query's and the open ask's"

    assert other.id is not None
    change(store, other.id, title="a postgres database for billing exports")
    asks.like(query)
    again = [text for batch in embedder.calls for text in batch][2:]
    assert again == [t for t in again if "exports" in t], "only the changed ask again"


def test_an_open_ask_rewritten_as_another_need_is_no_longer_offered() -> None:
    store = InMemoryStore()
    asks = SimilarAsks(store)
    query = store_ask(store, "postgres database for billing", status=Status.DRAFT)
    other = store_ask(store, "a postgres database for the billing service")
    assert keys(asks.like(query)) == [other.key]
    assert other.id is not None
    with store() as uow:
        conversation = uow.asks.get(other.id)
        assert conversation is not None
        conversation.ticket.title = conversation.ticket.problem = "rotate the VPN certificates"
        conversation.ticket.category, conversation.ticket.services = "access", ["vpn"]
        uow.asks.save(conversation)
        uow.commit()
    assert asks.like(query) == []


def test_a_lookup_after_one_ask_changed_loads_only_that_ask() -> None:
    store = InMemoryStore()
    loaded: list[int | None] = []
    asks = SimilarAsks(listing_through(store, seen=loaded))
    query = store_ask(store, "postgres database for billing", status=Status.DRAFT)
    others = [store_ask(store, f"a postgres database for billing, part {n}") for n in range(5)]
    assert len(asks.like(query)) == 3
    assert len(loaded) == 5
    loaded.clear()

    changed = others[2]
    assert changed.id is not None
    change(store, changed.id, title="a postgres database for billing, part two")
    closed = others[4]
    assert closed.id is not None
    change(store, closed.id, status=Status.DONE)
    matches = asks.like(query, limit=5)
    assert loaded == [changed.id], "only the ask saved since; the closed one just drops out"
    assert sorted(m.ticket.id for m in matches) == sorted(t.id for t in others[:4])
    assert any(m.ticket.title.endswith("part two") for m in matches)


def test_an_ask_opened_between_the_two_reads_of_a_lookup_is_offered_and_kept_up_to_date() -> None:
    """Another process submits an ask after a lookup read the versions and before it loaded
    the asks: it is offered at once, and its later changes are seen like any other's."""
    store = InMemoryStore()
    late: list[Ticket] = []

    def submit_once() -> None:  # another process submits an ask during the first list
        if not late:
            late.append(store_ask(store, "a postgres database for billing invoices"))

    asks = SimilarAsks(listing_through(store, before=submit_once, seen=[]))
    query = store_ask(store, "postgres database for billing", status=Status.DRAFT)
    first = store_ask(store, "a postgres database for the billing service")
    assert sorted(keys(asks.like(query))) == sorted([first.key, late[0].key])
    assert late[0].id is not None
    change(store, late[0].id, title="a postgres database for billing exports")
    titles = {m.ticket.key: m.ticket.title for m in asks.like(query)}
    assert titles[late[0].key] == "a postgres database for billing exports"
    change(store, late[0].id, status=Status.DONE)
    assert keys(asks.like(query)) == [first.key]
