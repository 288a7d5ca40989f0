"""The one phone-number parser of the product.

Every place that reads a number a person typed (slash commands, modals, CSV
imports) goes through :func:`parse_number`; every place that shows one uses
:func:`format_number`. Both wrap Google's libphonenumber (``phonenumbers``).

Kinds (``Kind``) are derived from phonenumbers' number types:

========================  ============================================================
phonenumbers type         kind
========================  ============================================================
FIXED_LINE                ``local``
FIXED_LINE_OR_MOBILE      ``local`` when the geocoder names an area below country level
                          (US/CA geographic numbers), else ``mobile``
MOBILE                    ``mobile``
TOLL_FREE                 ``toll_free``
UAN, PERSONAL_NUMBER,     ``national``: non-geographic numbers reachable nationwide.
SHARED_COST, VOIP         VOIP is included because the ranges phonenumbers calls VOIP
                          are national non-geographic ranges (Austria's +43 720, which
                          COMPLIANCE.md lists as "national"; the UK's 056).
PREMIUM_RATE, PAGER,      ``other``
VOICEMAIL, UNKNOWN
========================  ============================================================

Area: the geocoder's English description of the prefix ("Munich", "San Francisco,
CA"), or ``""`` when the geocoder names no area below the country (mobile numbers,
non-geographic ranges, countries without geocoding data). ``area_names`` holds the
distinct descriptions in English and the country's official languages
(``("Munich", "München")``), used for area matching in ``bot.core.compliance``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import lru_cache
from typing import Any

import phonenumbers
import pycountry
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from bot.core.errors import DomainError
from bot.core.text import casefold

__all__ = [
    "KIND_LABELS",
    "MAX_INPUT_LENGTH",
    "Kind",
    "PhoneNumber",
    "Typed",
    "country_adjective",
    "country_name",
    "country_phrase",
    "region_name",
    "format_number",
    "geodata",
    "looks_like_number",
    "number_key",
    "parse_number",
    "split_numbers",
]


class Kind(StrEnum):
    LOCAL = "local"
    MOBILE = "mobile"
    TOLL_FREE = "toll_free"
    NATIONAL = "national"
    OTHER = "other"


KIND_LABELS: dict[str, str] = {
    Kind.LOCAL.value: "Local",
    Kind.MOBILE.value: "Mobile",
    Kind.TOLL_FREE.value: "Toll-free",
    Kind.NATIONAL.value: "National",
    Kind.OTHER.value: "Other",
}

#: Countries to try a number in, or a function that returns them (called only when needed).
Regions = Sequence[str] | Callable[[], Sequence[str]]

#: Inputs longer than this (after trimming outer whitespace) are refused unparsed.
MAX_INPUT_LENGTH = 64


@dataclass(frozen=True)
class PhoneNumber:
    e164: str
    country: str
    kind: str
    area: str
    area_names: tuple[str, ...]


# --------------------------------------------------------------------------- countries

# Geocoder languages (see phonenumbers.geodata) of each country's official languages.
# English is always consulted as well.
COUNTRY_LANGUAGES: dict[str, tuple[str, ...]] = {
    "AT": ("de",),
    "BE": ("nl", "fr", "de"),
    "BG": ("bg",),
    "BR": ("pt",),
    "CA": ("fr",),
    "CH": ("de", "fr", "it"),
    "CN": ("zh",),
    "CZ": ("cs",),
    "DE": ("de",),
    "ES": ("es", "ca"),
    "FI": ("fi", "sv"),
    "FR": ("fr",),
    "GR": ("el",),
    "HR": ("hr",),
    "HU": ("hu",),
    "IT": ("it",),
    "JP": ("ja",),
    "KR": ("ko",),
    "LI": ("de",),
    "LU": ("fr", "de"),
    "MX": ("es",),
    "AR": ("es",),
    "CL": ("es",),
    "CO": ("es",),
    "PE": ("es",),
    "NL": ("nl",),
    "PL": ("pl",),
    "PT": ("pt",),
    "RO": ("ro",),
    "RU": ("ru",),
    "SE": ("sv",),
    "SI": ("sl",),
    "SM": ("it",),
    "TR": ("tr",),
    "TW": ("zh_Hant",),
    "UA": ("uk",),
}

# Names that read better with an article inside a sentence ("in the Netherlands").
_WITH_ARTICLE = {
    "US",
    "GB",
    "NL",
    "PH",
    "AE",
    "DO",
    "BS",
    "GM",
    "CF",
    "KM",
    "MV",
    "MH",
    "SB",
    "VA",
    "CD",
    "CG",
}


@lru_cache(maxsize=512)
def country_name(code: str) -> str:
    """English short name of an ISO 3166-1 alpha-2 code ("DE" -> "Germany").

    Uses pycountry's common name where it has one ("South Korea", "Iran");
    returns the code itself when pycountry does not know it.
    """
    try:
        c = pycountry.countries.get(alpha_2=code.upper()) if code else None
    except (KeyError, LookupError, AttributeError):
        c = None
    if c is None:
        return code
    name = getattr(c, "common_name", None) or c.name
    if ", " in name:  # "Congo, The Democratic Republic of the" -> "Congo"
        name = name.split(", ")[0]
    return name


@lru_cache(maxsize=1024)
def region_name(code: str) -> str:
    """The name of an ISO 3166-2 subdivision ("DE-BY" -> "Bayern"); other text unchanged."""
    try:
        found = pycountry.subdivisions.get(code=code) if code and "-" in code else None
    except (KeyError, LookupError):
        found = None
    if found is None:
        return code
    name = found.name
    if ", " in name:  # "Madrid, Comunidad de" -> "Comunidad de Madrid"
        first, rest = name.split(", ", 1)
        name = f"{rest} {first}"
    return name


def country_phrase(code: str) -> str:
    """Country name for use inside a sentence: "Germany", "the United States"."""
    name = country_name(code)
    return f"the {name}" if code.upper() in _WITH_ARTICLE and name != code else name


_ADJECTIVES = {
    "AT": "Austrian",
    "AU": "Australian",
    "BE": "Belgian",
    "BR": "Brazilian",
    "CA": "Canadian",
    "CH": "Swiss",
    "CZ": "Czech",
    "DE": "German",
    "DK": "Danish",
    "EE": "Estonian",
    "ES": "Spanish",
    "FI": "Finnish",
    "FR": "French",
    "GB": "British",
    "IE": "Irish",
    "IN": "Indian",
    "IT": "Italian",
    "JP": "Japanese",
    "LT": "Lithuanian",
    "LV": "Latvian",
    "MX": "Mexican",
    "NL": "Dutch",
    "NO": "Norwegian",
    "PL": "Polish",
    "PT": "Portuguese",
    "SE": "Swedish",
    "US": "US",
}


def country_adjective(code: str) -> str:
    """ "a Finnish number" -> "Finnish"; a country without one here: "a number of X"."""
    return _ADJECTIVES.get((code or "").upper(), "")


def _a_number_of(code: str) -> str:
    """ "a Finnish number", "a number of Peru"."""
    adjective = country_adjective(code)
    return f"a {adjective} number" if adjective else f"a number of {country_phrase(code)}"


# --------------------------------------------------------------------------- parsing

# Whitespace-like characters (incl. non-breaking and thin spaces) and dashes people paste.
_SPACES = re.compile(r"[\s\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_DASHES = re.compile(r"[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")
_ALLOWED_PUNCT = frozenset("+()-./ ")
_INVISIBLE = re.compile(r"[\u200c-\u200f\u202a-\u202e\u2060-\u2069]")

_POSSIBLE_REASONS = {
    phonenumbers.ValidationResult.TOO_SHORT: "is too short",
    phonenumbers.ValidationResult.TOO_LONG: "is too long",
    phonenumbers.ValidationResult.INVALID_LENGTH: "has the wrong length",
    # Written with its country code, a number possible only locally lacks digits.
    phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "is too short",
}

_KIND_BY_TYPE = {
    PhoneNumberType.FIXED_LINE: Kind.LOCAL,
    PhoneNumberType.MOBILE: Kind.MOBILE,
    PhoneNumberType.TOLL_FREE: Kind.TOLL_FREE,
    PhoneNumberType.UAN: Kind.NATIONAL,
    PhoneNumberType.PERSONAL_NUMBER: Kind.NATIONAL,
    PhoneNumberType.SHARED_COST: Kind.NATIONAL,
    PhoneNumberType.VOIP: Kind.NATIONAL,
}


def _ascii_digits(text: str) -> str:
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def _echo(text: str, limit: int = 40) -> str:
    """The person's input, safe to quote back: no control characters, not too long."""
    shown = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch == " ")
    shown = shown.strip()
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return shown


