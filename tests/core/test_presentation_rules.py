"""Presentation rules: will a call showing a number reach the callee?

Every row of the shipped table is judged with a real number of its country and kind
(phonenumbers must call it valid and of that kind), alone and within the whole table;
dated rules with a clock the test controls; malformed rules files; the new address rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType

from bot.config import ConfigError, load_settings
from bot.core.compliance import (
    ANTI_SPOOFING,
    BANNED_KIND,
    NO_CALLER_ID,
    TELEMARKETING,
    Delivery,
    PresentationRule,
    Rules,
    RulesError,
    Status,
    deliverability,
    verdict,
)
from bot.core.phone import Kind, parse_number

SHIPPED = Rules.shipped()
TODAY = date(2026, 11, 20)  # the research date of COMPLIANCE.md's rows


@dataclass(frozen=True)
class Case:
    row: tuple[str, str, str]  # (table, country, a kind or prefix of the row)
    number: str
    kind: str
    origin: str | None
    purpose: str
    status: str
    reason: str  # the exact reason the row alone gives


B, R, D = Delivery.BLOCKED, Delivery.RESTRICTED, Delivery.DELIVERABLE
FR_RANGES = "+33 162, +33 163, +33 270, +33 271 … (12 ranges)"
ONE_ROW_CASES = [
    # ------------------------------------------------------------ anti-spoofing
    Case(
        (ANTI_SPOOFING, "DE", "local"), "+49 30 1234567", "local", "FI", "sales", B,
        "Blocked: calls entering Germany from Finland may not show German numbers "
        "(BNetzA, since 1 Dec 2022)",
    ),
    Case(
        (ANTI_SPOOFING, "DE", "mobile"), "+49 151 12345678", "mobile", "FI", "service", R,
        "Restricted: calls entering Germany from Finland are shown without a number: "
        "German numbers are suppressed (BNetzA, since 1 Dec 2022)",
    ),
    Case(
        (ANTI_SPOOFING, "FI", "local"), "+358 9 1234567", "local", "SE", "sales", B,
        "Blocked: calls entering Finland from Sweden may not show Finnish local numbers "
        "(Traficom Regulation 28, since 1 Jul 2022)",
    ),
    Case(
        (ANTI_SPOOFING, "FI", "mobile"), "+358 40 1234567", "mobile", "SE", "service", B,
        "Blocked: calls entering Finland from Sweden may not show Finnish mobile numbers "
        "(Traficom Regulation 28, since 2 Oct 2023)",
    ),
    Case(
        (ANTI_SPOOFING, "SE", "local"), "+46 8 123 456 78", "local", "DE", "sales", B,
        "Blocked: calls entering Sweden from Germany may not show Swedish local numbers "
        "(PTS, since 2024)",
    ),
    Case(
        (ANTI_SPOOFING, "NO", "local"), "+47 22 12 34 56", "local", "DE", "sales", B,
        "Blocked: calls entering Norway from Germany may not show Norwegian local numbers "
        "(Nkom)",
    ),
    Case(
        (ANTI_SPOOFING, "BE", "local"), "+32 2 555 12 12", "local", "NL", "service", B,
        "Blocked: calls entering Belgium from the Netherlands may not show Belgian local "
        "numbers (Royal Decree of 12 May 2024, since 1 Sep 2024)",
    ),
    Case(
        (ANTI_SPOOFING, "BE", "mobile"), "+32 470 12 34 56", "mobile", "NL", "sales", B,
        "Blocked: calls entering Belgium from the Netherlands may not show Belgian mobile "
        "numbers (Royal Decree of 12 May 2024, since 1 Dec 2024)",
    ),
    Case(
        (ANTI_SPOOFING, "ES", "local"), "+34 91 123 45 67", "local", "PT", "service", B,
        "Blocked: calls entering Spain from Portugal may not show Spanish numbers "
        "(Orden TDF/149/2025, since 7 Jun 2025)",
    ),
    Case(
        (ANTI_SPOOFING, "IT", "local"), "+39 02 1234 5678", "local", "FI", "sales", B,
        "Blocked: calls entering Italy from Finland may not show Italian local numbers "
        "(AGCOM 106/25/CONS, since 19 Aug 2025)",
    ),
    Case(
        (ANTI_SPOOFING, "IT", "mobile"), "+39 312 345 6789", "mobile", "FI", "sales", B,
        "Blocked: calls entering Italy from Finland may not show Italian mobile numbers "
        "(AGCOM 106/25/CONS, since 19 Nov 2025)",
    ),
    Case(
        (ANTI_SPOOFING, "CZ", "local"), "+420 212 345 678", "local", "DE", "sales", B,
        "Blocked: calls entering Czechia from Germany may not show Czech numbers "
        "(Cullen International, since 2024)",
    ),
    Case(
        (ANTI_SPOOFING, "IE", "mobile"), "+353 85 123 4567", "mobile", "GB", "sales", B,
        "Blocked: calls entering Ireland from the United Kingdom may not show Irish numbers "
        "(Cullen International, since 2024)",
    ),
    Case(
        (ANTI_SPOOFING, "MT", "local"), "+356 2123 4567", "local", "IT", "service", B,
        "Blocked: calls entering Malta from Italy may not show Maltese numbers "
        "(Cullen International, since 2024)",
    ),
    Case(
        (ANTI_SPOOFING, "TR", "mobile"), "+90 501 234 56 78", "mobile", "DE", "sales", B,
        "Blocked: calls entering Türkiye from Germany may not show Turkish numbers "
        "(Twilio voice guidelines, Turkey)",
    ),
    Case(  # not yet in force on TODAY: deliverable, the upcoming block reported
        (ANTI_SPOOFING, "EE", "local"), "+372 612 3456", "local", "FI", "sales", D,
        "Deliverable today; blocked from Mar 2027: calls entering Estonia from Finland "
        "may not show Estonian numbers (draft law, en.reflect.ee)",
    ),
    # ------------------------------------------------------------ kinds that may not be shown
    Case(
        (BANNED_KIND, "FR", "mobile"), "+33 6 12 34 56 78", "mobile", None, "service", B,
        "Blocked: French mobile numbers may not be shown as caller ID (ARCEP numbering plan)",
    ),
    Case(
        (BANNED_KIND, "ES", "mobile"), "+34 612 34 56 78", "mobile", None, "sales", B,
        "Blocked: Spanish mobile numbers may not be shown on sales calls "
        "(Orden TDF/149/2025, since 7 Jun 2025)",
    ),
    Case(
        (BANNED_KIND, "BE", "national"), "+32 78 15 12 34", "national", None, "service", B,
        "Blocked: Belgian national numbers may not be shown as caller ID (CM.com, Belgium)",
    ),
    # ------------------------------------------------------------ telemarketing ranges
    Case(
        (TELEMARKETING, "FR", "162"), "+33 1 23 45 67 89", "local", None, "sales", R,
        f"Restricted: sales calls in France must show a number from {FR_RANGES} "
        "(ARCEP, since 1 Jan 2023)",
    ),
    Case(
        (TELEMARKETING, "BR", "303"), "+55 11 2345 6789", "local", None, "sales", R,
        "Restricted: sales calls in Brazil must show a number from +55 303 "
        "(Twilio voice guidelines, Brazil)",
    ),
    Case(
        (TELEMARKETING, "IN", "140"), "+91 98765 43210", "mobile", None, "sales", R,
        "Restricted: sales calls in India must show a number from +91 140 (DoT)",
    ),
    Case(
        (TELEMARKETING, "IN", "160"), "+91 98765 43210", "mobile", None, "service", R,
        "Restricted: service calls in India must show a number from +91 160 (DoT)",
    ),
    # ------------------------------------------------------------ no caller ID at all
    Case(
        (NO_CALLER_ID, "BE", "toll_free"), "+32 800 12 345", "toll_free", None, "service", B,
        "Blocked: Belgian toll-free numbers may not be shown as caller ID "
        "(Twilio voice guidelines, Belgium)",
    ),
    Case(
        (NO_CALLER_ID, "BE", "national"), "+32 78 15 12 34", "national", "BE", "sales", B,
        "Blocked: Belgian national numbers may not be shown as caller ID "
        "(Twilio voice guidelines, Belgium)",
    ),
    Case(
        (NO_CALLER_ID, "BR", "toll_free"), "+55 800 123 4567", "toll_free", None, "sales", B,
        "Blocked: Brazilian toll-free numbers may not be shown as caller ID "
        "(Twilio voice guidelines, Brazil)",
    ),
    Case(
        (NO_CALLER_ID, "HK", "toll_free"), "+852 800 123 456", "toll_free", None, "sales", B,
        "Blocked: Hong Kong toll-free numbers may not be shown as caller ID "
        "(Twilio voice guidelines, Hong Kong)",
    ),
]  # fmt: skip


def all_rows(rules: Rules = SHIPPED) -> list[PresentationRule]:
    return [r for country in _countries(rules) for r in rules.presentation_rules(country)]


def _countries(rules: Rules) -> list[str]:
    return sorted({r.country for r in rules.presentation} | {c for c, _ in rules.no_caller_id})


def the_row(key: tuple[str, str, str]) -> PresentationRule:
    table, country, part = key
    found = [
        r
        for r in all_rows()
        if r.type == table and r.country == country and (part in r.kinds or part in r.prefixes)
    ]
    if table == TELEMARKETING:
        found = [r for r in found if part in r.prefixes]
    assert len(found) == 1, (key, found)
    return found[0]


def only(row: PresentationRule) -> Rules:
    """A table holding just this presentation rule."""
    return Rules([], presentation=[row])


def real(text: str, kind: str):
    """The number as the inventory stores it, after checking phonenumbers agrees."""
    parsed = phonenumbers.parse(text)
    assert phonenumbers.is_valid_number(parsed), text
    number = parse_number(text)
    assert number.kind == kind, (text, number.kind)
    return number


@pytest.mark.parametrize("case", ONE_ROW_CASES, ids=lambda c: "-".join(c.row) + f"-{c.number}")
def test_each_row_alone_gives_its_verdict_and_reason(case: Case) -> None:
    row = the_row(case.row)
    number = real(case.number, case.kind)
    rules = only(row) if row.type != NO_CALLER_ID else Rules([], no_caller_id={
        (row.country, next(iter(row.kinds))): row.source
    })  # fmt: skip
    p = deliverability(number, case.origin, case.purpose, TODAY, rules)
    assert (p.status, p.reason) == (case.status, case.reason)
    if case.status != D:
        assert p.rule == row.type and p.source == row.source and p.since == row.starts
        assert p.upcoming is None
    # The whole shipped table never judges it better than the row alone.
    whole = deliverability(number, case.origin, case.purpose, TODAY, SHIPPED)
    order = [D, R, B]
    assert order.index(whole.status) >= order.index(case.status), whole


def test_every_presentation_row_of_the_shipped_table_has_a_case() -> None:
    covered = {id(the_row(c.row)) for c in ONE_ROW_CASES}
    missing = [(r.type, r.country, sorted(r.kinds)) for r in all_rows() if id(r) not in covered]
    assert not missing
    assert len(SHIPPED.presentation) == 22  # a new row needs a case above


def test_the_worked_example_of_the_issue() -> None:
    berlin = real("+49 30 1234567", "local")
    p = deliverability(berlin, "FI", "sales", TODAY, SHIPPED)
    assert p.status == "blocked"
    assert p.reason == (
        "Blocked: calls entering Germany from Finland may not show German numbers "
        "(BNetzA, since 1 Dec 2022)"
    )
    # The same number is deliverable when the calls enter the network in Germany ...
    assert deliverability(berlin, None, "sales", TODAY, SHIPPED).status == "deliverable"
    assert deliverability(berlin, "DE", "sales", TODAY, SHIPPED).reason == (
        "Deliverable: calls enter the network in Germany itself"
    )
    # ... and its address verdict is a separate thing.
    assert verdict(berlin, None, SHIPPED).status == Status.MISSING


# Example numbers of phonenumbers per kind, to judge every kind of every anti-spoofing row.
_TYPES = {
    Kind.LOCAL: [PhoneNumberType.FIXED_LINE],
    Kind.MOBILE: [PhoneNumberType.MOBILE],
    Kind.TOLL_FREE: [PhoneNumberType.TOLL_FREE],
    Kind.NATIONAL: [
        PhoneNumberType.UAN,
        PhoneNumberType.VOIP,
        PhoneNumberType.PERSONAL_NUMBER,
        PhoneNumberType.SHARED_COST,
    ],
    Kind.OTHER: [PhoneNumberType.PREMIUM_RATE, PhoneNumberType.PAGER],
}


def example(country: str, kind: str):
    for ntype in _TYPES[Kind(kind)]:
        found = phonenumbers.example_number_for_type(country, ntype)
        if found is None:
            continue
        e164 = phonenumbers.format_number(found, phonenumbers.PhoneNumberFormat.E164)
        number = parse_number(e164)
        if number.kind == kind:
            return number
    return None


ANTI_SPOOFING_KINDS = [
    (row, kind)
    for row in SHIPPED.presentation
    if row.type == ANTI_SPOOFING
    for kind in sorted(row.kinds)
]


@pytest.mark.parametrize(
    ("row", "kind"), ANTI_SPOOFING_KINDS, ids=[f"{r.country}-{k}" for r, k in ANTI_SPOOFING_KINDS]
)
def test_every_kind_of_every_anti_spoofing_row(row: PresentationRule, kind: str) -> None:
    number = example(row.country, kind)
    if number is None:
        pytest.skip(f"phonenumbers has no {kind} example for {row.country}")
    later = date(2030, 1, 1)  # every shipped rule is in force by then
    abroad = "US"
    p = deliverability(number, abroad, "sales", later, only(row))
    assert p.status == "blocked", p
    assert "from the United States may not show" in p.reason
    for origin in (None, row.country):  # a local carrier: no anti-spoofing block
        assert deliverability(number, origin, "sales", later, only(row)).status == "deliverable"
    # Kinds the row does not list are not blocked by it.
    for other in sorted(set(k.value for k in Kind) - row.kinds):
        number = example(row.country, other)
        if number is not None:
            assert deliverability(number, abroad, "sales", later, only(row)).deliverable


@pytest.mark.parametrize(
    ("number", "kind", "purpose"),
    [
        ("+33 1 62 12 34 56", "local", "sales"),  # 0162: a dedicated range
        ("+33 2 70 12 34 56", "local", "sales"),  # 0270
        ("+33 9 48 12 34 56", "national", "sales"),  # 0948
        ("+33 1 23 45 67 89", "local", "service"),  # the ranges are for sales calls
        ("+55 303 123 4567", "national", "sales"),  # Brazil's 0303
        ("+91 140 123 4567", "national", "sales"),  # India's 140 series
        ("+91 1600 123 456", "mobile", "service"),  # India's 160 series
    ],
)
def test_numbers_in_the_dedicated_ranges_are_deliverable(
    number: str, kind: str, purpose: str
) -> None:
    p = deliverability(real(number, kind), None, purpose, TODAY, SHIPPED)
    assert p.status == "deliverable", p


def test_banned_kinds_follow_the_purpose() -> None:
    spanish_mobile = real("+34 612 34 56 78", "mobile")
    assert deliverability(spanish_mobile, None, "sales", TODAY, SHIPPED).status == "blocked"
    service = deliverability(spanish_mobile, None, "service", TODAY, SHIPPED)
    assert service.status == "deliverable"
    assert service.reason == "Deliverable: calls enter the network in Spain itself"
    # A Spanish number from abroad: the anti-spoofing block, whatever the purpose.
    assert deliverability(spanish_mobile, "FR", "service", TODAY, SHIPPED).reason.startswith(
        "Blocked: calls entering Spain from France"
    )


def test_a_country_without_rules_is_deliverable_from_anywhere() -> None:
    helsinki_vs_poland = real("+48 22 123 45 67", "local")
    p = deliverability(helsinki_vs_poland, "FI", "sales", TODAY, SHIPPED)
    assert p == deliverability(helsinki_vs_poland, "fi", "sales", TODAY, SHIPPED)
    assert p.status == "deliverable" and p.rule == "" and p.upcoming is None
    assert p.reason == (
        "Deliverable: no rule bars numbers of Poland on calls entering Poland from Finland"
    )


# ---------------------------------------------------------------- dated rules and the clock


def test_a_rule_not_yet_in_force_is_reported_as_upcoming_until_its_day() -> None:
    tallinn = real("+372 612 3456", "local")
    before = deliverability(tallinn, "FI", "sales", date(2027, 2, 28), SHIPPED)
    assert before.status == "deliverable"
    assert before.upcoming is not None
    assert before.upcoming.status == "blocked"
    assert before.upcoming.since == date(2027, 3, 1)
    assert before.upcoming.reason == (
        "Blocked: calls entering Estonia from Finland may not show Estonian numbers "
        "(draft law, en.reflect.ee, from Mar 2027)"
    )
    on_the_day = deliverability(tallinn, "FI", "sales", date(2027, 3, 1), SHIPPED)
    assert on_the_day.status == "blocked" and on_the_day.upcoming is None
    assert on_the_day.reason.endswith("(draft law, en.reflect.ee, since Mar 2027)")
    # A local carrier in Estonia is never affected.
    assert deliverability(tallinn, None, "sales", date(2027, 3, 1), SHIPPED).deliverable


@pytest.mark.parametrize(
    ("number", "kind", "day_before", "day"),
    [
        ("+49 30 1234567", "local", date(2022, 11, 30), date(2022, 12, 1)),
        ("+358 40 1234567", "mobile", date(2023, 10, 1), date(2023, 10, 2)),
        ("+39 312 345 6789", "mobile", date(2025, 11, 18), date(2025, 11, 19)),
        ("+32 470 12 34 56", "mobile", date(2024, 11, 30), date(2024, 12, 1)),
    ],
)
def test_dated_rules_start_on_their_day(number, kind, day_before, day) -> None:
    n = real(number, kind)
    before = deliverability(n, "EE", "sales", day_before, SHIPPED)
    assert before.status == "deliverable"
    assert before.upcoming is not None and before.upcoming.since == day
    assert f"from {day.day} " in before.reason
    after = deliverability(n, "EE", "sales", day, SHIPPED)
    assert after.status == "blocked" and after.since == day
    assert f"since {day.day} " in after.reason


DATED = """
[[anti_spoofing]]
country = "FR"
kinds = ["local"]
from = "2027-01-01"
effect = "restricted"
cite = "an earlier, milder rule"
source = "an earlier, milder rule, for the test"

