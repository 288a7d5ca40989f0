"""End to end: App Home, the manager role (refusals, grant, revoke, admins) and the
mrkdwn escape of everything people typed."""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import MANAGER, READER
from tests.e2e.test_numbers import (
    BERLIN,
    HAMBURG,
    MUNICH,
    MUNICH2,
    address_fields,
    buttons,
    seed,
    texts,
)


@pytest.fixture(autouse=True)
def _no_violations(bot):
    yield
    assert bot.fake.violations == []


def published(bot, count: int = 1) -> dict:
    call = bot.fake.wait_for("views.publish", count)[count - 1]
    assert call.ok, call.response
    return call.body


# -- App Home -----------------------------------------------------------------------------


def test_app_home_dashboard(bot):
    seed(
        bot,
        [MUNICH, MUNICH2, BERLIN, HAMBURG, "+358 9 1234567"],
        [
            address_fields("HQ Munich", "München", "80331"),
            address_fields("HQ Wien", "Wien", "1010", "AT"),
        ],
    )
    bot.command("link +49 89 1234567 to HQ Munich")
    bot.command("link +49 89 1234568 to HQ Wien")  # wrong country
    bot.command("link +49 30 1234567 to HQ Munich")  # outside area
    r = bot.sender.app_home_opened(MANAGER)
    assert r.status == 200
    body = published(bot)
    assert body["user_id"] == MANAGER
    view = body["view"]
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    shown = texts(view)
    assert "*5* numbers" in shown and "OK: *1*" in shown
    assert "Missing address: *2*" in shown and "Wrong country: *1*" in shown
    assert "Outside area: *1*" in shown
    assert "Needing attention: 4" in shown
    # Grouped by reason: each group's heading, then its numbers.
    order = [
        shown.index(h) for h in ("Missing address (2)", "Wrong country (1)", "Outside area (1)")
    ]
    assert order == sorted(order)
    missing = shown[shown.index("Missing address (2)") : shown.index("Wrong country (1)")]
    assert "+49 40 1234567" in missing and "+358 9 1234567" in missing
    assert "HQ Wien is in Austria" in shown or "Austria" in shown
    assert {"open_address_new", "open_link", "open_bulk_add"} <= set(buttons(view["blocks"]))


def test_app_home_other_tabs_are_left_alone(bot):
    bot.sender.event(
        {"type": "app_home_opened", "user": MANAGER, "channel": "DX", "tab": "messages"}
    )
    bot.sender.app_home_opened(READER)
    assert published(bot)["user_id"] == READER
    time.sleep(0.3)  # events are handled after the ack: give a wrong publish time to show
    assert len(bot.fake.calls_to("views.publish")) == 1


def home_view(bot) -> dict:
    bot.sender.app_home_opened(MANAGER)
    return published(bot, len(bot.fake.calls_to("views.publish")) or 1)["view"]


def test_home_buttons_open_the_forms(bot):
    seed(bot, [MUNICH], [address_fields("HQ Munich", "München", "80331")])
    view = home_view(bot)
    for action, callback in (
        ("open_address_new", "address_form"),
        ("open_link", "link_form"),
        ("open_bulk_add", "bulk_add_form"),
    ):
        n = len(bot.fake.calls_to("views.open"))
        r = bot.sender.block_action(action, view=view)
        assert r.status == 200
        modal = bot.fake.modal(index=n)
        assert modal.callback_id == callback, action

    # The link form opened from Home works all the way through.
    modal = bot.fake.modal(index=1)
    numbers = bot.sender.options("numbers_search", "+4989", view=modal).json["options"]
    address = bot.sender.options("address_search", "", view=modal).json["options"]
    r = modal.fill("Numbers", numbers).fill("Address", address[0]).submit(bot.sender)
    assert r.json["response_action"] == "update"
    assert bot.inventory().info(MUNICH).verdict.ok


# -- permissions ----------------------------------------------------------------------------


def snapshot(bot) -> str:
    inv = bot.inventory()
    return json.dumps(
        {
            "numbers": sorted(
                (i.e164, i.number.address_id, i.number.label) for i in inv.number_list()
            ),
            "addresses": sorted((a.name, a.city) for a in inv.address_list()),
            "grants": sorted(inv.grants()),
            "audit": len(inv.audit()),
        }
    )


@pytest.fixture
def world(bot):
    seed(
        bot,
        [MUNICH, BERLIN],
        [
            address_fields("HQ Munich", "München", "80331"),
            address_fields("Spare", "Berlin", "10115"),
        ],
    )
    bot.command("link +49 89 1234567 to HQ Munich")
    return bot


