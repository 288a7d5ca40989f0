"""Compliance: the rules table and the verdict of each number.

The rules table says, for a (country, kind), which address a caller-ID number
needs (``Level``): none, any, one in the number's country, or one within the
area of the number's prefix. It ships as ``bot/data/rules.toml`` (from
COMPLIANCE.md, a source on every row) and an operator may replace it with a file
of the same format (``Rules.from_file``).

:func:`verdict` combines a number, its linked address and the rules into a
``Verdict`` with a one-line reason for a person. Pure: no Slack, no storage.

A second, separate question is whether a call *showing* the number reaches the
callee: :func:`deliverability` judges a number for a campaign (where its calls enter
the phone network, and its purpose) by the table's dated presentation rules
(anti-spoofing blocks, kinds that may not be shown, telemarketing ranges) into a
``Presentation``: deliverable, blocked or restricted, with the rule, source and date.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import phonenumbers
import pycountry

from bot.core.model import PURPOSES
from bot.core.phone import KIND_LABELS, Kind, country_phrase, format_number, region_name
from bot.core.text import fold

__all__ = [
    "CONFIDENCES",
    "DEFAULT_SOURCE",
    "DELIVERY_LABELS",
    "LEVEL_LABELS",
    "PURPOSES",
    "STATUS_LABELS",
    "AddressLike",
    "Delivery",
    "Level",
    "NumberLike",
    "Presentation",
    "PresentationRule",
    "Rule",
    "Rules",
    "RulesError",
    "Status",
    "Verdict",
    "area_matches",
    "deliverability",
    "verdict",
]


class Level(StrEnum):
    NONE = "none"
    ANY = "any"
    COUNTRY = "country"
    AREA = "area"


LEVEL_LABELS: dict[str, str] = {
    "none": "No address needed",
    "any": "Any address",
    "country": "Address in the country",
    "area": "Address in the area",
}

CONFIDENCES = ("H", "M", "L")
DEFAULT_SOURCE = "default (COMPLIANCE.md)"
_STANDARD_DEFAULTS = {k.value: (Level.COUNTRY if k is Kind.LOCAL else Level.NONE) for k in Kind}
_KINDS = frozenset(k.value for k in Kind)
_LEVELS = frozenset(lv.value for lv in Level)


# =========================================================================== rules


@dataclass(frozen=True)
class Rule:
    country: str
    kind: str
    level: str
    source: str
    confidence: str


# Presentation rules: whether a call showing a number reaches the callee.
ANTI_SPOOFING = "anti_spoofing"
BANNED_KIND = "banned_kind"
TELEMARKETING = "telemarketing"
NO_CALLER_ID = "no_caller_id"
_RULE_PURPOSES = ("any", *PURPOSES)  # the purposes a rule may name
_EFFECTS = ("blocked", "restricted", "hidden")
IN_FORCE = "in force"  # a rule's "from" when it applies and its start is not known


@dataclass(frozen=True)
class PresentationRule:
    """One row of ``[[anti_spoofing]]``, ``[[banned_kind]]``, ``[[telemarketing]]`` (or a
    ``[[no_caller_id]]`` kind). ``starts`` is None when the rule is in force since a date
    not known; ``when`` is the date as people read it ("1 Dec 2022", "Mar 2027", "2024")."""

    type: str
    country: str
    kinds: frozenset[str]
    purpose: str  # any | sales | service
    effect: str  # blocked | restricted | hidden
    starts: date | None
    when: str
    source: str
    cite: str
    prefixes: tuple[str, ...] = ()

    def in_force(self, today: date) -> bool:
        return self.starts is None or self.starts <= today

    def dated(self, today: date) -> str:
        """The date for a reason: "since 1 Dec 2022", "from 1 Mar 2027", or "" (unknown)."""
        if self.starts is None:
            return ""
        return f"{'since' if self.in_force(today) else 'from'} {self.when}"


class RulesError(Exception):
    """A rules file is unreadable or invalid; the message names the file, row and reason."""


class Rules:
    """The rules table: ``rule_for(country, kind)`` and ``can_be_caller_id``.

    File format (TOML)::

        [defaults]                       # optional; these are the standard defaults
        local = "country"                # kinds: local mobile toll_free national other
        mobile = "none"
        source = "default (COMPLIANCE.md)"

        [[rule]]                         # one per (country, kind)
        country = "DE"                   # ISO 3166-1 alpha-2
        kind = "local"
        level = "area"                   # none | any | country | area
        confidence = "H"                 # H | M | L
        source = "Twilio support article 360019405013"

        [[no_caller_id]]                 # kinds that may not be caller ID at all
        country = "BE"
        kind = "national"
        source = "Twilio voice guidelines, Belgium"

        [[anti_spoofing]]                # calls entering COUNTRY from abroad showing its numbers
        country = "DE"
        kinds = ["local", "mobile"]      # the kinds of the country's numbers it covers
        from = "2022-12-01"              # YYYY-MM-DD, YYYY-MM, YYYY or "in force" (date unknown)
        effect = "hidden"                # blocked (default) | restricted | hidden (shown
                                         # without a number: blocked for sales, restricted
                                         # for service)
        cite = "BNetzA"                  # the source's short name, for the one-line reason
        source = "BNetzA press release 2022-11-29"

        [[banned_kind]]                  # kinds that may not be shown (for a purpose)
        country = "FR"
        kinds = ["mobile"]
        purpose = "any"                  # any | sales | service
        from = "in force"
        cite = "ARCEP"
        source = "ARCEP numbering plan for professionals"

        [[telemarketing]]                # calls of a purpose must show a number of these ranges
        country = "FR"
        prefixes = ["162", "163"]        # leading digits after the country code
        purpose = "sales"
        from = "2023-01-01"
        effect = "restricted"
        cite = "ARCEP"
        source = "ARCEP decision"
    """

    def __init__(
        self,
        rows: Iterable[Rule],
        defaults: dict[str, str] | None = None,
        no_caller_id: dict[tuple[str, str], str] | None = None,
        default_source: str = DEFAULT_SOURCE,
        origin: str = "rules",
        presentation: Iterable[PresentationRule] = (),
    ) -> None:
        self.rows: list[Rule] = list(rows)
        self.defaults: dict[str, str] = {k: str(v) for k, v in _STANDARD_DEFAULTS.items()}
        self.defaults.update(defaults or {})
        self.no_caller_id: dict[tuple[str, str], str] = dict(no_caller_id or {})
        self.default_source = default_source
        self.origin = origin
        self._by_key: dict[tuple[str, str], Rule] = {(r.country, r.kind): r for r in self.rows}
        self.presentation: list[PresentationRule] = list(presentation)
        # The barred kinds take part in the presentation verdict too: always in force.
        barred = [
            PresentationRule(
                NO_CALLER_ID, country, frozenset({kind}), "any", "blocked", None, "", source, source
            )
            for (country, kind), source in self.no_caller_id.items()
        ]
        self._presentation_by_country: dict[str, list[PresentationRule]] = {}
        for p in [*barred, *self.presentation]:
            self._presentation_by_country.setdefault(p.country, []).append(p)
        # deliverability() of equal inputs, shared: 50,000 numbers in a campaign are a
        # handful of distinct verdicts (country, kind, the rules that apply), not 50,000.
        self.delivery_memo: dict[tuple, Presentation] = {}

    def __repr__(self) -> str:
        return f"<Rules {self.origin}: {len(self.rows)} rows>"

    # ----------------------------------------------------------------- loading

    @classmethod
    def shipped(cls) -> Rules:
        """The table shipped with the package (``bot/data/rules.toml``); loaded once."""
        return _shipped()

    @classmethod
    def from_file(cls, path: str | Path) -> Rules:
        """A table that replaces the shipped one. Raises :class:`RulesError`."""
        name = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise RulesError(f"{name}: no such rules file") from None
        except UnicodeDecodeError as e:
            raise RulesError(f"{name}: not UTF-8 text (byte {e.start})") from None
        except OSError as e:
            raise RulesError(f"{name}: cannot read the rules file: {e.strerror or e}") from None
        return cls.from_text(text, name)

    @classmethod
    def from_text(cls, text: str, origin: str = "rules") -> Rules:
        """Parse and validate the TOML text of a rules table (``origin`` names it in errors)."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise RulesError(f"{origin}: not valid TOML: {e}") from None
        return _build(data, text, origin)

    # ----------------------------------------------------------------- queries

    def rule_for(self, country: str, kind: str) -> Rule:
        """The row for (country, kind), or the default for the kind (source says so)."""
        key = ((country or "").upper(), kind)
        rule = self._by_key.get(key)
        if rule is None:
            level = self.defaults.get(kind, Level.NONE.value)
            rule = Rule(key[0], kind, level, self.default_source, "L")
            self._by_key[key] = rule
        return rule

    def presentation_rules(self, country: str) -> list[PresentationRule]:
        """The presentation rules about numbers of ``country`` (barred kinds first)."""
        return self._presentation_by_country.get((country or "").upper(), [])

    def can_be_caller_id(self, country: str, kind: str) -> tuple[bool, str]:
        """``(True, "")``, or ``(False, reason naming the source)`` for barred kinds."""
        source = self.no_caller_id.get(((country or "").upper(), kind))
        if source is None:
            return True, ""
        label = KIND_LABELS.get(kind, kind).lower()
        return False, (
            f"{label} numbers in {country_phrase(country.upper())} "
            f"cannot be shown as caller ID ({source})"
        )


