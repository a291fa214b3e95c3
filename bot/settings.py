"""Configuration from environment variables (and an optional .env file).

A wrong or missing value stops the program at start with a message that names the variable.
Slack credentials are only required by the commands that talk to Slack.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_SLACK_ID = re.compile(r"^[UWS][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")


def _http_url(value: str | None, example: str) -> str | None:
    """None for an empty value, else ``value`` if it is an http(s) URL; the error ends with
    ``example`` (what such a URL is or looks like)."""
    if not value:
        return None
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"must be an http(s) URL {example}")
    return value


class ConfigError(Exception):
    """Configuration that cannot work; the message names the variable and what to set."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    database_url: str = Field(
        "sqlite:///intake.db", description="SQLAlchemy URL; default an SQLite file"
    )
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str | None = None
    # Multi-workspace install (OAuth): both set, and no SLACK_BOT_TOKEN.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    port: int = Field(3000, ge=1, le=65535)
    intake_review_channel: str | None = None
    intake_leads: Annotated[list[str], NoDecode] = Field(default_factory=list)
    intake_digest_channel: str | None = None
    intake_timezone: str = "UTC"
    intake_templates_dir: Path | None = None
    intake_id_prefix: str = Field("PLAT", pattern=r"^[A-Z][A-Z0-9]{0,9}$")
    intake_digest_schedule: str = "0 9 * * 1"  # cron, in INTAKE_TIMEZONE: Mondays 09:00
    intake_run_scheduler: bool = True  # false when a separate `intake-bot worker` runs it
    # serve acks and queues each request's work for `intake-bot worker` processes (bot.commands)
    intake_defer_work: bool = False
    # seconds `serve` and `worker` take after SIGTERM to finish or hand back their work
    # (bot.shutdown); keep it under the pods' terminationGracePeriodSeconds
    intake_shutdown_grace: float = Field(25.0, gt=0, le=600)
    # Load (bot.admission, bot.limits): listener runs admitted and not finished (past it the
    # bot answers "busy"), and per-minute limits on new intakes and other requests, per person
    # and per workspace (0: no limit; up to half a minute's worth at once).
    intake_max_pending_work: int = Field(100, ge=1, le=2000)
    intake_limit_person_intakes: float = Field(20, ge=0)
    intake_limit_person_actions: float = Field(120, ge=0)
    intake_limit_workspace_intakes: float = Field(1200, ge=0)
    intake_limit_workspace_actions: float = Field(12000, ge=0)
    # The trackers accepted asks go to (GitHub, Jira): a YAML file (bot.tracker_setup)
    intake_trackers_file: Path | None = None
    intake_webhook_url: str | None = None
    intake_webhook_secret: SecretStr | None = None
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    intake_llm_model: str = "gpt-4o-mini"
    intake_llm_embedding_model: str = "text-embedding-3-small"
    intake_llm_timeout: float = Field(20.0, gt=0, le=120)  # seconds per attempt
    intake_llm_tokens_per_ask: int = Field(20_000, ge=0)
    intake_llm_tokens_per_day: int = Field(500_000, ge=0)
    intake_llm_usd_per_1m_input: float = Field(0.0, ge=0)
    intake_llm_usd_per_1m_output: float = Field(0.0, ge=0)
    log_level: str = Field("INFO", pattern=r"^(?i:debug|info|warning|error)$")

    @field_validator("intake_leads", mode="before")
    @classmethod
    def _split_leads(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in re.split(r"[,\s]+", value) if part.strip()]
        return value

    @field_validator("intake_leads")
    @classmethod
    def _check_leads(cls, value: list[str]) -> list[str]:
        bad = [item for item in value if not _SLACK_ID.match(item)]
        if bad:
            raise ValueError(
                f"{', '.join(bad)} is not a Slack user ID (U…/W…) or user-group ID (S…)"
            )
        return value

    @field_validator("intake_review_channel", "intake_digest_channel")
    @classmethod
    def _check_channel(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        assert value is not None
        if not _CHANNEL_ID.match(value):
            raise ValueError(
                f"{value!r} is not a channel ID; copy it from the channel's details (C…)"
            )
        return value

    @field_validator("intake_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name such as Europe/Berlin") from None
        return value

    @field_validator("intake_templates_dir")
    @classmethod
    def _check_templates_dir(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"{value} is not a directory")
        return value

    @field_validator("intake_digest_schedule")
    @classmethod
    def _check_schedule(cls, value: str) -> str:
        from bot.cron import cron_trigger

        try:
            cron_trigger(value)
        except ValueError as exc:
            raise ValueError(
                f"{value!r} is not a cron schedule like '0 9 * * 1' (Mondays 09:00): {exc}"
            ) from None
        return value

    @field_validator("intake_trackers_file", "slack_client_secret", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value  # VARIABLE= is "not set"

    @field_validator("intake_webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        return _http_url(value, "that receives the status-change events")

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.intake_webhook_url and not self.intake_webhook_secret:
            raise ValueError(
                "INTAKE_WEBHOOK_SECRET is required with INTAKE_WEBHOOK_URL (receivers check the "
                "signature with it)"
            )
        return self

    @field_validator("slack_client_id")
    @classmethod
    def _client_id(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not re.fullmatch(r"\d+\.\d+", value):
            raise ValueError(
                f"{value!r} is not a Slack client ID; copy it from Basic Information → App "
                "Credentials (digits.digits)"
            )
        return value

    @model_validator(mode="after")
    def _one_slack_mode(self) -> Settings:
        """A bot token (one workspace) or client credentials (installs), never both."""
        if (self.slack_client_id is None) != (self.slack_client_secret is None):
            given, lacking = (
                ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")
                if self.slack_client_id
                else ("SLACK_CLIENT_SECRET", "SLACK_CLIENT_ID")
            )
            raise ValueError(
                f"{lacking} is required with {given} (Basic Information → App Credentials): "
                "both switch on the multi-workspace install"
            )
        if self.multi_workspace and self.slack_bot_token is not None:
            raise ValueError(
                "SLACK_BOT_TOKEN and SLACK_CLIENT_ID/SLACK_CLIENT_SECRET are both set: set "
                "SLACK_BOT_TOKEN for one workspace, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET "
                "(and no SLACK_BOT_TOKEN) to let workspaces install the app at /slack/install"
            )
        if self.multi_workspace and self.slack_app_token is not None:
            raise ValueError(
                "SLACK_APP_TOKEN (Socket Mode) cannot be combined with SLACK_CLIENT_ID/"
                "SLACK_CLIENT_SECRET: the multi-workspace install needs HTTP mode (Slack "
                "redirects browsers to /slack/oauth_redirect); unset SLACK_APP_TOKEN"
            )
        return self

    @property
    def multi_workspace(self) -> bool:
        """Workspaces install the app (OAuth, tokens in the database) instead of one bot
        token: SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set."""
        return self.slack_client_id is not None and self.slack_client_secret is not None

    @field_validator("openai_base_url")
    @classmethod
    def _openai_url(cls, value: str | None) -> str | None:
        return _http_url(value, "such as http://localhost:11434/v1")

    @property
    def llm_enabled(self) -> bool:
        """An LLM is used when an API key or an OpenAI-compatible server is configured."""
        return self.openai_api_key is not None or self.openai_base_url is not None

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str | None) -> str | None:
        url = _http_url(value, "such as https://slack.com/api/")
        return url if url is None or url.endswith("/") else url + "/"

    def require_slack(self, *, socket_mode: bool) -> None:
        """Raise ConfigError naming every Slack variable the chosen mode needs but lacks."""
        missing = []
        if self.slack_bot_token is None and not self.multi_workspace:
            missing.append(
                "SLACK_BOT_TOKEN (the bot token, xoxb-…; or SLACK_CLIENT_ID and "
                "SLACK_CLIENT_SECRET for the multi-workspace install)"
            )
        if not socket_mode and self.slack_signing_secret is None:
            missing.append("SLACK_SIGNING_SECRET (Basic Information → Signing Secret)")
        if missing:
            raise ConfigError("Missing configuration: " + "; ".join(missing))


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment; a ConfigError names each bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            message = str(error["msg"]).removeprefix("Value error, ")
            # A rule across settings names its variables in the message itself.
            lines.append(f"{str(error['loc'][0]).upper()}: {message}" if error["loc"] else message)
        raise ConfigError("Invalid configuration:\n  " + "\n  ".join(lines)) from None