def _quote(text: str) -> str:
    shown = _echo(text)
    return f'"{shown}"' if shown else "the text"


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))  # fullwidth ＋４９ -> +49
    text = _SPACES.sub(" ", text).strip()
    text = _DASHES.sub("-", text)
    if text[:4].lower() == "tel:":
        text = text[4:].strip()
    return text


def _only_number_characters(text: str) -> bool:
    return all(ch.isdecimal() or ch in _ALLOWED_PUNCT for ch in text)


def looks_like_number(text: str) -> bool:
    """Cheap check: is this token an attempt at a phone number?

    True for tokens made only of digits, ``+`` and the separators ``()-./`` and
    spaces (unicode spaces and dashes included, ``tel:`` allowed) with at least
    three digits, or a ``+`` followed by a digit. It does not say the number is
    valid: :func:`parse_number` does that, with a reason.
    """
    if not isinstance(text, str) or not text or len(text) > 4 * MAX_INPUT_LENGTH:
        return False
    cleaned = _clean(text)
    if not cleaned or not _only_number_characters(cleaned):
        return False
    digits = sum(ch.isdecimal() for ch in cleaned)
    if digits >= 3:
        return True
    return cleaned.startswith("+") and digits >= 1


def parse_number(text: str, default_region: str = "FI", regions: Regions = ()) -> PhoneNumber:
    """Parse a number in any common format into a :class:`PhoneNumber`.

    ``default_region`` (ISO alpha-2) is the country assumed for numbers written
    without ``+``/international prefix ("089 1234567"). Raises
    :class:`~bot.core.errors.DomainError` with a reason written for a person when the
    text is not a valid number; never raises anything else. A number written without
    ``+`` that is not one of the default country's is tried in ``regions`` (the
    countries the workspace works with, or a function returning them, called only then),
    to ask "did you mean +49 89 …?".
    """
    num, e164, region, ntype = _suggesting(text, default_region, regions)
    names = _area_names(num, region, ntype)
    if ntype == PhoneNumberType.FIXED_LINE_OR_MOBILE:
        kind = Kind.LOCAL if names else Kind.MOBILE
    else:
        kind = _KIND_BY_TYPE.get(ntype, Kind.OTHER)
    return PhoneNumber(
        e164=e164,
        country=region,
        kind=kind.value,
        area=names[0] if names else "",
        area_names=names,
    )


