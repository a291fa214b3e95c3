"""Over 400 lines: one contract of intake.ports, run against every implementation through one
parametrised fixture: the port's specification, kept in one place.

The contract of intake.ports (AskRepository, UnitOfWork), run against every implementation:
the in-memory fake (``memory``) and the SQL one on ``sqlite`` and ``postgresql``."""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from intake.conversation import Conversation, Phase, Source, Thread
from intake.extraction import Urgency
from intake.ticket import (
    AuditEntry,
    HistoryEntry,
    Milestone,
    MilestoneChange,
    MilestoneStatus,
    Priority,
    Size,
    Status,
    Ticket,
)
from tests.storage.conftest import Backend
from tests.storage.samples import (
    AWKWARD,
    LONG_PASTE,
    T0,
    add,
    full_conversation,
    minimal_conversation,
    stored,
)
from tests.storage.threads import in_threads


def title_of(backend: Backend, ask_id: int) -> str:
    """The ask's title as a later unit of work reads it."""
    with backend() as uow:
        return stored(uow, ask_id).ticket.title


def read_back(backend: Backend, ask_id: int) -> tuple[Conversation, Ticket]:
    """The ask as a later unit of work reads it, and the one ticket it lists."""
    with backend() as uow:
        (listed,) = uow.asks.list()
        return stored(uow, ask_id), listed


# -- round trip ---------------------------------------------------------------------------------


def test_round_trip_keeps_every_field(backend: Backend) -> None:
    original = full_conversation()
    expected = copy.deepcopy(original)
    ask_id = add(backend, original)
    expected.ticket.id = ask_id

    with backend() as uow:
        loaded = uow.asks.get(ask_id)

    assert loaded == expected
    t = loaded.ticket
    assert len(t.problem) == 40_000 and t.problem == LONG_PASTE
    assert AWKWARD in t.title
    assert t.fields["go_live"] == date(2025, 4, 1) and type(t.fields["go_live"]) is date
    assert t.fields["window_start"] == expected.ticket.fields["window_start"]
    assert t.fields["looks_like_a_date"] == "2025-01-03"
    assert t.fields["nested"] == {"$date": "not a tag, a user's key", "when": date(2025, 5, 5)}
    assert t.created_at is not None and t.created_at.utcoffset() == timedelta(0)
    assert t.submitted_at is not None and t.submitted_at.utcoffset() == timedelta(0)
    assert all(h.at.utcoffset() == timedelta(0) for h in t.history)
    assert isinstance(t.status, Status) and isinstance(t.priority, Priority)
    assert isinstance(t.size, Size)
    assert isinstance(t.milestones[2].status, MilestoneStatus)
    assert isinstance(loaded.phase, Phase) and isinstance(loaded.source, Source)
    assert isinstance(loaded.urgency, Urgency)


def test_minimal_round_trip(backend: Backend) -> None:
    original = minimal_conversation()
    ask_id = add(backend, original)
    with backend() as uow:
        loaded = uow.asks.get(ask_id)
    assert loaded == original
    assert loaded.thread is None and loaded.ticket.priority is None and loaded.ticket.key is None


def test_add_sets_id_and_created_at(backend: Backend) -> None:
    conversation = minimal_conversation()
    conversation.ticket.created_at = None
    with backend() as uow:
        uow.asks.add(conversation)
        first = conversation.ticket.id
        assert first is not None
        assert uow.asks.get(first) is not None  # visible in its own transaction
        other = minimal_conversation(thread=Thread("C1", "2.0"))
        uow.asks.add(other)
        uow.commit()
    assert other.ticket.id is not None and other.ticket.id != first
    assert conversation.ticket.created_at is not None
    assert conversation.ticket.created_at.utcoffset() == timedelta(0)


def test_get_unknown_is_none(backend: Backend) -> None:
    with backend() as uow:
        assert uow.asks.get(424242) is None


def test_reads_are_copies(backend: Backend) -> None:
    ask_id = add(backend, full_conversation())
    with backend() as uow:
        loaded = stored(uow, ask_id)
        loaded.ticket.title = "changed, not saved"
        loaded.ticket.milestones.clear()
        loaded.asked.append("x")
        again = uow.asks.get(ask_id)
        assert again is not None and again is not loaded
        assert again.ticket.title != "changed, not saved"
        assert len(again.ticket.milestones) == 3 and "x" not in again.asked


# -- lookups ------------------------------------------------------------------------------------


