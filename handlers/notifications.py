"""Notifications in Slack: the digest and alert messages, the delivery worker, `/numbers digest`.

What to notify and the outbox live in ``bot.notify``; this module turns an
outbox entry into a message, posts it with the app's WebClient, and runs the
loop that queues the daily digest and drains the outbox.

Why a small loop and not APScheduler: the bot has one job that runs once a
day, and whether it ran is already kept in the workspace's database (the digest
date, written with the outbox entry), which is what makes "one digest per day
across restarts" true. APScheduler would add a dependency whose job store would
have to be kept in step with that date, and its cron trigger would skip a
digest whose time passed while the bot was down (unless tuned with misfire
grace times). The loop instead asks every tick "is today's digest due and not
yet queued?", so a bot started after the digest time still posts today's once.
The same loop drains the outbox; a change wakes it at once. It is one daemon
thread, stopped with ``stop()`` (tests) and gone with the process. It runs also
without a notification channel: a requester's DMs about decisions go through the
outbox too (no digest is queued then, and no channel alert is recorded). On its
first look at each workspace it checks whether the rules changed since the last
start (``Notifier.check_rules``).

Request messages: the channel post with Approve/Reject is rendered from the
snapshot recorded with the request; its ts is stored when it is marked sent. A
decision edits that post (chat.update) when the ts was known at the decision;
when it was not (Slack was failing, the post still waits in the outbox, or it was
being posted at that very moment) a short follow-up line goes to the channel
instead, so the channel always hears of the decision. A post that arrives after
its request was decided still shows the buttons of the snapshot; a click on them
answers "already decided by …" and changes nothing. An edit Slack refuses for
good (the post was deleted, the bot left the channel) is logged and dropped: the
decision is already in the channel's follow-up or the requester's DM.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import PurePath

from slack_sdk.errors import SlackApiError

from bot import notify
from bot.core.phone import country_name, format_number
from bot.notify import (
    DeliveryError,
    Notifier,
    Send,
    address_from_plain,
    info_from_plain,
    request_from_plain,
)
from handlers import blocks as B
from handlers.mrkdwn import Mrkdwn, md, user
from handlers.router import Call, Later, Reply, subcommand
from handlers.views import requests as RV
from handlers.views.numbers import (
    alert_actions,
    delivery_label,
    number_line,
    starts_text,
    verdict_label,
)

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class WorkerConfig:
    """How often the worker looks (seconds); tests make these short."""

    tick: float = 30.0  # between looks for a due digest and due outbox entries
    backoff: float = 10.0  # first retry after a failed post; doubles each time
    max_backoff: float = 3600.0
    # An entry being posted is not taken by another worker (unless its holder is gone).
    lease: float = 300.0
    clock: Callable[[], datetime] = field(default=_now)


CONFIG = WorkerConfig()


# ----------------------------------------------------------------------- messages
def _number_lines(data: dict) -> list[dict]:
    lines = [number_line(info_from_plain(d)) for d in data.get("shown", [])]
    blocks = B.sections(lines, limit=10)
    if data.get("more"):
        blocks.append(
            B.context(f"… and {data['more']:,} more. `/numbers list attention` shows them all.")
        )
    return blocks


def _link_button(data: dict) -> dict:
    return alert_actions(data)


def digest_message(data: dict) -> dict:
    """The daily digest: counts by verdict and country, the numbers blocked or restricted
    in a campaign, the first numbers needing attention, a link button."""
    count = data["count"]
    blocked, restricted = data.get("blocked", 0), data.get("restricted", 0)
    if count:
        title = f"{count:,} of {data['total']:,} numbers need attention"
    else:
        title = f"{blocked:,} number{'' if blocked == 1 else 's'} will not reach callees"
    statuses = [f"*{verdict_label(s)}*\n{n:,}" for s, n in data["by_status"].items()]
    if blocked or restricted:
        statuses += [
            f"*{delivery_label('blocked')} in a campaign*\n{blocked:,}",
            f"*{delivery_label('restricted')} in a campaign*\n{restricted:,}",
        ]
    countries = [md("{} {:,}", country_name(code), n) for code, n in data["by_country"].items()]
    if data.get("other_countries"):
        countries.append(f"other countries {data['other_countries']:,}")
    blocks = [B.header(f"Daily digest: {title}"), B.fields(statuses)]
    if countries:
        blocks.append(B.section("*By country:* " + " · ".join(countries)))
    if blocked or restricted:
        blocks.append(
            B.context(
                "Calls showing these numbers do not reach callees (blocked) or break a rule "
                "(restricted) in at least one campaign: `/numbers list blocked`, "
                "`/numbers list restricted`."
            )
        )
    if count:
        blocks += [B.divider(), *_number_lines(data), _link_button(data)]
    blocks.append(
        B.context(f"Digest of {data['date']} (UTC). Numbers become OK once linked to an address.")
    )
    return B.message(blocks, f"Numbers digest: {title}")


def _count(count: int, word: str = "number") -> Mrkdwn:
    """ "1 number", "1,200 numbers"."""
    return Mrkdwn(f"{count:,} {word}{'' if count == 1 else 's'}")


def _rules_name(data: dict) -> str:
    """NUMBERS_RULES_FILE without its directory (no server path in a channel)."""
    return PurePath(data.get("rules") or "rules").name


def numbers_added_message(data: dict) -> dict:
    count = data["count"]
    text = f"{_count(count)} lack the address they need"
    blocks = [
        B.section(
            f":warning: {user(data['by'])} added {_count(count)} without the "
            "address they need. Calls showing them as caller ID may be blocked."
        ),
        *_number_lines(data),
        _link_button(data),
    ]
    return B.message(blocks, text)


def address_failing_message(data: dict) -> dict:
    count = data["count"]
    name = data["address"]
    # The fallback text is mrkdwn too (Slack turns <!channel> in it into a ping).
    text = md("{} no longer comply after the address {} changed", _count(count), name)
    blocks = [
        B.section(
            md(
                ":warning: {} edited the address *{}*: {} that were OK no longer are.",
                user(data["by"]),
                name,
                _count(count, "linked number"),
            )
        ),
        *_number_lines(data),
        _link_button(data),
    ]
    return B.message(blocks, text)


def rules_failing_message(data: dict) -> dict:
    count = data["count"]
    text = f"{_count(count)} no longer comply after the compliance rules changed"
    rules = _rules_name(data)
    blocks = [
        B.section(
            md(
                ":warning: The compliance rules changed ({}): {} that were OK no longer are.",
                rules,
                _count(count, "linked number"),
            )
        ),
        *_number_lines(data),
        _link_button(data),
    ]
    return B.message(blocks, text)


def _campaign_lines(data: dict) -> list[dict]:
    """Per campaign: how many of its numbers, the first of them, and the reasons."""
    lines = []
    for c in data.get("campaigns", []):
        numbers = ", ".join(format_number(e) for e in c["numbers"])
        more = c["count"] - len(c["numbers"])
        if more > 0:
            numbers += f" and {more:,} more"
        lines.append(md("• *{}* ({:,}): {}", c["name"], c["count"], Mrkdwn(numbers)))
        lines += [md("    _{}_", why) for why in c.get("reasons", [])]
    if data.get("more_campaigns"):
        lines.append(f"… and {data['more_campaigns']:,} more campaigns.")
    return B.sections(lines, limit=10)


def _day_text(data: dict) -> str:
    """The rule's start as its reasons say it ("Mar 2027"), else the date ("1 Mar 2027")."""
    reasons = [why for c in data.get("campaigns", []) for why in c.get("reasons", [])]
    since = date.fromisoformat(data["starts"])
    return starts_text(reasons[0], since) if reasons else starts_text("", since)