def number_key(text: str, default_region: str = "FI", regions: Regions = ()) -> str:
    """The E.164 form of a typed number: ``parse_number(text, default_region).e164``, with
    the same checks and the same errors, without the area lookup.

    For finding a number already stored (its area was stored when it was added): it never
    loads the geocoder's data (about 100 MB, see :func:`geodata`).
    """
    return _suggesting(text, default_region, regions)[1]


def _national_format(cleaned: str) -> bool:
    """Written without its country: no "+" and no international "00" prefix."""
    bare = cleaned.lstrip("( ")
    return not (bare.startswith("+") or bare.startswith("00"))


def _suggesting(
    text: str, default_region: str, regions: Regions
) -> tuple[phonenumbers.PhoneNumber, str, str, int]:
    """:func:`_checked`; when a number written without "+" is not one of the default
    country's, the reason says which country was assumed and, when the number is valid
    in one of ``regions``, suggests it there."""
    try:
        return _checked(text, default_region)
    except DomainError as exc:
        cleaned = _clean(text) if isinstance(text, str) and len(text) <= MAX_INPUT_LENGTH else ""
        if not cleaned or not _national_format(cleaned) or not _only_number_characters(cleaned):
            raise
        region = (default_region or "").upper()
        found = suggestions(cleaned, region, regions() if callable(regions) else regions)
        if (
            not found
            and region in phonenumbers.SUPPORTED_REGIONS
            and cleaned.lstrip("( ").startswith("0")
        ):
            # A workspace that works with no other country yet: ask among the markets
            # contact centres call from most, naming each country (089… is Munich and
            # Salerno). Only for numbers typed with a trunk 0, as those markets write them.
            found = suggestions(cleaned, region, COMMON_REGIONS, named=True)
        if found:
            raise DomainError(
                f"{_echo(cleaned)} is not {_a_number_of(region)} — did you mean "
                f"{' or '.join(found)}?"
            ) from None
        message = exc.message
        if " is not a valid number " in message:
            message = f"{_echo(cleaned)} is not {_a_number_of(region)}"
        else:  # "+358 12 is too short …": quote it as it was typed
            shown, verb, why = message.partition(" is ")
            if verb and shown.startswith("+"):
                message = f"{_echo(cleaned)}{verb}{why}"
        raise DomainError(
            f"{message} (numbers without + are read as {_plural_of(region)}: "
            "write another country's with + and its country code)"
        ) from None


