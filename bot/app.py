"""Building the Bolt app: the Slack client, the middleware, every listener."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.bootstrap import Workspaces
from bot.config import ConfigError, Settings
from bot.permissions import Roles

log = logging.getLogger(__name__)


def web_client(settings: Settings) -> WebClient:
    """A client that retries rate limits (honouring Retry-After), 5xx and lost connections."""
    kwargs = {"base_url": settings.api_url} if settings.api_url else {}
    return WebClient(
        token=settings.bot_token,
        timeout=10,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=2),
            ConnectionErrorRetryHandler(max_retry_count=2),
        ],
        **kwargs,
    )


class _WithoutBody(logging.Filter):
    """Bolt logs a refused signature with the whole body: keep one line without it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Invalid request signature detected"):
            record.msg, record.args = "Invalid request signature detected (body not logged)", ()
        return True


def quiet_signature_failures() -> None:
    logger = logging.getLogger("slack_bolt.RequestVerification")
    if not any(isinstance(f, _WithoutBody) for f in logger.filters):
        logger.addFilter(_WithoutBody())


def admin_lookup(client: WebClient):
    def is_admin(team_id: str, user_id: str) -> bool:
        user = client.users_info(user=user_id)["user"]
        # An admin of another workspace (Slack Connect, another workspace of the org) is
        # no admin here.
        if user.get("team_id") != team_id:
            return False
        return bool(user.get("is_admin") or user.get("is_owner"))

    return is_admin


def build_app(settings: Settings, workspaces: Workspaces | None = None) -> App:
    from handlers import register

    settings.require_slack()
    client = web_client(settings)
    try:
        client.auth_test()  # fails fast, and clearly, on a bad token or an unreachable API
    except SlackApiError as exc:
        raise ConfigError(
            f"Slack refused SLACK_BOT_TOKEN ({exc.response.get('error', 'unknown error')}); "
            "copy the Bot User OAuth Token again (README, “Create the Slack app”)."
        ) from None
    except OSError as exc:
        where = settings.api_url or "slack.com"
        raise ConfigError(f"Cannot reach Slack's Web API at {where}: {exc}") from None
    quiet_signature_failures()
    app = App(
        client=client,
        signing_secret=settings.signing_secret or "",
        process_before_response=False,
        token_verification_enabled=False,  # done just above
        logger=logging.getLogger("slack_bolt"),
    )
    workspaces = workspaces or Workspaces(settings)
    for team_id in workspaces.team_ids():
        # Open every database now: a damaged one stops start-up with one line (a
        # StorageFailure) instead of failing each request later.
        workspaces.inventory(team_id)
    roles = Roles(settings.managers, admin_lookup(client))
    register(app, workspaces, roles, settings)
    return app
