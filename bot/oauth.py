"""The multi-workspace install (optional): workspaces add the app at ``GET /slack/install``, and
Slack sends them back to ``GET /slack/oauth_redirect``, where Bolt exchanges the code for the
workspace's bot token and stores it.

It is on when ``SLACK_CLIENT_ID`` and ``SLACK_CLIENT_SECRET`` are set (and ``SLACK_BOT_TOKEN``
is not: ``bot.settings``). Installations and OAuth states live in the project's database, in
slack_sdk's SQLAlchemy stores, whose tables migration 0005 creates (never ``create_tables()``).

* In a request, Bolt finds the installation of the request's workspace and hands the listener a
  client with that workspace's bot token (``context.client``), as it would the one token.
* Outside a request (the weekly follow-through, the sender of queued messages), work is done
  workspace by workspace: ``TeamClients.for_team(team_id)`` gives the client of that workspace's
  installation. In single-workspace mode ``OneWorkspace`` gives the one client for every team,
  so that mode works exactly as before.
* Every request sees only its own workspace's asks (``bot.scope``: the request's scope,
  ``intake.scoping``).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Final, Protocol

from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

from bot.pacing import PacedWebClient, paced_copy
from bot.settings import Settings
from storage.installations import installed_workspace

if TYPE_CHECKING:
    from bot.bootstrap import Container

log = logging.getLogger(__name__)

# The bot scopes an installation asks for: exactly the manifests' oauth_config.scopes.bot
# (tests/multiworkspace/test_scopes.py checks them against what the code calls).
BOT_SCOPES: Final = (
    "app_mentions:read",
    "channels:history",
    "chat:write",
    "commands",
    "groups:history",
    "im:history",
    "im:write",
    "usergroups:read",
    "users:read",
    "users:read.email",
)

INSTALL_PATH: Final = "/slack/install"
REDIRECT_PATH: Final = "/slack/oauth_redirect"
STATE_SECONDS: Final = 600  # how long an install link stays valid


def installation_store(settings: Settings, engine: Engine) -> SQLAlchemyInstallationStore:
    assert settings.slack_client_id is not None
    return SQLAlchemyInstallationStore(
        client_id=settings.slack_client_id,
        engine=engine,
        logger=logging.getLogger("bot.oauth.installations"),
    )


def oauth_settings(settings: Settings, engine: Engine) -> OAuthSettings:
    """Bolt's OAuth settings: the install and redirect paths, the bot scopes, and the stores
    on the project's database."""
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    oauth = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        user_scopes=[],  # the bot acts as itself only
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=installation_store(settings, engine),
        installation_store_bot_only=True,  # a bot app: the workspace's latest bot token
        state_store=SQLAlchemyOAuthStateStore(
            expiration_seconds=STATE_SECONDS,
            engine=engine,
            logger=logging.getLogger("bot.oauth.states"),
        ),
        state_expiration_seconds=STATE_SECONDS,
        logger=logging.getLogger("bot.oauth"),
    )
    if isinstance(oauth.authorize, InstallationStoreAuthorize):
        # Bolt checks a workspace's token with auth.test before each request is acked; once
        # per token and process is enough (as the one token is checked once at start).
        oauth.authorize.cache_enabled = True
    return oauth


# -- clients for work outside a request ----------------------------------------------------------


class TeamClients(Protocol):
    """The Web API client for one workspace's work outside a request."""

    @property
    def per_team(self) -> bool:
        """True in multi-workspace mode: each workspace has its own installation and token."""

    def installed(self, team_id: str) -> bool:
        """Whether messages can be sent to ``team_id`` (its asks are worked on)."""

    def for_team(self, team_id: str) -> WebClient | None:
        """The client with ``team_id``'s bot token; None when it has none (not installed, or
        no client at all, as in ``digest preview``)."""


class OneWorkspace:
    """Single-workspace (token) mode: one client, one workspace. Everything in the database
    belongs to it (asks started in the terminal included), as it always did."""

    per_team = False

    def __init__(self, client: WebClient | None) -> None:
        self.client = client

    def installed(self, team_id: str) -> bool:
        return True

    def for_team(self, team_id: str) -> WebClient | None:
        return self.client


class InstalledWorkspaces:
    """Multi-workspace mode: the client of each workspace's installation, made from ``base``
    (the app's tokenless client: base URL, timeouts, pacer) with that workspace's bot token.
    A token found is reused for ``TOKEN_TTL`` seconds (a weekly fan-out looks each workspace
    up once, not once a message); a workspace without one is looked up again every time."""

    per_team = True
    TOKEN_TTL: Final = 60.0

    def __init__(
        self, engine: Engine, store: SQLAlchemyInstallationStore, base: WebClient | None
    ) -> None:
        self.engine = engine
        self.store = store
        self.base = base
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def installed(self, team_id: str) -> bool:
        return self._token(team_id) is not None

    def for_team(self, team_id: str) -> WebClient | None:
        if self.base is None:
            return None
        token = self._token(team_id)
        return with_token(self.base, token) if token is not None else None

    def _token(self, team_id: str) -> str | None:
        if not team_id:
            return None
        now = time.monotonic()
        with self._lock:
            cached = self._tokens.get(team_id)
        if cached is not None and now - cached[1] < self.TOKEN_TTL:
            return cached[0]
        # Asks know their team only; find_bot also wants the team's Enterprise Grid org.
        workspace = installed_workspace(self.engine, self.store.client_id, team_id)
        if workspace is None:
            return None
        bot = self.store.find_bot(enterprise_id=workspace.enterprise_id, team_id=team_id)
        if bot is None or not bot.bot_token:
            return None
        with self._lock:
            self._tokens[team_id] = (bot.bot_token, now)
        return bot.bot_token


def with_token(base: WebClient, token: str) -> WebClient:
    """A client like ``base`` (paced by the same pacer, when it is paced) with ``token``."""
    if isinstance(base, PacedWebClient):
        paced = paced_copy(base, base.pacer)
        paced.token = token
        return paced
    return WebClient(
        token=token,
        base_url=base.base_url,
        timeout=base.timeout,
        ssl=base.ssl,
        proxy=base.proxy,
        headers=dict(base.headers),
        logger=base.logger,
        retry_handlers=list(base.retry_handlers),
    )


def team_clients(container: Container, client: WebClient | None) -> TeamClients:
    """The clients for work outside a request: ``client`` for everything in single-workspace
    mode; each installation's in multi-workspace mode (``client`` is then the app's tokenless
    one, whose settings and pacer they share)."""
    settings = container.settings
    if not settings.multi_workspace:
        return OneWorkspace(client)
    store = installation_store(settings, container.db_engine)
    return InstalledWorkspaces(container.db_engine, store, client)
