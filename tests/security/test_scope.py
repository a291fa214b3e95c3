"""A request's scope (bot.scope) is the only way listeners reach asks: built once by the
middleware from the request's workspace and actor, and enough on its own to run a listener.

The cross-workspace requests through the whole app (signed, over HTTP) are in
test_workspaces.py; here a listener is called directly, as a plain function, with a scope.
"""

from __future__ import annotations

import ast
from pathlib import Path

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from bot import listeners
from bot.app import deps_for
from bot.listeners import commands
from bot.scope import SCOPE_KEY, Scope, scope_for
from tests.e2e.conftest import BOT_TOKEN, LEAD, REQUESTER, BotServer
from tests.fakes.slack_api import FakeSlack
from tests.security.checks import CapturingDriver, submitted_ask
from tests.security.conftest import OTHER_TEAM

LISTENERS = Path(listeners.__file__).parent


def run_command(scope: Scope, client: WebClient, text: str) -> str:
    """``/intake <text>`` straight into its listener function; what Slack would be answered."""
    command = {"command": "/intake", "text": text, "user_id": scope.user, "team_id": scope.team_id}
    ack = Ack()
    commands.intake_command(
        ack=ack,
        body=command,
        command=command,
        context=BoltContext({SCOPE_KEY: scope}),
    )
    assert ack.response is not None
    body = ack.response.body
    assert isinstance(body, str)
    return body


def test_a_listener_called_with_a_scope_sees_that_workspace_only(
    capturing: CapturingDriver, slack: FakeSlack, bot: BotServer
) -> None:
    submitted_ask(capturing, slack, REQUESTER)
    assert bot.container is not None
    (ticket,) = bot.container.intake.list()
    home = ticket.team_id
    client = WebClient(token=BOT_TOKEN, base_url=slack.api_url)
    deps = deps_for(bot.container, client)

    at_home = scope_for(deps, home, REQUESTER, client)
    elsewhere = scope_for(deps, OTHER_TEAM, REQUESTER, client)

    assert "PLAT-1" in run_command(at_home, client, "list")
    assert "PLAT-1" in run_command(at_home, client, "show PLAT-1")
    assert "PLAT-1" not in run_command(elsewhere, client, "list")
    assert "No ask PLAT-1 found." in run_command(elsewhere, client, "show PLAT-1")
    # The ask ID itself, as a button or a form carries it, is not found from elsewhere either.
    ask_id = ticket.id or 0
    with at_home.service.uow_factory() as uow:
        assert uow.asks.get(ask_id) is not None
    with elsewhere.service.uow_factory() as uow:
        assert uow.asks.get(ask_id) is None


def test_the_actor_s_roles_come_with_the_scope(bot: BotServer, slack: FakeSlack) -> None:
    assert bot.container is not None
    client = WebClient(token=BOT_TOKEN, base_url=slack.api_url)
    deps = deps_for(bot.container, client)
    assert scope_for(deps, "T0001", LEAD, client).is_lead
    assert not scope_for(deps, "T0001", REQUESTER, client).is_lead


def _names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    found |= {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found |= {alias.name for alias in node.names}
    return found


def test_listeners_get_no_unscoped_service_and_scope_nothing_themselves() -> None:
    """Scoping happens once, in bot.scope's middleware: no listener module sees the app-wide
    services (Deps), scopes a service itself (for_team) or checks a role itself (is_lead on
    Leads); and every listener is a module-level function in its kind's table."""
    modules = sorted(LISTENERS.rglob("*.py"))
    assert modules
    for path in modules:
        names = _names(path)
        for forbidden in ("Deps", "for_team", "leads", "Leads", "scope_for"):
            assert forbidden not in names, f"{path}: uses {forbidden}"
        source = path.read_text()
        assert "@app." not in source, f"{path}: a listener registered outside its table"