[[anti_spoofing]]
country = "FR"
kinds = ["local"]
from = "2027-09-01"
cite = "a later decree"
source = "a later decree, for the test"

[[banned_kind]]
country = "FR"
kinds = ["local"]
purpose = "sales"
from = "2027-06-01"
cite = "a future decree"
source = "a future decree, for the test"

[[telemarketing]]
country = "FR"
prefixes = ["162"]
purpose = "sales"
from = "2023-01-01"
cite = "ARCEP"
source = "ARCEP decision"
"""


def test_a_restricted_number_warns_of_the_first_worse_rule_ahead_not_of_a_milder_one() -> None:
    rules = Rules.from_text(DATED, "dated.toml")
    paris = real("+33 1 23 45 67 89", "local")
    p = deliverability(paris, "BE", "sales", TODAY, rules)
    assert p.status == "restricted" and p.rule == TELEMARKETING
    # The milder restriction (from Jan 2027) is no news; of the two blocks ahead, the
    # earlier one (Jun 2027) is reported.
    assert p.upcoming is not None and p.upcoming.rule == BANNED_KIND
    assert p.upcoming.reason == (
        "Blocked: French local numbers may not be shown on sales calls "
        "(a future decree, from 1 Jun 2027)"
    )
    # Deliverable today (a dedicated range) with rules ahead: the worst, earliest one.
    q = deliverability(real("+33 1 62 12 34 56", "local"), "BE", "sales", TODAY, rules)
    assert q.status == "deliverable" and q.upcoming is not None
    assert (q.upcoming.status, q.upcoming.since) == ("blocked", date(2027, 6, 1))
    # For service calls the banned kind does not apply: the later block is the news.
    r = deliverability(paris, "BE", "service", TODAY, rules)
    assert r.upcoming is not None and r.upcoming.since == date(2027, 9, 1)


# ---------------------------------------------------------------- malformed rules files


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "operator-rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def table(name: str, **fields) -> str:
    base: dict = {
        "anti_spoofing": {"country": "DE", "kinds": ["local"], "from": "2022-12-01"},
        "banned_kind": {"country": "FR", "kinds": ["mobile"], "purpose": "any", "from": "in force"},
        "telemarketing": {
            "country": "FR",
            "prefixes": ["162"],
            "purpose": "sales",
            "from": "2023-01-01",
        },
    }[name]
    base = {**base, "cite": "X", "source": "somewhere", **fields}
    lines = []
    for key, value in base.items():
        if value == "<omit>":
            continue
        if isinstance(value, list):
            lines.append(f"{key} = [" + ", ".join(f'"{v}"' for v in value) + "]")
        else:
            lines.append(f'{key} = "{value}"')
    return f"[[{name}]]\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            table("anti_spoofing", country="XX"),
            "[[anti_spoofing]] #1 (XX, line 1): 'XX' is not an ISO 3166-1 alpha-2 country code",
        ),
        (
            table("anti_spoofing") + table("anti_spoofing", kinds=["local", "landline"]),
            "[[anti_spoofing]] #2 (DE, line 7): unknown kind 'landline'",
        ),
        (table("anti_spoofing", kinds=[]), "[[anti_spoofing]] #1 (DE, line 1): kinds must be"),
        (
            table("anti_spoofing", **{"from": "2022-13-01"}),
            "[[anti_spoofing]] #1 (DE, line 1): bad date '2022-13-01' in from",
        ),
        (table("anti_spoofing", **{"from": "soon"}), "bad date 'soon' in from"),
        (table("anti_spoofing", **{"from": "1.12.2022"}), "bad date '1.12.2022' in from"),
        (table("anti_spoofing", **{"from": "<omit>"}), "#1 (DE, line 1): missing from"),
        (table("anti_spoofing", source="<omit>"), "#1 (DE, line 1): missing source"),
        (table("anti_spoofing", source="  "), "missing source"),
        (table("anti_spoofing", effect="maybe"), "unknown effect 'maybe'"),
        (table("anti_spoofing", purpose="sales"), "unknown key 'purpose'"),
        (
            table("banned_kind", purpose="marketing"),
            "[[banned_kind]] #1 (FR, line 1): unknown purpose 'marketing'",
        ),
        (table("banned_kind", country="France"), "'France' is not an ISO 3166-1 alpha-2"),
        (table("banned_kind", kinds=["fax"]), "[[banned_kind]] #1 (FR, line 1): unknown kind"),
        (
            table("telemarketing", prefixes=["01 62"]),
            "[[telemarketing]] #1 (FR, line 1): prefix '01 62' is not digits",
        ),
        (table("telemarketing", purpose="spam"), "unknown purpose 'spam'"),
        (table("telemarketing", kinds=["local"]), "unknown key 'kinds'"),
        ("[[anti_spoofng]]\ncountry = 'DE'\n", "unknown table or key 'anti_spoofng'"),
        ("anti_spoofing = 'DE'\n", "must be written as [[anti_spoofing]]"),
    ],
)
def test_a_malformed_presentation_row_is_named_in_one_line(
    tmp_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(RulesError) as err:
        Rules.from_file(write(tmp_path, text))
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{tmp_path / 'operator-rules.toml'}: ")
    assert expected in message


def test_a_toml_date_and_coarse_dates_are_read() -> None:
    rules = Rules.from_text(
        "[[anti_spoofing]]\ncountry = 'DE'\nkinds = ['local']\nfrom = 2022-12-01\n"
        "source = 's'\n"
        "[[anti_spoofing]]\ncountry = 'SE'\nkinds = ['local']\nfrom = '2024-03'\nsource = 't'\n"
    )
    de, se = rules.presentation
    assert (de.starts, de.when, de.cite) == (date(2022, 12, 1), "1 Dec 2022", "s")
    assert (se.starts, se.when) == (date(2024, 3, 1), "Mar 2024")
    assert de.effect == "blocked" and de.purpose == "any"


def test_a_bad_rules_file_stops_start_up_with_one_line_naming_the_row(tmp_path: Path) -> None:
    from tests.e2e.test_cli import run_cli

    path = write(tmp_path, table("banned_kind") + table("banned_kind", purpose="marketing"))
    with pytest.raises(ConfigError) as err:
        load_settings({"NUMBERS_RULES_FILE": str(path)})
    assert str(err.value) == (
        f"NUMBERS_RULES_FILE: {path}: [[banned_kind]] #2 (FR, line 8): unknown purpose "
        "'marketing' (expected one of any, sales, service)"
    )
    work = tmp_path / "work"
    work.mkdir()
    result = run_cli(work, NUMBERS_RULES_FILE=str(path), SLACK_BOT_TOKEN="xoxb-test")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"numbers-bot: {err.value}"]


@pytest.mark.parametrize(("text", "days"), [(None, 14), ("7", 7), ("0", 0), (" 30 ", 30)])
def test_notice_days_setting(text: str | None, days: int) -> None:
    env = {} if text is None else {"NUMBERS_RULES_NOTICE_DAYS": text}
    assert load_settings(env).rules_notice_days == days


@pytest.mark.parametrize("text", ["two weeks", "-1", "1.5", "366"])
def test_a_bad_notice_days_setting_is_named(text: str) -> None:
    with pytest.raises(ConfigError, match="^NUMBERS_RULES_NOTICE_DAYS must be a number of days"):
        load_settings({"NUMBERS_RULES_NOTICE_DAYS": text})


# ---------------------------------------------------------------- the more address rows


@dataclass(frozen=True)
class AddressRow:
    number: str
    kind: str
    level: str
    confidence: str
    source: str  # a part of the row's source


ADDRESS_ROWS = [
    AddressRow("+46 8 123 456 78", "local", "area", "H", "fr-help.mypurecloud.com/?p=195777"),
    AddressRow("+46 20 123 4567", "toll_free", "none", "H", "domestic toll-free"),
    AddressRow("+33 1 23 45 67 89", "local", "country", "H", "universfreebox.com/article/532689"),
    AddressRow("+33 800 12 34 56", "toll_free", "none", "H", "Genesys Cloud, France"),
    AddressRow("+31 20 123 4567", "local", "area", "M", "wetten.overheid.nl/BWBR0010198"),
    AddressRow("+32 2 555 12 12", "local", "area", "M", "Royal Decree art. 43"),
    AddressRow("+421 2 2123 4567", "local", "area", "H", "Genesys Cloud, Slovakia"),
    AddressRow("+41 800 123 456", "toll_free", "none", "H", "Genesys Cloud, Switzerland"),
    AddressRow("+81 3 1234 5678", "local", "area", "H", "es-help.inintca.com/?p=310832"),
    AddressRow("+57 601 2345678", "local", "area", "H", "Genesys Cloud, Colombia"),
    AddressRow("+57 1 800 123 4567", "toll_free", "any", "H", "dirección global"),
    AddressRow("+90 850 123 45 67", "national", "any", "H", "Twilio regulatory guidelines, Turkey"),
    AddressRow("+90 800 211 1111", "toll_free", "any", "H", "May be anywhere in the world"),
    AddressRow("+351 21 123 4567", "local", "area", "H", "ANACOM"),
    AddressRow("+82 80 123 4567", "toll_free", "country", "H", "order-port-s-korea"),
]


@pytest.mark.parametrize("row", ADDRESS_ROWS, ids=lambda r: f"{r.number}-{r.kind}")
def test_the_more_address_rows(row: AddressRow) -> None:
    number = real(row.number, row.kind)
    rule = SHIPPED.rule_for(number.country, number.kind)
    assert (rule.level, rule.confidence) == (row.level, row.confidence)
    assert row.source in rule.source
    v = verdict(number, None, SHIPPED)
    assert v.status == (Status.OK if row.level == "none" else Status.MISSING)
    assert v.source == rule.source


@dataclass
class Addr:
    name: str
    city: str
    region: str
    country: str


@pytest.mark.parametrize(
    ("number", "city", "country", "status"),
    [
        ("+46 8 123 456 78", "Stockholm", "SE", Status.OK),
        ("+46 8 123 456 78", "Göteborg", "SE", Status.OUTSIDE_AREA),
        ("+33 1 23 45 67 89", "Lyon", "FR", Status.OK),  # a French address will do
        ("+33 1 23 45 67 89", "Bruxelles", "BE", Status.WRONG_COUNTRY),
        ("+351 21 123 4567", "Lisboa", "PT", Status.OK),
        ("+351 21 123 4567", "Porto", "PT", Status.OUTSIDE_AREA),
        ("+57 1 800 123 4567", "Madrid", "ES", Status.OK),  # toll-free: any address
        ("+82 80 123 4567", "Tokyo", "JP", Status.WRONG_COUNTRY),
        ("+31 20 123 4567", "Amsterdam", "NL", Status.OK),
        ("+31 20 123 4567", "Rotterdam", "NL", Status.OUTSIDE_AREA),
    ],
)
def test_the_more_address_rows_judge_addresses(number, city, country, status) -> None:
    n = parse_number(number)
    assert verdict(n, Addr("Office", city, "", country), SHIPPED).status == status
