"""Tests of the Slack test helpers: tests/fakeslack.py and the payload checker
(tests/slack_payloads.py)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from handlers import slack_limits as L
from handlers.slack_limits import truncate
from tests.fakeslack import FakeSlack, Modal, SlackSender, assert_within_limits
from tests.slack_payloads import message_problems, view_problems

SECRET = "test-signing-secret"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as f:
        yield f


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(base_url=fake.url, token="xoxb-test", timeout=5)


def pt(text: str) -> dict:
    return {"type": "plain_text", "text": text}


def opt(value: str, text: str | None = None) -> dict:
    return {"text": pt(text or value), "value": value}


def modal(*blocks: dict, **extra) -> dict:
    view = {
        "type": "modal",
        "callback_id": "cb",
        "title": pt("Title"),
        "submit": pt("Save"),
        "blocks": list(blocks),
    }
    view.update(extra)
    return view


def input_block(label: str, element: dict, block_id: str | None = None) -> dict:
    block = {"type": "input", "label": pt(label), "element": element}
    if block_id:
        block["block_id"] = block_id
    return block


def section(text: str, **extra) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


# ------------------------------------------------------------------------------
# FakeSlack: recording, answers, validation, faults
# ------------------------------------------------------------------------------


def test_webclient_calls_are_recorded_and_answered(fake: FakeSlack, client: WebClient):
    auth = client.auth_test()
    assert auth["user_id"] == "UBOT" and auth["team_id"] == "T1"
    fake.add_user("U_ADMIN", is_admin=True, name="ada")
    assert client.users_info(user="U_ADMIN")["user"]["is_admin"] is True
    with pytest.raises(SlackApiError) as err:
        client.users_info(user="U_NOBODY")
    assert err.value.response["error"] == "user_not_found"

    posted = client.chat_postMessage(channel="C1", text="hi", blocks=[section("*hi*")])
    assert posted["channel"] == "C1" and posted["ts"]
    call = fake.wait_for("chat.postMessage")[0]
    assert call.body["blocks"][0]["text"]["text"] == "*hi*"
    assert call.headers["Authorization"] == "Bearer xoxb-test"
    assert client.conversations_open(users="U_ADMIN")["channel"]["id"] == "DU_ADMIN"
    client.chat_postEphemeral(channel="C1", user="U_ADMIN", text="psst")
    client.chat_update(channel="C1", ts=posted["ts"], text="edited")
    client.api_call("reactions.add", params={"channel": "C1", "name": "x"})
    assert [c.method for c in fake.calls] == [
        "auth.test",
        "users.info",
        "users.info",
        "chat.postMessage",
        "conversations.open",
        "chat.postEphemeral",
        "chat.update",
        "reactions.add",
    ]
    assert fake.calls_to("reactions.add")[0].body["name"] == "x"  # form body decoded
    fake.reset()
    assert fake.calls == []


def test_form_bodies_with_json_fields_are_decoded(fake: FakeSlack, client: WebClient):
    blocks = [section("from a form")]
    client.api_call("chat.postMessage", data={"channel": "C1", "blocks": json.dumps(blocks)})
    assert fake.calls_to("chat.postMessage")[0].body["blocks"] == blocks


def test_bad_token_is_invalid_auth(fake: FakeSlack):
    with pytest.raises(SlackApiError) as err:
        WebClient(base_url=fake.url, token="xoxb-wrong").auth_test()
    assert err.value.response["error"] == "invalid_auth"


def test_wait_for_blocks_until_calls_arrive_from_other_threads(fake, client):
    threading.Timer(0.2, lambda: client.chat_postMessage(channel="C1", text="late")).start()
    calls = fake.wait_for("chat.postMessage", timeout=3)
    assert calls[0].body["text"] == "late"
    with pytest.raises(AssertionError, match="views.open"):
        fake.wait_for("views.open", timeout=0.1)


def test_views_echo_an_id_and_invalid_views_are_rejected(fake, client):
    trigger = fake.new_trigger_id()
    view = modal(input_block("Name", {"type": "plain_text_input", "action_id": "name"}))
    opened = client.views_open(trigger_id=trigger, view=view)["view"]
    assert opened["id"].startswith("V") and opened["hash"]
    assert opened["blocks"][0]["block_id"]  # Slack assigns missing block_ids
    updated = client.views_update(view_id=opened["id"], view=view)["view"]
    assert updated["id"] == opened["id"]
    assert client.views_publish(user_id="U1", view={"type": "home", "blocks": []})["ok"]

    too_many = modal(*[section(f"s{i}") for i in range(101)])
    long_option = modal(
        input_block("Pick", {"type": "static_select", "options": [opt("v", "x" * 80)]})
    )
    long_title = modal(section("s"), title=pt("t" * 30))
    for bad, expected in [
        (too_many, "101 blocks"),
        (long_option, "option text 80 > 75"),
        (long_title, "title 30 > 24"),
    ]:
        with pytest.raises(SlackApiError) as err:
            client.views_update(view_id=opened["id"], view=bad)
        assert err.value.response["error"] == "invalid_blocks"
        assert any(expected in e for e in err.value.response["errors"])
    assert len(fake.violations) == 3
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="t", blocks=[section("x" * 3001)])
    assert err.value.response["error"] == "invalid_blocks"
    assert fake.violations[-1][0] == "chat.postMessage"


def test_trigger_ids_are_single_use_and_expire(fake, client):
    view = modal(section("x"))
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        client.views_open(trigger_id="made-up", view=view)
    trigger = fake.new_trigger_id()
    client.views_open(trigger_id=trigger, view=view)
    with pytest.raises(SlackApiError, match="exchanged_trigger_id"):
        client.views_open(trigger_id=trigger, view=view)
    fake.trigger_ttl = 0.05
    late = fake.new_trigger_id()
    time.sleep(0.1)
    with pytest.raises(SlackApiError, match="expired_trigger_id"):
        client.views_open(trigger_id=late, view=view)
    fake.strict_triggers = False
    assert client.views_open(trigger_id="made-up", view=view)["ok"]


def test_rate_limit_429_is_retried_by_the_retry_handler(fake: FakeSlack):
    client = WebClient(base_url=fake.url, token="xoxb-test")
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    fake.fail("chat.postMessage", status=429, retry_after=0)
    assert client.chat_postMessage(channel="C1", text="x")["ok"]
    calls = fake.calls_to("chat.postMessage")
    assert [(c.status, c.ok) for c in calls] == [(429, False), (200, True)]


def test_fault_injection_errors_statuses_and_timeouts(fake: FakeSlack, client: WebClient):
    fake.fail("chat.postMessage", error="ratelimited", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError, match="ratelimited"):
            client.chat_postMessage(channel="C1", text="x")
    assert client.chat_postMessage(channel="C1", text="x")["ok"]
    fake.fail("users.info", status=500)
    with pytest.raises(SlackApiError):
        client.users_info(user="U1")
    assert fake.calls_to("users.info")[0].status == 500

    quick = WebClient(base_url=fake.url, token="xoxb-test", timeout=0.3)
    fake.fail("chat.update", error="timeout", delay=1.0)
    with pytest.raises(TimeoutError):
        quick.chat_update(channel="C1", ts="1.2", text="x")
    assert len(fake.calls_to("chat.update")) == 1  # Slack got it; the client gave up


def test_upload_flow_stores_bytes(fake: FakeSlack, client: WebClient):
    data = b"number,country\n+4930123,DE\n"
    result = client.files_upload_v2(channel="C1", filename="numbers.csv", content=data, title="T")
    file_id = result["file"]["id"]
    assert fake.uploads[file_id] == data
    complete = fake.calls_to("files.completeUploadExternal")[0]
    assert complete.body["files"][0]["id"] == file_id
    assert complete.body["channel_id"] == "C1"


# ------------------------------------------------------------------------------
# SlackSender against a real bolt app over HTTP
# ------------------------------------------------------------------------------


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def bolt(fake: FakeSlack):
    app = App(
        signing_secret=SECRET,
        client=WebClient(base_url=fake.url, token="xoxb-test"),
    )
    seen: dict[str, list] = {"submissions": [], "options": [], "actions": [], "home": []}

    @app.command("/numbers")
    def numbers(ack, respond, command, client, body):
        ack()
        if command["text"] == "add":
            client.views_open(
                trigger_id=body["trigger_id"],
                view=modal(
                    input_block("Number", {"type": "plain_text_input", "action_id": "n"}),
                    input_block(
                        "Country",
                        {"type": "external_select", "action_id": "country", "min_query_length": 0},
                    ),
                    callback_id="add_number",
                    private_metadata="C1",
                ),
            )
        else:
            respond(f"you said {command['text']}")

    @app.options("country")
    def countries(ack, payload):
        seen["options"].append(payload["value"])
        ack(options=[opt("DE", "Germany")])

    @app.view("add_number")
    def submitted(ack, view):
        seen["submissions"].append(view)
        if not view["state"]["values"]["b0"]["n"]["value"]:
            ack(response_action="errors", errors={"b0": "Required"})
        else:
            ack()

    @app.action("approve")
    def approve(ack, action, respond):
        ack()
        seen["actions"].append(action)
        respond("approved")

    @app.event("app_home_opened")
    def home(event, client):
        seen["home"].append(event)
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": []})

    handler = SlackRequestHandler(app)
    server = make_server(
        "127.0.0.1", 0, handler, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    sender = SlackSender(f"http://127.0.0.1:{server.server_port}", SECRET, fake)
    yield sender, seen
    server.shutdown()
    server.server_close()


def test_command_respond_lands_on_fake_response_url(bolt, fake: FakeSlack):
    sender, _ = bolt
    assert sender.command("hello").status == 200
    posted = fake.wait_for("response_url")[0]
    assert posted.body["text"] == "you said hello"
    assert posted.body["_name"].startswith("command-")


def test_bad_signature_and_stale_timestamp_get_401(bolt):
    sender, _ = bolt
    body = "command=%2Fnumbers&text=hi&user_id=U1&team_id=T1"
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sender.sign(body)}
    headers["X-Slack-Signature"] = "v0=" + "0" * 64
    assert sender.raw(body, headers).status == 401
    stale = {
        "Content-Type": "application/x-www-form-urlencoded",
        **sender.sign(body, timestamp=int(time.time()) - 600),
    }
    assert sender.raw(body, stale).status == 401
    assert sender.raw(body, {"Content-Type": "application/x-www-form-urlencoded"}).status == 401


def test_command_modal_options_submit_flow(bolt, fake: FakeSlack):
    sender, seen = bolt
    assert sender.command("add").status == 200
    m = fake.modal()
    assert m.labels() == ["Number", "Country"] and m.callback_id == "add_number"

    loaded = sender.options("country", "Ger", view=m)
    assert loaded.json == {"options": [opt("DE", "Germany")]}
    assert seen["options"] == ["Ger"]

    rejected = m.submit(sender)
    assert rejected.json == {"response_action": "errors", "errors": {"b0": "Required"}}
    ok = m.fill("Number", "+49 30 123").fill("Country", "DE").submit(sender, user="U2")
    assert ok.status == 200 and ok.body_text == ""
    view = seen["submissions"][-1]
    assert view["id"] == m.view["id"] and view["private_metadata"] == "C1"
    assert view["state"]["values"]["b1"]["country"]["selected_option"]["value"] == "DE"


def test_block_action_from_message_and_app_home_event(bolt, fake: FakeSlack):
    sender, seen = bolt
    message = {"type": "message", "ts": "1.000200", "text": "req", "blocks": [
        {"type": "actions", "block_id": "req", "elements": [
            {"type": "button", "action_id": "approve", "value": "42", "text": pt("Approve")}]}
    ]}  # fmt: skip
    assert sender.block_action("approve", message=message).status == 200
    assert fake.wait_for("response_url")[0].body["text"] == "approved"
    assert seen["actions"][0]["value"] == "42" and seen["actions"][0]["block_id"] == "req"
    assert sender.app_home_opened("U7").status == 200
    assert fake.wait_for("views.publish")[0].body["user_id"] == "U7"
    assert sender.url_verification("abc").json == {"challenge": "abc"}


# ------------------------------------------------------------------------------
# Modal
# ------------------------------------------------------------------------------

ALL_INPUTS = modal(
    input_block("Text", {"type": "plain_text_input", "action_id": "t"}, "bt"),
    input_block(
        "Static",
        {"type": "static_select", "action_id": "s", "options": [opt("de", "Germany")]},
        "bs",
    ),
    input_block("External", {"type": "external_select", "action_id": "e"}, "be"),
    input_block(
        "Multi",
        {
            "type": "multi_static_select",
            "action_id": "ms",
            "option_groups": [{"label": pt("G"), "options": [opt("a"), opt("b")]}],
        },
        "bms",
    ),
    input_block("MultiExt", {"type": "multi_external_select", "action_id": "me"}, "bme"),
    input_block(
        "Checks",
        {
            "type": "checkboxes",
            "action_id": "c",
            "options": [opt("x", "Ex"), opt("y", "Why")],
            "initial_options": [opt("x", "Ex")],
        },
        "bc",
    ),
    input_block(
        "Radio", {"type": "radio_buttons", "action_id": "r", "options": [opt("1"), opt("2")]}, "br"
    ),
    input_block("Date", {"type": "datepicker", "action_id": "d"}, "bd"),
    input_block(
        "Amount",
        {
            "type": "number_input",
            "action_id": "n",
            "is_decimal_allowed": False,
            "initial_value": "3",
        },
        "bn",
    ),  # fmt: skip
)


def test_modal_unfilled_inputs_are_sent_as_slack_sends_them():
    values = Modal(ALL_INPUTS).values
    assert values["bt"]["t"] == {"type": "plain_text_input", "value": None}
    assert values["bs"]["s"] == {"type": "static_select", "selected_option": None}
    assert values["bms"]["ms"] == {"type": "multi_static_select", "selected_options": []}
    assert values["bc"]["c"]["selected_options"] == [opt("x", "Ex")]  # initial counts
    assert values["bd"]["d"] == {"type": "datepicker", "selected_date": None}
    assert values["bn"]["n"] == {"type": "number_input", "value": "3"}


@pytest.mark.parametrize(
    "label, value, block, action, expected",
    [
        ("Text", "hi", "bt", "t", {"type": "plain_text_input", "value": "hi"}),
        ("Static", "de", "bs", "s", {"type": "static_select", "selected_option": opt("de", "Germany")}),  # noqa: E501
        ("Static", "Germany", "bs", "s", {"type": "static_select", "selected_option": opt("de", "Germany")}),  # noqa: E501
        ("External", "FR", "be", "e", {"type": "external_select", "selected_option": {"text": {"type": "plain_text", "text": "FR", "emoji": True}, "value": "FR"}}),  # noqa: E501
        ("Multi", ["a", "b"], "bms", "ms", {"type": "multi_static_select", "selected_options": [opt("a"), opt("b")]}),  # noqa: E501
        ("MultiExt", ["Q"], "bme", "me", {"type": "multi_external_select", "selected_options": [{"text": {"type": "plain_text", "text": "Q", "emoji": True}, "value": "Q"}]}),  # noqa: E501
        ("Checks", ["Why"], "bc", "c", {"type": "checkboxes", "selected_options": [opt("y", "Why")]}),  # noqa: E501
        ("Checks", [], "bc", "c", {"type": "checkboxes", "selected_options": []}),
        ("Radio", "2", "br", "r", {"type": "radio_buttons", "selected_option": opt("2")}),
        ("Date", dt.date(2025, 1, 31), "bd", "d", {"type": "datepicker", "selected_date": "2025-01-31"}),  # noqa: E501
        ("Amount", 7, "bn", "n", {"type": "number_input", "value": "7"}),
        ("Text", None, "bt", "t", {"type": "plain_text_input", "value": None}),
    ],
)  # fmt: skip
def test_modal_fill_builds_slack_state(label, value, block, action, expected):
    m = Modal(ALL_INPUTS).fill(label, value)
    assert m.values[block][action] == expected


def test_modal_unknown_label_or_option_is_a_clear_error():
    m = Modal(ALL_INPUTS)
    with pytest.raises(AssertionError, match="no input labelled 'Nope'.*Text"):
        m.fill("Nope", "x")
    with pytest.raises(AssertionError, match="no option 'fr'"):
        m.fill("Static", "fr")
    assert m.fill("text", "case-insensitive").values["bt"]["t"]["value"] == "case-insensitive"


# ------------------------------------------------------------------------------
# slack_limits
# ------------------------------------------------------------------------------


def btn(text="Go", value="v", action_id="go", **extra):
    return {"type": "button", "text": pt(text), "value": value, "action_id": action_id, **extra}


def actions(*elements, block_id=None):
    block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def select(n_options=1, kind="static_select", text="o", value=None):
    return {
        "type": kind,
        "action_id": "sel",
        "options": [opt(value or f"v{i}", text) for i in range(n_options)],
    }


VIEW_CASES = [
    ("title", modal(section("x"), title=pt("t" * 25)), "title: title 25 > 24"),
    ("title empty", modal(section("x"), title=pt("")), "title text must be a non-empty"),
    ("title mrkdwn", modal(section("x"), title={"type": "mrkdwn", "text": "t"}), "type must be"),
    ("submit", modal(section("x"), submit=pt("s" * 25)), "submit 25 > 24"),
    ("close", modal(section("x"), close=pt("c" * 25)), "close 25 > 24"),
    (
        "submit required",
        {"type": "modal", "title": pt("T"), "blocks": [input_block("L", select())]},
        "submit is required",
    ),
    ("blocks", modal(*[section("x")] * 101), "101 blocks in a modal > 100"),
    ("size", modal(*[section("x" * 2999)] * 90), "view_too_large"),
    ("metadata", modal(section("x"), private_metadata="m" * 3001), "private_metadata 3001 > 3000"),
    ("callback_id", modal(section("x"), callback_id="c" * 256), "callback_id 256 > 255"),
    ("external_id", modal(section("x"), external_id="e" * 256), "external_id 256 > 255"),
    ("block_id", modal(section("x", block_id="b" * 256)), "blocks[0].block_id: block_id 256"),
    ("block_id empty", modal(section("x", block_id="")), "block_id must be a non-empty"),
    ("action_id", modal(actions(btn(action_id="a" * 256))), "action_id 256 > 255"),
    ("action_id empty", modal(actions(btn(action_id=""))), "action_id must be a non-empty"),
    ("section text", modal(section("x" * 3001)), "blocks[0].text: section text 3001 > 3000"),
    ("section empty", modal(section("")), "section text text must be a non-empty"),
    (
        "fields count",
        modal({"type": "section", "fields": [pt("f")] * 11}),
        "fields 11 > 10",
    ),
    (
        "field text",
        modal({"type": "section", "fields": [pt("f" * 2001)]}),
        "blocks[0].fields[0]: field text 2001 > 2000",
    ),
    ("header", modal({"type": "header", "text": pt("h" * 151)}), "header text 151 > 150"),
    ("label", modal(input_block("l" * 2001, select())), "label 2001 > 2000"),
    (
        "hint",
        modal({**input_block("L", select()), "hint": pt("h" * 2001)}),
        "hint 2001 > 2000",
    ),
    (
        "placeholder",
        modal(input_block("L", {**select(), "placeholder": pt("p" * 151)})),
        "placeholder 151 > 150",
    ),
    ("options", modal(input_block("L", select(101))), "element.options: options 101 > 100"),
    (
        "multi options",
        modal(input_block("L", select(101, "multi_static_select"))),
        "options 101 > 100",
    ),
    (
        "option groups",
        modal(
            input_block(
                "L",
                {
                    "type": "static_select",
                    "option_groups": [{"label": pt("g"), "options": [opt("v")]}] * 101,
                },
            )
        ),
        "option_groups 101 > 100",
    ),
    (
        "group options",
        modal(
            input_block(
                "L",
                {
                    "type": "static_select",
                    "option_groups": [
                        {"label": pt("g"), "options": [opt(f"{i}") for i in range(101)]}
                    ],  # noqa: E501
                },
            )
        ),
        "option_groups[0].options: options 101 > 100",
    ),
    ("checkboxes", modal(input_block("L", select(11, "checkboxes"))), "options 11 > 10"),
    ("radio", modal(input_block("L", select(11, "radio_buttons"))), "options 11 > 10"),
    ("overflow", modal(section("x", accessory=select(6, "overflow"))), "options 6 > 5"),
    ("option text", modal(input_block("L", select(text="o" * 76))), "option text 76 > 75"),
    ("option value", modal(input_block("L", select(value="v" * 151))), "option value 151 > 150"),
    (
        "initial option",
        modal(input_block("L", {**select(), "initial_option": opt("zz")})),
        "initial option 'zz' is not one of the options",
    ),
    ("button text", modal(actions(btn(text="b" * 76))), "button text 76 > 75"),
    ("button value", modal(actions(btn(value="v" * 2001))), "button value 2001 > 2000"),
    ("button empty text", modal(actions(btn(text=""))), "button text text must be a non-empty"),
    (
        "actions count",
        modal(actions(*[btn(action_id=f"a{i}") for i in range(26)])),
        "actions elements 26 > 25",
    ),
    (
        "context count",
        modal({"type": "context", "elements": [pt("c")] * 11}),
        "context elements 11 > 10",
    ),
    (
        "confirm",
        modal(
            actions(
                btn(
                    confirm={
                        "title": pt("t" * 101),
                        "text": pt("x" * 301),
                        "confirm": pt("y" * 31),
                        "deny": pt("n" * 31),
                    }
                )
            )
        ),
        [
            "confirm title 101 > 100",
            "confirm text 301 > 300",
            "confirm button 31 > 30",
            "deny button 31 > 30",
        ],
    ),  # fmt: skip
    (
        "duplicate block_id",
        modal(section("a", block_id="same"), section("b", block_id="same")),
        "blocks[1].block_id: duplicate block_id 'same'",
    ),
    (
        "duplicate action_id",
        modal(actions(btn(action_id="x"), btn(action_id="x"))),
        "duplicate action_id 'x' in one block",
    ),
    ("home blocks", {"type": "home", "blocks": [section("x")] * 101}, "101 blocks in a home"),
]


@pytest.mark.parametrize("name, view, expected", VIEW_CASES, ids=[c[0] for c in VIEW_CASES])
def test_view_problems_finds_each_kind(name, view, expected):
    problems = view_problems(view)
    for want in [expected] if isinstance(expected, str) else expected:
        assert any(want in p for p in problems), (want, problems)


def test_valid_views_have_no_problems():
    good = modal(
        {"type": "header", "text": pt("h" * 150)},
        section("x" * 3000, block_id="b" * 255, accessory=select(5, "overflow")),
        {"type": "section", "fields": [pt("f" * 2000)] * 10},
        input_block("l" * 2000, select(100, text="o" * 75, value=None)),
        input_block("C", select(10, "checkboxes")),
        actions(*[btn(action_id=f"a{i}", value="v" * 2000) for i in range(25)]),
        {"type": "context", "elements": [pt("c")] * 10},
        *[{"type": "divider"}] * 93,
        title=pt("t" * 24),
        submit=pt("s" * 24),
        private_metadata="m" * 3000,
    )
    assert len(good["blocks"]) == 100
    assert view_problems(good) == []
    assert_within_limits(view=good)


MESSAGE_CASES = [
    ("text", "x" * 40_001, None, "message text 40001 > 40000"),
    ("blocks", "t", [section("x")] * 51, "51 blocks in a message > 50"),
    ("empty", None, None, "no_text"),
    ("section", None, [section("x" * 3001)], "section text 3001 > 3000"),
    ("too long overall", "t", [section("x" * 2900)] * 5, "msg_blocks_too_long"),
    ("dup", "t", [section("a", block_id="d"), section("b", block_id="d")], "duplicate block_id"),
]


@pytest.mark.parametrize(
    "name, text, blocks, expected", MESSAGE_CASES, ids=[c[0] for c in MESSAGE_CASES]
)
def test_message_problems_finds_each_kind(name, text, blocks, expected):
    assert any(expected in p for p in message_problems(text, blocks))


def test_message_within_limits_and_assert_helper():
    assert message_problems("x" * 40_000, [section("x")] * 50) == []
    assert_within_limits(text="hi", blocks=[section("ok")])
    with pytest.raises(AssertionError, match="section text 3001 > 3000"):
        assert_within_limits(blocks=[section("x" * 3001)])


def test_truncate_and_constants():
    assert truncate("abc", 3) == "abc"
    assert truncate("abcdef", 4) == "abc…"
    assert len(truncate("x" * 100, L.MAX_OPTION_TEXT)) == L.MAX_OPTION_TEXT
    assert truncate("abc", 0) == ""
    assert (L.MAX_VIEW_BLOCKS, L.MAX_MESSAGE_BLOCKS, L.MAX_OPTIONS, L.MAX_TITLE) == (
        100,
        50,
        100,
        24,
    )
    assert (L.MAX_OPTION_TEXT, L.MAX_OPTION_VALUE, L.MAX_SECTION_TEXT) == (75, 150, 3000)
    assert L.MAX_PRIVATE_METADATA == 3000
