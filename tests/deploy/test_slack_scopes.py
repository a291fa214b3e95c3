"""The Slack app manifests ask for exactly the bot scopes the code needs (least privilege both
ways), subscribe to the events the code listens to, and declare the code's slash command and
shortcut.

The scopes are derived, not listed: every Web API method the code under bot/ calls (found with
`ast`: ``<anything>.chat_postMessage(...)``, ``.api_call("chat.postMessage")``, Bolt's ``say``)
is mapped to its API method name by reading slack_sdk's WebClient sources, then to scopes with
METHOD_SCOPES below; the subscribed events add EVENT_SCOPES, the slash command and shortcut add
``commands``. A method or event missing from the tables fails the test, so they stay complete.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import io
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_bolt import App
from slack_sdk import WebClient

from bot.serving import WsgiApp
from storage import db

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"
LISTENERS = BOT / "listeners"
HTTP_MANIFEST = ROOT / "deploy" / "slack-app-manifest.yaml"
SOCKET_MANIFEST = ROOT / "deploy" / "slack-app-manifest.socket.yaml"
MANIFESTS = [HTTP_MANIFEST, SOCKET_MANIFEST]

# Methods the bot reads in every kind of conversation it takes part in: public and private
# channels (mentions, review and digest channels) and DMs. Not group DMs: it subscribes to no
# message.mpim and opens none (conversations.open is called with one user).
HISTORY = frozenset({"channels:history", "groups:history", "im:history"})

# Web API method -> the bot-token scopes it needs (Slack's method pages, "Required scopes").
METHOD_SCOPES: dict[str, frozenset[str]] = {
    "auth.test": frozenset(),
    "chat.delete": frozenset({"chat:write"}),
    "chat.getPermalink": frozenset(),  # "No scope required"
    "chat.meMessage": frozenset({"chat:write"}),
    "chat.postEphemeral": frozenset({"chat:write"}),
    "chat.postMessage": frozenset({"chat:write"}),
    "chat.scheduleMessage": frozenset({"chat:write"}),
    "chat.update": frozenset({"chat:write"}),
    "conversations.history": HISTORY,
    "conversations.open": frozenset({"im:write"}),
    "conversations.replies": HISTORY,
    "reactions.add": frozenset({"reactions:write"}),
    "reactions.remove": frozenset({"reactions:write"}),
    "usergroups.list": frozenset({"usergroups:read"}),
    "usergroups.users.list": frozenset({"usergroups:read"}),
    "users.info": frozenset({"users:read"}),
    "users.list": frozenset({"users:read"}),
    "users.lookupByEmail": frozenset({"users:read.email"}),
    "views.open": frozenset(),
    "views.publish": frozenset(),
    "views.push": frozenset(),
    "views.update": frozenset(),
}

# Events API subscription -> the scope it needs.
EVENT_SCOPES: dict[str, frozenset[str]] = {
    "app_home_opened": frozenset(),
    "app_mention": frozenset({"app_mentions:read"}),
    "message.channels": frozenset({"channels:history"}),
    "message.groups": frozenset({"groups:history"}),
    "message.im": frozenset({"im:history"}),
    "message.mpim": frozenset({"mpim:history"}),
}

# Slash commands and shortcuts (global and message) both need `commands`.
COMMANDS_SCOPE = "commands"

# Calls Bolt itself makes: App() checks the bot token with auth.test at start.
FRAMEWORK_METHODS = {"auth.test"}


@cache
def webclient_methods() -> dict[str, str]:
    """slack_sdk WebClient method name -> Web API method, from the ``api_call("…")`` in each
    method's source (chat_postMessage -> chat.postMessage). Methods whose source names no
    single API method (files_upload_v2, chat_stream, …) are left out: calling one fails."""
    mapping: dict[str, str] = {}
    for name, function in inspect.getmembers(WebClient, inspect.isfunction):
        if name.startswith("_") or name == "api_call":
            continue
        found = set(re.findall(r"api_call\(\s*\"([\w.]+)\"", inspect.getsource(function)))
        if len(found) == 1:
            mapping[name] = found.pop()
    assert mapping["chat_postMessage"] == "chat.postMessage"
    assert mapping["usergroups_users_list"] == "usergroups.users.list"
    return mapping


def webclient_function_names() -> set[str]:
    return {
        name
        for name, _ in inspect.getmembers(WebClient, inspect.isfunction)
        if not name.startswith("_")
    }


def python_files(under: Path) -> list[Path]:
    return sorted(p for p in under.rglob("*.py") if "__pycache__" not in p.parts)


def enclosing_functions(tree: ast.AST) -> dict[ast.AST, str]:
    """Every node -> the name of the function it is in ('' at module level)."""
    owner: dict[ast.AST, str] = {}

    def walk(node: ast.AST, name: str) -> None:
        for child in ast.iter_child_nodes(node):
            owner[child] = name
            function = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            walk(child, getattr(child, "name", name) if function else name)

    walk(tree, "")
    return owner


@cache
def called_api_methods() -> dict[str, list[str]]:
    """Web API method -> where bot/ calls it ("bot/people.py:40")."""
    client_methods = webclient_methods()
    client_functions = webclient_function_names()
    found: dict[str, list[str]] = {}
    problems: list[str] = []
    for path in python_files(BOT):
        tree = ast.parse(path.read_text(), filename=str(path))
        owners = enclosing_functions(tree)
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            method: str | None = None
            if isinstance(node, ast.Attribute) and node.attr in client_functions:
                if node.attr == "api_call":
                    continue  # its argument is looked at below
                if node.attr not in client_methods:
                    problems.append(f"{where}: WebClient.{node.attr} names no single API method")
                    continue
                method = client_methods[node.attr]
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "api_call"
            ):
                first = node.args[0] if node.args else None
                for keyword in node.keywords:
                    if keyword.arg == "api_method":
                        first = keyword.value
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    method = first.value
                elif owners.get(node) != "api_call":  # a pass-through override is fine
                    problems.append(f"{where}: api_call with a method name not written out")
                    continue
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "say"  # Bolt's say() posts with chat.postMessage
            ):
                method = "chat.postMessage"
            if method is not None:
                found.setdefault(method, []).append(where)
    assert not problems, "\n".join(problems)
    return found


@cache
def listener_registrations() -> dict[str, set[Any]]:
    """What bot/listeners registers with Bolt: kind ("event", "command", "shortcut") -> the
    keys of each kind's registration table (``EVENTS``, ``COMMANDS``, ``SHORTCUTS``)."""
    tables = {"event": "EVENTS", "command": "COMMANDS", "shortcut": "SHORTCUTS"}
    registrations: dict[str, set[Any]] = {}
    for path in python_files(LISTENERS):
        module_name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        module = importlib.import_module(module_name.removesuffix(".__init__"))
        source = path.read_text()
        assert "@app." not in source, f"{path}: register listeners in a table, not @app.<kind>"
        for kind, table in tables.items():
            for value in getattr(module, table, {}):
                if kind == "event" and isinstance(value, dict):
                    value = value["type"]
                registrations.setdefault(kind, set()).add(value)
    return registrations