def rule_notice_message(data: dict) -> dict:
    """A dated rule will block (``ahead``) or blocks from today (``day``) numbers that
    campaigns use."""
    count = data["count"]
    numbers = _count(count)
    if data["when"] == "day":
        text = f"From today, {numbers} that campaigns use are blocked by a new rule"
        head = f":no_entry: *From today ({_day_text(data)})*, calls showing {numbers}"
    else:
        days = data["days"]
        text = (
            f"In {_count(days, 'day')}, {numbers} that campaigns use will be blocked by a new rule"
        )
        head = (
            f":calendar: *In {days} day{'' if days == 1 else 's'} "
            f"({_day_text(data)})*, calls showing {numbers}"
        )
    head += " that campaigns use will not reach callees any more:"
    blocks = [
        B.section(head),
        *_campaign_lines(data),
        B.context(
            "Replace them in the campaigns, or let the calls enter the network in the "
            "numbers' own country (`/numbers campaign edit NAME`)."
        ),
    ]
    return B.message(blocks, text)


def rules_blocking_message(data: dict) -> dict:
    count = data["count"]
    text = f"{_count(count)} that campaigns use are blocked after the compliance rules changed"
    blocks = [
        B.section(
            md(
                ":no_entry: The compliance rules changed ({}): "
                "calls showing {} that campaigns use no longer reach callees.",
                _rules_name(data),
                _count(count),
            )
        ),
        *_campaign_lines(data),
    ]
    return B.message(blocks, text)


