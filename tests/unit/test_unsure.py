"""Every way people say "I don't know" or "you decide" — and real answers that only contain
those words."""

from __future__ import annotations

import pytest

from intake.unsure import Kind, read, without_hedge


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("not sure", Kind.UNKNOWN),
        ("Not sure.", Kind.UNKNOWN),
        ("I'm not sure", Kind.UNKNOWN),
        ("I’m not sure", Kind.UNKNOWN),
        ("no idea", Kind.UNKNOWN),
        ("No idea, sorry!", Kind.UNKNOWN),
        ("dunno", Kind.UNKNOWN),
        ("dunno yet", Kind.UNKNOWN),
        ("idk", Kind.UNKNOWN),
        ("not sure tbh", Kind.UNKNOWN),
        ("honestly no clue", Kind.UNKNOWN),
        ("I have no idea", Kind.UNKNOWN),
        ("we don't know yet", Kind.UNKNOWN),
        ("no idea what the deadline should be", Kind.UNKNOWN),
        ("I don't know how long it takes", Kind.UNKNOWN),
        ("not sure about the deadline", Kind.UNKNOWN),
        ("no clue tbh :shrug:", Kind.UNKNOWN),
        ("tbd", Kind.UNKNOWN),
        ("TBD", Kind.UNKNOWN),
        ("?", Kind.UNKNOWN),
        ("??", Kind.UNKNOWN),
        ("you pick", Kind.DELEGATED),
        ("up to you", Kind.DELEGATED),
        ("whatever you recommend", Kind.DELEGATED),
        ("not sure, whatever you recommend", Kind.DELEGATED),
        ("Not sure. Whatever you recommend.", Kind.DELEGATED),
        ("no preference", Kind.DELEGATED),
        ("don't care", Kind.DELEGATED),
        ("you decide", Kind.DELEGATED),
        ("your call", Kind.DELEGATED),
        ("whatever works", Kind.DELEGATED),
        ("any is fine", Kind.DELEGATED),
        ("n/a", Kind.NOT_APPLICABLE),
        ("N/A", Kind.NOT_APPLICABLE),
        ("none", Kind.NOT_APPLICABLE),
        ("nothing really", Kind.NOT_APPLICABLE),
        ("Not that I know of.", Kind.NOT_APPLICABLE),
        ("nope", Kind.NOT_APPLICABLE),
        ("No.", Kind.NOT_APPLICABLE),
    ],
)
def test_unsure_answers_are_recognised_whole(answer: str, kind: Kind) -> None:
    said = read(answer)
    assert said is not None and said.kind is kind
    assert said.note == f"{kind.value} — “{answer}”", "the person's words are kept for the lead"


@pytest.mark.parametrize(
    "answer",
    [
        "we don't know why CI is slow",
        "not sure why builds are slow but they take 40 min",
        "staging, not sure about prod",
        "whatever is in the billing namespace needs more memory",
        "none of the dashboards load",
        "nothing loads after the deploy",
        "production",
        "the k8s.io zone",
        "I think staging",
        "no deadline",
        "any time next week",
        "not sure\n\n" + "a pasted log line\n" * 30,
    ],
)
def test_real_answers_that_contain_the_words_are_not_unsure(answer: str) -> None:
    assert read(answer) is None


@pytest.mark.parametrize(
    ("answer", "kept"),
    [
        ("not sure, maybe staging", "maybe staging"),
        ("prod I think, not 100% sure", "prod I think"),
        ("Not sure. Probably prod.", "Probably prod."),
        ("production", "production"),
        ("no idea", "no idea"),
    ],
)
def test_a_hedge_around_a_real_answer_is_dropped(answer: str, kept: str) -> None:
    assert without_hedge(answer) == kept
