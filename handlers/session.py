"""Per-request context: which workspace, who asks, and their role (decided lazily)."""

from __future__ import annotations

import logging
from functools import cached_property
from typing import TYPE_CHECKING

from slack_bolt import BoltResponse

from bot.core.auditing import require_manager
from bot.core.model import Actor
from bot.core.services import Inventory
from bot.permissions import Roles

if TYPE_CHECKING:  # the composition root builds the sessions' Workspaces
    from bot.bootstrap import Workspaces

log = logging.getLogger(__name__)


class Session:
    def __init__(self, workspaces: Workspaces, roles: Roles, team_id: str, user_id: str) -> None:
        self.workspaces = workspaces
        self.roles = roles
        self.team_id = team_id
        self.user_id = user_id

    @cached_property
    def inventory(self) -> Inventory:
        return self.workspaces.inventory(self.team_id)

    @cached_property
    def actor(self) -> Actor:
        return self.roles.actor(self.team_id, self.user_id, self.inventory.grants())

    def require_manager(self, doing: str) -> None:
        """Refuse early (before a form opens) what the services would refuse on submit."""
        require_manager(self.actor, doing)


NO_WORKSPACE = (
    "numbers-bot keeps its data per Slack workspace, and this request names none "
    "(an organisation-wide request?). Use /numbers from within a workspace."
)


def _workspace(context, body: dict) -> str:
    """The request's workspace: its team, else the acting user's own workspace. Never
    the enterprise id (that is no workspace: its file would mix the org's workspaces)."""
    if context.team_id:
        return context.team_id
    user = body.get("user") if isinstance(body, dict) else None
    if isinstance(user, dict) and isinstance(user.get("team_id"), str):
        return user["team_id"]
    return ""


def session_middleware(workspaces: Workspaces, roles: Roles):
    def middleware(context, body, next):  # noqa: A002 - Bolt passes `next` by name
        team_id = _workspace(context, body)
        if not team_id:
            log.warning(
                "refused a request without a workspace (enterprise %s)", context.enterprise_id
            )
            return BoltResponse(status=200, body=NO_WORKSPACE)
        context["session"] = Session(workspaces, roles, team_id, context.user_id or "")
        return next()

    return middleware
