"""People's text that a spreadsheet or a reader could be fooled by: formulas in the CSV export
are shown as text, and invisible direction or zero-width characters never reach a card."""

from __future__ import annotations

import csv
import io

from bot.slack_text import safe
from intake.export import to_csv
from intake.ticket import Ticket


def test_cells_a_spreadsheet_would_run_are_exported_as_text() -> None:
    ticket = Ticket(
        requester="U0ALICE",
        title='=HYPERLINK("https://evil.example","click")',
        problem="+1 555 0100 is the on-call number",
        services=["@SUM(A1:A9)", "billing-api"],
        impact="-5% conversions\tsince Monday",
        desired_outcome="a database",
    )
    [row] = list(csv.DictReader(io.StringIO(to_csv([ticket]))))
    assert row["title"] == '\'=HYPERLINK("https://evil.example","click")'
    assert row["problem"] == "'+1 555 0100 is the on-call number"
    assert row["services"] == "'@SUM(A1:A9); billing-api"
    assert row["impact"].startswith("'-5%")
    assert row["desired_outcome"] == "a database", "ordinary text is left as it is"


def test_direction_overrides_and_zero_width_characters_are_not_echoed() -> None:
    tricked = "invoice\u202efdp.exe for billing\u200b-api \u2066x\u2069"
    assert safe(tricked, 200) == "invoicefdp.exe for billing-api x"
    assert safe("👩\u200d💻 on call", 50) == "👩\u200d💻 on call", "emoji joiners stay"