def test_by_thread_is_scoped_by_team(backend: Backend) -> None:
    thread = Thread("C123", "1700000000.000100")
    ask_id = add(backend, minimal_conversation(team_id="T001", thread=thread))
    with backend() as uow:
        found = uow.asks.by_thread("T001", thread)
        assert found is not None and found.ticket.id == ask_id and found.thread == thread
        assert uow.asks.by_thread("T999", thread) is None  # another workspace's thread
        assert uow.asks.by_thread("T001", Thread("C123", "1700000000.000999")) is None
        assert uow.asks.by_thread("T001", Thread("C999", thread.ts)) is None


def test_same_thread_in_two_workspaces(backend: Backend) -> None:
    thread = Thread("C123", "1.1")
    a = add(backend, minimal_conversation(team_id="TA", thread=thread))
    b = add(backend, minimal_conversation(team_id="TB", thread=thread))
    with backend() as uow:
        assert uow.asks.by_thread("TA", thread).ticket.id == a  # type: ignore[union-attr]
        assert uow.asks.by_thread("TB", thread).ticket.id == b  # type: ignore[union-attr]


def test_a_thread_holds_one_intake(backend: Backend) -> None:
    thread = Thread("C123", "1.1")
    add(backend, minimal_conversation(thread=thread))
    with pytest.raises(backend.duplicate), backend() as uow:
        uow.asks.add(minimal_conversation(thread=thread))
        uow.commit()


def test_by_key_is_case_insensitive(backend: Backend) -> None:
    ask_id = add(backend, minimal_conversation(key="PLAT-7", status=Status.SUBMITTED))
    add(backend, minimal_conversation(key="PLAT-70", status=Status.SUBMITTED))
    with backend() as uow:
        for spelling in ("PLAT-7", "plat-7", "Plat-7", " plat-7 "):
            found = uow.asks.by_key(spelling)
            assert found is not None and found.ticket.id == ask_id, spelling
        assert uow.asks.by_key("PLAT-8") is None
        assert uow.asks.by_key("PLAT-") is None


def test_list_filters_and_orders_newest_first(backend: Backend) -> None:
    specs = [
        # team, requester, status, minutes after T0
        ("T1", "U1", Status.DRAFT, 0),
        ("T1", "U2", Status.SUBMITTED, 10),
        ("T2", "U1", Status.ACCEPTED, 20),
        ("T1", "U1", Status.DONE, 30),
        ("T1", "U1", Status.SUBMITTED, 40),
    ]
    ids = []
    for team, requester, status, minutes in specs:
        conversation = minimal_conversation(
            team_id=team,
            requester=requester,
            status=status,
            created_at=T0 + timedelta(minutes=minutes),
        )
        ids.append(add(backend, conversation))
    # Same created_at as the newest: the later one (higher id) comes first.
    ids.append(
        add(backend, minimal_conversation(team_id="T3", created_at=T0 + timedelta(minutes=40)))
    )

    def listed(**filters: object) -> list[int | None]:
        with backend() as uow:
            return [t.id for t in uow.asks.list(**filters)]  # type: ignore[arg-type]

    assert listed() == [ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]]
    assert listed(team_id="T1") == [ids[4], ids[3], ids[1], ids[0]]
    assert listed(requester="U1") == [ids[4], ids[3], ids[2], ids[0]]
    assert listed(statuses=[Status.SUBMITTED]) == [ids[4], ids[1]]
    assert listed(statuses=[Status.SUBMITTED, Status.ACCEPTED]) == [ids[4], ids[2], ids[1]]
    assert listed(team_id="T1", requester="U1", statuses=[Status.DRAFT, Status.DONE]) == [
        ids[3],
        ids[0],
    ]
    assert listed(statuses=[]) == []
    assert listed(team_id="nobody") == []
    with backend() as uow:
        tickets = uow.asks.list(team_id="T1")
    assert all(t.team_id == "T1" and t.created_at is not None for t in tickets)


def test_list_gives_whole_tickets(backend: Backend) -> None:
    original = full_conversation()
    add(backend, original)
    with backend() as uow:
        (ticket,) = uow.asks.list()
    assert ticket == original.ticket


def test_a_brief_list_gives_everything_but_milestones_and_history(backend: Backend) -> None:
    original = full_conversation()
    assert original.ticket.milestones and original.ticket.history
    add(backend, original)
    with backend() as uow:
        (ticket,) = uow.asks.list(brief=True)
    expected = dataclasses.replace(original.ticket, milestones=[], history=[])
    assert ticket == expected