REFUSED_COMMANDS = [
    "add +49 40 1234567",
    "add",
    "remove +49 89 1234567",
    "link +49 30 1234567 to HQ Munich",
    "link",
    "unlink +49 89 1234567",
    "address new",
    "address edit HQ Munich",
    "address delete Spare",
    "access grant <@UREADER|reader>",
    "access revoke <@UMANAGER|manager>",
]


def test_reader_refused_on_every_change_command(world):
    bot = world
    before = snapshot(bot)
    for text in REFUSED_COMMANDS:
        r = bot.command(text, user=READER)
        assert r.status == 200, text
        assert r.json["response_type"] == "ephemeral"
        assert "Only managers can" in r.json["text"], (text, r.json["text"])
        assert "access grant" in r.json["text"]
    assert bot.fake.calls_to("views.open") == []  # no form opened for a reader
    assert snapshot(bot) == before
    # Reading stays open.
    assert "+49 89 1234567" in texts(bot.command("list", user=READER).json)
    assert "HQ Munich" in texts(bot.command("address list", user=READER).json)
    assert "You are not a manager" in bot.command("access", user=READER).json["text"]


def test_reader_refused_on_every_button(world):
    bot = world
    before = snapshot(bot)
    # The buttons a manager was shown, clicked by a reader (a forwarded message, a forged
    # payload): each answered with why, nothing changes, no form opens.
    remove = bot.command("remove +49 89 1234567").json["blocks"]
    delete = bot.command("address delete Spare").json["blocks"]
    home = {"type": "home", "blocks": bot.command("").json["blocks"]}
    clicks = [
        ("remove_number", {"message": {"ts": "1.1", "blocks": remove}}),
        ("delete_address", {"message": {"ts": "1.2", "blocks": delete}}),
        ("open_link", {"view": home}),
        ("open_bulk_add", {"view": home}),
        ("open_address_new", {"view": home}),
    ]
    for action, where in clicks:
        method = "response_url" if "message" in where else "views.open"
        seen = len(bot.fake.calls_to(method))
        assert bot.sender.block_action(action, user=READER, **where).status == 200
        told = bot.fake.wait_for(method, seen + 1)[-1]
        assert "Only managers can" in texts(told.body), action
        if method == "views.open":
            assert told.body["view"]["callback_id"] == "notice"
    assert snapshot(bot) == before


def test_forged_form_submissions_by_a_reader_change_nothing(world):
    bot = world
    before = snapshot(bot)
    bot.command("address new")
    bot.command("link")
    bot.command("add")
    bot.command("address edit HQ Munich")
    new, link, bulk, edit = (bot.fake.modal(index=i) for i in range(4))

    new.fill("Name", "Forged").fill("Customer name", "X").fill("Street", "S 1")
    new.fill("Postal code", "1").fill("City", "Berlin").fill("Country", "DE")
    new.fill("Obligations", [new.element("Obligations")["options"][0]["value"]])
    link.fill("Numbers", [(BERLIN, "Berlin")])
    spare = bot.inventory().address("Spare")
    link.fill("Address", (spare.id, "Spare"))
    bulk.fill("Numbers", "+49 40 1234567")
    edit.fill("City", "Hamburg")

    for modal in (new, link, bulk, edit):
        r = modal.submit(bot.sender, user=READER)
        assert r.status == 200
        assert r.json["response_action"] == "errors", modal.callback_id
        assert "Only managers can" in " ".join(r.json["errors"].values())
    assert snapshot(bot) == before


def test_grant_then_revoke(world):
    bot = world
    r = bot.command("access grant <@UREADER|reader>")
    assert r.json["text"] == "<@UREADER> is now a manager."
    assert bot.inventory().grants() == {READER}
    assert "<@UREADER>" in bot.command("access list").json["text"]

    r = bot.command("add +49 40 1234567", user=READER)
    assert "Added 1 number." in texts(r.json)
    assert bot.command("address new", user=READER).status == 200
    assert bot.fake.modal().callback_id == "address_form"

    assert "already has" in bot.command("access grant <@UREADER|reader>").json["text"]
    r = bot.command("access revoke <@UREADER|reader>")
    assert "is no longer a granted manager" in r.json["text"]
    assert bot.inventory().grants() == set()
    before = snapshot(bot)
    assert "Only managers" in bot.command("add +49 30 7654321", user=READER).json["text"]
    assert snapshot(bot) == before

    assert "Mention one person" in bot.command("access grant maria").json["text"]
    assert "Mention one person" in bot.command("access grant Uwe").json["text"]
    assert bot.inventory().grants() == set()
    assert "I don't know" in bot.command("access promote <@UREADER>").json["text"]


