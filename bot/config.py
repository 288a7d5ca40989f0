"""Configuration from environment variables (a `.env` file is read if present)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers
from dotenv import load_dotenv

from bot.core.compliance import Rules, RulesError
from bot.core.model import utcnow

SETUP_HINT = "see README.md, section “Create the Slack app”"
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class ConfigError(Exception):
    """A missing or malformed setting; the message is one line naming it."""


@dataclass(frozen=True)
class Settings:
    # Secrets: never in repr() or str() (a logged or printed Settings shows no token).
    bot_token: str | None = field(default=None, repr=False)
    signing_secret: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)
    api_url: str | None = None
    port: int = 3000
    data_dir: Path = Path("data")
    managers: frozenset[str] = frozenset()
    notify_channel: str | None = None
    digest_time: tuple[int, int] = (8, 0)
    default_region: str = "FI"
    rules: Rules = field(default_factory=Rules.shipped, repr=False)
    rules_notice_days: int = 14  # notice this many days before a dated rule blocks numbers
    # Now (UTC, ISO 8601) for every workspace's inventory: what "today" is when rules with
    # dates are judged. Not read from the environment: only code (the tests) may set it.
    clock: Callable[[], str] = field(default=utcnow, repr=False, compare=False)

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    def require_slack(self) -> None:
        """Stop with one clear line when what running against Slack needs is missing."""
        if not self.bot_token:
            raise ConfigError(f"SLACK_BOT_TOKEN is not set ({SETUP_HINT}).")
        if not self.bot_token.startswith("xoxb-"):
            raise ConfigError("SLACK_BOT_TOKEN must be a bot token starting with xoxb-.")
        if self.app_token and not self.app_token.startswith("xapp-"):
            raise ConfigError("SLACK_APP_TOKEN must be an app-level token starting with xapp-.")
        if not self.app_token and not self.signing_secret:
            raise ConfigError(
                f"SLACK_SIGNING_SECRET is not set; HTTP mode needs it ({SETUP_HINT})."
            )


def load_settings(env: dict[str, str] | None = None, dotenv: bool = True) -> Settings:
    if env is None:
        if dotenv:
            load_dotenv(Path.cwd() / ".env", override=False)
        env = dict(os.environ)

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    port_text = get("PORT") or "3000"
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"PORT must be a port number (1-65535), not {port_text!r}.")

    managers = frozenset(m.strip() for m in (get("NUMBERS_MANAGERS") or "").split(",") if m.strip())
    for m in managers:
        if not _USER_ID.match(m):
            raise ConfigError(f"NUMBERS_MANAGERS: {m!r} is not a Slack user id (like U0123ABCD).")

    channel = get("NUMBERS_NOTIFY_CHANNEL")
    if channel and not _CHANNEL_ID.match(channel):
        raise ConfigError(
            f"NUMBERS_NOTIFY_CHANNEL must be a channel id (like C0123ABCD), not {channel!r}."
        )

    digest = get("NUMBERS_DIGEST_TIME") or "08:00"
    match = _TIME.match(digest)
    if not match:
        raise ConfigError(f"NUMBERS_DIGEST_TIME must be HH:MM in UTC (like 08:00), not {digest!r}.")

    region_text = get("NUMBERS_DEFAULT_REGION") or "FI"
    region = region_text.upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(
            f"NUMBERS_DEFAULT_REGION: {region_text!r} is not a two-letter country code "
            "like FI or DE."
        )

    api_url = get("SLACK_API_URL")
    if api_url:
        if not re.match(r"^https?://", api_url):
            raise ConfigError(f"SLACK_API_URL must be an http(s) URL, not {api_url!r}.")
        if not api_url.endswith("/"):
            api_url += "/"

    rules_file = get("NUMBERS_RULES_FILE")
    try:
        rules = Rules.from_file(rules_file) if rules_file else Rules.shipped()
    except RulesError as exc:
        raise ConfigError(f"NUMBERS_RULES_FILE: {exc}") from None
    except OSError as exc:
        raise ConfigError(
            f"NUMBERS_RULES_FILE: cannot read {rules_file}: {exc.strerror}."
        ) from None

    notice_days = get("NUMBERS_RULES_NOTICE_DAYS") or "14"
    if not notice_days.isdigit() or int(notice_days) > 365:
        raise ConfigError(
            f"NUMBERS_RULES_NOTICE_DAYS must be a number of days (0-365), not {notice_days!r}."
        )

    return Settings(
        bot_token=get("SLACK_BOT_TOKEN"),
        signing_secret=get("SLACK_SIGNING_SECRET"),
        app_token=get("SLACK_APP_TOKEN"),
        api_url=api_url,
        port=int(port_text),
        data_dir=Path(get("NUMBERS_DATA_DIR") or "data"),
        managers=managers,
        notify_channel=channel,
        digest_time=(int(match.group(1)), int(match.group(2))),
        default_region=region,
        rules=rules,
        rules_notice_days=int(notice_days),
    )