def test_list_by_ids_gives_only_those_asks_that_pass_the_other_filters(backend: Backend) -> None:
    first = add(backend, minimal_conversation(status=Status.SUBMITTED, key="PLAT-1"))
    second = add(backend, minimal_conversation(status=Status.SUBMITTED, key="PLAT-2"))
    draft = add(backend, minimal_conversation(status=Status.DRAFT))
    add(backend, minimal_conversation(status=Status.SUBMITTED, key="PLAT-3"))
    with backend() as uow:
        picked = uow.asks.list(ids=[second, first, draft], statuses=[Status.SUBMITTED])
        none = uow.asks.list(ids=[])
    assert [t.id for t in picked] == [second, first]  # newest first, not the draft
    assert none == []


def test_versions_change_when_an_ask_is_saved_and_follow_the_filter(backend: Backend) -> None:
    open_ask = add(backend, minimal_conversation(status=Status.SUBMITTED, key="PLAT-1"))
    add(backend, minimal_conversation(status=Status.DRAFT))
    add(backend, minimal_conversation(team_id="T999", status=Status.SUBMITTED, key="PLAT-1"))

    def versions() -> dict[int, int]:
        with backend() as uow:
            return uow.asks.versions(team_id="T001", statuses=[Status.SUBMITTED])

    before = versions()
    assert list(before) == [open_ask]  # not the draft, not the other workspace's
    assert versions() == before  # reading changes nothing
    with backend() as uow:
        conversation = stored(uow, open_ask)
        conversation.ticket.title = "Postgres for invoices"
        uow.asks.save(conversation)
        uow.commit()
    after = versions()
    assert list(after) == [open_ask] and after[open_ask] != before[open_ask]


# -- save ---------------------------------------------------------------------------------------


def test_save_writes_every_change(backend: Backend) -> None:
    ask_id = add(backend, minimal_conversation())
    target = full_conversation(team_id="T001", key="PLAT-99")
    target.ticket.id = ask_id
    with backend() as uow:
        conversation = stored(uow, ask_id)
        target.ticket.history = [*conversation.ticket.history, *target.ticket.history]
        uow.asks.save(target)
        uow.commit()
    with backend() as uow:
        assert uow.asks.get(ask_id) == target

    # ... and back to empty values / None.
    with backend() as uow:
        conversation = stored(uow, ask_id)
        t = conversation.ticket
        t.title = t.problem = ""
        t.acceptance_criteria, t.services, t.links, t.fields = [], [], [], {}
        t.deadline, t.no_deadline, t.priority, t.size, t.key = None, True, None, None, None
        t.milestones = []
        t.owner, t.decided_at = None, None
        conversation.card, conversation.seen = None, None
        conversation.thread = None
        conversation.pending = conversation.question_ts = conversation.draft_ts = None
        conversation.asked, conversation.skipped = [], []
        expected = copy.deepcopy(conversation)
        uow.asks.save(conversation)
        uow.commit()
    with backend() as uow:
        assert uow.asks.get(ask_id) == expected
        assert uow.asks.by_key("PLAT-99") is None


def test_save_replaces_milestones(backend: Backend) -> None:
    ask_id = add(backend, full_conversation())

    def change(mutate: Callable[[list[Milestone]], None]) -> list[Milestone]:
        with backend() as uow:
            conversation = stored(uow, ask_id)
            mutate(conversation.ticket.milestones)
            uow.asks.save(conversation)
            uow.commit()
        with backend() as uow:
            reloaded = stored(uow, ask_id)
            assert reloaded.ticket.milestones == conversation.ticket.milestones
            return reloaded.ticket.milestones

    def shrink(ms: list[Milestone]) -> None:
        del ms[0]
        ms[0].status = MilestoneStatus.BLOCKED
        ms[0].owner = "U300"

    assert [m.title for m in change(shrink)] == [f"Provisioned {AWKWARD}", "Cut over"]

    def grow(ms: list[Milestone]) -> None:
        ms.insert(0, Milestone(title="Kick-off", due=date(2025, 3, 4)))
        ms.extend([Milestone(title="Handover"), Milestone(title="Retro", owner="U1")])

    titles = [m.title for m in change(grow)]
    assert titles == ["Kick-off", f"Provisioned {AWKWARD}", "Cut over", "Handover", "Retro"]
    assert change(lambda ms: ms.reverse())[0].title == "Retro"
    assert change(lambda ms: ms.clear()) == []


