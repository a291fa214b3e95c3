"""The Bolt app factory. No module-level App: each call builds one from a Container.

Single-workspace mode (``SLACK_BOT_TOKEN``) builds the app on that token. The multi-workspace
install (``SLACK_CLIENT_ID`` and ``SLACK_CLIENT_SECRET``, ``bot.oauth``) builds it with Bolt's
OAuth settings instead: no token at start, and each request's client carries the bot token of
the workspace it comes from; its listeners then see that workspace's asks only."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor

from pydantic import SecretStr
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.error import BoltError
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

from bot import errors, listeners, scope
from bot.admission import Admission
from bot.announcer import Announcer
from bot.bootstrap import Container
from bot.busy import Notices
from bot.commands import Later, defer_events
from bot.followthrough import follow_through_for
from bot.home import HomeTabs
from bot.in_flight import TrackedExecutor
from bot.leads import Leads
from bot.limits import Limits, LimitSettings, Rate
from bot.oauth import oauth_settings
from bot.pacing import PacedWebClient, Pacer, pace_bolt_app
from bot.people import People
from bot.refresh import views_for
from bot.replier import Replier
from bot.scope import Deps
from bot.settings import ConfigError
from intake.ports import UnitOfWorkFactory
from storage.uow import SqlUnitOfWorkFactory

log = logging.getLogger(__name__)

SLACK_API = "https://slack.com/api/"


def make_client(container: Container, pacer: Pacer | None = None) -> PacedWebClient:
    """The Web API client: every call goes through the process's pacer (``container.pacer``,
    see bot.pacing). In multi-workspace mode it has no token: the clients made from it (each
    request's, ``bot.oauth.team_clients``) get their workspace's."""
    settings = container.settings
    assert settings.slack_bot_token is not None or settings.multi_workspace
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return PacedWebClient(
        token=token,
        base_url=settings.slack_api_url or SLACK_API,
        timeout=10,
        # Connection errors are retried a bounded number of times; 429s are the pacer's.
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2)],
        pacer=pacer or container.pacer,
    )


def worker_client(container: Container) -> PacedWebClient:
    """``intake-bot worker``'s client (it has no Bolt app), its token checked with auth.test
    as the app checks it at start: a wrong token is one clear line, not failed replies."""
    client = make_client(container)
    if client.token:
        try:
            client.auth_test()
        except (SlackApiError, OSError) as exc:
            raise _token_check_failed(exc) from None
    return client


def create_app(
    container: Container,
    *,
    socket_mode: bool = False,
    pacer: Pacer | None = None,
) -> App:
    """The bot's Bolt app. Its pool is sized by bot.admission (a thread for each admitted
    request, so that no ack waits for a thread)."""
    settings = container.settings
    settings.require_slack(socket_mode=socket_mode)
    pacer = pacer or container.pacer
    client = make_client(container, pacer)
    signing_secret = settings.slack_signing_secret
    oauth = None
    if settings.multi_workspace:
        # Bolt looks the workspace's installation up before each ack: on the ack's connections.
        oauth = oauth_settings(settings, container.ack_db_engine or container.db_engine)
    admission = _admission(container)
    pool = ThreadPoolExecutor(admission.threads, thread_name_prefix="bolt-listener")
    threads = admission.executor(pool)
    try:
        app = _bolt_app(
            client,
            signing_secret,
            socket_mode,
            oauth,
            # Each listener run counts as work in flight until it ends (bot.in_flight).
            executor=TrackedExecutor(threads, container.in_flight),
        )
    except (BoltError, SlackApiError, OSError) as exc:
        raise _token_check_failed(exc) from None
    deps = deps_for(container, client, defer=settings.intake_defer_work)
    pace_bolt_app(app, pacer)  # listeners' per-request clients are paced too
    admission.install(app)  # first: a refused request costs no database work
    if not socket_mode:
        refuse_replays(app, SqlUnitOfWorkFactory(container.ack_db_engine or container.db_engine))
    if deps.later.defer:
        defer_events(app, deps.later, listeners.EVENT_COMMANDS)
    errors.register(app)
    scope.install(app, deps)  # each request's workspace, actor and scoped services
    listeners.register(app)
    return app


def deps_for(container: Container, client: WebClient | None, *, defer: bool = False) -> Deps:
    """The app-wide services the scope middleware scopes for each request (``bot.scope``);
    ``client``: the app's (None in a worker, which runs commands on each workspace's);
    ``defer``: commands go to the queue for a worker instead of running after the ack."""
    engine = container.ack_db_engine or container.db_engine  # queuing is part of the ack
    later = Later(listeners.command_table(), engine, container.clock, defer=defer)
    settings = container.settings
    leads = Leads(settings.intake_leads)
    people = People(container.db_engine, settings.intake_timezone)
    homes = HomeTabs(container.intake, leads, settings.intake_timezone, container.db_engine, people)
    views = views_for(container, people, homes)  # every message about an ask, kept true
    announcer = Announcer(views, container.templates)
    return Deps(
        service=container.intake,
        review=container.review,
        replier=Replier(container.intake, announcer, container.similar),
        announcer=announcer,
        people=people,
        leads=leads,
        homes=homes,
        templates=container.templates,
        milestones=container.milestones,
        followthrough=follow_through_for(container, client),
        later=later,
    )


# Requests a listener acts on (others, e.g. options loads, may be repeated freely).
_ACTIONABLE = frozenset(
    {"event_callback", "block_actions", "view_submission", "shortcut", "message_action"}
)


def refuse_replays(app: App, uow_factory: UnitOfWorkFactory) -> None:
    """Handle each signed request once. Slack signs every delivery anew (a retry has a new
    timestamp, so a new signature), so a signature seen before is a captured request sent
    again within its five minutes: acknowledged, not handled. Claims are rows of
    processed_keys, shared by every replica."""

    @app.middleware
    def once(
        req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        signature = (req.headers.get("x-slack-signature") or [""])[0]
        acts = "command" in req.body or req.body.get("type") in _ACTIONABLE
        if signature and acts:
            with uow_factory() as uow:
                if not uow.claim(f"sig:{signature}"):
                    return BoltResponse(status=200, body="")
                uow.commit()
        return next()


def _bolt_app(
    client: PacedWebClient,
    signing_secret: SecretStr | None,
    socket_mode: bool,
    oauth: OAuthSettings | None = None,
    *,
    executor: Executor,
) -> App:
    """The Bolt app; with a token it checks it with auth.test as it starts. With ``oauth``
    (multi-workspace) it serves the install and redirect paths and authorizes each request
    from the installation store."""
    flow = None
    if oauth is not None:
        # slack_sdk logs every response body at DEBUG, and oauth.v2.access answers with the
        # workspace's new bot token: the code exchange goes through a client that does not.
        exchange_log = logging.getLogger("bot.oauth.exchange")
        exchange_log.setLevel(logging.INFO)
        exchange = WebClient(base_url=client.base_url, timeout=10, logger=exchange_log)
        flow = OAuthFlow(client=exchange, settings=oauth)
    return App(
        client=client,
        signing_secret=signing_secret.get_secret_value() if signing_secret else None,
        # Socket Mode has no HTTP requests to sign; HTTP mode always verifies signatures.
        request_verification_enabled=not socket_mode,
        raise_error_for_unhandled_request=False,
        oauth_flow=flow,
        logger=logging.getLogger("slack_bolt"),
        listener_executor=executor,
    )


def _admission(container: Container) -> Admission:
    """serve's admission (bot.admission): limits per person and workspace, a bound on the
    work admitted, and fair turns for the work after each ack (unless deferral takes the
    work to a worker)."""
    settings = container.settings
    limits = Limits(
        LimitSettings(
            person_intakes=Rate(settings.intake_limit_person_intakes),
            person_actions=Rate(settings.intake_limit_person_actions),
            workspace_intakes=Rate(settings.intake_limit_workspace_intakes),
            workspace_actions=Rate(settings.intake_limit_workspace_actions),
        )
    )
    return Admission(
        limits=limits,
        slots=None if settings.intake_defer_work else container.work_slots,
        max_pending=settings.intake_max_pending_work,
        notices=Notices(in_flight=container.in_flight),
    )


def _token_check_failed(exc: Exception) -> ConfigError:
    """The one line for a bot token that auth.test did not confirm at start: Slack refused
    it, or Slack (at SLACK_API_URL) could not be reached to ask."""
    if isinstance(exc, OSError):  # urllib's URLError, a timeout: no answer at all
        reason = getattr(exc, "reason", None) or exc
        return ConfigError(
            f"could not reach Slack (SLACK_API_URL) to check SLACK_BOT_TOKEN: {reason}"
        )
    return ConfigError(
        f"Slack did not accept SLACK_BOT_TOKEN ({_reason(exc)}); check the token and, if set, "
        "SLACK_API_URL"
    )


def _reason(exc: Exception) -> str:
    """Slack's error code only: Bolt's own message quotes the token, which must not be shown."""
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or exc.response.status_code)
    found = re.search(r"'error': '([a-z_]+)'", str(exc))
    return found.group(1) if found else "no error code in its answer"
