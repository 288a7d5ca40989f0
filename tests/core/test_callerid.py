"""Caller-ID resolution (bot.core.callerid): table-driven, real phonenumbers data, shipped rules."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.core.callerid import (
    RULE_AGENT,
    RULE_ANY,
    RULE_AREA,
    RULE_COUNTRY,
    RULE_NONE,
    RULE_STATE,
    RULE_TOLL_FREE,
    RULE_TOLL_FREE_COUNTRY,
    area_prefix,
    record_use,
    resolve,
    state_of,
    usage_on,
)
from bot.core.compliance import Rules, verdict
from bot.core.model import Address, Agent, Number
from bot.core.phone import parse_number
from bot.core.services import NumberInfo

RULES = Rules.shipped()


def _address(city: str, country: str, region: str = "") -> Address:
    return Address(
        id=f"a-{city}",
        name=f"Office {city}",
        customer_name="ACME",
        street="Main street 1",
        postal_code="12345",
        city=city,
        country=country,
        region=region,
    )


ADDRESSES = {
    "Munich": _address("München", "DE"),
    "Berlin": _address("Berlin", "DE"),
    "Hamburg": _address("Hamburg", "DE"),
    "FFB": _address("Fürstenfeldbruck", "DE"),
    "DE": _address("Köln", "DE"),
    "SP": _address("São Paulo", "BR", "SP"),
    "RJ": _address("Rio de Janeiro", "BR", "RJ"),
    "Campinas": _address("Campinas", "BR", "SP"),
}

# name -> (number as typed, address key or None)
NUMBERS = {
    "muc1": ("+49 89 12345678", "Munich"),
    "muc2": ("+49 89 23456789", "Munich"),
    "muc_bare": ("+49 89 34567890", None),  # needs a Munich address: not OK
    "ber": ("+49 30 12345678", "Berlin"),
    "ham": ("+49 40 12345678", "Hamburg"),
    "ffb": ("+49 8141 123456", "FFB"),
    "de_mobile": ("+49 151 23456789", "DE"),
    "de_tf": ("+49 800 1234567", None),
    "sf": ("+1 415 555 2671", None),
    "la": ("+1 213 555 0123", None),
    "ny": ("+1 212 555 0100", None),
    "boston": ("+1 617 555 0100", None),
    "us_tf": ("+1 800 234 5678", None),
    "us_tf2": ("+1 888 555 0100", None),
    "montreal": ("+1 514 555 0100", None),
    "sp": ("+55 11 3333 4444", "SP"),
    "rj": ("+55 21 3333 4444", "RJ"),
    "br_tf": ("+55 800 123456", None),  # Brazilian toll-free: never caller ID
    "be_national": ("+32 78 10 23 45", None),  # Belgian national: never caller ID
    "be_tf": ("+32 800 12345", None),
    "fr_tf": ("+33 801234567", None),
}

CALLED = {
    "munich": "+49 89 98765432",
    "berlin": "+49 30 98765432",
    "ffb": "+49 8141 654321",
    "de_mobile": "+49 152 23456789",
    "san_jose": "+1 408 555 0100",
    "sf": "+1 415 555 0199",
    "chicago": "+1 312 555 0100",
    "campinas": "+55 19 3333 4444",
    "paris": "+33 1 23 45 67 89",
}


def info(name: str) -> NumberInfo:
    text, where = NUMBERS[name]
    parsed = parse_number(text, "DE")  # raises for an invalid number: the data is real
    number = Number(parsed.e164, parsed.country, parsed.kind, parsed.area, parsed.area_names)
    address = ADDRESSES[where] if where else None
    return NumberInfo(number, address, verdict(number, address, RULES))


def e164(name: str) -> str:
    return parse_number(NUMBERS[name][0], "DE").e164


@dataclass
class Case:
    id: str
    pool: list[str]
    to: str | None
    chosen: str | None
    rule: str
    usage: dict[str, int] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)


CASES = [
    Case(
        "german pool, called from Munich -> Munich",
        ["ber", "ham", "muc1"],
        "munich",
        "muc1",
        RULE_AREA,
    ),
    Case(
        "german pool, called from Berlin -> Berlin",
        ["ber", "ham", "muc1"],
        "berlin",
        "ber",
        RULE_AREA,
    ),
    Case(
        "4-digit area code: Fürstenfeldbruck, not Munich",
        ["muc1", "ffb"],
        "ffb",
        "ffb",
        RULE_AREA,
    ),
    Case(
        "German numbers, no area match: same country (state unknown)",
        ["ham", "sf"],
        "ffb",
        "ham",
        RULE_COUNTRY,
    ),
    Case(
        "German mobile called: no area prefix, same country",
        ["sf", "ber"],
        "de_mobile",
        "ber",
        RULE_COUNTRY,
    ),
    Case(
        "Munich number without its address is left out",
        ["muc_bare", "ber"],
        "munich",
        "ber",
        RULE_COUNTRY,
        left_out=["muc_bare"],
    ),
    Case("US pool, same area code", ["la", "ny", "sf"], "sf", "sf", RULE_AREA),
    Case("US pool, same state (CA)", ["ny", "la", "boston"], "san_jose", "la", RULE_STATE),
    Case("US pool, same country", ["montreal", "boston"], "chicago", "boston", RULE_COUNTRY),
    Case(
        "US pool, any non-toll-free before US toll-free",
        ["us_tf", "muc1"],
        "chicago",
        "muc1",
        RULE_ANY,
    ),
    Case(
        "toll-free of the called country before other toll-free",
        ["fr_tf", "us_tf", "de_tf"],
        "chicago",
        "us_tf",
        RULE_TOLL_FREE_COUNTRY,
    ),
    Case(
        "any toll-free when none of the called country",
        ["de_tf", "fr_tf"],
        "chicago",
        "fr_tf",  # equally good: the lowest E.164
        RULE_TOLL_FREE,
    ),
    Case(
        "Brazil: same state SP (Campinas called, São Paulo number)",
        ["rj", "sp"],
        "campinas",
        "sp",
        RULE_STATE,
    ),
    Case(
        "mixed pool, Paris called: French toll-free beats other toll-free",
        ["de_tf", "fr_tf", "us_tf"],
        "paris",
        "fr_tf",
        RULE_TOLL_FREE_COUNTRY,
    ),
    Case(
        "mixed pool, Paris called: any non-toll-free before French toll-free",
        ["fr_tf", "sf"],
        "paris",
        "sf",
        RULE_ANY,
    ),
    Case(
        "Belgian national and Brazilian toll-free never caller ID",
        ["be_national", "be_tf", "br_tf", "fr_tf"],
        None,
        "fr_tf",
        RULE_TOLL_FREE,
        left_out=["be_national", "be_tf", "br_tf"],
    ),
    Case(
        "only Belgian national numbers: nothing usable",
        ["be_national"],
        "munich",
        None,
        RULE_NONE,
        left_out=["be_national"],
    ),
    Case("empty pool", [], "munich", None, RULE_NONE),
    Case("no called number: any non-toll-free", ["us_tf", "ham"], None, "ham", RULE_ANY),
    Case(
        "least used today among the same area",
        ["muc1", "muc2", "ber"],
        "munich",
        "muc2",
        RULE_AREA,
        usage={"muc1": 3, "muc2": 1, "ber": 0},
    ),
    Case(
        "equal use: lowest E.164 (stable answer)",
        ["muc2", "muc1"],
        "munich",
        "muc1",
        RULE_AREA,
        usage={"muc1": 2, "muc2": 2},
    ),
    Case(
        "least used does not beat a better rule",
        ["muc1", "ber"],
        "munich",
        "muc1",
        RULE_AREA,
        usage={"muc1": 50},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_resolve(case: Case) -> None:
    to = parse_number(CALLED[case.to], "DE") if case.to else None
    usage = {e164(k): v for k, v in case.usage.items()}
    result = resolve([info(n) for n in case.pool], rules=RULES, to=to, usage_today=usage)
    assert result.rule.startswith(case.rule), result.steps
    if case.chosen is None:
        assert result.chosen is None
    else:
        assert result.chosen is not None and result.chosen.e164 == e164(case.chosen), result.steps
    assert [i.e164 for i, _ in result.left_out] == sorted(e164(n) for n in case.left_out)
    assert result.steps and all(isinstance(s, str) and s for s in result.steps)


def test_steps_name_the_rules_tried_in_order() -> None:
    to = parse_number(CALLED["chicago"], "DE")
    result = resolve([info("fr_tf")], rules=RULES, to=to)
    text = "\n".join(result.steps)
    order = ["area prefix 312", "Same state (IL): none", "Same country", "Any number", "Any toll"]
    positions = [text.find(s) for s in order]
    assert -1 not in positions and positions == sorted(positions), text


def test_left_out_reasons_name_the_rule() -> None:
    result = resolve([info("be_national"), info("muc_bare")], rules=RULES)
    reasons = dict((i.e164, why) for i, why in result.left_out)
    assert "cannot be shown as caller ID" in reasons[e164("be_national")]
    assert "Twilio voice guidelines, Belgium" in reasons[e164("be_national")]
    assert "Munich" in reasons[e164("muc_bare")]
    assert result.chosen is None and "no usable number" in result.steps[-1]


def test_left_out_passed_in_are_kept_and_not_duplicated() -> None:
    bare = info("muc_bare")
    result = resolve([bare, info("ber")], rules=RULES, left_out=[(bare, "given reason")])
    assert result.left_out == [(bare, "given reason")]
    assert result.chosen.e164 == e164("ber")


def _agent(caller: str | None) -> Agent:
    return Agent(id="ag1", name="Maria", caller_id=e164(caller) if caller else None)


@pytest.mark.parametrize(
    ("own", "pool", "chosen", "rule", "says"),
    [
        ("ham", ["muc1"], "ham", RULE_AGENT, "is compliant"),
        ("us_tf", ["muc1"], "us_tf", RULE_AGENT, "wins"),
        ("muc_bare", ["muc1"], "muc1", RULE_AREA, "cannot be used"),
        ("be_national", ["ber"], "ber", RULE_COUNTRY, "cannot be shown as caller ID"),
        (None, ["muc1"], "muc1", RULE_AREA, "has no own caller ID"),
        ("muc_bare", [], None, RULE_NONE, "cannot be used"),
    ],
    ids=["compliant", "toll-free", "needs address", "belgian national", "none set", "empty"],
)
def test_agent_override(own, pool, chosen, rule, says) -> None:
    agent = _agent(own)
    to = parse_number(CALLED["munich"], "DE")
    result = resolve(
        [info(n) for n in pool],
        rules=RULES,
        agent=agent,
        agent_number=info(own) if own else None,
        to=to,
    )
    assert result.rule.startswith(rule)
    assert (result.chosen.e164 if result.chosen else None) == (e164(chosen) if chosen else None)
    assert says in result.steps[0] and "Maria" in result.steps[0]
    if rule != RULE_AGENT and own:
        assert e164(own) in [i.e164 for i, _ in result.left_out]


def test_agent_number_gone_from_inventory() -> None:
    result = resolve([info("ber")], rules=RULES, agent=_agent("ham"), agent_number=None, to=None)
    assert "no longer in the inventory" in result.steps[0]
    assert result.chosen.e164 == e164("ber")


@pytest.mark.parametrize(
    ("country", "area", "state"),
    [
        ("US", "San Francisco, CA", "CA"),
        ("US", "California", "CA"),
        ("US", "New York, NY", "NY"),
        ("BR", "São Paulo - SP", "SP"),
        ("BR", "São Paulo", "SP"),
        ("CA", "Quebec", "QC"),
        ("DE", "Munich", ""),
        ("DE", "", ""),
        ("", "California", ""),
    ],
)
def test_state_of(country, area, state) -> None:
    assert state_of(country, area) == state


@pytest.mark.parametrize(
    ("number", "prefix"),
    [
        ("+49 89 12345678", "89"),
        ("+49 8141 123456", "8141"),
        ("+1 415 555 2671", "415"),
        ("+49 151 23456789", ""),
        ("+49 800 1234567", ""),
    ],
)
def test_area_prefix(number, prefix) -> None:
    assert area_prefix(parse_number(number, "DE").e164) == prefix


def test_record_use_counts_per_day() -> None:
    counts = record_use(None, "2024-05-01", "+4989")
    counts = record_use(counts, "2024-05-01", "+4989")
    counts = record_use(counts, "2024-05-01", "+4930")
    assert usage_on(counts, "2024-05-01") == {"+4989": 2, "+4930": 1}
    assert usage_on(counts, "2024-05-02") == {}
    nextday = record_use(counts, "2024-05-02", "+4930")
    assert nextday == {"day": "2024-05-02", "counts": {"+4930": 1}}
    assert usage_on({"day": "2024-05-01", "counts": "garbage"}, "2024-05-01") == {}