@lru_cache(maxsize=1)
def _shipped() -> Rules:
    ref = resources.files("bot").joinpath("data", "rules.toml")
    return Rules.from_text(ref.read_text(encoding="utf-8"), "bot/data/rules.toml")


_ROW_KEYS = {"country", "kind", "level", "confidence", "source"}
_BAR_KEYS = {"country", "kind", "source"}


def _header_lines(text: str, table: str) -> list[int]:
    """Line numbers of the ``[[table]]`` headers, to name rows in errors."""
    pattern = re.compile(rf"^\s*\[\[\s*{table}\s*\]\]")
    return [i for i, line in enumerate(text.splitlines(), 1) if pattern.match(line)]


_TABLES = ("rule", NO_CALLER_ID, ANTI_SPOOFING, BANNED_KIND, TELEMARKETING)


def _build(data: dict[str, Any], text: str, origin: str) -> Rules:
    unknown = set(data) - {"defaults", *_TABLES}
    if unknown:
        raise RulesError(
            f"{origin}: unknown table or key {sorted(unknown)[0]!r} (expected [defaults], "
            + ", ".join(f"[[{t}]]" for t in _TABLES)
            + ")"
        )

    defaults_table = data.get("defaults", {})
    if not isinstance(defaults_table, dict):
        raise RulesError(f"{origin}: [defaults] must be a table")
    defaults: dict[str, str] = {}
    default_source = DEFAULT_SOURCE
    for key, value in defaults_table.items():
        if key == "source":
            if not isinstance(value, str) or not value.strip():
                raise RulesError(f"{origin}: [defaults] source must be non-empty text")
            default_source = value.strip()
            continue
        if key not in _KINDS:
            raise RulesError(f"{origin}: [defaults]: unknown kind {key!r} ({_expected(_KINDS)})")
        if value not in _LEVELS:
            raise RulesError(
                f"{origin}: [defaults] {key}: unknown level {value!r} ({_expected(_LEVELS)})"
            )
        defaults[key] = value

    rows: list[Rule] = []
    seen: dict[tuple[str, str], str] = {}
    lines = _header_lines(text, "rule")
    for index, row in enumerate(_array(data, "rule", origin), 1):
        where = _row_name(origin, "rule", index, lines, row)
        country, kind, source = _common(row, where, _ROW_KEYS)
        level = row.get("level")
        if level not in _LEVELS:
            raise RulesError(f"{where}: unknown level {level!r} ({_expected(_LEVELS)})")
        confidence = row.get("confidence")
        if confidence not in CONFIDENCES:
            raise RulesError(f"{where}: confidence must be one of H, M, L (got {confidence!r})")
        key = (country, kind)
        if key in seen:
            raise RulesError(f"{where}: duplicates {seen[key]}")
        seen[key] = where.removeprefix(f"{origin}: ")
        rows.append(Rule(country, kind, level, source, confidence))

    barred: dict[tuple[str, str], str] = {}
    lines = _header_lines(text, "no_caller_id")
    for index, row in enumerate(_array(data, "no_caller_id", origin), 1):
        where = _row_name(origin, "no_caller_id", index, lines, row)
        country, kind, source = _common(row, where, _BAR_KEYS)
        barred[(country, kind)] = source

    presentation: list[PresentationRule] = []
    for table in (ANTI_SPOOFING, BANNED_KIND, TELEMARKETING):
        lines = _header_lines(text, table)
        for index, row in enumerate(_array(data, table, origin), 1):
            where = _row_name(origin, table, index, lines, row)
            presentation.append(_presentation_row(table, row, where))

    return Rules(rows, defaults, barred, default_source, origin, presentation)