def test_save_appends_history(backend: Backend) -> None:
    ask_id = add(backend, full_conversation())  # two entries
    step = HistoryEntry(
        at=T0 + timedelta(hours=1),
        actor="U900",
        from_status=Status.SUBMITTED,
        to_status=Status.ACCEPTED,
        note="looks good",
    )
    with backend() as uow:
        conversation = stored(uow, ask_id)
        conversation.ticket.history.append(step)
        uow.asks.save(conversation)
        uow.asks.save(conversation)  # saving again adds nothing
        uow.commit()
    with backend() as uow:
        conversation = stored(uow, ask_id)
        assert len(conversation.ticket.history) == 3
        assert conversation.ticket.history[-1] == step
        uow.asks.save(conversation)  # unchanged history: nothing appended
        uow.commit()
    with backend() as uow:
        conversation = uow.asks.get(ask_id)
        assert conversation is not None and len(conversation.ticket.history) == 3
        conversation.ticket.history.pop()
        with pytest.raises(ValueError, match="append-only"):
            uow.asks.save(conversation)


def test_history_comes_back_in_time_order(backend: Backend) -> None:
    conversation = minimal_conversation()
    late = HistoryEntry(T0 + timedelta(hours=2), "U1", Status.DRAFT, Status.SUBMITTED)
    early = HistoryEntry(T0 + timedelta(hours=1), "U1", None, Status.DRAFT)
    conversation.ticket.history = [late, early]
    ask_id = add(backend, conversation)
    with backend() as uow:
        loaded = uow.asks.get(ask_id)
    assert loaded is not None and loaded.ticket.history == [early, late]


def test_save_of_unknown_ask_fails(backend: Backend) -> None:
    conversation = minimal_conversation()
    with backend() as uow:
        with pytest.raises(ValueError):
            uow.asks.save(conversation)  # never added: no id
        conversation.ticket.id = 424242
        with pytest.raises(LookupError):
            uow.asks.save(conversation)


# -- transactions -------------------------------------------------------------------------------


def test_leaving_without_commit_rolls_back_everything(backend: Backend) -> None:
    kept = add(backend, minimal_conversation())
    with backend() as uow:
        conversation = full_conversation()
        uow.asks.add(conversation)
        assert conversation.ticket.id is not None
        uow.record_message(conversation.ticket.id, "U1", "hello", T0)
        changed = stored(uow, kept)
        changed.ticket.title = "not committed"
        uow.asks.save(changed)
        assert uow.claim("event-1") is True
        assert uow.next_number("T001") == 1
    with backend() as uow:
        assert uow.asks.get(conversation.ticket.id) is None
        assert [t.id for t in uow.asks.list()] == [kept]
        assert uow.asks.get(kept).ticket.title == ""  # type: ignore[union-attr]
        assert uow.claim("event-1") is True
        assert uow.next_number("T001") == 1
    assert backend.transcript(conversation.ticket.id) == []


def test_an_exception_rolls_back(backend: Backend) -> None:
    with pytest.raises(RuntimeError), backend() as uow:
        uow.asks.add(minimal_conversation())
        uow.claim("event-1")
        raise RuntimeError("boom")
    with backend() as uow:
        assert uow.asks.list() == []
        assert uow.claim("event-1") is True


def test_rollback_then_carry_on(backend: Backend) -> None:
    with backend() as uow:
        dropped = minimal_conversation()
        uow.asks.add(dropped)
        uow.rollback()
        kept = minimal_conversation(requester="U2")
        uow.asks.add(kept)
        uow.commit()
        later = minimal_conversation(requester="U3")
        uow.asks.add(later)
        uow.commit()
    with backend() as uow:
        # (SQLite may give a rolled-back id out again: only committed ids are ever shown.)
        assert sorted(t.requester for t in uow.asks.list()) == ["U2", "U3"]


def test_uncommitted_changes_are_invisible_to_others(backend: Backend) -> None:
    ask_id = add(backend, minimal_conversation())
    seen: list[str] = []

    def read_elsewhere() -> None:
        # On SQLite this waits for the writer's transaction to end (BEGIN IMMEDIATE).
        with backend() as other:
            found = other.asks.get(ask_id)
            seen.append(found.ticket.title if found else "<missing>")

    with backend() as uow:
        conversation = stored(uow, ask_id)
        conversation.ticket.title = "uncommitted"
        uow.asks.save(conversation)
        reader = threading.Thread(target=read_elsewhere)
        reader.start()
        reader.join(timeout=0.5)
        # leaving without commit
    reader.join(timeout=30)
    assert seen == [""]


def test_committed_changes_are_visible_to_later_units(backend: Backend) -> None:
    ask_id = add(backend, minimal_conversation())
    with backend() as uow:
        conversation = stored(uow, ask_id)
        conversation.ticket.title = "committed"
        uow.asks.save(conversation)
        uow.commit()
    assert title_of(backend, ask_id) == "committed"


# -- idempotency keys ---------------------------------------------------------------------------


