"""The domain: plain data, no Slack, no database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


SOURCES = ("purchase", "mandate", "import", "slack")


@dataclass(slots=True)
class Address:
    id: str
    name: str
    customer_name: str
    street: str
    postal_code: str
    city: str
    country: str
    region: str = ""
    created_by: str = ""
    created_at: str = ""
    updated_at: str = ""

    def one_line(self) -> str:
        parts = [self.street, f"{self.postal_code} {self.city}".strip(), self.region, self.country]
        return ", ".join(p for p in parts if p)


@dataclass(slots=True)
class Number:
    e164: str
    country: str
    kind: str
    area: str = ""
    area_names: tuple[str, ...] = ()
    address_id: str | None = None
    label: str = ""
    source: str = "import"
    status: str = "active"
    added_by: str = ""
    added_at: str = ""
    area_confirmed_by: str | None = None


@dataclass(slots=True)
class Group:
    id: str
    name: str
    numbers: list[str] = field(default_factory=list)


PURPOSES = ("sales", "service")  # what a campaign's calls are for (presentation rules)


@dataclass(slots=True)
class Campaign:
    id: str
    name: str
    numbers: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # group ids
    # Where the campaign's calls enter the phone network: an ISO country, or None for
    # each number's own country (a local carrier per country: no anti-spoofing block).
    origin: str | None = None
    purpose: str = "sales"  # one of PURPOSES


@dataclass(slots=True)
class Agent:
    id: str
    name: str
    slack_user: str | None = None
    caller_id: str | None = None


@dataclass(slots=True)
class Request:
    id: str
    kind: str  # purchase | mandate
    details: dict
    requested_by: str
    requested_at: str
    status: str = "pending"  # pending -> approved -> fulfilled | rejected
    decided_by: str | None = None
    decided_at: str | None = None
    reason: str = ""
    numbers: list[str] = field(default_factory=list)


@dataclass
class AuditEntry:
    at: str
    who: str
    action: str
    subject: str
    before: dict | None = None
    after: dict | None = None


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is asking, and whether they hold the manager role (decided in bot.permissions)."""

    user_id: str
    is_manager: bool = False