def _plural_of(code: str) -> str:
    adjective = country_adjective(code)
    return f"{adjective} numbers" if adjective else f"numbers of {country_phrase(code)}"


# Asked when the workspace's own countries give no suggestion, in this order.
COMMON_REGIONS = (
    "DE",
    "GB",
    "FR",
    "ES",
    "IT",
    "NL",
    "SE",
    "NO",
    "DK",
    "FI",
    "EE",
    "AT",
    "CH",
    "BE",
    "PL",
    "PT",
    "IE",
    "US",
)


def suggestions(
    text: str, default_region: str, regions: Sequence[str], limit: int = 2, named: bool = False
) -> list[str]:
    """The international forms of a nationally written number in other ``regions``;
    ``named``: each followed by its country's name."""
    found: list[str] = []
    for region in dict.fromkeys(r.upper() for r in regions if r):
        if region == (default_region or "").upper():
            continue
        try:
            e164 = _checked(text, region)[1]
        except DomainError:
            continue
        shown = format_number(e164)
        if named:
            shown += f" ({country_phrase(region)})"
        if shown not in found:
            found.append(shown)
        if len(found) >= limit:
            break
    return found


def _checked(text: str, default_region: str) -> tuple[phonenumbers.PhoneNumber, str, str, int]:
    """(parsed number, E.164, region, number type) of a valid caller-ID number, or
    DomainError with the reason."""
    if not isinstance(text, str):
        raise DomainError("not a phone number")
    raw = text.strip()
    if not raw:
        raise DomainError("no phone number given")
    if len(raw) > MAX_INPUT_LENGTH:
        raise DomainError(
            f"{_echo(raw)} is too long to be a phone number (at most {MAX_INPUT_LENGTH} characters)"
        )
    cleaned = _clean(raw)
    if not cleaned:
        raise DomainError("no phone number given")
    if not _only_number_characters(cleaned) or not any(ch.isdecimal() for ch in cleaned):
        raise DomainError(f"{_quote(raw)} is not a phone number")
    if cleaned.lstrip("+") != cleaned:
        bad_cc = _unknown_country_code(cleaned)
        if bad_cc:
            raise DomainError(f"+{bad_cc} is not a known country code")
    region = (default_region or "").upper() or None
    try:
        num = phonenumbers.parse(cleaned, region)
    except NumberParseException as e:
        raise DomainError(_parse_failure(e, cleaned, region)) from None
    except Exception:  # noqa: BLE001 - phonenumbers on hostile input; a person gets a reason
        raise DomainError(f"{_quote(raw)} is not a phone number") from None
    return (num, *_from_parsed(num, raw))


def _unknown_country_code(cleaned: str) -> str:
    """For "+999 123": "999" when no known country code starts the digits, else ""."""
    after_plus = cleaned.lstrip("+").lstrip(" (")
    after_plus = _ascii_digits(after_plus)
    digits = "".join(ch for ch in after_plus if ch.isdecimal())
    known = phonenumbers.COUNTRY_CODE_TO_REGION_CODE
    if not digits.startswith("0") and any(
        len(digits) >= n and int(digits[:n]) in known for n in (1, 2, 3)
    ):
        return ""
    first_group = re.match(r"[^\d]*(\d{1,3})", after_plus)
    return first_group.group(1) if first_group else digits[:3]


def _parse_failure(e: NumberParseException, cleaned: str, region: str | None) -> str:
    shown = _echo(cleaned)
    if e.error_type == NumberParseException.INVALID_COUNTRY_CODE:
        if cleaned.startswith("+"):
            cc = _unknown_country_code(cleaned)
            return f"+{cc} is not a known country code" if cc else f"{shown} has no country code"
        return f"{shown} has no country code; write it with + and the country code"
    if e.error_type in (
        NumberParseException.TOO_SHORT_NSN,
        NumberParseException.TOO_SHORT_AFTER_IDD,
    ):
        return f"{shown} is too short to be a phone number"
    if e.error_type == NumberParseException.TOO_LONG:
        return f"{shown} is too long to be a phone number"
    return f"{_quote(cleaned)} is not a phone number"


