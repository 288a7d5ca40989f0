"""The Slack side of the composition root: the Web API client, the Bolt app.

``bot.bootstrap.build_runtime`` calls these and wires the listeners in.
"""

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

from bot.config import ConfigError, Settings

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


def verified_client(settings: Settings) -> WebClient:
    """The Web API client, its token checked with auth.test (fails fast, and clearly, on
    a bad token or an unreachable API)."""
    settings.require_slack()
    client = web_client(settings)
    try:
        client.auth_test()
    except SlackApiError as exc:
        raise ConfigError(
            f"Slack refused SLACK_BOT_TOKEN ({exc.response.get('error', 'unknown error')}); "
            "copy the Bot User OAuth Token again (README, “Create the Slack app”)."
        ) from None
    except OSError as exc:
        where = settings.api_url or "slack.com"
        raise ConfigError(f"Cannot reach Slack's Web API at {where}: {exc}") from None
    return client


def bolt_app(settings: Settings, client: WebClient) -> App:
    """A Bolt app without listeners (``handlers.register`` adds them)."""
    quiet_signature_failures()
    return App(
        client=client,
        signing_secret=settings.signing_secret or "",
        process_before_response=False,
        token_verification_enabled=False,  # verified_client did it
        logger=logging.getLogger("slack_bolt"),
    )
