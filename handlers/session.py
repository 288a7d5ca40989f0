"""Per-request context: which workspace, who asks, and their role (decided lazily)."""

from __future__ import annotations

import logging
from functools import cached_property

from bot.bootstrap import Workspaces
from bot.model import Actor
from bot.permissions import Roles
from bot.services import Inventory

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
        self.inventory.require_manager(self.actor, doing)


def session_middleware(workspaces: Workspaces, roles: Roles):
    def middleware(context, next):  # noqa: A002 - Bolt passes `next` by name
        team_id = context.team_id or context.enterprise_id or ""
        context["session"] = Session(workspaces, roles, team_id, context.user_id or "")
        return next()

    return middleware
