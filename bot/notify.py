"""Notifications: what to tell the team, recorded in an outbox and delivered later.

A notification is plain data (a dict that JSON can hold) in the workspace's
``outbox`` table. It is written in the same transaction as the change that caused
it, so a change on disk always has its alert on disk, and a rolled-back change has
none. A delivery loop then posts each entry through an injected ``send(channel,
data)`` (Slack lives in ``handlers.notifications``) and marks it sent; a failed
post stays with a later ``next_attempt`` (exponential backoff) and is retried.

Entries are claimed with a lease (``next_attempt`` moved past the post) before the
post, so two threads or two processes draining the same outbox never post one
entry twice. A crash between a successful post and its "sent" mark re-posts it
once the lease runs out: at least once, never silently dropped.

Kinds of notification (``data["kind"]``):

- ``digest``: the daily summary of numbers needing attention;
- ``numbers_added``: numbers entered the inventory without the address they need;
- ``address_failing``: an address edit turned linked numbers from OK to not OK.
  Numbers becoming OK again are not announced; the next digest reflects them.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.compliance import Verdict, verdict
from bot.model import Actor, Address, Number, new_id, utcnow
from bot.services import Inventory, NumberInfo

log = logging.getLogger(__name__)

SHOWN = 15  # numbers listed by name in one notification; the rest are counted
COUNTRIES_SHOWN = 10
DIGEST_KEY = "notify.digest_date"  # the UTC date of the last digest queued
KEEP_SENT_DAYS = 14

Send = Callable[[str, dict], None]


class DeliveryError(Exception):
    """A post that failed; ``retry_after`` (seconds) when Slack said when to come back."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# ----------------------------------------------------------------------- plain data
def plain_info(info: NumberInfo) -> dict:
    """A number with its address and verdict, as JSON-able data."""
    number = dataclasses.asdict(info.number)
    number["area_names"] = list(number.get("area_names") or ())
    v = info.verdict
    return {
        "number": number,
        "address": dataclasses.asdict(info.address) if info.address else None,
        "verdict": {"status": v.status, "reason": v.reason, "level": v.level, "source": v.source},
    }


def info_from_plain(data: dict) -> NumberInfo:
    """The ``NumberInfo`` that ``plain_info`` recorded (as it was when queued)."""
    names = {f.name for f in dataclasses.fields(Number)}
    number = {k: v for k, v in data["number"].items() if k in names}
    number["area_names"] = tuple(number.get("area_names") or ())
    address = data.get("address")
    if address is not None:
        fields = {f.name for f in dataclasses.fields(Address)}
        address = Address(**{k: v for k, v in address.items() if k in fields})
    v = data["verdict"]
    return NumberInfo(
        Number(**number), address, Verdict(v["status"], v["reason"], v["level"], v["source"])
    )


def _listing(infos: list[NumberInfo]) -> dict:
    return {
        "count": len(infos),
        "shown": [plain_info(i) for i in infos[:SHOWN]],
        "more": max(0, len(infos) - SHOWN),
    }


def digest_data(inventory: Inventory, date: str) -> dict | None:
    """The digest's content, or None when no number needs attention."""
    attention = inventory.numbers("attention")
    if not attention:
        return None
    by_status = Counter(i.verdict.status for i in attention)
    by_country = Counter(i.number.country for i in attention)
    countries = by_country.most_common()
    return {
        "kind": "digest",
        "date": date,
        "total": inventory.summary().total,
        "by_status": dict(by_status.most_common()),
        "by_country": dict(countries[:COUNTRIES_SHOWN]),
        "other_countries": sum(n for _, n in countries[COUNTRIES_SHOWN:]),
        **_listing(attention),
    }


def numbers_added_alert(inventory: Inventory, actor: Actor, numbers: Iterable[Number]) -> dict:
    """Data for new numbers lacking the address they need (None-free only if some do)."""
    infos = []
    for n in sorted(numbers, key=lambda n: n.e164):
        address = inventory.repo.addresses.get(n.address_id) if n.address_id else None
        v = verdict(n, address, inventory.rules)
        if not v.ok:
            infos.append(NumberInfo(n, address, v))
    return {"kind": "numbers_added", "by": actor.user_id, **_listing(infos)}


def address_failing_alert(
    inventory: Inventory, actor: Actor, before: dict[str, NumberInfo], address: Address
) -> dict:
    """Data for linked numbers that were OK before ``address`` was edited and are not now."""
    failing = []
    for e164 in sorted(before):
        old = before[e164]
        if not old.verdict.ok:
            continue
        now = verdict(old.number, address, inventory.rules)
        if not now.ok:
            failing.append(NumberInfo(old.number, address, now))
    return {
        "kind": "address_failing",
        "by": actor.user_id,
        "address": address.name,
        **_listing(failing),
    }


# ----------------------------------------------------------------------- the outbox
def queue(repo: Any, channel: str, data: dict, now: float | None = None) -> str:
    """Record a notification for ``channel``; call inside the change's transaction."""
    entry_id = new_id()
    repo.outbox_add(
        {
            "id": entry_id,
            "channel": channel,
            "data": data,
            "created_at": utcnow(),
            "next_attempt": time.time() if now is None else now,
            "attempts": 0,
            "last_error": None,
            "sent_at": None,
        }
    )
    return entry_id