_PRESENTATION_KEYS = {
    ANTI_SPOOFING: {"country", "kinds", "from", "effect", "cite", "source"},
    BANNED_KIND: {"country", "kinds", "purpose", "from", "effect", "cite", "source"},
    TELEMARKETING: {"country", "prefixes", "purpose", "from", "effect", "cite", "source"},
}
_DEFAULT_EFFECT = {ANTI_SPOOFING: "blocked", BANNED_KIND: "blocked", TELEMARKETING: "restricted"}


def _presentation_row(table: str, row: dict[str, Any], where: str) -> PresentationRule:
    allowed = _PRESENTATION_KEYS[table]
    extra = set(row) - allowed
    if extra:
        raise RulesError(f"{where}: unknown key {sorted(extra)[0]!r} ({_expected(allowed)})")
    country = row.get("country")
    if not isinstance(country, str) or not _is_country(country):
        raise RulesError(f"{where}: {country!r} is not an ISO 3166-1 alpha-2 country code")
    source = row.get("source")
    if not isinstance(source, str) or not source.strip():
        raise RulesError(f"{where}: missing source (every row needs one)")
    cite = row.get("cite", source)
    if not isinstance(cite, str) or not cite.strip():
        raise RulesError(f"{where}: cite must be non-empty text (the source's short name)")
    kinds: frozenset[str] = frozenset(_KINDS)
    if table != TELEMARKETING:
        listed = row.get("kinds")
        if not isinstance(listed, list) or not listed:
            raise RulesError(f"{where}: kinds must be a list of kinds ({_expected(_KINDS)})")
        for kind in listed:
            if kind not in _KINDS:
                raise RulesError(f"{where}: unknown kind {kind!r} ({_expected(_KINDS)})")
        kinds = frozenset(listed)
    prefixes: tuple[str, ...] = ()
    if table == TELEMARKETING:
        listed = row.get("prefixes")
        if not isinstance(listed, list) or not listed:
            raise RulesError(f'{where}: prefixes must be a list of leading digits like "162"')
        for prefix in listed:
            if not isinstance(prefix, str) or not prefix.isascii() or not prefix.isdigit():
                raise RulesError(
                    f"{where}: prefix {prefix!r} is not digits (the digits after the country "
                    'code, like "162")'
                )
        prefixes = tuple(listed)
    purpose = row.get("purpose", "any")
    if purpose not in _RULE_PURPOSES:
        raise RulesError(f"{where}: unknown purpose {purpose!r} ({_expected(_RULE_PURPOSES)})")
    effect = row.get("effect", _DEFAULT_EFFECT[table])
    if effect not in _EFFECTS:
        raise RulesError(f"{where}: unknown effect {effect!r} ({_expected(_EFFECTS)})")
    if "from" not in row:
        raise RulesError(f'{where}: missing from (the date it takes effect, or "{IN_FORCE}")')
    starts, when = _start_date(row["from"], where)
    return PresentationRule(
        table,
        country.upper(),
        kinds,
        purpose,
        effect,
        starts,
        when,
        source.strip(),
        cite.strip(),
        prefixes,
    )


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^\d{4}$")