def test_claim_once(backend: Backend) -> None:
    with backend() as uow:
        assert uow.claim("Ev123") is True
        assert uow.claim("Ev123") is False  # same transaction
        assert uow.claim("ev123") is True  # keys are case-sensitive
        uow.commit()
    with backend() as uow:
        assert uow.claim("Ev123") is False
        assert uow.claim("Ev124") is True


def test_claim_long_keys(backend: Backend) -> None:
    long_a = "action:" + "a" * 1000
    long_b = "action:" + "a" * 999 + "b"
    with backend() as uow:
        assert uow.claim(long_a) is True
        assert uow.claim(long_b) is True
        assert uow.claim("k" * 255) is True
        uow.commit()
    with backend() as uow:
        assert uow.claim(long_a) is False
        assert uow.claim(long_b) is False
        assert uow.claim("k" * 255) is False


def test_claim_is_released_by_rollback(backend: Backend) -> None:
    with backend() as uow:
        assert uow.claim("ev") is True
        uow.rollback()
        assert uow.claim("ev") is True
        uow.commit()
    with backend() as uow:
        assert uow.claim("ev") is False


def test_claim_from_8_threads_exactly_one_wins(backend: Backend) -> None:
    def claim() -> bool:
        with backend() as uow:
            won = uow.claim("Ev-contended")
            uow.commit()
            return won

    results = in_threads(8, claim)
    assert sorted(results) == [False] * 7 + [True]


# -- human ID numbers ---------------------------------------------------------------------------


def test_next_number_counts_per_workspace(backend: Backend) -> None:
    with backend() as uow:
        assert [uow.next_number("T1") for _ in range(3)] == [1, 2, 3]
        assert uow.next_number("T2") == 1
        uow.commit()
    with backend() as uow:
        assert uow.next_number("T1") == 4
        assert uow.next_number("T2") == 2
        # rolled back: given again
    with backend() as uow:
        assert uow.next_number("T1") == 4


def test_next_number_from_8_threads_is_unique(backend: Backend) -> None:
    with backend() as uow:
        assert uow.next_number("T1") == 1
        uow.commit()

    def submit() -> int:
        with backend() as uow:
            number = uow.next_number("T1")
            uow.commit()
            return number

    assert sorted(in_threads(8, submit)) == list(range(2, 10))
    assert sorted(in_threads(8, lambda: submit_new_team(backend))) == list(range(1, 9))


def submit_new_team(backend: Backend) -> int:
    with backend() as uow:
        number = uow.next_number("T-new")
        uow.commit()
        return number


def test_concurrent_submits_get_distinct_keys(backend: Backend) -> None:
    ids = [add(backend, minimal_conversation(thread=Thread("C1", f"{i}.0"))) for i in range(8)]
    pending = list(ids)
    lock = threading.Lock()

    def submit() -> str:
        with lock:
            ask_id = pending.pop()
        with backend() as uow:
            conversation = stored(uow, ask_id)
            conversation.ticket.key = f"PLAT-{uow.next_number('T001')}"
            conversation.ticket.status = Status.SUBMITTED
            uow.asks.save(conversation)
            uow.commit()
            return conversation.ticket.key

    keys = in_threads(8, submit)
    assert sorted(keys, key=lambda k: int(k.split("-")[1])) == [f"PLAT-{n}" for n in range(1, 9)]
    with backend() as uow:
        assert {t.key for t in uow.asks.list(statuses=[Status.SUBMITTED])} == set(keys)


# -- optimistic concurrency ---------------------------------------------------------------------


def test_second_of_two_concurrent_saves_fails(backend: Backend) -> None:
    ask_id = add(backend, minimal_conversation())
    # Each unit of work reads the ask, then (on SQLite, where a transaction holds the write
    # lock) ends its read transaction, as a long-running use case on PostgreSQL would not.
    with backend() as first, backend() as second:
        mine = first.asks.get(ask_id)
        first.commit()
        theirs = second.asks.get(ask_id)
        second.commit()
        assert mine is not None and theirs is not None

        mine.ticket.title = "first"
        first.asks.save(mine)
        first.commit()

        theirs.ticket.title = "second"
        with pytest.raises(backend.concurrent_update):
            second.asks.save(theirs)
            second.commit()

    with backend() as uow:
        fresh = uow.asks.get(ask_id)
        assert fresh is not None and fresh.ticket.title == "first"
        fresh.ticket.title = "retried"  # a fresh read saves fine
        uow.asks.save(fresh)
        uow.commit()
    assert title_of(backend, ask_id) == "retried"


