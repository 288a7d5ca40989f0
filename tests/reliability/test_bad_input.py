"""Bad input, generated: slash-command text and form values of every odd kind through the
real request path (signed HTTP to the running bot). Always HTTP 200 with an answer for
the person, never a 500 or an apology for an unhandled error, no payload over Slack's
limits (the fake records none), and invalid input changes nothing on disk.

RELIABILITY_EXAMPLES sets hypothesis' examples per property (default 60).
"""

from __future__ import annotations

import hashlib
import os
import re

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.model import Actor
from handlers.router import APOLOGY
from tests.conftest import MANAGER, READER
from tests.fakeslack import assert_within_limits
from tests.slack_driver import command, opened_view, submit

EXAMPLES = int(os.environ.get("RELIABILITY_EXAMPLES", "60"))
BOSS = Actor(MANAGER, True)
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=os.environ.get("RELIABILITY_RANDOM") is None,
)

# Odd pieces a person (or an attacker) can type.
NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "x" * 10_000,
    "📞" * 3000,
    "مرحبا بالعالم",  # right-to-left
    "\u202etxt.exe",  # right-to-left override
    "שלום 123",
    "<!channel>",
    "<!here|here>",
    "<@UMANAGER>",
    "<@U0BAD|someone>",
    "<#C123|general>",
    "*bold* _it_ ~s~ `code` ```block```",
    "&lt;&gt;&amp;",
    "<https://evil.example|click>",
    '"unclosed',
    "“typographic”",
    "'; DROP TABLE numbers; --",
    "../../etc/passwd",
    "{{7*7}} ${jndi:ldap://x}",
    "\u200b\u200d\ufeff",
    "Ǆ ß İ ﬁ",
    "\r\n\t",
    "page=-1",
    "page=99999999999999999999",
]
PLAIN = re.compile(r"[A-Za-z0-9 ]{1,40}")  # a name that a command can quote as it is
REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)


@st.composite
def phone_numbers(draw) -> str:
    region = draw(st.sampled_from(REGIONS))
    kind = draw(st.sampled_from(["example", "national", "junk"]))
    example = phonenumbers.example_number(region)
    if example is None or kind == "junk":
        return draw(st.from_regex(r"\+?[0-9 ()\-]{0,20}", fullmatch=True))
    fmt = phonenumbers.PhoneNumberFormat
    if kind == "national":
        return phonenumbers.format_number(example, fmt.NATIONAL)
    return phonenumbers.format_number(example, fmt.INTERNATIONAL)


odd_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=50),
    phone_numbers(),
)
words = st.lists(odd_text, max_size=4).map(" ".join)
SUBCOMMANDS = [
    "",
    "help",
    "list",
    "show",
    "add",
    "remove",
    "link",
    "unlink",
    "address",
    "address show",
    "address edit",
    "address delete",
    "group",
    "group show",
    "group edit",
    "campaign",
    "campaign show",
    "pool",
    "agent",
    "callerid",
    "access",
    "access grant",
    "search",
    "report",
]


def disk(bot) -> str:
    path = bot.data_dir / "team-T1.json"
    journal = path.with_name(path.name + ".journal")  # commits are appended there
    files = [p.read_bytes() for p in (path, journal) if p.exists()]
    return hashlib.sha256(b"\0".join(files)).hexdigest() if files else ""


@pytest.fixture
def world(bot):
    inv = bot.inventory()
    inv.addresses.create(
        BOSS,
        {
            "name": "HQ Munich",
            "customer_name": "Acme GmbH",
            "street": "Marienplatz 1",
            "postal_code": "80331",
            "city": "München",
            "country": "DE",
            "confirmed": True,
        },
    )
    inv.numbers.add(BOSS, ["+49891234567", "+49301234567"])
    inv.groups.save(BOSS, "Sales", ["+49891234567"])
    return bot


def answered(bot, r, trigger: str) -> str:
    """What the person got: the ack's text, or the form the bot opened. Never nothing."""
    assert r.status == 200, (r.status, r.body_text[:300])
    if not r.body_text.strip():
        modal = opened_view(bot.fake, trigger, timeout=15)
        assert_within_limits(view=modal.view)
        return ""
    body = r.json
    assert body["response_type"] == "ephemeral" and body["text"].strip()
    assert_within_limits(text=body["text"], blocks=body.get("blocks"))
    assert APOLOGY not in r.body_text, r.body_text[:500]
    return body["text"]