class Notifier:
    """Turns an inventory's changes into outbox entries for one channel.

    ``attach(inventory)`` makes every later change that needs an alert record it in
    the change's own transaction; ``on_queued`` (if set) is called after, so a
    delivery loop in this process can post at once instead of at its next tick.
    """

    def __init__(self, channel: str | None) -> None:
        self.channel = channel
        self.on_queued: Callable[[], None] | None = None

    def attach(self, inventory: Inventory) -> None:
        if self.channel and self._listen not in inventory.listeners:
            inventory.listeners.append(self._listen)

    def _listen(self, inventory: Inventory, event: str, actor: Actor, data: dict) -> None:
        if event == "numbers.added":
            alert = numbers_added_alert(inventory, actor, data["numbers"])
        elif event == "address.edited":
            alert = address_failing_alert(inventory, actor, data["before"], data["address"])
        else:
            return
        if alert["count"] and self.channel:
            queue(inventory.repo, self.channel, alert)
            if self.on_queued:
                self.on_queued()

    def queue_digest(
        self, inventory: Inventory, today: str, force: bool = False
    ) -> tuple[str | None, dict | None]:
        """Queue today's digest unless one was already queued today (or ``force``).

        The date is recorded in the same transaction as the entry, so a restart
        around the digest time never posts a second one. Returns (entry id, data);
        (None, None) when already done today, (None, None) too when nothing needs
        attention (then the day counts as done).
        """
        repo = inventory.repo
        with repo.transaction():
            if not force and repo.get_value(DIGEST_KEY) == today:
                return None, None
            data = digest_data(inventory, today)
            entry_id = queue(repo, self.channel, data) if data and self.channel else None
            repo.set_value(DIGEST_KEY, today)
            cutoff = (datetime.now(UTC) - timedelta(days=KEEP_SENT_DAYS)).isoformat()
            repo.outbox_prune(cutoff)
        return entry_id, data


def digest_due(now: datetime, digest_time: tuple[int, int]) -> str | None:
    """Today's UTC date (YYYY-MM-DD) once the digest time has passed today, else None."""
    now = now.astimezone(UTC)
    hour, minute = digest_time
    if (now.hour, now.minute) >= (hour, minute):
        return now.date().isoformat()
    return None


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Seconds before retry ``attempts`` (1, 2, …): base, 2·base, 4·base, … up to cap."""
    return min(cap, base * 2 ** max(0, attempts - 1))


@dataclasses.dataclass
class Delivery:
    sent: list[str] = dataclasses.field(default_factory=list)
    failed: list[str] = dataclasses.field(default_factory=list)


def deliver(
    repo: Any,
    send: Send,
    *,
    backoff: float = 5.0,
    max_backoff: float = 3600.0,
    lease: float = 300.0,
    clock: Callable[[], float] = time.time,
    stop: threading.Event | None = None,
) -> Delivery:
    """Post every due entry of one workspace's outbox, oldest first; never raises for a post.

    Each entry is claimed (``next_attempt`` pushed ``lease`` seconds ahead) in one
    transaction, posted, then marked sent in another; a failure sets the next
    attempt after a backoff that doubles with every failed attempt.
    """
    result = Delivery()
    tried: set[str] = set()
    while not (stop and stop.is_set()):
        with repo.transaction():
            now = clock()
            due = [e for e in repo.outbox_pending(now) if e["id"] not in tried]
            if not due:
                break
            entry = due[0]
            repo.outbox_defer(entry["id"], now + lease)
        tried.add(entry["id"])
        try:
            send(entry["channel"], entry["data"])
        except Exception as exc:
            attempts = entry.get("attempts", 0) + 1
            wait = backoff_seconds(attempts, backoff, max_backoff)
            retry_after = getattr(exc, "retry_after", None)
            if retry_after:
                wait = max(wait, float(retry_after))
            log.warning(
                "notification %s (%s) not posted, attempt %d, retry in %.0f s: %s",
                entry["id"],
                entry["data"].get("kind"),
                attempts,
                wait,
                exc,
            )
            with repo.transaction():
                repo.outbox_defer(entry["id"], clock() + wait, error=str(exc) or type(exc).__name__)
            result.failed.append(entry["id"])
            continue
        with repo.transaction():
            repo.outbox_mark_sent(entry["id"], utcnow())
        result.sent.append(entry["id"])
    return result


# ----------------------------------------------------------------------- the command line
def post_digests(settings: Any, team: str | None) -> int:
    """`numbers-bot digest`: queue and post the digest of one or every workspace now.

    Also posts whatever else is waiting in the outbox. Exit code 0 when everything
    was posted, 1 when something is left for the bot to retry, 2 without a channel.
    """
    import sys

    from bot.bootstrap import Workspaces

    if not settings.notify_channel:
        print(
            "numbers-bot: NUMBERS_NOTIFY_CHANNEL is not set: there is no channel to post to.",
            file=sys.stderr,
        )
        return 2
    # The entry point wires Slack in, as build_app does for the running bot.
    from bot.app import web_client
    from handlers.notifications import slack_sender

    send = slack_sender(web_client(settings))
    workspaces = Workspaces(settings)
    teams = [team.upper()] if team else workspaces.team_ids()
    notifier = Notifier(settings.notify_channel)
    today = datetime.now(UTC).date().isoformat()
    code = 0
    for team_id in teams:
        inventory = workspaces.inventory(team_id)
        entry_id, data = notifier.queue_digest(inventory, today, force=True)
        delivery = deliver(inventory.repo, send, backoff=1.0)
        if data is None:
            print(f"{team_id}: nothing needs attention, no digest posted.")
        elif entry_id in delivery.sent:
            print(f"{team_id}: digest posted ({data['count']} numbers need attention).")
        if delivery.failed:
            print(
                f"{team_id}: {len(delivery.failed)} notification(s) could not be posted; "
                "the running bot retries them.",
                file=sys.stderr,
            )
            code = 1
    return code