def _from_parsed(num: phonenumbers.PhoneNumber, raw: str) -> tuple[str, str, int]:
    """(E.164, region, number type) of a parsed number, or DomainError saying why not."""
    try:
        region = phonenumbers.region_code_for_number(num)
        shown = phonenumbers.format_number(num, PhoneNumberFormat.INTERNATIONAL)
        possible = phonenumbers.is_possible_number_with_reason(num)
        # number_type() is UNKNOWN exactly when is_valid_number() is False (the latter
        # is number_type() != UNKNOWN for the number's own region); one call, not two.
        if possible == phonenumbers.ValidationResult.IS_POSSIBLE:
            ntype = phonenumbers.number_type(num)
        else:
            ntype = PhoneNumberType.UNKNOWN
        valid = ntype != PhoneNumberType.UNKNOWN
        e164 = phonenumbers.format_number(num, PhoneNumberFormat.E164)
    except Exception:  # noqa: BLE001 - never let a library error reach a person
        raise DomainError(f"{_quote(raw)} is not a phone number") from None
    if not region or len(region) != 2:
        # Invalid numbers have no region; name the main country of the code (GB for +44).
        region = phonenumbers.region_code_for_country_code(num.country_code)
    if num.country_code == 1:
        where_for = where_in = "for North America (+1)"
    elif region and len(region) == 2 and region != "ZZ":
        where_for, where_in = f"for {country_phrase(region)}", f"in {country_phrase(region)}"
    else:
        where_for = where_in = f"for country code +{num.country_code}"
    if possible != phonenumbers.ValidationResult.IS_POSSIBLE:
        if possible == phonenumbers.ValidationResult.INVALID_COUNTRY_CODE:
            raise DomainError(f"+{num.country_code} is not a known country code")
        why = _POSSIBLE_REASONS.get(possible, "is not a possible number")
        raise DomainError(f"{shown} {why} {where_for}")
    if not valid:
        raise DomainError(f"{shown} is not a valid number {where_in}")
    longest = _longest_plausible(region, ntype)
    if longest and len(phonenumbers.national_significant_number(num)) > longest:
        raise DomainError(
            f"{shown} is too long {where_for} (at most {longest} digits after +{num.country_code})"
        )
    if not region or len(region) != 2 or region == "001":
        raise DomainError(
            f"{shown} is an international non-geographic number; it cannot be used as caller ID"
        )
    if num.extension:
        raise DomainError(f"{shown} has an extension; caller-ID numbers cannot have one")
    return e164, region, ntype


_PLAUSIBLE_EXTRA = 3  # digits beyond the example number's length a real number may have
_DESC_BY_TYPE = {
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line",
    PhoneNumberType.MOBILE: "mobile",
}


@lru_cache(maxsize=1024)
def _longest_plausible(region: str, ntype: int) -> int:
    """The most digits after the country code a caller-ID number of this kind has, where
    phonenumbers' lengths are too loose to say (0: its validation is enough).

    Germany's fixed-line plan allows 5 to 15 digits, so phonenumbers calls
    +49 89 2345678901234 valid; an operator allocates no such number. Where a plan's
    longest length exceeds its example number's by more than a few digits, the example's
    length plus :data:`_PLAUSIBLE_EXTRA` bounds it (11 for German fixed lines).
    """
    attribute = _DESC_BY_TYPE.get(ntype)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region) if attribute else None
    desc = getattr(metadata, attribute, None) if metadata else None
    if desc is None or not desc.possible_length or not desc.example_number:
        return 0
    bound = len(desc.example_number) + _PLAUSIBLE_EXTRA
    return bound if max(desc.possible_length) > bound else 0


# --------------------------------------------------------------------------- splitting


@dataclass(frozen=True)
class Typed:
    """One number as a person typed it, cut out of a longer text by :func:`split_numbers`.

    ``problem``: set when the text could not be told apart into numbers with certainty;
    nothing of it may then be added.
    """

    text: str
    problem: str = ""
    countries: tuple[str, ...] = ()  # of the other numbers typed with it: hints for "did you mean"


_SEPARATORS = re.compile(r"[,;]")
_DIGIT_WORD = re.compile(r"^[\d()\-./]*\d[\d()\-./]*$")
_MAX_WORDS = 7  # "+33 1 42 68 53 00" is six words; no number is typed in more
_MAX_RUN_WORDS = 400  # longer runs without a comma or "+" are not cut (time: Slack waits 3 s)
_E164_DIGITS = 15
_MAX_DIGITS = _E164_DIGITS + 2  # with a trunk or international prefix
_NUMBER_START = re.compile(r"^\(?[0+]")


