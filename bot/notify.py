"""Notifications: what to tell the team, recorded in an outbox and delivered later.

A notification is plain data (a dict that JSON can hold) in the workspace's
``outbox`` table. It is written in the same transaction as the change that caused
it, so a change on disk always has its alert on disk, and a rolled-back change has
none. A delivery loop then posts each entry through an injected ``send(channel,
data)`` (Slack lives in ``handlers.notifications``) and marks it sent; a failed
post stays with a later ``next_attempt`` (exponential backoff) and is retried.

Entries are claimed with a lease (``next_attempt`` moved past the post, and the
claiming process recorded as its ``holder``) before the post, so two threads or two
processes draining the same outbox never post one entry twice. A stopping bot
releases what it claimed, and a lease whose holder no longer exists (killed, or its
pid now belongs to another process) does not hold the entry: after a restart it is
posted at once. A crash between a successful post and its "sent" mark re-posts it:
at least once, never silently dropped.

Kinds of notification (``data["kind"]``):

- ``digest``: the daily summary of numbers needing attention;
- ``numbers_added``: numbers entered the inventory without the address they need;
- ``address_failing``: an address edit turned linked numbers from OK to not OK.
  Numbers becoming OK again are not announced; the next digest reflects them.
- ``rules_failing``: the rules table changed between two starts of the bot
  (NUMBERS_RULES_FILE) and turned linked numbers from OK to not OK
  (``Notifier.check_rules``, see there for why the rules are remembered rather than
  every number's status);
- ``rules_blocking``: the same rules change turned numbers that campaigns use blocked
  (their presentation verdict, today), per campaign;
- ``rule_notice``: a dated rule will block numbers that campaigns use: ``ahead`` within
  NUMBERS_RULES_NOTICE_DAYS days of its start, and again on the ``day`` it starts, each
  once (``Notifier.queue_rule_notices``: its key is written with the entry);
- ``request_posted``: a new purchase request or mandate, posted to the channel with
  its Approve/Reject buttons; where it was posted (channel, ts) is remembered
  (``data["remember_as"]``) in the same write that marks it sent. Without a
  channel it goes to each manager of NUMBERS_MANAGERS as a direct message instead
  (each DM remembered under its own key, and edited when the request is decided);
- ``request_notice``: the requester's DM about a decision (its "channel" is the
  requester's user id: DMs need no notification channel);
- ``request_update``: the channel post of a decided request, edited (chat.update)
  when its ts was known at the decision; ``request_followup``: a short line in the
  channel instead when it was not (the post had not gone out yet).

Every entry holds a snapshot of what it shows, taken in the change's transaction.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.compliance import Delivery as Presented
from bot.core.compliance import (
    PresentationRule,
    Rule,
    Rules,
    Verdict,
    deliverability,
    verdict,
)
from bot.core.model import Actor, Address, Number, Request, new_id, utcnow
from bot.core.services import Inventory, NumberInfo

log = logging.getLogger(__name__)

SHOWN = 15  # numbers listed by name in one notification; the rest are counted
COUNTRIES_SHOWN = 10
DIGEST_KEY = "notify.digest_date"  # the UTC date of the last digest queued
RULES_KEY = "notify.rule_levels"  # the rule levels the workspace's numbers were last judged by
NOTICE_KEY = "notify.rule_notice"  # + ":RULE:START:ahead|day": a rule notice queued (its day)
CAMPAIGNS_SHOWN = 10  # campaigns named in one rule notice; the rest are counted
KEEP_SENT_DAYS = 14

# send(channel, data) posts; it may return where the message went ({"channel", "ts"}).
Send = Callable[[str, dict], dict | None]


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


def plain_request(request: Request) -> dict:
    return dataclasses.asdict(request)


def request_from_plain(data: dict) -> Request:
    names = {f.name for f in dataclasses.fields(Request)}
    return Request(**{k: v for k, v in data.items() if k in names})


def plain_address(address: Address | None) -> dict | None:
    return dataclasses.asdict(address) if address else None


def address_from_plain(data: dict | None) -> Address | None:
    if data is None:
        return None
    names = {f.name for f in dataclasses.fields(Address)}
    return Address(**{k: v for k, v in data.items() if k in names})


def _listing(infos: list[NumberInfo], every: bool = False) -> dict:
    """The count and the first numbers; with ``every`` also all their E.164s (an alert's
    "Link numbers" button opens the link form holding them)."""
    listing = {
        "count": len(infos),
        "shown": [plain_info(i) for i in infos[:SHOWN]],
        "more": max(0, len(infos) - SHOWN),
    }
    if every:
        listing["numbers"] = [i.e164 for i in infos]
    return listing


def alert_numbers(repo: Any, ref: str) -> list[str] | None:
    """The E.164s an alert was about (its outbox entry id), or None once it is pruned."""
    entry = repo.outbox_get(ref)
    return (entry or {}).get("data", {}).get("numbers")


def digest_data(inventory: Inventory, date: str) -> dict | None:
    """The digest's content, or None when no number needs attention and none is blocked in
    a campaign. Numbers blocked or restricted in at least one campaign are counted."""
    attention = inventory.number_list("attention")
    delivery = inventory.delivery_summary()
    if not attention and not delivery.blocked:
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
        "blocked": len(delivery.blocked),
        "restricted": len(delivery.restricted),
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
    return {"kind": "numbers_added", "by": actor.user_id, **_listing(infos, every=True)}


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
        "address_id": address.id,
        **_listing(failing, every=True),
    }


def rule_levels(rules: Rules) -> dict:
    """What of ``rules`` a verdict depends on: the level per (country, kind) for the
    address verdict; the barred kinds and the presentation rules (with their dates) for
    the presentation verdict. Plain JSON, a few kilobytes."""
    return {
        "defaults": {k: str(v) for k, v in sorted(rules.defaults.items())},
        "rows": {f"{r.country}/{r.kind}": str(r.level) for r in rules.rows},
        "no_caller_id": {f"{c}/{k}": src for (c, k), src in sorted(rules.no_caller_id.items())},
        "presentation": [_plain_rule(p) for p in rules.presentation],
    }


def _plain_rule(rule: PresentationRule) -> dict:
    data = dataclasses.asdict(rule)
    data["kinds"] = sorted(rule.kinds)
    data["prefixes"] = list(rule.prefixes)
    data["starts"] = rule.starts.isoformat() if rule.starts else None
    return data


def _rule_from_plain(data: dict) -> PresentationRule:
    from datetime import date

    return PresentationRule(
        **{
            **data,
            "kinds": frozenset(data["kinds"]),
            "prefixes": tuple(data.get("prefixes") or ()),
            "starts": date.fromisoformat(data["starts"]) if data.get("starts") else None,
        }
    )


def rules_from_levels(levels: dict) -> Rules:
    """A rules table judging as the one ``rule_levels`` described (sources of the address
    rows are not kept)."""
    rows = []
    for key, level in levels.get("rows", {}).items():
        country, _, kind = key.partition("/")
        rows.append(Rule(country, kind, level, "the earlier rules table", "L"))
    barred = {
        tuple(key.split("/", 1)): source for key, source in levels.get("no_caller_id", {}).items()
    }
    return Rules(
        rows,
        dict(levels.get("defaults", {})),
        no_caller_id=barred,
        origin="earlier rules",
        presentation=[_rule_from_plain(p) for p in levels.get("presentation", [])],
    )


def rules_failing_alert(inventory: Inventory, earlier: Rules) -> dict:
    """Data for numbers OK under the ``earlier`` rules and not OK under the current ones."""
    failing = [
        info
        for e164, info in sorted(inventory.views().infos.items())
        if not info.verdict.ok and verdict(info.number, info.address, earlier).ok
    ]
    return {
        "kind": "rules_failing",
        "rules": inventory.rules.origin,
        **_listing(failing, every=True),
    }


def _campaign_listing(found: dict[str, list], campaigns: dict[str, str]) -> dict:
    """Numbers per campaign (campaign name -> [(e164, reason)]), bounded: the campaigns
    named with their first numbers and the reason each shows; the rest counted."""
    listed = []
    for name in sorted(found, key=str.casefold)[:CAMPAIGNS_SHOWN]:
        pairs = found[name]
        listed.append(
            {
                "name": name,
                "count": len(pairs),
                "numbers": [e164 for e164, _ in pairs[:SHOWN]],
                "reasons": sorted({why for _, why in pairs})[:3],
                "origin": campaigns.get(name),
            }
        )
    every = {e164 for pairs in found.values() for e164, _ in pairs}
    return {
        "count": len(every),
        "campaigns": listed,
        "more_campaigns": max(0, len(found) - CAMPAIGNS_SHOWN),
    }


def rules_blocking_alert(inventory: Inventory, earlier: Rules) -> dict:
    """Data for numbers campaigns use that the current rules block (today) and the
    ``earlier`` rules did not: a rules change turned them blocked."""
    today = inventory.today()
    found: dict[str, list] = {}
    origins: dict[str, str] = {}
    infos = inventory.views().infos
    for campaign in inventory.campaign_list():
        for e164, p in inventory.campaign_verdicts(campaign, today).items():
            if p.status != Presented.BLOCKED or e164 not in infos:
                continue
            before = deliverability(
                infos[e164].number, campaign.origin, campaign.purpose, today, earlier
            )
            if before.status != Presented.BLOCKED:
                found.setdefault(campaign.name, []).append((e164, p.reason))
                origins[campaign.name] = campaign.origin
    return {
        "kind": "rules_blocking",
        "rules": inventory.rules.origin,
        **_campaign_listing(found, origins),
    }


def rule_notices(inventory: Inventory, days: int) -> list[tuple[str, dict]]:
    """The notices a dated rule calls for today, with the key each is remembered by:
    ``ahead`` when it will start to block numbers campaigns use within ``days`` days,
    ``day`` on the day it starts. One per rule, start and kind of notice."""
    today = inventory.today()
    grouped: dict[str, dict] = {}
    for u in inventory.upcoming_blocks(days, today):
        when = "day" if u.days == 0 else "ahead"
        p = u.presentation
        rule = f"{p.rule}/{u.info.number.country}/{zlib.crc32(p.source.encode()):08x}"
        key = f"{NOTICE_KEY}:{rule}:{u.starts.isoformat()}:{when}"
        entry = grouped.setdefault(
            key,
            {"when": when, "starts": u.starts.isoformat(), "days": u.days, "found": {}},
        )
        entry["found"].setdefault(u.campaign.name, []).append((u.info.e164, p.reason))
    notices = []
    for key, entry in grouped.items():
        found = entry.pop("found")
        data = {"kind": "rule_notice", "date": today.isoformat(), **entry}
        notices.append((key, {**data, **_campaign_listing(found, {})}))
    return notices


# ----------------------------------------------------------------------- the outbox
def queue(repo: Any, channel: str, data: dict, now: float | None = None) -> str:
    """Record a notification for ``channel``; call inside the change's transaction.

    An entry listing numbers gets ``data["ref"]``, its own id: a button of its message
    refers to the numbers by it (they may not fit the button's value)."""
    entry_id = new_id()
    if "numbers" in data:
        data = {**data, "ref": entry_id}
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


def dm_key(message_key: str, manager: str) -> str:
    """Where a request's DM to one manager went (the key/value store's key)."""
    return f"{message_key}:{manager}"


class Notifier:
    """Turns an inventory's changes into outbox entries for one channel.

    ``attach(inventory)`` makes every later change that needs an alert record it in
    the change's own transaction; ``on_queued`` (if set) is called after, so a
    delivery loop in this process can post at once instead of at its next tick.
    """

    def __init__(self, channel: str | None, managers: Iterable[str] = ()) -> None:
        self.channel = channel
        # Without a channel, new requests reach these managers (user ids) by DM.
        self.managers: tuple[str, ...] = tuple(sorted(managers))
        self.on_queued: Callable[[], None] | None = None

    def attach(self, inventory: Inventory) -> None:
        # Always: a requester's DM needs no channel; channel alerts check self.channel.
        if self._listen not in inventory.listeners:
            inventory.listeners.append(self._listen)

    def _listen(self, inventory: Inventory, event: str, actor: Actor, data: dict) -> None:
        if event.startswith("request."):
            if self._request_messages(inventory.repo, event, data, actor.user_id):
                self._queued()
            return
        if event == "numbers.added":
            alert = numbers_added_alert(inventory, actor, data["numbers"])
        elif event == "address.edited":
            alert = address_failing_alert(inventory, actor, data["before"], data["address"])
        else:
            return
        if alert["count"] and self.channel:
            queue(inventory.repo, self.channel, alert)
            self._queued()

    def _queued(self) -> None:
        if self.on_queued:
            self.on_queued()

    def _request_messages(self, repo: Any, event: str, data: dict, by: str = "") -> int:
        """Queue what a request change tells (inside its transaction); how many entries.

        ``request.created``: the channel post with the buttons. ``request.decided``:
        the requester's DM, and the channel post edited when where it went is known
        (``data["message"]``); else (not posted yet, or posting right now) a short
        follow-up line in the channel, so the channel always hears of the decision.
        Nobody (``by``: who made the change) gets a new DM about what they did themselves.
        """
        request: Request = data["request"]
        snapshot = {
            "request": plain_request(request),
            "address": plain_address(data.get("address")),
        }
        count = 0
        key = data["message_key"]
        if event == "request.created":
            if self.channel:
                queue(
                    repo, self.channel, {"kind": "request_posted", "remember_as": key, **snapshot}
                )
                count += 1
            else:
                for manager in self.managers:
                    if manager == by:
                        continue
                    post = {"kind": "request_posted", "remember_as": dm_key(key, manager)}
                    queue(repo, manager, {**post, **snapshot})
                    count += 1
            return count
        if event != "request.decided":
            return 0
        if request.requested_by != by:
            queue(repo, request.requested_by, {"kind": "request_notice", **snapshot})
            count += 1
        where = data.get("message")
        if where and where.get("ts"):
            update = {"kind": "request_update", "ts": where["ts"], **snapshot}
            queue(repo, where.get("channel") or self.channel, update)
            count += 1
        elif self.channel:
            queue(repo, self.channel, {"kind": "request_followup", **snapshot})
            count += 1
        else:  # the managers' DMs: edited where they went out, else a line after them
            for manager in self.managers:
                dm = repo.get_value(dm_key(key, manager))
                if dm and dm.get("ts"):
                    update = {"kind": "request_update", "ts": dm["ts"], **snapshot}
                    queue(repo, dm.get("channel") or manager, update)
                elif manager in (by, request.requested_by):
                    continue  # they did it, or hear of it as the requester
                else:
                    queue(repo, manager, {"kind": "request_followup", **snapshot})
                count += 1
        return count

    def check_rules(self, inventory: Inventory) -> str | None:
        """At start-up: alert once about linked numbers a rules change made not OK.

        Rules change only when the bot starts (NUMBERS_RULES_FILE), so what the
        workspace remembers is the rule *levels* its numbers were last judged by
        (a few hundred bytes), not every number's status: numbers OK under the
        remembered rules and not OK under the current ones, with the data as it is
        now, are exactly the ones the rules change broke. Address edits, unlinks and
        removals meanwhile judge the same under both tables, so they never show up
        here (the address-edit alert stays the only one for an edit), and no change
        path has to keep a per-number status up to date. The new levels are stored
        in the alert's transaction: one alert, not again at the next start. The first
        start of a workspace only records the levels. Returns the entry id, if any.
        """
        repo = inventory.repo
        current = rule_levels(inventory.rules)
        if repo.get_value(RULES_KEY) == current:
            return None
        entry_id = None
        with repo.transaction():
            stored = repo.get_value(RULES_KEY)
            if stored == current:
                return None
            if stored is not None and self.channel:
                earlier = rules_from_levels(stored)
                alert = rules_failing_alert(inventory, earlier)
                if alert["count"]:
                    entry_id = queue(repo, self.channel, alert)
                # Presentation rules: only when the earlier ones were recorded (a workspace
                # of before them has nothing to compare with).
                if "presentation" in stored:
                    blocking = rules_blocking_alert(inventory, earlier)
                    if blocking["count"]:
                        entry_id = queue(repo, self.channel, blocking) or entry_id
            repo.set_value(RULES_KEY, current)
        return entry_id

    def queue_rule_notices(self, inventory: Inventory, days: int) -> list[str]:
        """Queue the notices dated rules call for today (see ``rule_notices``), each once:
        its key is written in the same transaction as its outbox entry, so a restart
        never posts one twice. Returns the entry ids."""
        if not self.channel:
            return []
        repo = inventory.repo
        due = [(k, d) for k, d in rule_notices(inventory, days) if repo.get_value(k) is None]
        if not due:
            return []
        queued = []
        with repo.transaction():
            for key, data in due:
                if repo.get_value(key) is None:  # not queued meanwhile by another process
                    queued.append(queue(repo, self.channel, data))
                    repo.set_value(key, data["date"])
        if queued:
            self._queued()
        return queued

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


# ----------------------------------------------------------------------- leases
def _boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip()
    except OSError:
        return ""


def _start_time(pid: int) -> int | None:
    """When ``pid`` started (clock ticks since boot), or None when there is no such
    process (or no /proc); a zombie counts as gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] == b"Z":
        return None
    return int(fields[19])


def process_identity(pid: int | None = None) -> dict:
    """Who holds a lease: host, boot, pid and the pid's start time (a pid reused by a
    later process is then not taken for the holder)."""
    pid = os.getpid() if pid is None else pid
    return {"host": socket.gethostname(), "boot": _boot_id(), "pid": pid, "start": _start_time(pid)}


def holder_alive(holder: Any) -> bool:
    """Whether the process that claimed an entry may still be posting it. A holder on
    another host cannot be checked: its lease runs out by time."""
    if not isinstance(holder, dict) or holder.get("host") != socket.gethostname():
        return True
    if holder.get("boot") and holder["boot"] != _boot_id():
        return False  # the machine restarted since
    pid = holder.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return True
    if os.path.isdir("/proc"):
        return _start_time(pid) == holder.get("start")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def release(repo: Any, entry_id: str, clock: Callable[[], float] = time.time) -> None:
    """Give a claimed entry back (a stopping bot): due at once, held by nobody."""
    with repo.transaction():
        entry = repo.outbox_get(entry_id)
        if entry and not entry.get("sent_at"):
            repo.outbox_defer(entry_id, clock(), holder=None)


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
    claims: set[str] | None = None,
) -> Delivery:
    """Post every due entry of one workspace's outbox, oldest first; never raises for a post.

    Each entry is claimed (``next_attempt`` pushed ``lease`` seconds ahead) in one
    transaction, posted, then marked sent in another; a failure sets the next
    attempt after a backoff that doubles with every failed attempt. When the entry
    asks for it (``data["remember_as"]``), where the post went (what ``send``
    returned) is stored under that key in the same write as the "sent" mark.

    The claim records its holder (``process_identity``): an entry claimed by a process
    that no longer exists is due at once, whatever its lease says. ``claims`` (if given)
    holds the ids claimed and not yet settled, for a stopping worker to release.
    """
    result = Delivery()
    tried: set[str] = set()
    me = process_identity()
    while not (stop and stop.is_set()):
        with repo.transaction():
            now = clock()
            due = [
                e
                for e in repo.outbox_pending(float("inf"))
                if e["id"] not in tried
                and (
                    e["next_attempt"] <= now or (e.get("holder") and not holder_alive(e["holder"]))
                )
            ]
            if not due:
                break
            entry = due[0]
            repo.outbox_defer(entry["id"], now + lease, holder=me)
        tried.add(entry["id"])
        if claims is not None:
            claims.add(entry["id"])
        try:
            posted = send(entry["channel"], entry["data"])
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
            if claims is not None:
                claims.discard(entry["id"])
            result.failed.append(entry["id"])
            continue
        with repo.transaction():
            repo.outbox_mark_sent(entry["id"], utcnow())
            remember = entry["data"].get("remember_as")
            if remember and isinstance(posted, dict) and posted.get("ts"):
                repo.set_value(remember, {"channel": posted.get("channel"), "ts": posted["ts"]})
        if claims is not None:
            claims.discard(entry["id"])
        result.sent.append(entry["id"])
    return result
