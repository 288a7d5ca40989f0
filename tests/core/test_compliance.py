"""bot.core.compliance: rules table, verdicts, area matching. Real numbers, no mocks."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from bot.core.compliance import (
    DEFAULT_SOURCE,
    STATUS_LABELS,
    Level,
    Rule,
    Rules,
    RulesError,
    Status,
    Verdict,
    area_matches,
    verdict,
)
from bot.core.phone import parse_number


@dataclass(frozen=True)
class Address:
    name: str
    city: str
    region: str
    country: str


@dataclass(frozen=True)
class Number:
    e164: str
    country: str
    kind: str
    area: str
    area_names: tuple[str, ...]
    area_confirmed_by: str | None = None


def number(text: str, confirmed_by: str | None = None) -> Number:
    n = parse_number(text)
    return Number(n.e164, n.country, n.kind, n.area, n.area_names, confirmed_by)


RULES = Rules.shipped()

MUNICH = "+49 89 1234567"
BERLIN = "+49 30 1234567"
DE_MOBILE = "+49 151 12345678"
MILAN = "+39 02 12345678"
VIENNA = "+43 1 5123456"
ZURICH = "+41 44 668 18 00"
MADRID = "+34 91 123 45 67"
SAN_FRANCISCO = "+1 415 555 2671"
HELSINKI = "+358 9 1234567"
LONDON = "+44 20 7946 0018"
MANILA = "+63 2 8123 4567"  # PH local: area rule, but the geocoder names only the country


def a(name: str, city: str, country: str, region: str = "") -> Address:
    return Address(name, city, region, country)


# --------------------------------------------------------------------------- verdict table


@pytest.mark.parametrize(
    ("text", "address", "status"),
    [
        # Germany, local: area
        (MUNICH, a("HQ Munich", "München", "DE", "DE-BY"), Status.OK),
        (MUNICH, a("HQ Munich", "Munich", "DE"), Status.OK),
        (MUNICH, a("HQ Munich", "MUENCHEN", "DE"), Status.OK),  # umlaut written out
        (MUNICH, a("HQ Munich", "munchen", "DE"), Status.OK),
        (MUNICH, a("HQ Berlin", "Berlin", "DE"), Status.OUTSIDE_AREA),
        (BERLIN, a("HQ Berlin", "Berlin", "DE", "DE-BE"), Status.OK),
        (MUNICH, a("HQ Vienna", "Wien", "AT"), Status.WRONG_COUNTRY),
        (MUNICH, None, Status.MISSING),
        # Italy, Austria, Switzerland, Spain: area, in both languages
        (MILAN, a("Milano", "Milano", "IT"), Status.OK),
        (MILAN, a("Milan", "Milan", "IT"), Status.OK),
        (MILAN, a("Sesto", "Sesto San Giovanni", "IT", "MI"), Status.OK),  # province Milano
        (MILAN, a("Roma", "Roma", "IT"), Status.OUTSIDE_AREA),
        (VIENNA, a("Wien", "Wien", "AT"), Status.OK),
        (VIENNA, a("Vienna", "Vienna", "AT"), Status.OK),
        (VIENNA, a("Graz", "Graz", "AT"), Status.OUTSIDE_AREA),
        (ZURICH, a("Zürich", "Zürich", "CH"), Status.OK),
        (ZURICH, a("Zurich", "Zurich", "CH"), Status.OK),
        (ZURICH, a("Zurigo", "Zurigo", "CH"), Status.OK),
        (ZURICH, a("Geneva", "Genève", "CH"), Status.OUTSIDE_AREA),
        (MADRID, a("Madrid", "Madrid", "ES"), Status.OK),
        (MADRID, a("Alcalá", "Alcalá de Henares", "ES", "ES-M"), Status.OK),  # province Madrid
        (MADRID, a("Barcelona", "Barcelona", "ES", "ES-B"), Status.OUTSIDE_AREA),
        # US: no requirement at all
        (SAN_FRANCISCO, None, Status.OK),
        (SAN_FRANCISCO, a("Berlin", "Berlin", "DE"), Status.OK),
        ("+1 800 555 1234", None, Status.OK),
        # Germany, mobile: country
        (DE_MOBILE, a("HQ Munich", "München", "DE"), Status.OK),
        (DE_MOBILE, a("HQ Hamburg", "Hamburg", "DE"), Status.OK),
        (DE_MOBILE, a("HQ Vienna", "Wien", "AT"), Status.WRONG_COUNTRY),
        (DE_MOBILE, None, Status.MISSING),
        # Germany, toll-free: not listed -> default none
        ("+49 800 1234567", None, Status.OK),
        # Finland (not in the table): local -> country by default, mobile -> none
        (HELSINKI, a("HQ Helsinki", "Helsinki", "FI"), Status.OK),
        (HELSINKI, a("Tampere", "Tampere", "FI"), Status.OK),
        (HELSINKI, a("Stockholm", "Stockholm", "SE"), Status.WRONG_COUNTRY),
        (HELSINKI, None, Status.MISSING),
        ("+358 40 1234567", None, Status.OK),
        # United Kingdom: none
        (LONDON, None, Status.OK),
        (LONDON, a("Paris", "Paris", "FR"), Status.OK),
        # Austria: toll-free any, mobile none, national country
        ("+43 800 123456", None, Status.MISSING),
        ("+43 800 123456", a("Berlin", "Berlin", "DE"), Status.OK),
        ("+43 664 1234567", None, Status.OK),
        ("+43 720 123456", a("Berlin", "Berlin", "DE"), Status.WRONG_COUNTRY),
        ("+43 720 123456", a("Graz", "Graz", "AT"), Status.OK),
        # Philippines: area rule, area unknown
        (MANILA, a("Manila", "Manila", "PH"), Status.UNVERIFIABLE),
        (MANILA, a("Tokyo", "Tokyo", "JP"), Status.WRONG_COUNTRY),
        (MANILA, None, Status.MISSING),
        # Mexico
        ("+52 55 1234 5678", a("CDMX", "Ciudad de México", "MX"), Status.OK),
        ("+52 55 1234 5678", a("MX City", "Mexico City", "MX"), Status.OK),
        ("+52 55 1234 5678", a("Monterrey", "Monterrey", "MX", "NLE"), Status.OUTSIDE_AREA),
    ],
)
def test_verdicts(text: str, address: Address | None, status: Status) -> None:
    v = verdict(number(text), address, RULES)
    assert v.status == status, v.reason
    assert v.ok is (status == Status.OK)
    assert v.reason and "\n" not in v.reason
    assert v.level in {lv.value for lv in Level}
    assert v.source


def test_verdict_accepts_a_parsed_phone_number_directly() -> None:
    v = verdict(parse_number(MUNICH), a("HQ", "München", "DE"), RULES)
    assert v.ok


def test_outside_area_reason_names_both_places() -> None:
    v = verdict(number(MUNICH), a("HQ Berlin", "Berlin", "DE"), RULES)
    assert v.status == Status.OUTSIDE_AREA
    assert v.reason == "+49 89 1234567 is a Munich number; HQ Berlin is in Berlin"
    assert v.level == Level.AREA


def test_reasons_name_number_and_places() -> None:
    v = verdict(number(DE_MOBILE), a("HQ Vienna", "Wien", "AT"), RULES)
    assert "+49 1511 2345678" in v.reason and "Germany" in v.reason and "Austria" in v.reason
    v = verdict(number(MUNICH), None, RULES)
    assert v.reason == "+49 89 1234567 needs an address in Munich and none is linked"
    v = verdict(number(HELSINKI), None, RULES)
    assert "Finland" in v.reason
    assert verdict(number(HELSINKI), None, RULES).source == DEFAULT_SOURCE
    v = verdict(number(DE_MOBILE), None, RULES)
    assert "Germany" in v.reason
    v = verdict(number("+49 800 1234567"), None, RULES)
    assert v.reason == "no address is required for toll-free numbers in Germany"
    v = verdict(number(SAN_FRANCISCO), None, RULES)
    assert "the United States" in v.reason


def test_missing_wherever_an_address_is_required() -> None:
    for text in (MUNICH, MILAN, VIENNA, ZURICH, MADRID, DE_MOBILE, HELSINKI, "+43 720 123456"):
        v = verdict(number(text), None, RULES)
        assert v.status == Status.MISSING, text
        assert "none is linked" in v.reason


def test_unverifiable_and_confirmed_by_hand() -> None:
    manila = a("Manila office", "Manila", "PH")
    v = verdict(number(MANILA), manila, RULES)
    assert v.status == Status.UNVERIFIABLE
    assert "+63 2 8123 4567" in v.reason and "confirm" in v.reason
    v = verdict(number(MANILA, confirmed_by="U123ABC"), manila, RULES)
    assert v.status == Status.OK
    assert "U123ABC" in v.reason
    # A confirmation does not override the country or a missing address.
    assert verdict(number(MANILA, "U1"), a("T", "Tokyo", "JP"), RULES).status == (
        Status.WRONG_COUNTRY
    )
    assert verdict(number(MANILA, "U1"), None, RULES).status == Status.MISSING


def test_area_rule_for_a_number_kind_without_area_is_unverifiable() -> None:
    rules = Rules(
        [Rule("DE", "mobile", "area", "test", "L")],
    )
    v = verdict(number(DE_MOBILE), a("HQ", "München", "DE"), rules)
    assert v.status == Status.UNVERIFIABLE


def test_address_country_is_compared_case_insensitively() -> None:
    assert verdict(number(DE_MOBILE), a("HQ", "Köln", "de"), RULES).ok


def test_verdict_is_immutable_and_compares_by_value() -> None:
    v1 = verdict(number(MUNICH), None, RULES)
    v2 = verdict(number(MUNICH), None, RULES)
    assert v1 == v2 and hash(v1) == hash(v2)
    assert v1 == Verdict(Status.MISSING, v1.reason, "area", v1.source)
    with pytest.raises(AttributeError):
        v1.status = "ok"  # type: ignore[misc]
    assert "missing" in repr(v1)
    assert set(STATUS_LABELS) == {s.value for s in Status}


# --------------------------------------------------------------------------- area matching


@pytest.mark.parametrize(
    ("names", "city", "region", "country", "expected"),
    [
        (("Munich", "München"), "München", "", "DE", True),
        (("Munich", "München"), "Munchen", "", "DE", True),
        (("Munich", "München"), " MÜNCHEN ", "", "DE", True),
        (("Munich", "München"), "Berlin", "", "DE", False),
        (("Munich", "München"), "Muenchen", "", "DE", True),
        (("Zurich", "Zürich"), "Zuerich", "", "CH", True),
        (("Munich", "München"), "Muenster", "", "DE", False),
        (("Munich", "München"), "", "DE-BY", "DE", False),  # Bavaria is not Munich
        (("Munich", "München"), "", "München", "DE", True),
        (("Frankfurt am Main",), "Frankfurt a.M.", "", "DE", True),
        (("Frankfurt am Main",), "Frankfurt a. Main", "", "DE", True),
        (("Frankfurt am Main",), "frankfurt-am-main", "", "DE", True),
        (("Frankfurt am Main",), "Frankfurt", "", "DE", False),
        (("Frankfurt (Oder)",), "Frankfurt (Oder)", "", "DE", True),
        (("Halle (Saale)",), "Halle", "", "DE", True),
        (("Saint-Denis",), "Saint Denis", "", "FR", True),
        (("San Francisco, CA",), "San Francisco", "", "US", True),
        (("San Francisco, CA",), "Oakland", "CA", "US", True),
        (("San Francisco, CA",), "Oakland", "US-CA", "US", True),
        (("San Francisco, CA",), "Oakland", "California", "US", True),
        (("San Francisco, CA",), "Oakland", "california", "US", True),
        (("San Francisco, CA",), "San Jose", "NY", "US", False),
        (("San Francisco, CA",), "San Jose", "", "US", False),
        (("Madrid",), "Getafe", "ES-M", "ES", True),
        (("Madrid",), "Getafe", "M", "ES", True),
        (("Madrid",), "Getafe", "Comunidad de Madrid", "ES", True),
        (("Madrid",), "Getafe", "ES-B", "ES", False),
        (("Madrid",), "Getafe", "DE-BY", "ES", False),
        (("Milan", "Milano"), "Sesto", "MI", "IT", True),
        (("Milan", "Milano"), "Sesto", "IT-MI", "IT", True),
        ((), "München", "", "DE", False),
        (("Munich",), "", "", "DE", False),
        (["Munich", "München"], "München", "", "DE", True),  # a list works too
    ],
)
def test_area_matches(
    names: tuple[str, ...], city: str, region: str, country: str, expected: bool
) -> None:
    assert area_matches(names, city, region, country) is expected


# --------------------------------------------------------------------------- rules table


def test_shipped_table_has_a_source_on_every_row() -> None:
    assert RULES.rows
    for rule in RULES.rows:
        assert rule.source and rule.confidence in {"H", "M", "L"}
        assert rule.level in {lv.value for lv in Level}
    keys = [(r.country, r.kind) for r in RULES.rows]
    assert len(keys) == len(set(keys))
    assert RULES.rule_for("DE", "local") == Rule(
        "DE", "local", "area", RULES.rule_for("DE", "local").source, "H"
    )
    assert RULES.rule_for("US", "other").level == "none"
    assert RULES.rule_for("CA", "mobile").level == "none"


def test_defaults_for_unlisted_countries() -> None:
    assert RULES.rule_for("FI", "local") == Rule("FI", "local", "country", DEFAULT_SOURCE, "L")
    assert RULES.rule_for("FR", "mobile").level == "none"
    assert RULES.rule_for("PL", "toll_free").level == "none"
    assert RULES.rule_for("fi", "local").country == "FI"


@pytest.mark.parametrize(
    ("country", "kind", "allowed", "source"),
    [
        ("BE", "national", False, "Twilio voice guidelines, Belgium"),
        ("BE", "toll_free", False, "Twilio voice guidelines, Belgium"),
        ("BR", "toll_free", False, "Twilio voice guidelines, Brazil"),
        ("HK", "toll_free", False, "Twilio voice guidelines, Hong Kong"),
        ("BE", "local", True, ""),
        ("DE", "toll_free", True, ""),
    ],
)
def test_can_be_caller_id(country: str, kind: str, allowed: bool, source: str) -> None:
    ok, reason = RULES.can_be_caller_id(country, kind)
    assert ok is allowed
    assert source in reason
    if not allowed:
        assert "caller ID" in reason


VALID_OVERRIDE = """
[defaults]
local = "none"

