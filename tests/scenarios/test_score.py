"""The scorer: placement, repeats after "don't know", "don't know" as data, milestone dates."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.scenarios.cast import load_scenarios
from tests.scenarios.person import Action
from tests.scenarios.score import anywhere, bad_dates, holds, score, stored_dont_knows
from tests.scenarios.slack_run import Run, Turn

TODAY = date(2026, 11, 23)


def ticket(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": "PostgreSQL database for billing",
        "category": "database",
        "status": "submitted",
        "problem": "can we get a db for billing?",
        "impact": "",
        "desired_outcome": "",
        "acceptance_criteria": [],
        "out_of_scope": [],
        "deadline": None,
        "no_deadline": False,
        "environment": [],
        "services": [],
        "milestones": [],
        "fields": {},
        "links": [],
    }
    return base | values


def test_a_value_holds_texts_alternatives_dates_and_numbers() -> None:
    assert holds(["production", "staging"], ("production", "staging"))
    assert not holds(["production"], ("production", "staging"))
    assert holds(["billing-api"], ("billing|payments",))
    assert holds("2026-12-12", ("2026-12-12",)) and not holds("2026-12-11", ("2026-12-12",))
    assert holds("2026-11-26", ("2026-11-25|2026-11-26",))
    assert holds(199.0, ("200",)) and not holds(150.0, ("200",))
    assert holds("U0SC001", ("<@U0SC001>",))
    assert not holds(None, ("x",)) and not holds([], ("x",))


def test_anywhere_is_the_field_or_the_ticket_but_a_date_not_only_as_a_milestone() -> None:
    t = ticket(impact="invoices wait on the monolith", milestones=[{"due": "2026-12-04"}])
    assert anywhere(t, "acceptance_criteria", ("monolith",))
    assert not anywhere(t, "deadline", ("2026-12-04",))
    assert anywhere(ticket(no_deadline=True), "deadline", ("none",))


def test_dont_know_said_is_found_in_data_not_in_the_problem() -> None:
    said = {"n/a", "whatever you recommend"}
    t = ticket(title="N/a", problem="the requester said whatever you recommend")
    assert stored_dont_knows(t, said) == ["n/a"]
    t = ticket(acceptance_criteria=["Whatever you recommend"])
    assert stored_dont_knows(t, said) == ["whatever you recommend"]
    assert stored_dont_knows(ticket(impact="n/app is down"), said) == []


def test_bad_milestone_dates() -> None:
    plan = [{"due": d} for d in ("2026-11-23", "2026-11-30", "2026-11-30", "2026-12-20")]
    found = bad_dates(ticket(deadline="2026-12-12", milestones=plan), TODAY)
    assert found == {"due_today_or_earlier": 1, "after_deadline": 1, "same_day": 1}
    assert not any(bad_dates(ticket(milestones=[{"due": "2026-11-24"}]), TODAY).values())


def test_a_question_asked_again_right_after_dont_know_is_a_repeat() -> None:
    scenario = next(s for s in load_scenarios() if s.id == "db-for-billing")
    storage = "*Question 3:* Roughly how much storage to start with?"
    services = "*Question 1:* Which service will use the database?"
    q3, q1 = storage.split(":* ")[1], services.split(":* ")[1]
    turns = [
        Turn(services, (), Action(text="billing-api", fact=0, question=q1)),
        Turn(storage, (), Action(text="no idea", dont_know=True, question=q3)),
        Turn(":warning: no\n" + storage, (), Action(text="dunno", dont_know=True, question=q3)),
        Turn(storage, (), Action(text="skip", question=q3)),
    ]
    run = Run(scenario, turns=turns, ticket=ticket(impact="dunno"), submitted=True)
    run.draft_seen = True
    scored = score(run)
    assert scored.questions == 4 and scored.reasked == 2
    assert scored.repeats_after_dont_know == 2
    assert scored.opening_questions == 1  # the opening said billing already
    assert scored.dont_knows_stored == ("dunno",)
    assert scored.completed and scored.type_ok