@SETTINGS
@given(sub=st.sampled_from(SUBCOMMANDS), rest=words)
def test_any_command_text_gets_an_answer(world, sub, rest):
    bot = world
    before = disk(bot)
    text = f"{sub} {rest}".strip()
    for user in (READER, MANAGER):
        r, trigger = command(bot.sender, text, user=user)
        reply = answered(bot, r, trigger)
        if user == READER or reply.startswith(":warning:") or reply == "/numbers help":
            assert disk(bot) == before, f"{text!r} by {user} changed the data: {reply!r}"
        before = disk(bot)
    assert bot.fake.violations == []


def form(bot, text: str):
    r, trigger = command(bot.sender, text)
    assert r.status == 200 and not r.body_text.strip(), r.body_text
    return opened_view(bot.fake, trigger)


def check_submission(bot, r, before: str, inputs: set[str]) -> None:
    assert r.status == 200, (r.status, r.body_text[:300])
    body = r.json
    assert body["response_action"] in ("errors", "update"), body
    if body["response_action"] == "errors":
        assert body["errors"] and set(body["errors"]) <= inputs, body["errors"]
        assert all(0 < len(m) <= 2000 for m in body["errors"].values())
        assert APOLOGY not in r.body_text
        assert disk(bot) == before, "a refused form changed the data"
    else:
        assert_within_limits(view=body["view"])
    assert bot.fake.violations == []


def inputs_of(modal) -> set[str]:
    return {b["block_id"] for b in modal.blocks if b["type"] == "input"}


@SETTINGS
@given(
    fields=st.fixed_dictionaries(
        {
            "Name": odd_text,
            "Customer name": odd_text,
            "Street": odd_text,
            "Postal code": odd_text,
            "City": odd_text,
            "Region": odd_text,
        }
    ),
    country=st.sampled_from(["DE", "FI", "US", None]),
    confirmed=st.booleans(),
)
def test_address_form_with_any_values(world, fields, country, confirmed):
    bot = world
    plain = [a.name for a in bot.inventory().address_list() if PLAIN.fullmatch(a.name)]
    for text in ["address new"] + [f'address edit "{name}"' for name in plain[:1]]:
        modal = form(bot, text)
        for label, value in fields.items():
            modal.fill(label, value)
        modal.fill("Country", country).fill("Obligations", ["confirmed"] if confirmed else [])
        before = disk(bot)
        r = submit(modal, bot.sender)
        check_submission(bot, r, before, inputs_of(modal))


@SETTINGS
@given(
    numbers=st.lists(odd_text, max_size=5),
    address=st.one_of(st.sampled_from(["", "nope", "\x00"]), odd_text),
)
def test_link_form_with_any_values(world, numbers, address):
    bot = world
    modal = form(bot, "link")
    modal.fill("Numbers", [(n, n[:75] or "x") for n in numbers])
    modal.fill("Address", (address, address[:75] or "x") if address else None)
    before = disk(bot)
    r = submit(modal, bot.sender)
    check_submission(bot, r, before, inputs_of(modal))
    assert r.json["response_action"] == "errors"  # no real address id was chosen


@SETTINGS
@given(
    pasted=st.one_of(
        odd_text,
        st.lists(st.one_of(phone_numbers(), odd_text), max_size=12).map("\n".join),
    ),
    label=odd_text,
)
def test_bulk_add_form_with_any_values(world, pasted, label):
    bot = world
    modal = form(bot, "add")
    modal.fill("Numbers", pasted)
    if "Label" in modal.labels():
        modal.fill("Label", label)
    before_numbers = {i.e164 for i in bot.inventory().number_list()}
    before = disk(bot)
    r = submit(modal, bot.sender)
    check_submission(bot, r, before, inputs_of(modal))
    after = {i.e164 for i in bot.inventory().number_list()}
    if r.json["response_action"] == "update":
        # Only numbers that were pasted were added, each a valid number.
        for e164 in after - before_numbers:
            assert phonenumbers.is_valid_number(phonenumbers.parse(e164))


@SETTINGS
@given(name=odd_text, numbers=st.lists(odd_text, max_size=4), edit=st.booleans())
def test_group_form_with_any_values(world, name, numbers, edit):
    bot = world
    plain = [g.name for g in bot.inventory().group_list() if PLAIN.fullmatch(g.name)]
    modal = form(bot, f'group edit "{plain[0]}"' if edit and plain else "group new")
    modal.fill("Name", name).fill("Numbers", [(n, n[:75] or "x") for n in numbers])
    before = disk(bot)
    r = submit(modal, bot.sender)
    check_submission(bot, r, before, inputs_of(modal))
    if r.json["response_action"] == "update":
        members = {n for g in bot.inventory().group_list() for n in g.numbers}
        assert members <= {i.e164 for i in bot.inventory().number_list()}
