"""End to end: purchase requests, mandates, decisions, audit and export, driven through the
running bot exactly as Slack would (signed HTTP, the fake Slack Web API, real TinyDB files)."""

from __future__ import annotations

import csv
import io
import threading
import time

import pytest

from bot.core.model import Actor
from bot.core.requests import Requests
from handlers import notifications
from handlers.notifications import WorkerConfig
from tests.conftest import MANAGER, READER, RunningBot, bot_settings, start_bot, stop_bot
from tests.e2e.test_numbers import address_fields, buttons, texts
from tests.fakeslack import Modal

CHANNEL = "C0NOTIFY"
BOSS2 = "UBOSS"


@pytest.fixture
def nbot(fake, tmp_path, monkeypatch):
    """The bot with NUMBERS_NOTIFY_CHANNEL set and a second manager."""
    monkeypatch.setattr(notifications, "CONFIG", WorkerConfig(tick=0.05, backoff=0.2))
    fake.add_user(BOSS2, name="boss")
    settings = bot_settings(
        fake,
        tmp_path / "data",
        NUMBERS_NOTIFY_CHANNEL=CHANNEL,
        NUMBERS_MANAGERS=f"{MANAGER},{BOSS2}",
    )
    server, sender = start_bot(fake, settings)
    try:
        yield RunningBot(fake, sender, settings, server, tmp_path / "data")
    finally:
        stop_bot(server)
    assert fake.violations == []


def addresses(bot) -> dict:
    inventory = bot.inventory()
    boss = Actor(MANAGER, True)
    return {
        "munich": inventory.addresses.create(boss, address_fields("HQ Munich", "München", "80331")),
        "berlin": inventory.addresses.create(boss, address_fields("HQ Berlin", "Berlin", "10117")),
    }


def open_modal(bot, text: str, user: str = READER) -> Modal:
    before = len(bot.fake.calls_to("views.open"))
    assert bot.command(text, user=user).status == 200
    return bot.fake.modal(index=before)


def request_buy(bot, address, user: str = READER, area: str = "München", quantity: int = 2):
    modal = open_modal(bot, "buy", user)
    assert modal.callback_id == "buy_form"
    modal.fill("Country", "DE").fill("Kind", "local").fill("Area or prefix", area)
    modal.fill("Quantity", str(quantity)).fill("Address", (address.id, address.name))
    modal.fill("Reason", "New team <!here>")
    return modal.submit(bot.sender, user=user)


def announcements(bot, request_id: str) -> list:
    """The successful posts of the request to the notify channel."""
    return [
        call
        for call in bot.fake.calls_to("chat.postMessage")
        if call.ok
        and call.body.get("channel") == CHANNEL
        and call.body["text"].endswith(f" {request_id}")
    ]


def announcement(bot, request_id: str, timeout: float = 10) -> dict:
    """The message the bot posted to the notify channel for the request, once the bot
    has recorded where it went (the outbox worker posts it after the form's answer)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = announcements(bot, request_id)
        if found and Requests(bot.inventory()).message_of(request_id):
            return found[0].response["message"]
        time.sleep(0.02)
    raise AssertionError(f"{request_id} was not announced")


def dms(bot, user: str) -> list[str]:
    return [
        texts(c.body)
        for c in bot.fake.calls_to("chat.postMessage")
        if c.body["channel"] == user and c.ok
    ]


def wait_dm(bot, user: str, count: int = 1, timeout: float = 10) -> list[str]:
    """The DMs to ``user`` once ``count`` arrived (they are sent after the click's ack)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = dms(bot, user)
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} DM(s) to {user}: {dms(bot, user)}")


