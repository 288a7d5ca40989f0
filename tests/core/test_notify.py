"""Notifications without Slack: what is queued, when, and how the outbox is drained."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest

from bot.bootstrap import Workspaces
from bot.config import load_settings
from bot.core.model import Actor
from bot.notify import (
    DIGEST_KEY,
    DeliveryError,
    Notifier,
    backoff_seconds,
    deliver,
    digest_data,
    digest_due,
    info_from_plain,
    plain_info,
)
from handlers.notifications import notification_message
from tests.slack_payloads import message_problems

TEAM = "T1"
MANAGER = Actor("UMANAGER", is_manager=True)
BERLIN = {
    "name": "HQ Berlin",
    "customer_name": "ACME GmbH",
    "street": "Unter den Linden 1",
    "postal_code": "10117",
    "city": "Berlin",
    "country": "DE",
    "confirmed": True,
}


def berlin(i: int) -> str:
    return f"+49 30 {1000000 + i * 3}"


def workspaces(tmp_path, channel: str | None = "C0NOTIFY") -> Workspaces:
    env = {"NUMBERS_DATA_DIR": str(tmp_path / "data"), "NUMBERS_DEFAULT_REGION": "DE"}
    if channel:
        env["NUMBERS_NOTIFY_CHANNEL"] = channel
    return Workspaces(load_settings(env, dotenv=False))


def pending(inventory) -> list[dict]:
    return inventory.repo.outbox_pending(float("inf"))


class Slack:
    """A stand-in for the Slack post: records, and fails the first ``failures`` posts."""

    def __init__(self, failures: int = 0, retry_after: float | None = None) -> None:
        self.failures = failures
        self.retry_after = retry_after
        self.posted: list[tuple[str, dict]] = []
        self.attempts = 0

    def __call__(self, channel: str, data: dict) -> None:
        self.attempts += 1
        if self.failures:
            self.failures -= 1
            raise DeliveryError("fatal_error", retry_after=self.retry_after)
        self.posted.append((channel, data))


def test_alert_recorded_with_the_change_only_for_numbers_needing_attention(tmp_path):
    inventory = workspaces(tmp_path).inventory(TEAM)
    inventory.numbers.add(MANAGER, ["+49 800 1234567"])  # toll-free: needs no address
    assert pending(inventory) == []
    inventory.numbers.add(MANAGER, [berlin(1), berlin(2), "+49 800 7654321"])
    (entry,) = pending(inventory)
    assert entry["channel"] == "C0NOTIFY"
    data = entry["data"]
    assert data["kind"] == "numbers_added" and data["by"] == "UMANAGER"
    assert data["count"] == 2
    assert [d["number"]["e164"] for d in data["shown"]] == ["+49301000003", "+49301000006"]
    assert data["shown"][0]["verdict"]["status"] == "missing"


def test_import_csv_alerts(tmp_path):
    inventory = workspaces(tmp_path).inventory(TEAM)
    inventory.csv.import_csv(MANAGER, f"number,label\n{berlin(1)},a\n+49 800 1234567,b\n")
    (entry,) = pending(inventory)
    assert entry["data"]["count"] == 1


def test_rolled_back_change_leaves_no_alert(tmp_path):
    inventory = workspaces(tmp_path).inventory(TEAM)

    def explode(*args):
        raise RuntimeError("disk on fire")

    inventory.listeners.append(explode)
    with pytest.raises(RuntimeError):
        inventory.numbers.add(MANAGER, [berlin(1)])
    inventory.listeners.remove(explode)
    assert pending(inventory) == []
    assert inventory.number_list() == []  # the change went with its alert


def test_address_edit_alerts_newly_failing_only(tmp_path):
    inventory = workspaces(tmp_path).inventory(TEAM)
    inventory.addresses.create(MANAGER, BERLIN)
    inventory.numbers.add(MANAGER, [berlin(1), berlin(2)])
    with inventory.repo.transaction():
        for e in pending(inventory):
            inventory.repo.outbox_mark_sent(e["id"], "2024-01-01T00:00:00+00:00")
    inventory.addresses.link(MANAGER, [berlin(1), berlin(2)], "HQ Berlin")  # becoming OK: no alert
    assert pending(inventory) == []
    inventory.addresses.update(MANAGER, "HQ Berlin", {**BERLIN, "street": "Other street 2"})
    assert pending(inventory) == []  # still OK
    change = inventory.addresses.update(MANAGER, "HQ Berlin", {**BERLIN, "country": "FR"})
    (entry,) = pending(inventory)
    data = entry["data"]
    assert data["kind"] == "address_failing" and data["address"] == "HQ Berlin"
    assert data["count"] == 2 == len(change.newly_failing)
    assert data["shown"][0]["verdict"]["status"] == "wrong_country"
    inventory.addresses.update(MANAGER, "HQ Berlin", {**BERLIN, "country": "FR", "city": "Paris"})
    assert len(pending(inventory)) == 1  # already failing: no second alert


def test_no_channel_no_outbox(tmp_path):
    inventory = workspaces(tmp_path, channel=None).inventory(TEAM)
    inventory.numbers.add(MANAGER, [berlin(1)])
    assert pending(inventory) == []


def test_digest_of_5000_numbers_is_one_valid_message(tmp_path):
    inventory = workspaces(tmp_path, channel=None).inventory(TEAM)
    inventory.numbers.add(MANAGER, [berlin(i) for i in range(5000)] + ["+49 800 1234567"])
    data = digest_data(inventory, "2024-05-01")
    assert data["count"] == 5000 and data["total"] == 5001
    assert data["by_status"] == {"missing": 5000} and data["by_country"] == {"DE": 5000}
    assert len(data["shown"]) == 15 and data["more"] == 4985
    message = notification_message(data)
    assert message_problems(message["text"], message["blocks"]) == []
    assert len(message["blocks"]) <= 50
    text = str(message["blocks"])
    assert "and 4,985 more" in text and "+49 30 1000000" in text
    assert "'action_id': 'open_link'" in text


def test_digest_names_countries_as_the_lists_do(tmp_path):
    """One country_name (bot.core.phone): "South Korea", as list titles say, not ISO's
    "Korea, Republic of"."""
    inventory = workspaces(tmp_path, channel=None).inventory(TEAM)
    inventory.numbers.add(MANAGER, ["+82 2 2123 4567", berlin(1)])
    data = digest_data(inventory, "2024-05-01")
    text = str(notification_message(data)["blocks"])
    assert "South Korea 1" in text and "Korea, Republic of" not in text


def test_digest_none_when_all_ok(tmp_path):
    inventory = workspaces(tmp_path).inventory(TEAM)
    inventory.numbers.add(MANAGER, ["+49 800 1234567"])
    assert digest_data(inventory, "2024-05-01") is None
    entry_id, data = Notifier("C0NOTIFY").queue_digest(inventory, "2024-05-01")
    assert entry_id is None and data is None
    assert inventory.repo.get_value(DIGEST_KEY) == "2024-05-01"


def test_digest_once_per_day(tmp_path):
    ws = workspaces(tmp_path)
    inventory = ws.inventory(TEAM)
    inventory.numbers.add(MANAGER, [berlin(1)])
    first, _ = ws.notifier.queue_digest(inventory, "2024-05-01")
    assert first
    # another process (a restart) sees the date on disk
    again = workspaces(tmp_path)
    assert again.notifier.queue_digest(again.inventory(TEAM), "2024-05-01") == (None, None)
    second, _ = again.notifier.queue_digest(again.inventory(TEAM), "2024-05-02")
    assert second and second != first
    forced, _ = again.notifier.queue_digest(again.inventory(TEAM), "2024-05-02", force=True)
    assert forced
    kinds = [e["data"]["kind"] for e in pending(inventory)]
    assert kinds == ["numbers_added", "digest", "digest", "digest"]


def test_digest_due():
    assert digest_due(datetime(2024, 5, 1, 7, 59, tzinfo=UTC), (8, 0)) is None
    assert digest_due(datetime(2024, 5, 1, 8, 0, tzinfo=UTC), (8, 0)) == "2024-05-01"
    assert digest_due(datetime(2024, 5, 1, 23, 0, tzinfo=UTC), (8, 0)) == "2024-05-01"


def test_plain_info_round_trip(tmp_path):
    inventory = workspaces(tmp_path).inventory(TEAM)
    inventory.addresses.create(MANAGER, BERLIN)
    inventory.numbers.add(MANAGER, [berlin(1)], address_name="HQ Berlin", label="Sales")
    info = inventory.info(berlin(1))
    assert info_from_plain(plain_info(info)) == info


def test_delivery_retries_with_backoff_and_never_twice(tmp_path):
    inventory = workspaces(tmp_path).inventory(TEAM)
    inventory.numbers.add(MANAGER, [berlin(1)])
    start = time.time() + 1
    now = [start]
    slack = Slack(failures=2, retry_after=30)
    result = deliver(inventory.repo, slack, backoff=10, clock=lambda: now[0])
    assert result.sent == [] and len(result.failed) == 1 and slack.attempts == 1
    (entry,) = inventory.repo.outbox_pending(start + 30)
    assert entry["attempts"] == 1 and entry["last_error"] == "fatal_error"
    assert entry["next_attempt"] == start + 30  # Retry-After beats the 10 s backoff
    assert deliver(inventory.repo, slack, clock=lambda: now[0]).failed == []  # not due yet
    now[0] = start + 30
    deliver(inventory.repo, slack, backoff=10, clock=lambda: now[0])
    (entry,) = inventory.repo.outbox_pending(start + 60)
    assert entry["attempts"] == 2 and entry["next_attempt"] == start + 60  # 20 s < 30 s
    now[0] = start + 100
    result = deliver(inventory.repo, slack, backoff=10, clock=lambda: now[0])
    assert len(result.sent) == 1 and len(slack.posted) == 1 and slack.attempts == 3
    now[0] = start + 10**6
    assert deliver(inventory.repo, slack, clock=lambda: now[0]).sent == []
    assert len(slack.posted) == 1


def test_backoff_doubles_up_to_cap():
    assert [backoff_seconds(a, 5, 60) for a in (1, 2, 3, 4, 5)] == [5, 10, 20, 40, 60]


def test_concurrent_drains_post_each_entry_once(tmp_path):
    ws = workspaces(tmp_path)
    inventory = ws.inventory(TEAM)
    for i in range(5):
        inventory.numbers.add(MANAGER, [berlin(i)])
    other = workspaces(tmp_path).inventory(TEAM)  # as a second process would
    posted: list[str] = []
    lock = threading.Lock()

    def slow_send(channel, data):
        with lock:
            posted.append(data["shown"][0]["number"]["e164"])

    threads = [
        threading.Thread(target=deliver, args=(inv.repo, slow_send)) for inv in (inventory, other)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(posted) == sorted({berlin_e164(i) for i in range(5)})


def berlin_e164(i: int) -> str:
    return "+4930" + str(1000000 + i * 3)