def test_a_unit_saves_its_own_ask_repeatedly(backend: Backend) -> None:
    ask_id = add(backend, minimal_conversation())
    with backend() as uow:
        conversation = stored(uow, ask_id)
        for n in range(3):
            conversation.ticket.title = f"v{n}"
            uow.asks.save(conversation)
            uow.commit()
        again = uow.asks.get(ask_id)
        assert again is not None and again.ticket.title == "v2"
        again.ticket.title = "v3"
        uow.asks.save(again)
        uow.commit()
    assert title_of(backend, ask_id) == "v3"


# -- transcript ---------------------------------------------------------------------------------


def test_record_message_keeps_every_line_verbatim(backend: Backend) -> None:
    ask_id = add(backend, minimal_conversation())
    lines = [
        (T0, "U100", "we need a database"),
        (T0 + timedelta(seconds=1), "intake-bot", f"What is the impact? {AWKWARD}"),
        (T0 + timedelta(seconds=2), "U100", LONG_PASTE),
        (T0 + timedelta(seconds=3), "U100", ""),
    ]
    with backend() as uow:
        for at, author, text in lines:
            uow.record_message(ask_id, author, text, at)
        uow.commit()
    stored = backend.transcript(ask_id)
    assert stored == lines
    assert len(stored[2][2]) == 40_000
    assert all(at.utcoffset() == timedelta(0) for at, _, _ in stored)


# -- review fields ------------------------------------------------------------------------------


def test_review_fields_round_trip(backend: Backend) -> None:
    ask_id = add(backend, minimal_conversation())
    with backend() as uow:
        conversation = stored(uow, ask_id)
        assert conversation.card is None and conversation.seen is None
        assert conversation.ticket.owner is None and conversation.ticket.decided_at is None
        conversation.card = Thread("C0REVIEW", "1700000001.000100")
        conversation.seen = {"title": "Postgres", "when": date(2025, 1, 2), "l": [1, None]}
        conversation.ticket.owner = "U700"
        conversation.ticket.decided_at = datetime(
            2025, 3, 3, 12, 0, tzinfo=timezone(timedelta(hours=2))
        )
        expected = copy.deepcopy(conversation)
        uow.asks.save(conversation)
        uow.commit()
    loaded, listed = read_back(backend, ask_id)
    assert loaded == expected
    assert listed == expected.ticket
    assert loaded is not None and loaded.ticket.decided_at is not None and loaded.seen
    assert loaded.ticket.decided_at == datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
    assert loaded.ticket.decided_at.utcoffset() == timedelta(0)
    assert type(loaded.seen["when"]) is date


# -- follow-through fields ----------------------------------------------------------------------


def test_milestone_reason_log_and_done_requested_round_trip(backend: Backend) -> None:
    ask_id = add(backend, minimal_conversation())
    east = timezone(timedelta(hours=9))
    with backend() as uow:
        conversation = stored(uow, ask_id)
        assert conversation.ticket.done_requested_at is None
        conversation.ticket.milestones = [
            Milestone(
                title="Provision",
                due=date(2026, 12, 1),
                status=MilestoneStatus.BLOCKED,
                reason=f"waiting for the vendor {AWKWARD}",
                log=[
                    MilestoneChange(T0, "U1", "added", "", "Provision"),
                    MilestoneChange(
                        datetime(2026, 11, 20, 18, 0, tzinfo=east),
                        "U2",
                        "due",
                        "2026-11-25",
                        "2026-12-01",
                        reason=AWKWARD,
                    ),
                ],
            ),
            Milestone(title="Cut over"),
        ]
        conversation.ticket.done_requested_at = datetime(2026, 11, 21, 18, 0, tzinfo=east)
        expected = copy.deepcopy(conversation)
        uow.asks.save(conversation)
        uow.commit()

    loaded, listed = read_back(backend, ask_id)
    assert loaded == expected and listed == expected.ticket
    provision, cut_over = loaded.ticket.milestones
    assert provision.reason == f"waiting for the vendor {AWKWARD}"
    assert [change.at for change in provision.log] == [T0, datetime(2026, 11, 20, 9, 0, tzinfo=UTC)]
    assert all(change.at.utcoffset() == timedelta(0) for change in provision.log)
    assert all(isinstance(change, MilestoneChange) for change in provision.log)
    assert (cut_over.reason, cut_over.log) == ("", [])
    done_requested_at = loaded.ticket.done_requested_at
    assert done_requested_at == datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    assert done_requested_at is not None and done_requested_at.utcoffset() == timedelta(0)

    # The log grows, a reason is cleared, the confirm request is withdrawn: all saved.
    with backend() as uow:
        conversation = stored(uow, ask_id)
        provision = conversation.ticket.milestones[0]
        provision.log.append(MilestoneChange(T0, "U2", "status", "blocked", "on_track"))
        provision.status, provision.reason = MilestoneStatus.ON_TRACK, ""
        conversation.ticket.done_requested_at = None
        uow.asks.save(conversation)
        uow.commit()
    with backend() as uow:
        again = uow.asks.get(ask_id)
    assert again is not None and again.ticket.done_requested_at is None
    assert [c.new for c in again.ticket.milestones[0].log] == [
        "Provision",
        "2026-12-01",
        "on_track",
    ]
    assert again.ticket.milestones[0].reason == ""


