"""bot.core.phone: the one number parser. Real numbers, no mocks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.errors import DomainError
from bot.core.phone import (
    KIND_LABELS,
    Kind,
    PhoneNumber,
    country_name,
    country_phrase,
    format_number,
    looks_like_number,
    parse_number,
)

MUNICH = "+49891234567"


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("+49 89 1234567", "FI"),
        ("+49891234567", "FI"),
        ("0049891234567", "FI"),
        ("0049 89 1234567", "DE"),
        ("089 1234567", "DE"),
        ("(089) 123 45 67", "DE"),
        ("+49 (89) 123-4567", "FI"),
        ("+49 (0)89 1234567", "FI"),
        ("tel:+49-89-1234567", "FI"),
        ("TEL:+49 89 1234567", "FI"),
        ("+49.89.1234567", "FI"),
        ("+49/89/1234567", "FI"),
        ("  +49 89 1234567\n", "FI"),
        ("+49\u00a089\u00a01234567", "FI"),  # non-breaking spaces
        ("+49\u202f89\u2009123\u200b4567", "FI"),  # thin / zero-width spaces
        ("+49\u201389\u20141234567", "FI"),  # en and em dashes
        ("+49\u221289\u20101234567", "FI"),  # minus sign, hyphen
        ("\u200f+49 89 1234567", "FI"),  # RTL mark
        ("\uff0b\uff14\uff19 89 1234567", "FI"),  # fullwidth +49
    ],
)
def test_formats_normalise_to_the_same_e164(text: str, region: str) -> None:
    assert parse_number(text, region).e164 == MUNICH


def test_us_number_in_common_formats() -> None:
    for text in ("+1 (415) 555-2671", "+1 415 555 2671", "+14155552671", "001 415 555 2671"):
        assert parse_number(text).e164 == "+14155552671"
    assert parse_number("(415) 555-2671", "US").e164 == "+14155552671"


def test_default_region_applies_to_national_format() -> None:
    assert parse_number("09 1234567").e164 == "+35891234567"  # FI default
    assert parse_number("09 1234567", "fi").country == "FI"
    assert parse_number("030 1234567", "DE").e164 == "+49301234567"


@pytest.mark.parametrize(
    ("text", "country", "kind"),
    [
        ("+49 89 1234567", "DE", Kind.LOCAL),
        ("+49 30 1234567", "DE", Kind.LOCAL),
        ("+49 151 12345678", "DE", Kind.MOBILE),
        ("+49 800 1234567", "DE", Kind.TOLL_FREE),
        ("+1 415 555 2671", "US", Kind.LOCAL),  # FIXED_LINE_OR_MOBILE with an area
        ("+1 212 555 0123", "US", Kind.LOCAL),
        ("+1 800 555 1234", "US", Kind.TOLL_FREE),
        ("+44 20 7946 0018", "GB", Kind.LOCAL),
        ("+44 7400 123456", "GB", Kind.MOBILE),
        ("+44 800 123 4567", "GB", Kind.TOLL_FREE),
        ("+44 330 123 4567", "GB", Kind.NATIONAL),  # UAN
        ("+43 720 123456", "AT", Kind.NATIONAL),  # VOIP range, "national" in COMPLIANCE.md
        ("+43 1 5123456", "AT", Kind.LOCAL),
        ("+39 02 12345678", "IT", Kind.LOCAL),
        ("+358 9 1234567", "FI", Kind.LOCAL),
        ("+358 40 1234567", "FI", Kind.MOBILE),
        ("+46 8 1234567", "SE", Kind.LOCAL),
        ("+41 44 668 18 00", "CH", Kind.LOCAL),
        ("+34 91 123 45 67", "ES", Kind.LOCAL),
        ("+63 2 8123 4567", "PH", Kind.LOCAL),
        ("+44 909 876 5432", "GB", Kind.OTHER),  # premium rate
    ],
)
def test_kinds(text: str, country: str, kind: Kind) -> None:
    number = parse_number(text)
    assert (number.country, number.kind) == (country, kind.value)
    assert isinstance(number, PhoneNumber)


@pytest.mark.parametrize(
    ("text", "area", "names"),
    [
        ("+49 89 1234567", "Munich", {"München", "Munich"}),
        ("+39 02 12345678", "Milan", {"Milano", "Milan"}),
        ("+43 1 5123456", "Vienna", {"Wien", "Vienna"}),
        ("+41 44 668 18 00", "Zurich", {"Zürich", "Zurich"}),
        ("+34 91 123 45 67", "Madrid", {"Madrid"}),
        ("+358 9 1234567", "Helsinki", {"Helsinki", "Helsingfors"}),
        ("+1 415 555 2671", "San Francisco, CA", {"San Francisco, CA"}),
    ],
)
def test_area_names_in_english_and_the_countrys_languages(
    text: str, area: str, names: set[str]
) -> None:
    number = parse_number(text)
    assert number.area == area
    assert names <= set(number.area_names)
    assert "" not in number.area_names
    assert len(set(number.area_names)) == len(number.area_names)


@pytest.mark.parametrize(
    "text",
    ["+49 151 12345678", "+49 800 1234567", "+43 720 123456", "+1 800 555 1234", "+63 2 81234567"],
)
def test_no_area_when_the_geocoder_names_only_the_country(text: str) -> None:
    number = parse_number(text)
    assert number.area == ""
    assert number.area_names == ()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("+49 123", "+49 123 is too short for Germany"),
        ("+49 89 12345678901234", "is too long for Germany"),
        ("+49 0 1234567", "is not a valid number in Germany"),
        ("+43 1 1234567", "is not a valid number in Austria"),
        ("+1 555 555 5555", "+1 555-555-5555 is not a valid number for North America (+1)"),
        ("+44 20 1234", "for the United Kingdom"),
        ("+999 123456", "+999 is not a known country code"),
        ("+0 123456", "+0 is not a known country code"),
        ("", "no phone number given"),
        ("   \u00a0", "no phone number given"),
        ("hello", '"hello" is not a phone number'),
        ("Berlin 030 1234567", "is not a phone number"),
        ("+49 89 1234567 ext. 5", "is not a phone number"),
        ("\x00", "not a phone number"),
        ("+", "not a phone number"),
        ("---", "not a phone number"),
        ("1" * 65, "too long to be a phone number"),
        ("x" * 10_000, "too long to be a phone number"),
        ("+800 1234 5678", "international non-geographic number"),
        ("12", "too short"),
        ("0401234567", None),  # valid with the FI default: no error
    ],
)
def test_invalid_inputs_give_a_specific_reason(text: str, reason: str | None) -> None:
    if reason is None:
        parse_number(text)
        return
    with pytest.raises(DomainError) as err:
        parse_number(text)
    assert reason in err.value.message
    assert len(err.value.message) < 200
    assert "\x00" not in err.value.message


def test_national_format_without_a_usable_default_region() -> None:
    with pytest.raises(DomainError, match="no country code"):
        parse_number("089 1234567", "")
    with pytest.raises(DomainError, match="no country code"):
        parse_number("089 1234567", "XX")


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=120))
def test_any_text_raises_only_domain_error(text: str) -> None:
    try:
        number = parse_number(text)
    except DomainError as e:
        assert e.message
    else:
        assert number.e164.startswith("+")
        assert len(number.country) == 2


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="+0123456789 ()-./\u00a0\u2013", max_size=30),
    st.sampled_from(["FI", "DE", "US", "", "ZZ"]),
)
def test_number_like_text_raises_only_domain_error(text: str, region: str) -> None:
    try:
        number = parse_number(text, region)
    except DomainError:
        return
    assert parse_number(number.e164) == number


def test_format_number() -> None:
    assert format_number("+49891234567") == "+49 89 1234567"
    assert format_number("+14155552671") == "+1 415-555-2671"
    assert format_number("+390212345678") == "+39 02 1234 5678"
    assert format_number("+4315123456") == "+43 1 5123456"
    assert format_number("not a number") == "not a number"
    assert format_number("") == ""
    assert format_number("+") == "+"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+49 89 1234567", True),
        ("089/1234567", True),
        ("(089) 123-45-67", True),
        ("tel:+4989", True),
        ("+4", True),
        ("+49\u00a089", True),
        ("123", True),
        ("12", False),
        ("HQ", False),
        ("Sales-DE", False),
        ("page=2", False),
        ("", False),
        ("+", False),
        ("to", False),
    ],
)
def test_looks_like_number(text: str, expected: bool) -> None:
    assert looks_like_number(text) is expected


def test_labels_and_country_names() -> None:
    assert KIND_LABELS == {
        "local": "Local",
        "mobile": "Mobile",
        "toll_free": "Toll-free",
        "national": "National",
        "other": "Other",
    }
    assert country_name("DE") == "Germany"
    assert country_name("KR") == "South Korea"
    assert country_phrase("US") == "the United States"
    assert country_phrase("AT") == "Austria"
    assert country_name("XX") == "XX"