def wait_update(bot, ts: str, status: str, timeout: float = 10):
    """The edit of the channel post ``ts`` that shows ``status`` (posted by the worker)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for call in bot.fake.calls_to("chat.update"):
            if call.ok and call.body["ts"] == ts and f"*{status}*" in texts(call.body):
                return call
        time.sleep(0.02)
    raise AssertionError(f"the post {ts} was not edited to show {status}")


# ----------------------------------------------------------------------- purchase
def test_purchase_from_request_to_fulfilled_numbers(nbot):
    a = addresses(nbot)
    r = request_buy(nbot, a["munich"])
    assert r.json["response_action"] == "update"
    confirmation = texts(r.json["view"])
    assert "Purchase request *R1* is sent" in confirmation and f"<#{CHANNEL}>" in confirmation

    message = announcement(nbot, "R1")
    shown = texts(message)
    assert "2 local numbers in Germany, area Munich" in shown
    assert "New team &lt;!here&gt;" in shown  # typed text is escaped
    assert set(buttons(message["blocks"])) == {"request_approve", "request_reject"}

    nbot.sender.block_action("request_approve", "R1", message=message, channel=CHANNEL)
    fulfil = nbot.fake.modal(index=1)
    assert fulfil.callback_id == "request_fulfil_form"
    wait_dm(nbot, READER)  # told it was approved

    # Numbers that do not fit the request are named, one by one; nothing is added.
    fulfil.fill("Allocated numbers", "+49 30 1234567\n089 1234567\n+49 89 1234567")
    bad = fulfil.submit(nbot.sender)
    error = bad.json["errors"]["numbers"]
    assert "+49 30 1234567 is a number of Berlin, not of Munich" in error
    assert "+49 89 1234567 is given twice" in error
    assert nbot.inventory().number_list() == []

    fulfil.fill("Allocated numbers", "089 1234567, +49 89 7654321")
    done = fulfil.submit(nbot.sender)
    result = texts(done.json["view"])
    assert "Request *R1* fulfilled: 2 numbers" in result
    assert result.count(":white_check_mark: OK") == 2, result  # each number's verdict
    numbers = nbot.inventory().number_list()
    assert [(i.e164, i.number.source, i.address.name, i.verdict.ok) for i in numbers] == [
        ("+49891234567", "purchase", "HQ Munich", True),
        ("+49897654321", "purchase", "HQ Munich", True),
    ]
    told = wait_dm(nbot, READER, 2)
    assert "approved by <@UMANAGER>" in told[0]
    assert "is fulfilled: +49 89 1234567, +49 89 7654321" in told[1]
    update = wait_update(nbot, message["ts"], "fulfilled")
    assert "request_approve" not in buttons(update.body["blocks"])


def test_address_warning_appears_at_once(nbot):
    a = addresses(nbot)
    modal = open_modal(nbot, "buy")
    modal.fill("Country", "DE").fill("Kind", "local").fill("Area or prefix", "89")
    modal.fill("Address", (a["berlin"].id, a["berlin"].name))
    nbot.sender.block_action("request_address", view=modal, user=READER)
    updated = nbot.fake.modal("views.update")
    warning = [b for b in updated.blocks if b.get("block_id") == "address_warning"]
    assert warning
    assert (
        "Local numbers of Munich (+49 89) need an address in Munich; “HQ Berlin” is in Berlin"
        in texts(warning)
    )
    # what was filled in stays
    assert updated.element("Address")["initial_option"]["value"] == a["berlin"].id
    assert updated.element("Area or prefix")["initial_value"] == "89"
    # the Munich address clears it
    updated.fill("Address", (a["munich"].id, a["munich"].name))
    nbot.sender.block_action("request_address", view=updated, user=READER)
    again = nbot.fake.modal("views.update", index=1)
    assert not [b for b in again.blocks if b.get("block_id") == "address_warning"]


def test_buy_form_refuses_a_prefix_of_another_country_inline(nbot):
    a = addresses(nbot)
    r = request_buy(nbot, a["munich"], area="+1 415")
    assert "is not a prefix of Germany (+49)" in r.json["errors"]["area"]
    r = request_buy(nbot, a["munich"], area="Paris")
    assert "“Paris” is not an area of local numbers in Germany" in r.json["errors"]["area"]
    r = request_buy(nbot, a["munich"], quantity=0)
    assert "1 to 100" in r.json["errors"]["quantity"]
    assert Requests(nbot.inventory()).all() == []


# ----------------------------------------------------------------------- mandate
def fill_mandate(modal: Modal, numbers: str, address) -> Modal:
    modal.fill("Numbers", numbers).fill("Company legal name", "ACME <GmbH>")
    modal.fill("Business id", "DE123456789").fill("Signatory name", "Ada Lovelace")
    modal.fill("Signatory title", "CEO").fill("Address", (address.id, address.name))
    return modal


def test_mandate_names_invalid_numbers_one_by_one_then_is_approved(nbot):
    a = addresses(nbot)
    nbot.inventory().numbers.add(Actor(MANAGER, True), ["+49 89 1111111"])
    modal = open_modal(nbot, "mandate")
    fill_mandate(modal, "+49 89 1111111\nhello\n+49 89 2222222, +49 1", a["munich"])
    error = modal.submit(nbot.sender, user=READER).json["errors"]["numbers"]
    assert "+49 89 1111111 is already in the inventory" in error
    assert "hello: " in error and "+49 1: " in error
    assert "2222222" not in error  # the good number is not named

    fill_mandate(modal, "+49 89 2222222\n+49 89 3333333", a["munich"])
    sent = modal.submit(nbot.sender, user=READER)
    assert "Mandate *R1* is sent" in texts(sent.json["view"])
    assert "ACME &lt;GmbH&gt;" in texts(announcement(nbot, "R1"))

    # A manager approves from `/numbers requests`: fulfilled at once, verdicts shown.
    listing = nbot.command("requests").json
    assert "R1" in texts(listing) and "request_approve" in buttons(listing["blocks"])
    assert "request_approve" not in buttons(nbot.command("requests", user=READER).json["blocks"])
    nbot.sender.block_action("request_approve", "R1", message=listing)
    said = nbot.fake.wait_for("response_url")[-1].body["text"]
    assert "Request *R1* fulfilled: 2 numbers" in said and "+49 89 2222222" in said
    numbers = {i.e164: i for i in nbot.inventory().number_list()}
    assert numbers["+49892222222"].number.source == "mandate"
    assert numbers["+49893333333"].address.name == "HQ Munich"
    assert "is fulfilled" in wait_dm(nbot, READER)[0]
    assert "fulfilled" in texts(nbot.command("requests").json)


# ----------------------------------------------------------------------- reject, refuse
def test_rejection_with_reason_reaches_the_requester(nbot):
    a = addresses(nbot)
    request_buy(nbot, a["munich"])
    message = announcement(nbot, "R1")
    nbot.sender.block_action("request_reject", "R1", message=message, channel=CHANNEL)
    reject = nbot.fake.modal(index=1)
    assert reject.callback_id == "request_reject_form"
    assert "Reason is required" in reject.submit(nbot.sender).json["errors"]["reason"]
    reject.fill("Reason", "No budget <!channel>")
    done = reject.submit(nbot.sender)
    assert "rejected" in texts(done.json["view"])
    told = wait_dm(nbot, READER)[0]
    assert "rejected by <@UMANAGER>: _No budget &lt;!channel&gt;_" in told
    assert Requests(nbot.inventory()).get("R1").status == "rejected"
    # a later Approve click changes nothing
    nbot.sender.block_action("request_approve", "R1", message=message, channel=CHANNEL)
    assert "already decided by <@UMANAGER>" in nbot.fake.wait_for("response_url")[-1].body["text"]
    assert nbot.inventory().number_list() == []


def test_non_manager_cannot_approve_or_reject(nbot):
    a = addresses(nbot)
    request_buy(nbot, a["munich"])
    message = announcement(nbot, "R1")
    nbot.sender.block_action("request_approve", "R1", user=READER, message=message)
    nbot.sender.block_action("request_reject", "R1", user=READER, message=message)
    said = [c.body["text"] for c in nbot.fake.wait_for("response_url", 2)]
    assert all("Only managers can" in s for s in said), said
    assert Requests(nbot.inventory()).get("R1").status == "pending"
    assert len(nbot.fake.calls_to("views.open")) == 1  # only the buy form


def test_double_approve_race_is_decided_once(nbot):
    a = addresses(nbot)
    for round_ in range(3):
        request_id = f"R{round_ + 1}"
        request_buy(nbot, a["munich"])
        message = announcement(nbot, request_id)
        opened = len(nbot.fake.calls_to("views.open"))
        answered = len(nbot.fake.calls_to("response_url"))
        start = threading.Barrier(2)

        def click(user, message=message, request_id=request_id, start=start):
            start.wait()
            nbot.sender.block_action("request_approve", request_id, user=user, message=message)

        threads = [threading.Thread(target=click, args=(u,)) for u in (MANAGER, BOSS2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        nbot.fake.wait_for("views.open", opened + 1)
        loser = nbot.fake.wait_for("response_url", answered + 1)[-1].body["text"]
        assert "already decided by" in loser
        forms = [c for c in nbot.fake.calls_to("views.open")[opened:] if c.ok]
        assert [c.body["view"]["callback_id"] for c in forms] == ["request_fulfil_form"]
        audit = Requests(nbot.inventory()).audit(request_id)
        assert [e.action for e in audit].count("request.approve") == 1


# ----------------------------------------------------------------------- audit, export
def test_audit_shows_entries_paged_and_escaped(bot):
    inventory = bot.inventory()
    boss = Actor(MANAGER, True)
    place = inventory.addresses.create(boss, address_fields("<!channel> HQ", "München", "80331"))
    inventory.numbers.add(boss, [f"+49 89 {1000000 + i}" for i in range(25)])
    inventory.addresses.link(boss, ["+49 89 1000000"], place.name)
    r = bot.command("audit")
    shown = texts(r.json)
    assert "Entries 1–20, newest first" in shown and "Next" in shown
    assert "linked *+49 89 1000000* to *&lt;!channel&gt; HQ*" in shown
    assert place.id not in shown and "<@UMANAGER>" in shown
    r = bot.command("audit page=2")
    assert "Entries 21–27 of 27" in texts(r.json)
    assert "created the address *&lt;!channel&gt; HQ*" in texts(r.json)
    assert "&lt;!channel&gt; HQ" in texts(r.json) and "<!channel>" not in texts(r.json)
    r = bot.command("audit +49 89 1000000")
    shown = texts(r.json)
    assert "2 entries" in shown and "linked *+49 89 1000000*" in shown
    assert "added *+49 89 1000000*" in shown
    r = bot.command('audit "Nowhere"')
    assert "Nothing called" in texts(r.json)


def test_export_is_uploaded_to_the_person_with_the_right_rows(bot):
    inventory = bot.inventory()
    boss = Actor(MANAGER, True)
    inventory.addresses.create(boss, address_fields("HQ Munich", "München", "80331"))
    inventory.numbers.add(boss, ["+49 89 1234567", "+49 30 1234567"], address_name="HQ Munich")
    r = bot.command("export", user=READER)
    assert "Preparing" in texts(r.json)
    bot.fake.wait_for("files.completeUploadExternal")
    opened = bot.fake.calls_to("conversations.open")[-1]
    assert opened.body["users"] == READER
    complete = bot.fake.calls_to("files.completeUploadExternal")[-1]
    assert complete.body["channel_id"] == "D" + READER
    (content,) = bot.fake.uploads.values()
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    assert [(row["number"], row["address"], row["verdict"]) for row in rows] == [
        ("'+49301234567", "HQ Munich", "outside_area"),  # text, not a formula
        ("'+49891234567", "HQ Munich", "ok"),
    ]
    said = bot.fake.wait_for("response_url")[-1].body["text"]
    assert "Sent *numbers.csv* (2 numbers)" in said