def test_milestone_log_is_a_copy(backend: Backend) -> None:
    ask_id = add(backend, full_conversation())
    with backend() as uow:
        first = stored(uow, ask_id)
        first.ticket.milestones[2].log.clear()  # not saved
        second = uow.asks.get(ask_id)
    assert second is not None and len(second.ticket.milestones[2].log) == 2


def test_milestone_log_needs_aware_times(backend: Backend) -> None:
    ask_id = add(backend, minimal_conversation())
    with backend() as uow:
        conversation = stored(uow, ask_id)
        naive = MilestoneChange(datetime(2026, 11, 20, 9, 0), "U1", "added", "", "x")
        conversation.ticket.milestones = [Milestone(title="x", log=[naive])]
        with pytest.raises(ValueError, match="naive"):
            uow.asks.save(conversation)
    with backend() as uow:
        loaded = uow.asks.get(ask_id)
    assert loaded is not None and loaded.ticket.milestones == []


def test_seen_is_copied_on_read_and_written_on_save(backend: Backend) -> None:
    conversation = minimal_conversation()
    conversation.seen = {"title": "first", "nested": {"services": ["a"]}}
    ask_id = add(backend, conversation)
    with backend() as uow:
        loaded = uow.asks.get(ask_id)
        assert loaded is not None and loaded.seen is not None
        loaded.seen["title"] = "changed in place"
        loaded.seen["nested"]["services"].append("b")
        again = stored(uow, ask_id)
        assert again.seen == {"title": "first", "nested": {"services": ["a"]}}
        uow.asks.save(loaded)  # the in-place changes are written
        uow.commit()
    with backend() as uow:
        loaded = stored(uow, ask_id)
        assert loaded.seen == {"title": "changed in place", "nested": {"services": ["a", "b"]}}
        loaded.seen = None
        loaded.card = None
        uow.asks.save(loaded)
        uow.commit()
    with backend() as uow:
        cleared = uow.asks.get(ask_id)
        assert cleared is not None and cleared.seen is None and cleared.card is None


# -- audit trail --------------------------------------------------------------------------------


def test_audit_trail_oldest_first_per_ask(backend: Backend) -> None:
    a = add(backend, minimal_conversation())
    b = add(backend, minimal_conversation(thread=Thread("C1", "2.0")))
    denied = AuditEntry(T0 + timedelta(seconds=1), "U1", "approve", "denied", "not a lead")
    ok = AuditEntry(T0, "U2", "approve", "ok")
    no_op = AuditEntry(T0 + timedelta(seconds=2), "U2", "approve", "no-op", AWKWARD)
    same_time = AuditEntry(T0 + timedelta(seconds=2), "U3", "assign", "ok", LONG_PASTE)
    other = AuditEntry(T0, "U3", "decline", "refused")
    with backend() as uow:
        assert uow.audit(a) == []
        for entry in (denied, ok, no_op, same_time):
            uow.record_audit(a, entry)
        uow.record_audit(b, other)
        assert uow.audit(a) == [ok, denied, no_op, same_time]  # visible in its transaction
        uow.commit()
    with backend() as uow:
        trail = uow.audit(a)
        assert trail == [ok, denied, no_op, same_time]
        assert uow.audit(b) == [other]
        assert all(entry.at.utcoffset() == timedelta(0) for entry in trail)
        assert trail[3].note == LONG_PASTE


def test_audit_is_part_of_the_transaction(backend: Backend) -> None:
    ask_id = add(backend, minimal_conversation())
    entry = AuditEntry(T0, "U1", "approve", "ok")
    with backend() as uow:
        uow.record_audit(ask_id, entry)
        # leaving without commit
    with backend() as uow:
        assert uow.audit(ask_id) == []
        uow.record_audit(ask_id, entry)
        uow.rollback()
        assert uow.audit(ask_id) == []
        uow.record_audit(ask_id, entry)
        uow.commit()
    with backend() as uow:
        assert uow.audit(ask_id) == [entry]