def manifest(path: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text())
    assert isinstance(loaded, dict)
    return loaded


def manifest_events(data: dict[str, Any]) -> list[str]:
    return list(data["settings"]["event_subscriptions"]["bot_events"])


def manifest_commands(data: dict[str, Any]) -> set[str]:
    return {c["command"] for c in data["features"].get("slash_commands", [])}


def manifest_shortcuts(data: dict[str, Any]) -> set[str]:
    return {s["callback_id"] for s in data["features"].get("shortcuts", [])}


def needed_scopes(events: list[str]) -> dict[str, set[str]]:
    """scope -> why it is needed, for the code's API calls, these events and the code's
    commands and shortcuts."""
    why: dict[str, set[str]] = {}
    methods = set(called_api_methods()) | FRAMEWORK_METHODS
    unknown = sorted(methods - set(METHOD_SCOPES))
    assert not unknown, f"add these Web API methods to METHOD_SCOPES: {unknown}"
    for method in methods:
        for scope in METHOD_SCOPES[method]:
            why.setdefault(scope, set()).add(method)
    unknown = sorted(set(events) - set(EVENT_SCOPES))
    assert not unknown, f"add these events to EVENT_SCOPES: {unknown}"
    for event in events:
        for scope in EVENT_SCOPES[event]:
            why.setdefault(scope, set()).add(f"event {event}")
    registrations = listener_registrations()
    if registrations.get("command") or registrations.get("shortcut"):
        why.setdefault(COMMANDS_SCOPE, set()).add("slash command / shortcut")
    return why