def test_workspace_admin_and_owner_are_managers(bot):
    bot.fake.add_user("UADMIN", is_admin=True, name="admin")
    bot.fake.add_user("UOWNER", is_owner=True, name="owner")
    assert "Added 1 number." in texts(bot.command("add +49 89 1234567", user="UADMIN").json)
    assert "Added 1 number." in texts(bot.command("add +49 30 1234567", user="UOWNER").json)
    assert {i.e164 for i in bot.inventory().number_list()} == {MUNICH, BERLIN}
    assert bot.fake.calls_to("users.info")  # decided from Slack's users.info
    # Someone Slack doesn't know is no manager.
    assert "Only managers" in bot.command("add +49 40 1234567", user="UNOBODY").json["text"]


# -- mrkdwn escape -----------------------------------------------------------------------------

DANGER = ("<!channel>", "<@U123>", "<!here>")


def mrkdwn_texts(payload) -> list[str]:
    """Texts Slack renders as mrkdwn: mrkdwn objects and a message's top-level text."""
    out: list[str] = []

    def walk(value) -> None:
        if isinstance(value, dict):
            if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
                out.append(value["text"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    if isinstance(payload, dict) and isinstance(payload.get("text"), str):
        out.append(payload["text"])
    walk(payload)
    return out


def assert_escaped(payload, where: str) -> None:
    for text in mrkdwn_texts(payload):
        for bad in DANGER:
            assert bad not in text, f"{where}: {bad} unescaped in {text!r}"


def test_typed_text_never_becomes_a_mention(bot):
    # The address is created through the form, the label through bulk add: raw text.
    bot.command("address new")
    modal = bot.fake.modal()
    modal.fill("Name", "<!channel>").fill("Customer name", "<!here> & co")
    modal.fill("Street", "<@U123>").fill("Postal code", "10115").fill("City", "Berlin")
    modal.fill("Country", "DE").fill("Obligations", ["confirmed"])
    r = modal.submit(bot.sender)
    assert r.json["response_action"] == "update"
    assert_escaped(r.json["view"], "address created")
    assert "&lt;!channel&gt;" in texts(r.json["view"])

    bot.command("add")
    modal = bot.fake.modal(index=1)
    modal.fill("Numbers", "+49 89 1234567\n+49 30 1234567\n<!channel>").fill("Label", "<@U123>")
    modal.fill("Address", (bot.inventory().address("<!channel>").id, "x"))
    r = modal.submit(bot.sender)
    assert_escaped(r.json["view"], "bulk add")
    assert "&lt;@U123&gt;" in texts(r.json["view"])

    # Slack HTML-escapes what people type in a command.
    replies = {
        text: bot.command(text).json
        for text in (
            "",
            "list",
            "list attention",
            "show +49 89 1234567",
            "address list",
            "address show &lt;!channel&gt;",
            "address delete &lt;!channel&gt;",
            "address show &lt;@U123&gt;",
            "link +49 30 1234567 to &lt;!channel&gt;",
            "unlink +49 30 1234567",
            "link +49 30 1234567 to &lt;@U123&gt;",
            "frobnicate &lt;!channel&gt;",
            "list &lt;!channel&gt;",
            "show &lt;!channel&gt;",
        )
    }
    for text, reply in replies.items():
        assert_escaped(reply, text)
    assert "&lt;!channel&gt;" in texts(replies["address show &lt;!channel&gt;"]["blocks"])

    bot.command("unlink +49 89 1234567")
    r = bot.command("address delete &lt;!channel&gt;")
    assert_escaped(r.json, "delete confirm")
    bot.sender.block_action("delete_address", message={"ts": "1.3", "blocks": r.json["blocks"]})
    bot.fake.wait_for("response_url")
    bot.sender.app_home_opened(MANAGER)
    bot.fake.wait_for("views.publish")
    # Everything the bot sent to Slack.
    for call in bot.fake.calls:
        assert_escaped(call.body, call.method)
        if call.method in ("views.open", "views.publish", "views.update"):
            assert_escaped(call.body.get("view"), call.method)


def test_address_edit_form_keeps_typed_text_raw(bot):
    # plain_text inputs show the text as typed: escaping there would corrupt it on save.
    seed(bot, addresses=[address_fields("A & B <x>", "Berlin", "10115")])
    bot.command("address edit A &amp; B &lt;x&gt;")
    modal = bot.fake.modal()
    assert modal.values["name"]["name"]["value"] == "A & B <x>"
    assert modal.submit(bot.sender).json["response_action"] == "update"
    assert bot.inventory().address("A & B <x>").name == "A & B <x>"


def test_home_button_whose_form_fails_to_open_is_answered(bot):
    view = home_view(bot)
    bot.fake.fail("views.open", error="expired_trigger_id", times=2)
    assert bot.sender.block_action("open_bulk_add", view=view).status == 200
    told = bot.fake.wait_for("chat.postMessage")[-1]
    assert told.body["channel"] == MANAGER and "Sorry" in told.body["text"]