def test_audit_and_events_need_a_stored_ask(backend: Backend) -> None:
    with pytest.raises(backend.missing_ask), backend() as uow:
        uow.record_audit(424242, AuditEntry(T0, "U1", "approve", "ok"))
        uow.commit()
    with pytest.raises(LookupError), backend() as uow:  # AskNotFound, as save() raises
        uow.enqueue_event(424242, event("e-unknown"), T0)
        uow.commit()
    assert backend.events() == []


# -- integration events -------------------------------------------------------------------------


def event(event_id: str, n: int = 0) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "ask.status_changed",
        "n": n,
        "text": AWKWARD,
        "nested": {"list": [1, 2.5, None, True], "empty": {}},
    }


def test_events_are_queued_in_order_with_the_transaction(backend: Backend) -> None:
    a = add(backend, minimal_conversation())
    b = add(backend, minimal_conversation(thread=Thread("C1", "2.0")))
    with backend() as uow:
        uow.enqueue_event(a, event("a1"), T0)
        uow.enqueue_event(b, event("b1"), T0)
        uow.enqueue_event(a, event("a2"), T0)
        uow.commit()
    assert backend.events() == [event("a1"), event("b1"), event("a2")]
    assert backend.events(a) == [event("a1"), event("a2")]
    assert backend.events(b) == [event("b1")]

    with backend() as uow:
        uow.enqueue_event(a, event("a3"), T0)
        # leaving without commit
    with backend() as uow:
        uow.enqueue_event(a, event("a4"), T0)
        uow.rollback()
        uow.enqueue_event(a, event("a5"), T0)
        uow.commit()
    assert [e["id"] for e in backend.events(a)] == ["a1", "a2", "a5"]


def test_an_event_is_queued_once(backend: Backend) -> None:
    ask_id = add(backend, minimal_conversation())
    with backend() as uow:
        uow.enqueue_event(ask_id, event("e1"), T0)
        uow.commit()
    with pytest.raises(ValueError, match="e1"), backend() as uow:
        uow.enqueue_event(ask_id, event("e1", n=2), T0)
        uow.commit()
    with pytest.raises(ValueError, match="e2"), backend() as uow:
        uow.enqueue_event(ask_id, event("e2"), T0)
        uow.enqueue_event(ask_id, event("e2"), T0)
        uow.commit()
    assert backend.events() == [event("e1")]


def test_an_event_needs_a_string_id(backend: Backend) -> None:
    ask_id = add(backend, minimal_conversation())
    for bad in ({}, {"id": 5}, {"id": ""}):
        with pytest.raises(ValueError, match="'id'"), backend() as uow:
            uow.enqueue_event(ask_id, bad, T0)
    assert backend.events() == []


def test_events_are_stored_as_plain_json_copies(backend: Backend) -> None:
    ask_id = add(backend, minimal_conversation())
    given = {**event("e1"), "pair": ("a", "b")}
    with backend() as uow:
        uow.enqueue_event(ask_id, given, T0)
        given["n"] = 99  # changed after queuing: not what was queued
        uow.commit()
    assert backend.events() == [{**event("e1"), "pair": ["a", "b"]}]


def test_no_events_when_disabled(backend: Backend) -> None:
    ask_id = add(backend, minimal_conversation())
    backend.set_events_enabled(False)
    with backend() as uow:
        uow.enqueue_event(ask_id, event("e1"), T0)
        uow.enqueue_event(ask_id, event("e1"), T0)  # not even a duplicate: nothing is kept
        uow.commit()
    assert backend.events() == []
    backend.set_events_enabled(True)
    with backend() as uow:
        uow.enqueue_event(ask_id, event("e1"), T0)
        uow.commit()
    assert backend.events() == [event("e1")]


def test_events_from_8_concurrent_transactions_are_all_kept(backend: Backend) -> None:
    ask_id = add(backend, minimal_conversation())
    names = iter(range(8))
    lock = threading.Lock()

    def change() -> str:
        with lock:
            event_id = f"e{next(names)}"
        with backend() as uow:
            uow.enqueue_event(ask_id, event(event_id), T0)
            uow.record_audit(ask_id, AuditEntry(T0, "U1", "approve", "ok", event_id))
            uow.commit()
        return event_id

    ids = in_threads(8, change)
    assert sorted(e["id"] for e in backend.events(ask_id)) == sorted(ids)
    with backend() as uow:
        assert sorted(entry.note for entry in uow.audit(ask_id)) == sorted(ids)