def _starts_international(word: str) -> bool:
    bare = word.lstrip("(")
    return bare.startswith("+") or bare.startswith("00")


def split_numbers(
    text: str | Sequence[str], default_region: str = "FI", regions: Regions = ()
) -> list[Typed]:
    """The numbers in a text a person typed, each as typed, in order.

    Commas and semicolons always separate numbers; a word starting with "+" always starts
    one; words that are not digits are an entry of their own (so they are reported). Between
    those, spaces may separate numbers or group the digits of one: a run of digit words
    is cut only where every piece is a valid number, no piece could be joined with its
    neighbour (or a part of it) into a valid one, and the piece after the cut starts as
    numbers are typed ("0" where numbers have a trunk 0, or "+"): a piece of a typed
    number is never taken for a number.
    A number written without "+" counts as valid when it is one in ``regions`` (or in a
    country of the other numbers typed), so that it stays whole and is asked about. When
    no such cut exists, the run is one entry (its reason comes from the parser); when
    several do, it is one entry with :attr:`Typed.problem` set.
    """
    words = text.split() if isinstance(text, str) else [w for t in text for w in t.split()]
    out: list[Typed] = []
    segments: list[list[str]] = [[]]
    for word in words:
        for part in re.split(r"([,;])", word):
            if _SEPARATORS.fullmatch(part):
                segments.append([])
            elif part.strip():
                segments[-1].append(part.strip())
    typed_countries = [c for segment in segments for c in _countries_typed(segment)]
    hints = _Hints(typed_countries, regions)
    for segment in segments:
        run: list[str] = []
        other: list[str] = []  # words that are no number: one entry, so it is reported
        for word in segment:
            if _DIGIT_WORD.match(word) or _starts_international(word):
                if other:
                    out.append(Typed(" ".join(other)))
                    other = []
                if word.lstrip("(").startswith("+") and run:
                    out += _split_run(run, default_region, hints)
                    run = []
                run.append(word)
            else:
                if run:
                    out += _split_run(run, default_region, hints)
                    run = []
                other.append(word)
        if run:
            out += _split_run(run, default_region, hints)
        if other:
            out.append(Typed(" ".join(other)))
    countries = tuple(dict.fromkeys(typed_countries))
    return [replace(t, countries=countries) for t in out] if countries else out


def _countries_typed(words: list[str]) -> list[str]:
    """The countries of the international numbers among the words (hints for the rest)."""
    found: list[str] = []
    for i, word in enumerate(words):
        if not _starts_international(word):
            continue
        for j in range(min(len(words), i + _MAX_WORDS), i, -1):
            try:
                region = _checked(" ".join(words[i:j]), "ZZ")[2]
            except DomainError:
                continue
            found.append(region)
            break
    return found


class _Hints(Sequence[str]):
    """The countries typed in the text, then ``regions`` (looked up on first use only)."""

    def __init__(self, typed: list[str], regions: Regions) -> None:
        self._typed, self._regions, self._all = typed, regions, None

    def _list(self) -> list[str]:
        if self._all is None:
            more = self._regions() if callable(self._regions) else self._regions
            self._all = list(dict.fromkeys([*self._typed, *more]))
        return self._all

    def __getitem__(self, index):  # type: ignore[override]
        return self._list()[index]

    def __len__(self) -> int:
        return len(self._list())


