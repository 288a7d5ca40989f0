"""The words of `/numbers add|link|unlink` cut into numbers (bot.core.phone.split_numbers),
with real phonenumbers data and Germany as the default country."""

from __future__ import annotations

import pytest

from bot.core.errors import DomainError
from bot.core.phone import parse_number, split_numbers


def parse(text: str):
    return parse_number(text, "DE")


def grouped(text: str) -> list[str]:
    return [typed.text for typed in split_numbers(text, "DE")]


# (typed, entries): each entry is handed to the service as one number, valid or not.
CASES = [
    # One international number with spaces, many countries: never split.
    ("+1 201 555 0123", ["+1 201 555 0123"]),
    ("+1 416 555 0123", ["+1 416 555 0123"]),
    ("+32 2 555 12 12", ["+32 2 555 12 12"]),
    ("+44 20 7946 0958", ["+44 20 7946 0958"]),
    ("+44 7400 123456", ["+44 7400 123456"]),
    ("+33 1 42 68 53 00", ["+33 1 42 68 53 00"]),  # "00" inside a number stays in it
    ("+41 44 668 18 00", ["+41 44 668 18 00"]),
    ("+39 06 6982 1234", ["+39 06 6982 1234"]),  # Italy keeps its 0
    ("+34 911 23 45 67", ["+34 911 23 45 67"]),
    ("+358 9 1234567", ["+358 9 1234567"]),
    ("+81 3 1234 5678", ["+81 3 1234 5678"]),
    ("+61 2 9876 5432", ["+61 2 9876 5432"]),
    ("+7 495 123 45 67", ["+7 495 123 45 67"]),
    ("+86 10 1234 5678", ["+86 10 1234 5678"]),
    ("+55 11 3123 4567", ["+55 11 3123 4567"]),
    ("+43 1 5321234", ["+43 1 5321234"]),
    ("+46 8 123 456 78", ["+46 8 123 456 78"]),
    ("+420 212 345 678", ["+420 212 345 678"]),
    ("+49 (0)89 1234567", ["+49 (0)89 1234567"]),
    ("+49 89 123-4567", ["+49 89 123-4567"]),
    ("0049 89 1234567", ["0049 89 1234567"]),
    ("00 49 89 1234567", ["00 49 89 1234567"]),
    # Invalid international numbers stay whole (the trial's reports): never re-read in part.
    ("+1 555 555 5555", ["+1 555 555 5555"]),
    ("+32 2 123 45 67", ["+32 2 123 45 67"]),
    ("+44 7700 900123", ["+44 7700 900123"]),
    ("+49 123", ["+49 123"]),
    ("+999 1234", ["+999 1234"]),
    # Several international numbers: each "+" or "00" word starts the next.
    ("+1 201 555 0123 +32 2 555 12 12", ["+1 201 555 0123", "+32 2 555 12 12"]),
    ("+44 20 7946 0958 +33 1 42 68 53 00", ["+44 20 7946 0958", "+33 1 42 68 53 00"]),
    ("+358 9 1234567 +81 3 1234 5678", ["+358 9 1234567", "+81 3 1234 5678"]),
    ("0049 89 1234567 0044 20 7946 0958", ["0049 89 1234567", "0044 20 7946 0958"]),
    ("+49 89 1234567 0044 20 7946 0958", ["+49 89 1234567", "0044 20 7946 0958"]),
    ("+4989333333 +4930444444", ["+4989333333", "+4930444444"]),
    ("+1 555 555 5555 +49 89 1234567", ["+1 555 555 5555", "+49 89 1234567"]),
    # Commas and semicolons separate numbers, as in the bulk-add form.
    ("+4989333333, +4930444444;+4940555555", ["+4989333333", "+4930444444", "+4940555555"]),
    ("+4989333333,+4930444444", ["+4989333333", "+4930444444"]),
    ("+32 2 555 12 12 , +1 201 555 0123", ["+32 2 555 12 12", "+1 201 555 0123"]),
    ("089 1234567; 030 1234567,", ["089 1234567", "030 1234567"]),
    # National numbers of the default country keep working with spaces.
    ("089 1234567", ["089 1234567"]),
    ("089 123 4567", ["089 123 4567"]),
    ("089 1234567 030 1234567", ["089 1234567", "030 1234567"]),
    ("089/1234567", ["089/1234567"]),
    ("089 1234567 +32 2 555 12 12", ["089 1234567", "+32 2 555 12 12"]),
    # A complete international number followed by a national one written with its 0.
    ("+49 89 1234567 030 1234567", ["+49 89 1234567", "030 1234567"]),
    (
        "+49 89 1234567 030 1234567 +49 123 +49 40 1234567",
        ["+49 89 1234567", "030 1234567", "+49 123", "+49 40 1234567"],
    ),
    # Words that are not numbers are entries of their own, so they are reported.
    ("garbage +999 1234", ["garbage", "+999 1234"]),
    ("+49 89 1234567 garbage 030 1234567", ["+49 89 1234567", "garbage", "030 1234567"]),
]


@pytest.mark.parametrize(("typed", "entries"), CASES, ids=[c[0] for c in CASES])
def test_grouping(typed, entries):
    assert grouped(typed) == entries


@pytest.mark.parametrize(
    "typed",
    ["+1 555 555 5555", "+32 2 123 45 67", "+44 7700 900123", "+32 2 123 45 67 089 1234567"],
)
def test_an_invalid_international_number_is_never_read_with_the_default_country(typed):
    """Nothing of it turns into a German number (the trial stored +49 5555 555555)."""
    for entry in grouped(typed):
        try:
            number = parse(entry)
        except DomainError:
            continue
        assert number.country != "DE", (typed, entry)


# With Finland as the default country (national numbers written with a trunk 0).
FI_CASES = [
    # A German number typed nationally stays whole: never +358 2 3456782 and "089".
    ("089 2345 6782", ["089 2345 6782"]),
    # Three numbers on one line, the middle one written nationally.
    (
        "+49 (0)89 2345 6781 089 23456782 0049 89 2345 6783",
        ["+49 (0)89 2345 6781", "089 23456782", "0049 89 2345 6783"],
    ),
    # Too long for Germany: one entry, never +49 89 2345 and a Finnish 678901234.
    ("+49 89 2345 678901234", ["+49 89 2345 678901234"]),
    ("09 1234 5678 040 123 4567", ["09 1234 5678", "040 123 4567"]),
    ("050 123 4567 050 765 4321", ["050 123 4567", "050 765 4321"]),
    ("not a number +358 9 1234567", ["not a number", "+358 9 1234567"]),
]


@pytest.mark.parametrize(("typed", "entries"), FI_CASES, ids=[c[0] for c in FI_CASES])
def test_grouping_with_finland_as_the_default(typed, entries):
    assert [t.text for t in split_numbers(typed, "FI")] == entries


def test_the_countries_typed_are_hints_for_the_rest():
    (_, middle, _) = split_numbers("+49 89 2345 6781 089 23456782 +34 911 23 45 67", "FI")
    assert middle.countries == ("DE", "ES")
    with pytest.raises(DomainError) as err:
        parse_number(middle.text, "FI", middle.countries)
    assert err.value.message == (
        "089 23456782 is not a Finnish number — did you mean +49 89 23456782?"
    )
