"""The simulated requester decides from what a person sees, never from where a fact belongs."""

from __future__ import annotations

import ast
import dataclasses
import inspect
from dataclasses import replace
from pathlib import Path

from tests.scenarios import person
from tests.scenarios.cast import ScoredFact, load_scenarios
from tests.scenarios.person import (
    DONT_KNOW,
    Action,
    Fact,
    Memory,
    Screen,
    best_fact,
    decide,
    question_line,
)

HINT = "Type *skip* to skip a question, *done* to see the draft now, or *cancel* to stop."
WHEN = Fact(cues=("when", "by when", "deadline"), say=("next sprint", "end of next week"))
WHERE = Fact(cues=("environments", "production"), say=("the k8s.io zone",), picks=("production",))
WHO = Fact(cues=("who needs",), say=("me",))


def screen(question: str, *buttons: str) -> Screen:
    return Screen(f"*Question 1:* {question}\n{HINT}", buttons)


def test_the_decision_gets_no_field_name_template_or_engine_object() -> None:
    assert list(inspect.signature(decide).parameters) == ["screen", "facts", "memory"]
    assert {f.name for f in dataclasses.fields(Fact)} == {
        "cues",
        "say",
        "picks",
        "also",
        "volunteers",
    }
    assert {f.name for f in dataclasses.fields(Screen)} == {"text", "buttons", "draft_above"}
    # The module imports nothing of the product: no Question, template or engine to peek at.
    tree = ast.parse(Path(inspect.getfile(person)).read_text())
    imported = {
        (node.module or "").split(".")[0] if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= {"__future__", "random", "re", "collections", "dataclasses"}, imported


def test_where_a_fact_belongs_does_not_reach_the_requester() -> None:
    scenario = load_scenarios()[0]
    moved = replace(
        scenario,
        facts=tuple(
            ScoredFact(f"elsewhere_{i}", f.find, f.fact) for i, f in enumerate(scenario.facts)
        ),
    )
    assert moved.person_facts() == scenario.person_facts()


def test_a_question_is_answered_from_the_fact_its_words_point_to() -> None:
    memory = Memory(seed="s")
    facts = [WHERE, WHEN]
    action = decide(screen("When do you need it by? A date works."), facts, memory)
    assert action == Action(text="next sprint", fact=1, question=action.question)
    assert question_line("*Question 1:* When do you need it by?\nhint") == (
        "*Question 1:* When do you need it by?"
    )
    assert best_fact("Who calls it?", facts) is None


def test_the_question_is_answered_not_the_words_of_its_hint() -> None:
    service = Fact(cues=("service", "service(s)"), say=("auth",))
    facts = [service, WHEN]
    hint_after = "Where should alerts go? A Slack channel or PagerDuty service."
    hint_inside = "Where should alerts go (a Slack channel or PagerDuty service)?"
    assert best_fact(hint_after, facts) is None and best_fact(hint_inside, facts) is None
    assert best_fact("Which service(s) is this for? e.g. `billing-api`", facts) == 0


def test_not_understood_the_next_phrasing_then_skip_then_done() -> None:
    memory = Memory(seed="s")
    asked = screen("When do you need it by?")
    said = [decide(asked, [WHEN], memory).text for _ in range(4)]
    assert said == ["next sprint", "end of next week", "skip", "done"]


def test_dont_know_is_said_in_varied_words_and_never_twice_the_same_in_a_row() -> None:
    asked = screen("Roughly how much storage to start with?")
    seen = set()
    for seed in range(30):
        memory = Memory(seed=str(seed))
        first, second = decide(asked, [WHEN], memory), decide(asked, [WHEN], memory)
        assert first.dont_know and second.dont_know
        assert first.text in DONT_KNOW and second.text in DONT_KNOW and first.text != second.text
        assert decide(asked, [WHEN], memory).text == "skip"
        seen |= {first.text, second.text}
    assert seen == set(DONT_KNOW)


def test_buttons_are_clicked_when_one_says_it_else_free_text() -> None:
    offered = screen("Which environments — production, staging?", "production", "staging")
    choices = {decide(offered, [WHERE], Memory(seed=str(n))).shown() for n in range(20)}
    assert choices == {"(clicks) production", "the k8s.io zone"}  # mostly clicks, some type
    other = screen("Which environments — production, staging?", "staging")
    assert decide(other, [WHERE], Memory(seed="s")).text == "the k8s.io zone"


def test_an_over_answer_says_a_second_fact_once() -> None:
    facts = [replace(WHO, also=1), WHEN]
    memory = Memory(seed="s")
    action = decide(screen("Who needs access? @mention them."), facts, memory)
    assert action.text.startswith("me") and action.text.endswith("next sprint")
    assert memory.said == {0, 1}


def test_at_the_draft_corrections_first_then_submit() -> None:
    memory = Memory(seed="s", corrections=["actually the deadline is Friday"])
    draft = Screen("Draft: PostgreSQL for billing", ("Submit", "Edit", "Cancel"), True)
    assert decide(draft, [WHEN], memory).text == "actually the deadline is Friday"
    noted = Screen("Updated the draft above: Deadline.", (), draft_above=True)
    assert decide(noted, [WHEN], memory).click == "Submit"
    not_ready = Screen("This ask is not ready for review yet.", ("Edit", "Submit anyway"), True)
    assert decide(not_ready, [WHEN], memory).click == "Submit anyway"


def test_a_follow_up_question_after_a_correction_is_answered() -> None:
    memory = Memory(seed="s", corrections=["criteria: it works"])
    check = Fact(cues=("what would you check",), say=("billing-api connects from staging",))
    follow_up = Screen("What would you check to know it works?", (), draft_above=True)
    assert decide(follow_up, [check], memory).text == "billing-api connects from staging"


def test_a_type_question_as_two_buttons_is_a_click_on_what_they_want() -> None:
    kind = Fact(
        cues=("request type",), say=("we need more GPU quota",), picks=("Compute capacity",)
    )
    two = screen("Is this mostly about money or machines?", "Cost", "Compute capacity")
    assert decide(two, [WHEN, kind], Memory(seed="s")).click == "Compute capacity"


def test_a_confirmation_after_a_correction_is_agreed_to() -> None:
    memory = Memory(seed="s", corrections=["actually the deadline is Friday"])
    draft = Screen("Draft: PostgreSQL for billing", ("Submit", "Edit", "Cancel"), True)
    decide(draft, [WHERE], memory)
    confirm = Screen("Changed the deadline to Fri 27 Nov. Is that right?", ("Yes", "Undo"), True)
    assert decide(confirm, [WHERE], memory).click == "Yes"
    memory.corrected = True
    asked = Screen("Deadline is now Fri 27 Nov. Right?", (), True)
    assert decide(asked, [WHERE], memory).text == "yes"


def test_a_question_without_a_question_mark_is_still_answered() -> None:
    said = decide(screen("Tell me the deadline, please.", "Skip"), [WHERE, WHEN], Memory(seed="s"))
    assert said.text == "next sprint"