# -- the derivation itself ----------------------------------------------------------------------


def test_the_scan_finds_the_calls_it_should() -> None:
    """The scan sees the calls we know are there (so an empty result cannot pass silently)."""
    called = called_api_methods()
    assert {"chat.postMessage", "chat.update", "conversations.open", "users.info"} <= set(called)
    assert any(w.startswith("bot/leads.py") for w in called["usergroups.users.list"])


def test_every_called_method_and_subscribed_event_is_in_the_tables() -> None:
    for path in MANIFESTS:
        needed_scopes(manifest_events(manifest(path)))  # asserts inside


# -- both manifests -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_bot_scopes_are_exactly_what_the_code_needs(path: Path) -> None:
    data = manifest(path)
    declared = set(data["oauth_config"]["scopes"]["bot"])
    needed = needed_scopes(manifest_events(data))
    missing = {scope: sorted(needed[scope]) for scope in set(needed) - declared}
    extra = sorted(declared - set(needed))
    assert not missing, f"{path.name} lacks scopes the code needs: {missing}"
    assert not extra, f"{path.name} asks for scopes nothing in the code needs: {extra}"
    assert "user" not in data["oauth_config"]["scopes"]  # no user-token scopes at all


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_events_match_the_listeners(path: Path) -> None:
    events = manifest_events(manifest(path))
    assert len(events) == len(set(events))
    registered = listener_registrations()["event"]
    # message.channels / .groups / .im / .mpim are all delivered as the "message" event.
    assert {event.split(".")[0] for event in events} == registered


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_slash_command_and_shortcut_match_the_code(path: Path) -> None:
    data = manifest(path)
    registrations = listener_registrations()
    assert manifest_commands(data) == registrations.get("command", set())
    assert manifest_shortcuts(data) == registrations.get("shortcut", set())
    assert data["features"]["app_home"]["home_tab_enabled"] is True  # app_home_opened publishes


def without_transport(data: Any) -> Any:
    """The manifest less what differs between HTTP and Socket Mode (URLs, the mode switch)."""
    if isinstance(data, dict):
        return {
            key: without_transport(value)
            for key, value in data.items()
            if key not in ("url", "request_url", "socket_mode_enabled")
        }
    if isinstance(data, list):
        return [without_transport(item) for item in data]
    return data


def test_the_two_manifests_differ_only_in_transport() -> None:
    http, socket = manifest(HTTP_MANIFEST), manifest(SOCKET_MANIFEST)
    assert without_transport(http) == without_transport(socket)
    assert http["settings"]["socket_mode_enabled"] is False
    assert socket["settings"]["socket_mode_enabled"] is True
    assert "url" not in str(without_transport(socket)) and "https://" not in str(socket)


def http_urls(data: Any) -> list[str]:
    if isinstance(data, dict):
        return [
            url
            for key, value in data.items()
            for url in ([value] if key in ("url", "request_url") else http_urls(value))
        ]
    if isinstance(data, list):
        return [url for item in data for url in http_urls(item)]
    return []


def test_http_manifest_sends_everything_to_the_path_the_app_serves() -> None:
    data = manifest(HTTP_MANIFEST)
    urls = http_urls(data)
    # the slash command, event subscriptions and interactivity
    assert len(urls) == 3 and len(set(urls)) == 1
    match = re.fullmatch(r"https://[^/]+(/\S*)", urls[0])
    assert match, urls[0]
    path = match.group(1)
    bolt = App(token="xoxb-test", signing_secret="test", token_verification_enabled=False)
    wsgi = WsgiApp(bolt, db.make_engine("sqlite://"))

    def post(to: str) -> str:
        status: list[str] = []
        body = b"command=%2Fintake&text=hello&team_id=T0001&user_id=U0ALICE"
        environ = {
            "PATH_INFO": to,
            "REQUEST_METHOD": "POST",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
        }
        b"".join(wsgi(environ, lambda s, headers: status.append(s)))
        return status[0]

    # An unsigned request reaches Bolt, which refuses it: the path is Slack's endpoint.
    assert post(path).startswith("401")
    assert post(path + "x").startswith("404")