def _split_run(words: list[str], default_region: str, regions: Sequence[str]) -> list[Typed]:
    """One run of digit words (only its first may start with "+") cut into numbers."""
    whole = " ".join(words)
    known: dict[tuple[int, int], int] = {}

    def number(i: int, j: int) -> int:
        """0: not a number; 1: one of the default country; 2: of another (a suggestion)."""
        if (i, j) not in known:
            piece = words[i:j]
            text = " ".join(piece)
            digits = sum(ch.isdecimal() for ch in text)
            if any(w.lstrip("(").startswith("+") for w in piece[1:]) or not 3 <= digits <= (
                _MAX_DIGITS
            ):
                known[(i, j)] = 0
            else:
                try:
                    _checked(text, default_region)
                    known[(i, j)] = 1
                except DomainError:
                    national = _national_format(_clean(text))
                    other = national and suggestions(text, default_region, regions, limit=1)
                    known[(i, j)] = 2 if other else 0
        return known[(i, j)]

    n = len(words)
    if n > _MAX_RUN_WORDS:
        return [Typed(whole, _unreadable(whole))]
    if number(0, n):
        return [Typed(whole)]
    ends_at: dict[int, list[tuple[int, int]]] = {}  # cut pieces by the word they end before
    # As few digits as one number has: a cut needs a number's start after it ("0", "+"),
    # or "+49 89 2345 678901234" would be +49 89 2345 and a Finnish 678901234.
    # Where national numbers are written with a trunk 0 (FI, DE, GB, FR), so is every one.
    short = sum(ch.isdecimal() for ch in whole) <= _E164_DIGITS
    trunk_zero = _trunk_prefix(default_region) == "0"
    # best[(i, j)]: the cheapest cut of words[:j] whose last piece is words[i:j], as
    # (cost, ways, previous piece); cost is (pieces, pieces of another country).
    best: dict[tuple[int, int], tuple[tuple[int, int], int, tuple[int, int] | None]] = {}
    for j in range(1, n + 1):
        for i in range(max(0, j - _MAX_WORDS), j):
            if i and (short or trunk_zero) and not _NUMBER_START.match(words[i]):
                continue
            if i and not any(key[1] == i for key in ends_at.get(i, ())):
                continue  # no cut of the words before ends here
            kind = number(i, j)
            if not kind:
                continue
            own = (1, 1 if kind == 2 else 0)
            if i == 0:
                best[(0, j)] = (own, 1, None)
                ends_at.setdefault(j, []).append((0, j))
                continue
            choice = None
            for k in range(max(0, i - _MAX_WORDS), i):
                if (k, i) not in best or _movable(number, k, i, j):
                    continue  # no cut ends there, or the cut could be elsewhere
                cost, ways, _ = best[(k, i)]
                cost = (cost[0] + own[0], cost[1] + own[1])
                if choice is None or cost < choice[0]:
                    choice = (cost, ways, (k, i))
                elif cost == choice[0]:
                    choice = (cost, min(2, choice[1] + ways), choice[2])
            if choice is not None:
                best[(i, j)] = choice
                ends_at.setdefault(j, []).append((i, j))
    ends = [best[key] + (key,) for key in best if key[1] == n]
    if not ends:
        return [Typed(whole, _unreadable(whole))]
    cheapest = min(end[0] for end in ends)
    ways = sum(end[1] for end in ends if end[0] == cheapest)
    if ways > 1:
        return [
            Typed(
                whole,
                f"“{_echo(whole, 60)}” can be read as different numbers: nothing of it was "
                "added. Separate the numbers with commas.",
            )
        ]
    key: tuple[int, int] | None = next(end[3] for end in ends if end[0] == cheapest)
    pieces: list[Typed] = []
    while key is not None:
        pieces.append(Typed(" ".join(words[key[0] : key[1]])))
        key = best[key][2]
    return pieces[::-1]


@lru_cache(maxsize=256)
def _trunk_prefix(region: str) -> str:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region((region or "").upper())
    return (metadata.national_prefix or "") if metadata else ""


def _movable(number: Callable[[int, int], int], k: int, i: int, j: int) -> bool:
    """Whether the cut between pieces words[k:i] and words[i:j] is in doubt: the first
    piece with some words of the second, or the second with some of the first, is a
    number too ("+49 89 2345 | 6781 089": "+49 89 2345 6781" is one)."""
    return any(number(k, m) for m in range(i + 1, j + 1)) or any(number(m, j) for m in range(k, i))


def _unreadable(whole: str) -> str:
    """Why a run that is no number and no sequence of numbers is refused ("" when it is short
    enough to be one number: the parser says what is wrong with it)."""
    if sum(ch.isdecimal() for ch in whole) <= _MAX_DIGITS:
        return ""
    return (
        f"I could not tell where the numbers in “{_echo(whole, 60)}” begin and end: nothing "
        "of it was added. Separate the numbers with commas."
    )


# --------------------------------------------------------------------------- areas

_area_cache: dict[tuple[str, str, int], tuple[str, ...]] = {}
_AREA_CACHE_MAX = 100_000


@lru_cache(maxsize=1)
def geodata() -> tuple[dict[str, dict[str, str]], int, Any]:
    """(GEOCODE_DATA, GEOCODE_LONGEST_PREFIX, the geocoder module) of phonenumbers.

    Imported on first use, not at start: the data is about 100 MB in memory, and a bot
    that only reads its inventory never needs it (areas are stored with each number).
    """
    from phonenumbers import geocoder
    from phonenumbers.geodata import GEOCODE_DATA, GEOCODE_LONGEST_PREFIX

    return GEOCODE_DATA, GEOCODE_LONGEST_PREFIX, geocoder