def _start_date(value: Any, where: str) -> tuple[date | None, str]:
    """(first day it applies, the date as written for people) of a rule's ``from``."""
    if isinstance(value, date) and not hasattr(value, "hour"):  # a TOML date
        return value, _day_text(value)
    text = value.strip() if isinstance(value, str) else value
    try:
        if text == IN_FORCE:
            return None, ""
        if isinstance(text, str) and _YEAR.match(text):
            return date(int(text), 1, 1), text
        if isinstance(text, str) and (m := _MONTH.match(text)):
            start = date(int(m.group(1)), int(m.group(2)), 1)
            return start, start.strftime("%b %Y")
        if isinstance(text, str) and len(text) == 10:
            start = date.fromisoformat(text)
            return start, _day_text(start)
    except ValueError:
        pass
    raise RulesError(
        f'{where}: bad date {value!r} in from (YYYY-MM-DD, YYYY-MM, YYYY or "{IN_FORCE}")'
    )


def _day_text(day: date) -> str:
    return f"{day.day} {day.strftime('%b %Y')}"


def _expected(values: Iterable[str]) -> str:
    return "expected one of " + ", ".join(sorted(values))


def _array(data: dict[str, Any], table: str, origin: str) -> list[dict[str, Any]]:
    rows = data.get(table, [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise RulesError(f"{origin}: {table} must be written as [[{table}]] tables")
    return rows


def _row_name(origin: str, table: str, index: int, lines: list[int], row: dict) -> str:
    at = f", line {lines[index - 1]}" if index <= len(lines) else ""
    if "kind" in row or table in ("rule", NO_CALLER_ID):
        label = " ".join(str(row.get(k, "?")) for k in ("country", "kind"))
    else:
        label = str(row.get("country", "?"))
    return f"{origin}: [[{table}]] #{index} ({label}{at})"


def _common(row: dict[str, Any], where: str, allowed: set[str]) -> tuple[str, str, str]:
    extra = set(row) - allowed
    if extra:
        raise RulesError(f"{where}: unknown key {sorted(extra)[0]!r} ({_expected(allowed)})")
    country = row.get("country")
    if not isinstance(country, str) or not _is_country(country):
        raise RulesError(f"{where}: {country!r} is not an ISO 3166-1 alpha-2 country code")
    kind = row.get("kind")
    if kind not in _KINDS:
        raise RulesError(f"{where}: unknown kind {kind!r} ({_expected(_KINDS)})")
    source = row.get("source")
    if not isinstance(source, str) or not source.strip():
        raise RulesError(f"{where}: missing source (every row needs one)")
    return country.upper(), kind, source.strip()


def _is_country(code: str) -> bool:
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        return False
    return pycountry.countries.get(alpha_2=code.upper()) is not None


# =========================================================================== verdicts


class Status(StrEnum):
    OK = "ok"
    MISSING = "missing"
    WRONG_COUNTRY = "wrong_country"
    OUTSIDE_AREA = "outside_area"
    UNVERIFIABLE = "unverifiable"


STATUS_LABELS: dict[str, str] = {
    "ok": "OK",
    "missing": "Missing address",
    "wrong_country": "Wrong country",
    "outside_area": "Outside area",
    "unverifiable": "Unverifiable",
}


class NumberLike(Protocol):
    """What :func:`verdict` reads from a number (``bot.core.phone.PhoneNumber`` or a stored one).

    An optional ``area_confirmed_by: str | None`` attribute records that a manager
    confirmed by hand that the linked address is within an area the geocoder cannot
    name; it is read with ``getattr`` so objects without it work too.
    """

    @property
    def e164(self) -> str: ...
    @property
    def country(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def area(self) -> str: ...
    @property
    def area_names(self) -> Sequence[str]: ...


class AddressLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def city(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def country(self) -> str: ...


class _Reason:
    """A reason whose number is formatted when first read.

    Formatting a number costs more than computing its verdict; lists and counts
    need only the status, so 50,000 verdicts stay cheap.
    """

    __slots__ = ("after", "before", "e164")

    def __init__(self, before: str, e164: str, after: str) -> None:
        self.before, self.e164, self.after = before, e164, after

    def __str__(self) -> str:
        return f"{self.before}{format_number(self.e164)}{self.after}"


class Verdict:
    """A number's verdict: ``status`` (a ``Status`` value), one-line ``reason`` for a
    person, the rule's ``level`` and ``source``. Immutable; compares by value."""

    __slots__ = ("_reason", "level", "source", "status")

    status: str
    level: str
    source: str

    def __init__(self, status: str, reason: str | _Reason, level: str, source: str = "") -> None:
        object.__setattr__(self, "status", status)
        object.__setattr__(self, "_reason", reason)
        object.__setattr__(self, "level", level)
        object.__setattr__(self, "source", source)

    @property
    def reason(self) -> str:
        reason = self._reason
        if not isinstance(reason, str):
            reason = str(reason)
            object.__setattr__(self, "_reason", reason)
        return reason

    @property
    def ok(self) -> bool:
        return self.status == Status.OK

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Verdict is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Verdict is immutable")

    def _key(self) -> tuple[str, str, str, str]:
        return (self.status, self.reason, self.level, self.source)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Verdict) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (
            f"Verdict(status={self.status!r}, reason={self.reason!r}, "
            f"level={self.level!r}, source={self.source!r})"
        )


def verdict(number: NumberLike, address: AddressLike | None, rules: Rules) -> Verdict:
    """The compliance verdict of ``number`` with its linked ``address`` (or None).

    * level ``none``: ok.
    * ``any``: ok when an address is linked, else missing.
    * ``country``: missing / wrong_country / ok.
    * ``area``: missing / wrong_country first; then, when the number's prefix has
      no area names, unverifiable unless ``number.area_confirmed_by`` names the
      manager who confirmed it by hand (ok); else ``area_matches`` decides between
      ok and outside_area.
    """
    country = (number.country or "").upper()
    rule = rules.rule_for(country, number.kind)
    level = rule.level
    src = rule.source
    e164 = number.e164

    if level == Level.NONE:
        what = _kind_phrase(number.kind, country)
        return Verdict(Status.OK, f"no address is required for {what}", level, src)

    if address is None:
        if level == Level.ANY:
            need = "an address (anywhere)"
        elif level == Level.COUNTRY or not number.area:
            need = f"an address in {country_phrase(country)}"
        else:
            need = f"an address in {number.area}"
        reason = _Reason("", e164, f" needs {need} and none is linked")
        return Verdict(Status.MISSING, reason, level, src)

    name = address.name
    if level == Level.ANY:
        what = _kind_phrase(number.kind, country)
        return Verdict(Status.OK, f"{name} is linked; any address will do for {what}", level, src)

    addr_country = (address.country or "").upper()
    if addr_country != country:
        is_a = f"a {number.area} number" if level == Level.AREA and number.area else "a number"
        there = country_phrase(addr_country) if addr_country else "no country"
        reason = _Reason("", e164, f" is {is_a} in {country_phrase(country)}; {name} is in {there}")
        return Verdict(Status.WRONG_COUNTRY, reason, level, src)
    if level == Level.COUNTRY:
        label = KIND_LABELS.get(number.kind, number.kind).lower()
        return Verdict(
            Status.OK,
            f"{name} is in {country_phrase(country)}, as a {label} number there requires",
            level,
            src,
        )

    # level == area
    names = tuple(number.area_names or ())
    if not names:
        confirmed_by = getattr(number, "area_confirmed_by", None)
        if confirmed_by:
            reason = _Reason(
                f"{name} was confirmed by hand by {confirmed_by} as within the area of ", e164, ""
            )
            return Verdict(Status.OK, reason, level, src)
        reason = _Reason(
            "the area of ",
            e164,
            f" cannot be determined from its prefix; "
            f"a manager can confirm by hand that {name} is within it",
        )
        return Verdict(Status.UNVERIFIABLE, reason, level, src)
    city = address.city or ""
    region = address.region or ""
    area = number.area or names[0]
    if area_matches(names, city, region, country):
        # The area by the name the address uses (not "München … (Munich)").
        if city and area_matches(names, city, "", country):
            reason_ok = f"{name} is in {city}, the number's area"
        else:
            place = region_name(region) or city
            reason_ok = f"{name} is in {place}, which covers the number's area ({area})"
        return Verdict(Status.OK, reason_ok, level, src)
    place = city or region or "no named city"
    reason = _Reason("", e164, f" is a {area} number; {name} is in {place}")
    return Verdict(Status.OUTSIDE_AREA, reason, level, src)


def _kind_phrase(kind: str, country: str) -> str:
    label = KIND_LABELS.get(kind, kind).lower()
    return f"{label} numbers in {country_phrase(country)}"


# =========================================================================== presentation


class Delivery(StrEnum):
    DELIVERABLE = "deliverable"
    BLOCKED = "blocked"
    RESTRICTED = "restricted"


DELIVERY_LABELS: dict[str, str] = {
    "deliverable": "Deliverable",
    "blocked": "Blocked",
    "restricted": "Restricted",
}
_SEVERITY = {Delivery.DELIVERABLE: 0, Delivery.RESTRICTED: 1, Delivery.BLOCKED: 2}


@dataclass(frozen=True)
class Presentation:
    """Whether a call of a campaign showing a number reaches the callee.

    ``status`` is a ``Delivery`` value; ``reason`` one line for a person naming the rule,
    its source and date; ``rule`` the deciding rule's table (``anti_spoofing``,
    ``banned_kind``, ``telemarketing``, ``no_caller_id``; "" when none applies),
    ``source`` its full source and ``since`` the day it took effect (None: no rule, or
    in force since a date not known). ``upcoming`` is the worse verdict a dated rule not
    yet in force will bring (its ``since`` is the day it starts), else None.
    """

    status: str
    reason: str
    rule: str = ""
    source: str = ""
    since: date | None = None
    upcoming: Presentation | None = None

    @property
    def deliverable(self) -> bool:
        return self.status == Delivery.DELIVERABLE


# Adjectives for the countries the shipped rules name ("German numbers"); others are
# written "numbers of <country>".
_ADJECTIVES = {
    "BE": "Belgian",
    "BR": "Brazilian",
    "CZ": "Czech",
    "DE": "German",
    "EE": "Estonian",
    "ES": "Spanish",
    "FI": "Finnish",
    "FR": "French",
    "HK": "Hong Kong",
    "IE": "Irish",
    "IN": "Indian",
    "IT": "Italian",
    "MT": "Maltese",
    "NO": "Norwegian",
    "SE": "Swedish",
    "TR": "Turkish",
}


def _numbers_of(country: str, kinds: Iterable[str] | None = None) -> str:
    """ "German numbers", "Finnish mobile numbers", "numbers of Malta"."""
    kind = ""
    listed = list(kinds or ())
    if len(listed) == 1:
        kind = KIND_LABELS.get(listed[0], "").lower() + " "
    adjective = _ADJECTIVES.get(country)
    if adjective:
        return f"{adjective} {kind}numbers"
    return f"{kind}numbers of {country_phrase(country)}"


def _cited(rule: PresentationRule, today: date) -> str:
    dated = rule.dated(today)
    return f"({rule.cite}, {dated})" if dated else f"({rule.cite})"


def _applies(rule: PresentationRule, number: NumberLike, origin: str | None, purpose: str) -> bool:
    """Whether ``rule`` speaks about this number for this campaign (whatever its date)."""
    if number.kind not in rule.kinds or rule.purpose not in ("any", purpose):
        return False
    if rule.type == ANTI_SPOOFING:
        # Calls enter the network abroad only when the campaign names another country.
        return origin is not None and origin != rule.country
    if rule.type == TELEMARKETING:
        digits = _national_digits(number.e164, rule.country)
        return not digits.startswith(rule.prefixes)
    return True


@lru_cache(maxsize=64)
def _calling_code(country: str) -> str:
    return str(phonenumbers.country_code_for_region(country))


def _national_digits(e164: str, country: str) -> str:
    code = _calling_code(country)
    digits = e164.lstrip("+")
    return digits[len(code) :] if digits.startswith(code) else digits


def _judged(
    rule: PresentationRule, number: NumberLike, origin: str | None, purpose: str, today: date
) -> Presentation:
    """The verdict ``rule`` gives (as if in force), its reason naming the rule and date."""
    status, what = _rule_says(rule, number, origin, purpose)
    reason = f"{DELIVERY_LABELS[status]}: {what} {_cited(rule, today)}"
    return Presentation(status, reason, rule.type, rule.source, rule.starts)


def _rule_says(
    rule: PresentationRule, number: NumberLike, origin: str | None, purpose: str
) -> tuple[Delivery, str]:
    country = rule.country
    status = Delivery.BLOCKED if rule.effect == "blocked" else Delivery.RESTRICTED
    if rule.type == ANTI_SPOOFING:
        entering = f"calls entering {country_phrase(country)} from {country_phrase(origin or '')}"
        # "German numbers" when the rule covers every kind, else "Finnish mobile numbers".
        numbers = _numbers_of(country, None if rule.kinds == _KINDS else {number.kind})
        if rule.effect == "hidden" and purpose == "sales":
            status = Delivery.BLOCKED  # shown without a number, which a sales call may not be
        if status == Delivery.BLOCKED:
            return status, f"{entering} may not show {numbers}"
        return status, f"{entering} are shown without a number: {numbers} are suppressed"
    if rule.type == TELEMARKETING:
        ranges = ", ".join(f"+{_calling_code(country)} {p}" for p in rule.prefixes[:4])
        if len(rule.prefixes) > 4:
            ranges += f" … ({len(rule.prefixes)} ranges)"
        calls = "calls" if rule.purpose == "any" else f"{rule.purpose} calls"
        return status, f"{calls} in {country_phrase(country)} must show a number from {ranges}"
    shown = {"sales": "on sales calls", "service": "on service calls"}.get(
        rule.purpose, "as caller ID"
    )
    return status, f"{_numbers_of(country, {number.kind})} may not be shown {shown}"


def _worse(a: Presentation, b: Presentation | None) -> bool:
    """Whether ``a`` is a worse verdict than ``b`` (among equals, the earlier start)."""
    if b is None:
        return True
    if _SEVERITY[a.status] != _SEVERITY[b.status]:
        return _SEVERITY[a.status] > _SEVERITY[b.status]
    return a.since is not None and b.since is not None and a.since < b.since


def deliverability(
    number: NumberLike,
    origin: str | None,
    purpose: str,
    today: date,
    rules: Rules,
) -> Presentation:
    """Whether calls of a campaign showing ``number`` reach the callee, on ``today``.

    ``origin`` is the country where the campaign's calls enter the phone network (None:
    each number's own country, a local carrier, so no anti-spoofing block applies);
    ``purpose`` is ``sales`` or ``service``. Every rule about the number's country,
    kind and the purpose is judged; the worst in force decides (blocked > restricted >
    deliverable; the first in the table among equals). A rule not yet in force leaves
    today's verdict as it is; the worst of those that would make it worse is reported
    as ``upcoming`` (the earliest among equals), so that a caller can warn before its day.

    Independent of the address verdict: a number can be ``ok`` for its address and
    ``blocked`` for a campaign.
    """
    country = (number.country or "").upper()
    origin = origin.upper() if origin else None
    applying = tuple(
        rule
        for rule in rules.presentation_rules(country)
        if _applies(rule, number, origin, purpose)
    )
    # The verdict depends on the number only through its country, kind and these rules.
    key = (country, number.kind, origin, purpose, today, tuple(map(id, applying)))
    memo = rules.delivery_memo
    found = memo.get(key)
    if found is None:
        if len(memo) >= _DELIVERY_MEMO_SIZE:
            memo.clear()
        found = memo[key] = _deliverability(number, country, origin, purpose, today, applying)
    return found


_DELIVERY_MEMO_SIZE = 4096


def _deliverability(
    number: NumberLike,
    country: str,
    origin: str | None,
    purpose: str,
    today: date,
    applying: tuple[PresentationRule, ...],
) -> Presentation:
    current: Presentation | None = None
    upcoming: Presentation | None = None
    for rule in applying:
        judged = _judged(rule, number, origin, purpose, today)
        if rule.in_force(today):
            if current is None or _SEVERITY[judged.status] > _SEVERITY[current.status]:
                current = judged
        elif _worse(judged, upcoming):
            upcoming = judged
    if upcoming is not None and current is not None and not _worse(upcoming, current):
        upcoming = None
    if current is not None:
        return replace(current, upcoming=upcoming)
    if upcoming is not None:
        status, what = upcoming.reason.split(": ", 1)
        reason = f"Deliverable today; {status.lower()} {_from_part(what)}"
    elif origin is None or origin == country:
        reason = f"Deliverable: calls enter the network in {country_phrase(country)} itself"
    else:
        reason = (
            f"Deliverable: no rule bars {_numbers_of(country)} on calls entering "
            f"{country_phrase(country)} from {country_phrase(origin)}"
        )
    return Presentation(Delivery.DELIVERABLE, reason, upcoming=upcoming)


def _from_part(what: str) -> str:
    """ "X (cite, from Mar 2027)" -> "from Mar 2027: X (cite)"."""
    head, _, tail = what.rpartition(" (")
    cite, _, dated = tail.rstrip(")").rpartition(", ")
    return f"{dated}: {head} ({cite})"


# =========================================================================== area matching

_UMLAUT_SPELLING = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}
_UMLAUTS = re.compile("[äöüÄÖÜ]")


@lru_cache(maxsize=65_536)
def _words(text: str) -> tuple[str, ...]:
    """Lower-case ASCII words: accents, case, punctuation and spacing ignored (text.fold)."""
    return tuple(fold(text, keep="ascii").split())


def _same_place(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Equal up to spacing ("Saint-Denis" = "Saintdenis"), or the same name with
    abbreviated words ("Frankfurt a.M." = "Frankfurt am Main": same number of words,
    first word equal, each further word a prefix of the other's)."""
    if not a or not b:
        return False
    if "".join(a) == "".join(b):
        return True
    if len(a) != len(b) or len(a) < 2 or a[0] != b[0]:
        return False
    return all(x.startswith(y) or y.startswith(x) for x, y in zip(a[1:], b[1:], strict=True))


@lru_cache(maxsize=16_384)
def _description_forms(desc: str) -> tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]:
    """(place forms, subdivision part) of a geocoder description.

    "San Francisco, CA" -> ((san francisco,),), (ca,);
    "Halle (Saale)" -> ((halle saale,), (halle,)), ().
    """
    head, comma, tail = desc.partition(",")
    forms = {_words(head), _words(head.split("(")[0])}
    if not comma:
        forms.add(_words(desc))
    # "Bolzano/Bozen", "Bienne/Neuchâtel/Soleure/Jura": each listed place on its own.
    parts = head.split("/") if "/" in head else []
    for part in parts:
        forms |= {_words(part), _words(part.split("(")[0])}
    for text in (head, *parts):
        if _UMLAUTS.search(text):  # München also as Muenchen
            expanded = _UMLAUTS.sub(lambda m: _UMLAUT_SPELLING[m.group()], text)
            forms |= {_words(expanded), _words(expanded.split("(")[0])}
    sub = _words(tail.rsplit(",", 1)[-1]) if comma else ()
    return tuple(f for f in forms if f), sub


# Geocoder names of Spanish provinces that differ from every name pycountry gives the
# province (ISO 3166-2:ES), mapped to pycountry's names, so that the region code
# ("SS", "PM"), the ISO name and the local spelling match too.
_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "ES": {
        "guipuzcoa": ("Gipuzkoa",),  # +34 943, ES-SS
        "balearicislands": ("Illes Balears", "Islas Baleares"),  # +34 971, ES-PM
        "baleares": ("Illes Balears", "Islas Baleares"),
        "tenerife": ("Santa Cruz de Tenerife",),  # +34 922, ES-TF
        "seville": ("Sevilla",),  # +34 955 has only the English name
    },
}


def _with_aliases(names: tuple[str, ...], country: str) -> tuple[str, ...]:
    table = _ALIASES.get(country)
    if not table:
        return names
    extra = [a for n in names for a in table.get("".join(_words(n)), ()) if a not in names]
    return names + tuple(dict.fromkeys(extra))


def _name_variants(name: str) -> list[str]:
    """pycountry subdivision names: "Lleida [Lérida]" -> Lleida, Lérida;
    "Madrid, Comunidad de" -> itself, "Madrid", "Comunidad de Madrid"."""
    variants = [name]
    if "[" in name:
        head, _, rest = name.partition("[")
        variants += [head, rest.rstrip("]")]
    for v in list(variants):
        if "," in v:  # "Madrid, Comunidad de" -> "Madrid", "Comunidad de Madrid"
            head, _, tail = v.partition(",")
            variants += [head, f"{tail.strip()} {head.strip()}"]
    return [v.strip() for v in variants if v.strip()]


@lru_cache(maxsize=512)
def _subdivisions_by_name(country: str) -> dict[str, Any]:
    index: dict[str, Any] = {}
    try:
        subs = pycountry.subdivisions.get(country_code=country) or []
    except (KeyError, LookupError):
        subs = []
    for sub in subs:
        for variant in _name_variants(sub.name):
            index.setdefault("".join(_words(variant)), sub)
    return index


def _subdivision(region: str, country: str) -> Any:
    text = region.strip()
    candidates = []
    if re.fullmatch(r"[A-Za-z]{2}-[A-Za-z0-9]{1,3}", text):
        candidates.append(text.upper())
    elif re.fullmatch(r"[A-Za-z0-9]{1,3}", text) and country:
        candidates.append(f"{country.upper()}-{text.upper()}")
    for code in candidates:
        try:
            sub = pycountry.subdivisions.get(code=code)
        except (KeyError, LookupError):
            sub = None
        if sub is not None and (not country or sub.country_code == country.upper()):
            return sub
    if country:
        return _subdivisions_by_name(country.upper()).get("".join(_words(text)))
    return None


@lru_cache(maxsize=16_384)
def _region_forms(region: str, country: str) -> tuple[frozenset[str], frozenset[str]]:
    """(names, codes) a region may be called by, normalised (spaces removed).

    "US-CA", "CA" or "California" (country US) -> ({"california"}, {"ca"}).
    """
    names = {"".join(_words(region))} - {""}
    codes: set[str] = set()
    sub = _subdivision(region, country)
    if sub is not None:
        codes.add(sub.code.split("-", 1)[1].lower())
        names.update("".join(_words(v)) for v in _name_variants(sub.name))
    if len(region.strip()) <= 3:
        codes.add("".join(_words(region)))
    return frozenset(names - {""}), frozenset(codes - {""})


def area_matches(area_names: Sequence[str], city: str, region: str, country: str) -> bool:
    """Whether an address (city, region, country) lies in the area of a prefix.

    ``area_names`` are the geocoder's descriptions of the prefix (``("Munich",
    "München")``). Rules:

    * Names are compared ignoring case, accents (NFKD, combining marks dropped;
      ø/æ/ł folded), punctuation and spacing: München = Munchen = MÜNCHEN,
      "Saint-Denis" = "Saint Denis". German umlauts may also be written out
      (München = Muenchen, Zürich = Zuerich).
    * Abbreviated words match when the names have the same number of words and
      the first word is equal: "Frankfurt a.M." = "Frankfurt am Main". A shortened
      name does *not* match ("Frankfurt" is not "Frankfurt am Main"), except
      that a parenthesised qualifier may be left out ("Halle" = "Halle (Saale)").
    * The city is compared with each description and its part before a comma
      ("San Francisco" = "San Francisco, CA"); a description listing places with
      "/" ("Bolzano/Bozen", "Bienne/Neuchâtel/Soleure/Jura") matches each of them,
      by city and by region name (CH region "NE" is pycountry's "Neuchâtel").
    * A few Spanish provinces the geocoder names differently from ISO 3166-2
      (Guipúzcoa = Gipuzkoa, Balearic Islands = Illes Balears) have aliases.
    * The region (free text, an ISO 3166-2 code "US-CA", or the code's suffix
      "CA") is compared, by name and by code, with the subdivision part of a
      description (", CA"), and by name with the description itself (region
      "ES-M", pycountry "Madrid", matches the description "Madrid").
    """
    return _area_matches(tuple(area_names), city or "", region or "", (country or "").upper())


@lru_cache(maxsize=65_536)
def _area_matches(names: tuple[str, ...], city: str, region: str, country: str) -> bool:
    names = _with_aliases(names, country)
    head = city.split(",")[0]
    city_texts = {city, head.split("(")[0], *(head.split("/") if "/" in head else ())}
    city_forms = [f for f in {_words(t) for t in city_texts} if f]  # "Biel/Bienne": both
    region_names, region_codes = _region_forms(region, country) if region else ((), ())
    for desc in names:
        place_forms, sub = _description_forms(desc)
        if any(_same_place(c, f) for c in city_forms for f in place_forms):
            return True
        if region:
            joined = {"".join(f) for f in place_forms}
            if sub:
                joined.add("".join(sub))
            if joined & region_names:
                return True
            if sub and "".join(sub) in region_codes:
                return True
    return False