def request_post_message(data: dict) -> dict:
    """A request in the channel, as it stood when recorded (buttons while undecided)."""
    request = request_from_plain(data["request"])
    blocks, text = RV.request_message(request, address_from_plain(data.get("address")))
    return B.message(blocks, text)


def request_notice_message(data: dict) -> dict:
    return {"text": RV.requester_notice(request_from_plain(data["request"]))}


def request_followup_message(data: dict) -> dict:
    """A decision, when the request's own post could not be edited (its ts was unknown)."""
    r = request_from_plain(data["request"])
    verb = {"approved": "approved", "rejected": "rejected", "fulfilled": "fulfilled"}.get(
        r.status, r.status
    )
    line = md("Request *{}* was {}", r.id, Mrkdwn(verb))
    if r.decided_by:
        line += f" (decided by {user(r.decided_by)})"
    if r.status == "rejected" and r.reason:
        line += md(": _{}_", r.reason)
    elif r.status == "fulfilled":
        line += f": {_count(len(r.numbers))} entered the inventory"
    return B.message([B.section(line + ".")], f"Request {r.id} was {verb}")


BUILDERS: dict[str, Callable[[dict], dict]] = {
    "digest": digest_message,
    "numbers_added": numbers_added_message,
    "address_failing": address_failing_message,
    "rules_failing": rules_failing_message,
    "rules_blocking": rules_blocking_message,
    "rule_notice": rule_notice_message,
    "request_posted": request_post_message,
    "request_update": request_post_message,
    "request_notice": request_notice_message,
    "request_followup": request_followup_message,
}

# chat.update errors that no retry can cure: the edit is dropped (best effort).
FINAL_UPDATE_ERRORS = frozenset(
    {
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "msg_too_long",
        "invalid_blocks",
    }
)


def notification_message(data: dict) -> dict:
    return BUILDERS[data["kind"]](data)


def slack_sender(client) -> Send:
    """``send(channel, data)`` posting with chat.postMessage; raises DeliveryError on failure.

    The client's own retry handlers (rate limits, 5xx, lost connections) run first;
    what still fails goes back to the outbox.
    """

    def send(channel: str, data: dict) -> dict | None:
        message = notification_message(data)
        method = "chat.postMessage"
        try:
            if data["kind"] == "request_update":
                method = "chat.update"
                response = client.chat_update(channel=channel, ts=data["ts"], **message)
            else:
                response = client.chat_postMessage(channel=channel, unfurl_links=False, **message)
            return {"channel": response.get("channel") or channel, "ts": response.get("ts")}
        except SlackApiError as exc:
            response = exc.response
            retry_after = None
            headers = getattr(response, "headers", None) or {}
            for key, value in headers.items():
                if key.lower() == "retry-after":
                    try:
                        retry_after = float(value[0] if isinstance(value, list) else value)
                    except (TypeError, ValueError):
                        retry_after = None
            error = response.get("error") if hasattr(response, "get") else None
            if method == "chat.update" and error in FINAL_UPDATE_ERRORS:
                log.warning("the channel post of a request was not edited: %s", error)
                return None
            raise DeliveryError(f"{method}: {error or exc}", retry_after=retry_after) from exc
        except Exception as exc:  # network errors after the client's retries
            raise DeliveryError(f"{method}: {type(exc).__name__}: {exc}") from exc

    return send