def _geo_prefix(num: phonenumbers.PhoneNumber) -> str:
    """The longest prefix of the number that has geocoding data ("" if none).

    The geocoder's descriptions depend only on this prefix, the region and the
    number type, so it keys the memo of :func:`_area_names`.
    """
    data, longest, _ = geodata()
    digits = f"{num.country_code}{phonenumbers.national_significant_number(num)}"
    for length in range(min(len(digits), longest), 0, -1):
        if digits[:length] in data:
            return digits[:length]
    return ""


def _area_names(num: phonenumbers.PhoneNumber, region: str, ntype: int) -> tuple[str, ...]:
    prefix = _geo_prefix(num)
    key = (prefix, region, int(ntype))
    hit = _area_cache.get(key)
    if hit is not None:
        return hit
    names: list[str] = []
    if prefix:
        _geocoder = geodata()[2]
        for lang in ("en", *COUNTRY_LANGUAGES.get(region, ())):
            desc = _geocoder.description_for_number(num, lang).strip()
            if not desc or desc in names:
                continue
            if desc == _geocoder.country_name_for_number(num, lang) or desc in _country_names(
                region
            ):
                continue  # a country is not an area
            names.append(desc)
    result = tuple(names)
    if len(_area_cache) >= _AREA_CACHE_MAX:
        _area_cache.clear()
    _area_cache[key] = result
    return result


@lru_cache(maxsize=512)
def _country_names(region: str) -> frozenset[str]:
    names = {country_name(region)}
    c = pycountry.countries.get(alpha_2=region)
    if c is not None:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(c, attr, None)
            if value:
                names.add(value)
    return frozenset(names)


# --------------------------------------------------------------------------- formatting


@lru_cache(maxsize=65_536)
def format_number(e164: str) -> str:
    """International format for display: "+49891234567" -> "+49 89 1234567".

    Returns the input unchanged when it is not a number phonenumbers can read.
    Memoised; does not run the full parser (verdicts format many numbers).
    """
    if not isinstance(e164, str) or not e164.startswith("+") or not e164[1:].isdigit():
        try:
            return phonenumbers.format_number(
                phonenumbers.parse(e164, None), PhoneNumberFormat.INTERNATIONAL
            )
        except Exception:  # noqa: BLE001
            return e164
    digits = e164[1:]
    for cc_len in (1, 2, 3):
        cc = int(digits[:cc_len])
        if cc in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            rest = digits[cc_len:]
            if not rest:
                return e164
            zeros = len(rest) - len(rest.lstrip("0"))
            num = phonenumbers.PhoneNumber(
                country_code=cc,
                national_number=int(rest),
                italian_leading_zero=True if zeros else None,
                number_of_leading_zeros=zeros if zeros > 1 else None,
            )
            return phonenumbers.format_number(num, PhoneNumberFormat.INTERNATIONAL)
    return e164


_MAX_REGION = 200  # a region typed where the country has no subdivisions


def resolve_country(text: str) -> str:
    """An ISO alpha-2 code from a code or an English name ("DE", "Germany")."""
    text = (text or "").strip()
    if not text:
        raise DomainError("Country is required.", field="country")
    try:
        country = pycountry.countries.lookup(text)
    except LookupError:
        raise DomainError(
            f"Unknown country “{text[:40]}”: use a code like DE or a name like Germany.",
            field="country",
        ) from None
    return country.alpha_2


def resolve_region(text: str, country: str) -> str:
    """An ISO 3166-2 code where the country has subdivisions, else the text as typed."""
    text = " ".join((text or "").split())
    if not text:
        return ""
    # pycountry returns a set here: sort it, so the example in the error is stable.
    found = pycountry.subdivisions.get(country_code=country) or []
    subdivisions = sorted(found, key=lambda s: s.code)
    if not subdivisions:
        return text[:_MAX_REGION]
    wanted = casefold(text)
    for sub in subdivisions:
        short = sub.code.split("-", 1)[1]
        if wanted in (sub.code.casefold(), short.casefold(), casefold(sub.name)):
            return sub.code
    name = pycountry.countries.get(alpha_2=country).name
    example = subdivisions[0]
    raise DomainError(
        f"“{text[:40]}” is not a region of {name} (for example {example.code} or {example.name}).",
        field="region",
    )