[[rule]]
country = "DE"
kind = "local"
level = "country"
confidence = "M"
source = "operator decision 2024-05"
"""


def test_a_valid_override_changes_a_verdict(tmp_path: Path) -> None:
    berlin_hq = a("HQ Berlin", "Berlin", "DE")
    assert verdict(number(MUNICH), berlin_hq, RULES).status == Status.OUTSIDE_AREA
    path = tmp_path / "rules.toml"
    path.write_text(VALID_OVERRIDE, encoding="utf-8")
    rules = Rules.from_file(path)
    v = verdict(number(MUNICH), berlin_hq, rules)
    assert v.status == Status.OK
    assert v.source == "operator decision 2024-05"
    # It replaces the shipped table: the defaults come from the file ...
    assert verdict(number(HELSINKI), None, rules).status == Status.OK
    # ... and kinds the file leaves out keep the standard defaults.
    assert rules.rule_for("FI", "mobile").level == "none"
    assert rules.can_be_caller_id("BE", "national") == (True, "")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "custom-rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def row(**fields: str) -> str:
    base = {
        "country": "DE",
        "kind": "local",
        "level": "area",
        "confidence": "H",
        "source": "somewhere",
    }
    base.update(fields)
    body = "\n".join(f'{k} = "{v}"' for k, v in base.items() if v != "<omit>")
    return f"[[rule]]\n{body}\n"


def test_malformed_toml_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[[rule]]\ncountry = "DE"\nkind = local\n')
    with pytest.raises(RulesError) as err:
        Rules.from_file(path)
    assert "custom-rules.toml" in str(err.value)
    assert "line 3" in str(err.value)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (row(level="sometimes"), ["[[rule]] #1 (DE local, line 1)", "unknown level 'sometimes'"]),
        (row() + row(kind="landline"), ["#2", "line 7", "unknown kind 'landline'"]),
        (row(country="XX"), ["#1", "'XX' is not an ISO 3166-1 alpha-2 country code"]),
        (row(country="DEU"), ["'DEU'"]),
        (row(source="<omit>"), ["#1 (DE local", "missing source"]),
        (row(source="   "), ["missing source"]),
        (row(confidence="sure"), ["confidence must be one of H, M, L"]),
        (row(levle="area"), ["unknown key 'levle'"]),
        (row() + row(), ["#2", "duplicates [[rule]] #1"]),
        ('[defaults]\nlocal = "maybe"\n', ["[defaults] local: unknown level 'maybe'"]),
        ('[defaults]\nfax = "none"\n', ["unknown kind 'fax'"]),
        ('[[no_caller_id]]\ncountry = "BE"\nkind = "national"\n', ["no_caller_id", "source"]),
        ("[rulez]\nx = 1\n", ["unknown table or key 'rulez'"]),
        ('rule = "DE"\n', ["must be written as [[rule]]"]),
    ],
)
def test_invalid_rows_name_the_row_and_reason(
    tmp_path: Path, rows: str, expected: list[str]
) -> None:
    with pytest.raises(RulesError) as err:
        Rules.from_file(write(tmp_path, rows))
    message = str(err.value)
    assert "custom-rules.toml" in message
    for part in expected:
        assert part in message


def test_unreadable_rules_files(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="no such rules file"):
        Rules.from_file(tmp_path / "missing.toml")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'[[rule]]\nsource = "M\xfcnchen"\n')
    with pytest.raises(RulesError, match="not UTF-8"):
        Rules.from_file(bad)
    with pytest.raises(RulesError, match="cannot read"):
        Rules.from_file(tmp_path)  # a directory


def test_shipped_is_loaded_once() -> None:
    assert Rules.shipped() is Rules.shipped()


# --------------------------------------------------------------------------- volume


def test_many_distinct_numbers_get_every_status() -> None:
    templates = [
        (number(MUNICH), a("HQ", "München", "DE")),
        (number(MUNICH), a("HQ", "Berlin", "DE")),
        (number(MUNICH), None),
        (number(DE_MOBILE), a("HQ", "Wien", "AT")),
        (number(HELSINKI), a("HQ", "Helsinki", "FI")),
        (number(SAN_FRANCISCO), None),
        (number(MADRID), a("HQ", "Getafe", "ES", "ES-M")),
        (number(MANILA), a("HQ", "Manila", "PH")),
        (number(VIENNA), a("HQ", "Wien", "AT")),
        (number(MILAN), a("HQ", "Roma", "IT")),
    ]
    pairs = []
    for i in range(50_000):
        n, addr = templates[i % len(templates)]
        # Distinct numbers (same prefix) so that nothing is served from a per-number cache.
        pairs.append((replace(n, e164=n.e164[:-4] + f"{i % 10_000:04d}"), addr))
    verdicts = [verdict(n, addr, RULES) for n, addr in pairs]
    assert {v.status for v in verdicts} == {s.value for s in Status}
