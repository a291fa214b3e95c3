"""Deferred commands survive the queue: every command a listener can leave for later comes back
from its JSON (what ``queue_items.payload`` holds) equal to what was queued, nested values
(``Where``, a ``Thread``, a ``Place``, a milestone ``Ref``) rebuilt as their types."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.blocks.milestones import Ref
from bot.commands import Command, from_json, to_json
from bot.listeners import command_table
from bot.listeners.actions import Choose, Decide, ShowMore
from bot.listeners.events import Mentioned, Reply, Start
from bot.listeners.followup import Snooze
from bot.listeners.milestones.answers import Confirm, NotDoneTold
from bot.listeners.milestones.changed import MilestoneChanged
from bot.listeners.milestones.places import Place
from bot.listeners.milestones.plan import RemoveMilestone
from bot.listeners.milestones.status import SetStatus
from bot.listeners.review import Announce, Move
from bot.listeners.shortcuts import FromMessage
from bot.listeners.similar import Join, NotSame
from bot.listeners.start import StartInDm
from bot.listeners.views import SaveEdit
from bot.where import Where
from intake.conversation import Source, Thread

WHERE = Where("T1", "U1", "D1", "1700000000.000100", "https://hooks.example/1")
THREAD = Thread("D1", "1700000000.000100")
PLACE = Place("C1", "1700000000.000200", "Your plan", [{"type": "section", "block_id": "b"}])
CHANGE = {"at": "2026-11-23T09:00:00+00:00", "actor": "U1", "what": "due", "old": "", "new": "x"}
CHANGE["reason"] = "waiting on the vendor"
MESSAGE: dict[str, Any] = {"ts": "1.2", "text": "hi", "blocks": [{"type": "divider"}]}

SAMPLES: list[Command] = [
    Choose(WHERE, 7, "environment", "production", "click:D1:1.2:q", THREAD),
    Choose(Where("T1", "U1"), 7, "owner", "U2", "click:D1:1.2:u", None),
    Decide(WHERE, 7, "intake_submit", THREAD),
    ShowMore(WHERE, "queue", 2),
    ShowMore(WHERE, None, 1),
    Reply(WHERE, THREAD, "about 200 GB", "1.3"),
    Start(WHERE, THREAD, "we need a db", "1.3", Source.DM),
    Mentioned(WHERE, THREAD, "", "1.3", Source.MENTION),
    StartInDm(WHERE, "we need a db", Source.SLASH_COMMAND),
    FromMessage(WHERE, "C1", MESSAGE),
    StartInDm(WHERE, "we need a db", Source.HOME, dedupe_key="view:V1"),
    FromMessage(WHERE, "C1", MESSAGE, "cmd:1.2.abc"),
    SaveEdit(WHERE, 7, "database", "Europe/Berlin", {"values": {"title": {"t": {"value": "x"}}}}),
    SaveEdit(WHERE, 7, None, None, {"values": {}}),
    Move(WHERE, 7, "review_start"),
    Announce(WHERE, 7, "approve", 2, None),
    Announce(WHERE, 7, "assign", 3, "U9"),
    Join(WHERE, 7, "PLAT-3", "D1", "1.2", MESSAGE),
    NotSame(WHERE, 7, "PLAT-3", None, None, {}),
    Snooze(WHERE, "day", "D1", MESSAGE),
    Confirm(WHERE, 7, PLACE),
    Confirm(WHERE, 7, None),
    SetStatus(WHERE, Ref(7, 1, "ab12"), PLACE, "on_track"),
    RemoveMilestone(WHERE, Ref(7, 0), None),
    NotDoneTold(WHERE, 7, 5, 1, {"ask": 7, "ch": "D1", "ts": "1.2"}),
    NotDoneTold(WHERE, 7, 5, None, {}),
    MilestoneChanged(WHERE, 7, "Replica", "2026-12-01", CHANGE, 4, True, {"ask": 7, "i": 0}),
    MilestoneChanged(WHERE, 7, "Gone", None, CHANGE, None, False, {}),
]


def test_every_command_has_a_sample_here() -> None:
    """A new command without a sample fails here, so every command's round trip is tested."""
    assert {type(sample).__name__ for sample in SAMPLES} == set(command_table())


@pytest.mark.parametrize("command", SAMPLES, ids=lambda c: type(c).__name__)
def test_a_command_comes_back_from_the_queue_as_it_went_in(command: Command) -> None:
    stored = json.loads(json.dumps(to_json(command)))  # what the JSON column gives back
    again = from_json(command_table(), stored)
    assert again == command
    assert type(again) is type(command)
    assert isinstance(again.where, Where)
    for name in ("thread", "place", "ref"):
        value = getattr(command, name, None)
        if value is not None:
            assert type(getattr(again, name)) is type(value), name


def test_a_command_this_version_does_not_know_is_refused_by_name() -> None:
    with pytest.raises(KeyError):
        from_json(command_table(), {"command": "Teleport", "args": {"where": {}}})
