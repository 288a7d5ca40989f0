"""The one place that decides who holds the manager role.

Managers are the user ids of NUMBERS_MANAGERS, the workspace's admins and
owners (asked of Slack, cached briefly), and users granted the role with
`/numbers access grant`. Services refuse changes by non-managers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from bot.core.model import Actor

log = logging.getLogger(__name__)

ADMIN_CACHE_SECONDS = 300.0


class Roles:
    def __init__(
        self,
        managers: frozenset[str] = frozenset(),
        is_admin: Callable[[str, str], bool] | None = None,
        cache_seconds: float = ADMIN_CACHE_SECONDS,
    ) -> None:
        self.managers = managers
        self._is_admin = is_admin
        self._cache_seconds = cache_seconds
        self._cache: dict[tuple[str, str], tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def actor(self, team_id: str, user_id: str, grants: set[str]) -> Actor:
        manager = user_id in self.managers or user_id in grants or self._admin(team_id, user_id)
        return Actor(user_id=user_id, is_manager=manager)

    def _admin(self, team_id: str, user_id: str) -> bool:
        if self._is_admin is None:
            return False
        key = (team_id, user_id)
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key)
        if cached and now - cached[0] < self._cache_seconds:
            return cached[1]
        try:
            admin = bool(self._is_admin(team_id, user_id))
        except Exception:  # Slack unreachable: no admin right rather than no answer
            log.warning("could not look up whether %s is an admin", user_id, exc_info=True)
            return False
        with self._lock:
            self._cache[key] = (now, admin)
        return admin
