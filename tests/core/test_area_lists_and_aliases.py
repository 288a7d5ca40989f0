"""Area matching for geocoder descriptions that list several places ("Bolzano/Bozen") and
for Spanish provinces the geocoder names differently from ISO 3166-2. Real numbers, real
phonenumbers and pycountry data."""

from __future__ import annotations

import pytest

from bot.core.compliance import Rules, Status, area_matches, verdict
from bot.core.phone import parse_number
from tests.core.test_compliance import a, number

BOLZANO = "+39 0471 123456"  # "Bolzano/Bozen"
BIENNE = "+41 32 123 45 67"  # "Bienne/Neuchâtel/Soleure/Jura" (de: "Biel/Neuenburg/…")
GIPUZKOA = "+34 943 123456"  # "Guipúzcoa"; ISO 3166-2: ES-SS "Gipuzkoa"
BALEARES = "+34 971 123456"  # "Balearic Islands" / "Baleares"; ES-PM "Illes Balears"
TENERIFE = "+34 922 123456"  # "Tenerife"; ES-TF "Santa Cruz de Tenerife"
SEVILLE = "+34 955 123456"  # only "Seville"; ES-SE "Sevilla"
FRANKFURT = "+49 69 1234567"  # "Frankfurt am Main"


@pytest.mark.parametrize(
    ("text", "city", "region", "country", "expected"),
    [
        # Places listed with "/": any of them, in any of the geocoder's languages.
        (BOLZANO, "Bozen", "", "IT", True),
        (BOLZANO, "Bolzano", "", "IT", True),
        (BOLZANO, "Bolzano/Bozen", "", "IT", True),
        (BOLZANO, "Trento", "", "IT", False),
        (BOLZANO, "Bozen-Gries", "", "IT", False),  # a different name is not a listed one
        (BIENNE, "Bienne", "", "CH", True),
        (BIENNE, "Biel", "", "CH", True),
        (BIENNE, "Biel/Bienne", "", "CH", True),
        (BIENNE, "Neuchâtel", "", "CH", True),
        (BIENNE, "Neuenburg", "", "CH", True),
        (BIENNE, "Solothurn", "", "CH", True),
        (BIENNE, "La Chaux-de-Fonds", "NE", "CH", True),  # CH-NE is "Neuchâtel"
        (BIENNE, "Delémont", "CH-JU", "CH", True),
        (BIENNE, "Porrentruy", "Jura", "CH", True),
        (BIENNE, "Zürich", "ZH", "CH", False),
        (BIENNE, "Lausanne", "VD", "CH", False),
        # Spanish provinces with a different geocoder name: code, ISO name, local name.
        (GIPUZKOA, "San Sebastián", "SS", "ES", True),
        (GIPUZKOA, "Donostia", "Gipuzkoa", "ES", True),
        (GIPUZKOA, "Irun", "ES-SS", "ES", True),
        (GIPUZKOA, "Bilbao", "BI", "ES", False),
        (GIPUZKOA, "San Sebastián", "", "ES", False),  # a city alone cannot place it
        (BALEARES, "Palma", "PM", "ES", True),
        (BALEARES, "Palma", "IB", "ES", True),
        (BALEARES, "Palma", "Illes Balears", "ES", True),
        (BALEARES, "Palma", "Islas Baleares", "ES", True),
        (BALEARES, "Valencia", "V", "ES", False),
        (TENERIFE, "La Laguna", "TF", "ES", True),
        (TENERIFE, "Las Palmas de Gran Canaria", "GC", "ES", False),
        (SEVILLE, "Sevilla", "", "ES", True),
        (SEVILLE, "Dos Hermanas", "SE", "ES", True),
        (SEVILLE, "Córdoba", "CO", "ES", False),
        # Documented choice: a shortened name does not match.
        (FRANKFURT, "Frankfurt", "", "DE", False),
        (FRANKFURT, "Frankfurt a.M.", "", "DE", True),
    ],
)
def test_area_matches(text, city, region, country, expected) -> None:
    names = parse_number(text).area_names
    assert area_matches(names, city, region, country) is expected, (names, city, region)


def test_aliases_are_scoped_to_their_country() -> None:
    # "Seville" as a name of some non-Spanish prefix must not learn Spanish spellings.
    assert not area_matches(("Seville",), "Sevilla", "", "US")
    assert area_matches(("Seville",), "Sevilla", "", "ES")


def test_verdicts_of_the_trial_numbers() -> None:
    rules = Rules.shipped()
    v = verdict(number(BOLZANO), a("Südtirol office", "Bozen", "IT"), rules)
    assert v.status == Status.OK and "is in Bozen, the number's area" in v.reason
    v = verdict(number(BIENNE), a("Jura office", "Bienne", "CH"), rules)
    assert v.status == Status.OK
    v = verdict(number(GIPUZKOA), a("Donostia", "San Sebastián", "ES", "SS"), rules)
    assert v.status == Status.OK, v.reason
    v = verdict(number(BALEARES), a("Palma", "Palma", "ES", "PM"), rules)
    assert v.status == Status.OK, v.reason
    v = verdict(number(BALEARES), a("Valencia", "Valencia", "ES", "V"), rules)
    assert v.status == Status.OUTSIDE_AREA
    assert v.reason == "+34 971 12 34 56 is a Balearic Islands number; Valencia is in Valencia"