# ----------------------------------------------------------------------- the worker
class NotificationWorker:
    """One daemon thread: queues each workspace's digest when due, drains the outboxes."""

    def __init__(self, workspaces, settings, send: Send, config: WorkerConfig = CONFIG) -> None:
        self.workspaces = workspaces
        self.settings = settings
        self.send = send
        self.config = config
        self.notifier: Notifier = workspaces.notifier
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._rules_checked: set[str] = set()
        # The outbox being drained and the entries claimed there and not yet settled.
        self._claims: tuple[object, set[str]] | None = None
        self._thread = threading.Thread(target=self._run, name="numbers-notify", daemon=True)

    def start(self) -> NotificationWorker:
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 3.0) -> None:
        """Stop; a post still in flight after ``timeout`` is given back to the outbox (the
        next start posts it at once; at least once: Slack may have taken it)."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        claims = self._claims
        if claims is not None:
            repo, ids = claims
            for entry_id in list(ids):
                try:
                    notify.release(repo, entry_id)
                    log.info("notification %s released: it is posted after the restart", entry_id)
                except Exception:
                    log.warning("notification %s not released", entry_id, exc_info=True)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.run_once()
            except Exception:
                log.exception("notification worker: a round failed; trying again later")
            self._wake.wait(self.config.tick)

    def run_once(self) -> None:
        today = notify.digest_due(self.config.clock(), self.settings.digest_time)
        for team_id in self.workspaces.team_ids():
            if self._stop.is_set():
                return
            inventory = self.workspaces.inventory(team_id)
            if team_id not in self._rules_checked:
                self.notifier.check_rules(inventory)
                self._rules_checked.add(team_id)
            if self.notifier.channel:
                self.notifier.queue_rule_notices(inventory, self.settings.rules_notice_days)
            if today and self.notifier.channel:
                self.notifier.queue_digest(inventory, today)
            self.drain(inventory)

    def drain(self, inventory) -> notify.Delivery:
        config = self.config
        claims: set[str] = set()
        self._claims = (inventory.repo, claims)
        return notify.deliver(
            inventory.repo,
            self.send,
            backoff=config.backoff,
            max_backoff=config.max_backoff,
            lease=config.lease,
            clock=time.time,
            stop=self._stop,
            claims=claims,
        )


def notification_worker(
    workspaces, settings, client, config: WorkerConfig | None = None
) -> NotificationWorker:
    """The delivery worker of one app (not started; ``bot.bootstrap.Runtime`` owns it)."""
    return NotificationWorker(workspaces, settings, slack_sender(client), config or CONFIG)


# ----------------------------------------------------------------------- /numbers digest
@subcommand("digest", "digest", "digest", "post the needing-attention digest now")
def digest(call: Call) -> Reply | Later:
    inventory = call.inventory
    notifier: Notifier = call.session.workspaces.notifier
    channel = notifier.channel
    if not channel:
        data = notify.digest_data(inventory, _now().date().isoformat())
        note = (
            "No notification channel is set (NUMBERS_NOTIFY_CHANNEL), so nothing is posted; "
            "here is the digest for you only."
        )
        if data is None:
            return Reply(f"Nothing needs attention. {note}")
        message = digest_message(data)
        return Reply(message["text"], [B.context(note), *message["blocks"]][:50])

    def work() -> Reply:
        today = CONFIG.clock().date().isoformat()
        entry_id, data = notifier.queue_digest(inventory, today, force=True)
        if entry_id is None:
            return Reply("Nothing needs attention: no digest posted.")
        notify.deliver(inventory.repo, slack_sender(call.client), backoff=CONFIG.backoff)
        entry = inventory.repo.outbox_get(entry_id)
        if entry and entry.get("sent_at"):
            return Reply(f"Digest posted to <#{channel}> ({data['count']:,} numbers).")
        return Reply(
            f"The digest is queued for <#{channel}> and will be posted as soon as Slack accepts it."
        )

    return Later("Posting the digest…", work)


def register(app, registry) -> None:
    registry.commands.add(digest)
