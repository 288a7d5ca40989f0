"""New numbers: purchase requests and mandates, decided once by a manager.

A request moves ``pending`` → ``approved`` → ``fulfilled``, or ``pending`` →
``rejected``. Every step is one repository transaction that re-reads the request
and checks its state before writing, so two managers (or Slack retrying a click)
racing on the same request decide it exactly once: the loser gets
:class:`AlreadyDecided` and nothing changes. Every step is audited.

Area or prefix of a purchase (``resolve_area``)
-------------------------------------------------
People type either digits ("89", "089", "+49 89") or a place ("München",
"Munich"). Digits are checked against phonenumbers' metadata: the prefix is
accepted when some valid number of that country and kind starts with it. The
metadata holds a regular expression per number type and Python's ``re`` cannot
match a prefix partially, so we try completions: the prefix followed by every
two-digit continuation and a run of one repeated digit, for each possible length
of that type; a candidate that fits the type's pattern is confirmed with the
product's own parser (``bot.core.phone.parse_number``: country and kind must match).
A place is looked up in phonenumbers' geocoder data (every prefix of the
country's calling code, described in English and the country's languages);
matching ignores case, accents and punctuation, and "San Francisco, CA" also
answers to "San Francisco".
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import phonenumbers

from bot.core.auditing import require_manager
from bot.core.compliance import Status, verdict
from bot.core.errors import DomainError, NotFound, ValidationError
from bot.core.model import Actor, Address, AuditEntry, Number, Request
from bot.core.phone import (
    COUNTRY_LANGUAGES,
    KIND_LABELS,
    country_phrase,
    format_number,
    geodata,
    resolve_country,
)
from bot.core.ports import Repository
from bot.core.readmodel import NumberInfo
from bot.core.services import Inventory
from bot.core.text import clean_field, fold

REQUEST_KINDS = ("purchase", "mandate")
PURCHASE_KINDS = ("local", "mobile", "toll_free", "national")
MAX_QUANTITY = 100
MAX_MANDATE_NUMBERS = 200
MAX_REASON = 500
MAX_TEXT = 200
MAX_PREFIXES = 50  # prefixes kept for a place (they illustrate; the place itself is checked)
_SEQUENCE_KEY = "request_sequence"
SELF_APPROVE_KEY = "settings.self_approve"
MAX_REQUESTS_PER_HOUR = 10  # per person: each request is a channel post or managers' DMs

# phonenumbers metadata descriptions whose numbers we call each kind (see bot.core.phone).
_TYPE_DESCS = {
    "local": ("fixed_line",),
    "mobile": ("mobile",),
    "toll_free": ("toll_free",),
    "national": ("uan", "personal_number", "shared_cost", "voip"),
}


class AlreadyDecided(DomainError):
    """The request is no longer in the state the step needs; ``request`` is how it stands."""

    def __init__(self, request: Request) -> None:
        super().__init__(
            f"Request {request.id} is already decided by {request.decided_by} ({request.status})."
        )
        self.request = request


class OwnRequest(DomainError):
    """A manager tried to approve their own request while ``others`` can decide it."""

    def __init__(self, request: Request, others: list[str]) -> None:
        super().__init__(
            f"You asked for request {request.id} yourself: another manager decides it."
        )
        self.request = request
        self.others = others


class TooManyRequests(DomainError):
    """A person filed ``MAX_REQUESTS_PER_HOUR`` requests within the last hour."""


@dataclass(frozen=True)
class Area:
    """What a purchase asks for within the country: a prefix and/or a locality."""

    text: str  # as typed
    prefixes: tuple[str, ...]  # national significant prefixes ("89"); empty: anywhere
    area: str = ""  # English geocoder description ("Munich"), "" when none
    area_names: tuple[str, ...] = ()
    by_name: bool = False  # a place was typed: allocated numbers must lie in that place

    def describe(self) -> str:
        shown = ", ".join(self.prefixes[:3]) + (" …" if len(self.prefixes) > 3 else "")
        if self.area and shown:
            return f"{self.area} ({shown})"
        return self.area or shown


@dataclass
class Decision:
    request: Request
    added: list[NumberInfo] = field(default_factory=list)
    note: str = ""  # e.g. the request's address no longer exists


# --------------------------------------------------------------------------- areas


def _calling_code(country: str) -> int:
    code = phonenumbers.country_code_for_region(country)
    if not code:
        raise DomainError(
            f"Phone numbers of {country_phrase(country)} are not known.", field="country"
        )
    return code


@lru_cache(maxsize=32)
def _place_index(calling_code: int) -> dict[str, tuple[str, ...]]:
    """Folded place name -> geocoded prefixes (with calling code) described by it."""
    cc = str(calling_code)
    index: dict[str, list[str]] = {}
    for key, names in geodata()[0].items():
        if not key.startswith(cc):
            continue
        for desc in set(names.values()):
            folded = fold(desc, keep="words")
            forms = {folded}
            if "," in desc:
                forms.add(fold(desc.split(",")[0], keep="words"))
            for form in forms:
                if form:
                    index.setdefault(form, []).append(key)
    return {k: tuple(sorted(set(v), key=len)) for k, v in index.items()}


def _geo_names(key: str, country: str) -> tuple[str, ...]:
    """Descriptions (English first, then the country's languages) of a geocoded prefix."""
    data = geodata()[0].get(key) or {}
    names: list[str] = []
    for lang in ("en", *COUNTRY_LANGUAGES.get(country, ())):
        desc = (data.get(lang) or "").strip()
        if desc and desc not in names:
            names.append(desc)
    return tuple(names)


def _area_of_prefix(calling_code: int, prefix: str, country: str) -> tuple[str, ...]:
    """The locality of a digits prefix: the longest geocoded key that starts it, or the one
    locality every geocoded key under it shares; () when it spans several or none."""
    data = geodata()[0]
    digits = f"{calling_code}{prefix}"
    for length in range(len(digits), len(str(calling_code)), -1):
        if digits[:length] in data:
            return _geo_names(digits[:length], country)
    under = {data[k].get("en", "") for k in _keys_under(calling_code, digits) if data[k].get("en")}
    if len(under) == 1:
        key = next(k for k in _keys_under(calling_code, digits) if data[k].get("en"))
        return _geo_names(key, country)
    return ()


@lru_cache(maxsize=32)
def _keys_of(calling_code: int) -> tuple[str, ...]:
    cc = str(calling_code)
    return tuple(sorted(k for k in geodata()[0] if k.startswith(cc)))


def _keys_under(calling_code: int, digits: str) -> list[str]:
    return [k for k in _keys_of(calling_code) if k.startswith(digits)][:500]


def _possible_lengths(metadata, desc) -> list[int]:
    lengths = [n for n in (desc.possible_length or ()) if n > 0]
    return lengths or [n for n in metadata.general_desc.possible_length if n > 0]


def prefix_fits(country: str, kind: str, prefix: str) -> str | None:
    """A valid number of ``country`` and ``kind`` in E.164 that starts with the national
    ``prefix`` digits, or None when there is none (see the module docstring)."""
    from bot.core.phone import parse_number

    metadata = phonenumbers.PhoneMetadata.metadata_for_region(country)
    if metadata is None:
        return None
    cc = metadata.country_code
    descs = [getattr(metadata, name, None) for name in _TYPE_DESCS[kind]]
    patterns = [
        (re.compile(d.national_number_pattern), _possible_lengths(metadata, d))
        for d in descs
        if d is not None and d.national_number_pattern
    ]
    digits = "0123456789"
    confirmations = 0
    for pattern, lengths in patterns:
        for length in sorted(set(lengths)):
            rest = length - len(prefix)
            if rest < 0:
                continue
            if rest == 0:
                candidates: Any = [prefix]
            else:
                head = min(rest - 1, 2)
                candidates = (
                    prefix + "".join(start) + fill * (rest - head)
                    for start in itertools.product(digits, repeat=head)
                    for fill in digits
                )
            for candidate in candidates:
                if not pattern.fullmatch(candidate):
                    continue
                try:
                    parsed = parse_number(f"+{cc}{candidate}", country)
                except DomainError:
                    parsed = None
                if parsed and parsed.country == country and parsed.kind == kind:
                    return parsed.e164
                confirmations += 1
                if confirmations > 50:
                    return None
    return None


def _request_problem(status: str, level: str, asked: Number, prefix: str, address: Address) -> str:
    """Why ``address`` cannot serve the numbers a request asks for (none exists yet):
    "Local numbers of Vienna (+43 1) need an address in Vienna; “HQ” is in Brussels."
    ``prefix`` is the national prefix the person typed ("" when they named a place)."""
    country = asked.country
    label = KIND_LABELS.get(asked.kind, asked.kind)
    area = asked.area if level == "area" else ""
    shown = f" (+{_calling_code(country)} {prefix})" if prefix else ""
    place = area or country_phrase(country)
    if status == Status.WRONG_COUNTRY:
        there = country_phrase(address.country.upper()) if address.country else "no country"
    else:
        there = address.city or address.region or "no named city"
    return (
        f"{label} numbers of {place}{shown} need an address in {place}; "
        f"“{address.name}” is in {there}"
    )


def resolve_area(country: str, kind: str, text: str) -> Area:
    """The area or prefix of a purchase, checked against the country and kind."""
    raw = " ".join((text or "").split())
    if not raw:
        return Area("", ())
    if len(raw) > 100:
        raise DomainError("That area is too long (at most 100 characters).", field="area")
    where = country_phrase(country)
    label = KIND_LABELS.get(kind, kind).lower()
    cc = _calling_code(country)
    if re.fullmatch(r"[+\d][\d\s()./-]*", raw):
        digits = re.sub(r"\D", "", raw)
        if raw.startswith("+"):
            if not digits.startswith(str(cc)):
                raise DomainError(
                    f"+{digits[:3]}… is not a prefix of {where} (+{cc}).", field="area"
                )
            digits = digits[len(str(cc)) :]
        else:
            national = phonenumbers.PhoneMetadata.metadata_for_region(country).national_prefix
            if national and digits.startswith(national) and len(digits) > len(national):
                digits = digits[len(national) :]
        if not digits or len(digits) > 8:
            raise DomainError(
                f"“{raw[:20]}” is not a prefix: give 1 to 8 digits, like 89.", field="area"
            )
        if prefix_fits(country, kind, digits) is None:
            raise DomainError(
                f"No {label} number in {where} starts with {digits} (+{cc} {digits}).",
                field="area",
            )
        names = _area_of_prefix(cc, digits, country) if kind == "local" else ()
        return Area(raw, (digits,), names[0] if names else "", names)
    if kind != "local":
        raise DomainError(
            f"Only local numbers have an area; for {label} numbers give a prefix "
            "(digits) or leave it empty.",
            field="area",
        )
    wanted = fold(raw, keep="words")
    keys = _place_index(cc).get(wanted, ())
    prefixes, names = [], ()
    for key in keys:
        national = key[len(str(cc)) :]
        if any(national.startswith(p) for p in prefixes):
            continue
        if prefix_fits(country, kind, national):
            prefixes.append(national)
            names = names or _geo_names(key, country)
            if len(prefixes) >= MAX_PREFIXES:
                break
    if not prefixes:
        hint = _suggest(cc, wanted, country)
        raise DomainError(
            f"“{raw[:40]}” is not an area of local numbers in {where}"
            + (f"; did you mean {hint}?" if hint else " (give its prefix, like 89)."),
            field="area",
        )
    return Area(raw, tuple(prefixes), names[0] if names else raw, names, by_name=True)


def _suggest(calling_code: int, wanted: str, country: str) -> str:
    if len(wanted) < 3:
        return ""
    found = []
    for name, keys in _place_index(calling_code).items():
        if name.startswith(wanted) or f" {wanted}" in name:
            desc = _geo_names(keys[0], country)
            if desc and desc[0] not in found:
                found.append(desc[0])
        if len(found) >= 3:
            break
    return " or ".join(f"“{f}”" for f in found)


# --------------------------------------------------------------------------- use cases


class Requests:
    """Purchase requests and mandates of one workspace (on top of its ``Inventory``)."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self.repo: Repository = inventory.repo

    # reading ---------------------------------------------------------------
    def get(self, request_id: str) -> Request:
        found = self.repo.requests.get((request_id or "").strip().upper())
        if found is None:
            raise NotFound(f"There is no request {request_id[:20]}.")
        return found

    def all(self) -> list[Request]:
        return self.repo.requests.all()

    def pending(self) -> list[Request]:
        return sorted(
            (r for r in self.all() if r.status in ("pending", "approved")),
            key=lambda r: (r.requested_at, _seq(r.id)),
        )

    def recent(self, limit: int = 10) -> list[Request]:
        decided = [r for r in self.all() if r.status in ("fulfilled", "rejected")]
        decided.sort(key=lambda r: (r.decided_at or "", _seq(r.id)), reverse=True)
        return decided[:limit]

    def address_of(self, request: Request) -> Address | None:
        address_id = request.details.get("address_id")
        return self.inventory.views().addresses.get(address_id) if address_id else None

    def audit(self, subject: str | None) -> list[AuditEntry]:
        """Audit entries about a request id, a number or a name (all when no subject)."""
        if subject and self.repo.requests.get(subject.strip().upper()):
            return self.repo.audit_entries({subject.strip().upper()})
        return self.inventory.audit(subject)

    def audit_page(
        self, subject: str | None, page: int, per_page: int
    ) -> tuple[list[AuditEntry], bool]:
        """One page of the entries about a request id, a number or a name, newest first."""
        if subject and self.repo.requests.get(subject.strip().upper()):
            skip = (max(page, 1) - 1) * per_page
            return self.repo.audit_page({subject.strip().upper()}, skip, per_page)
        return self.inventory.audit_page(subject, page, per_page)

    def recorded_names(self, ids: set[str]) -> dict[str, str]:
        """Names of deleted objects as their newest audit entries recorded them."""
        found: dict[str, str] = {}
        if ids:
            entries, _ = self.repo.audit_page(ids, 0, 4 * len(ids))
            for e in entries:
                for data in (e.before, e.after):
                    if data and isinstance(data.get("name"), str):
                        found.setdefault(e.subject, data["name"])
        return found

    # checks the forms use before anything is stored ---------------------------
    def purchase_fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Validated purchase details; every wrong field at once (ValidationError)."""
        errors: dict[str, str] = {}
        clean: dict[str, Any] = {}
        try:
            clean["country"] = resolve_country(fields.get("country") or "")
        except DomainError as exc:
            errors["country"] = exc.message
        kind = fields.get("kind") or ""
        if kind not in PURCHASE_KINDS:
            errors["kind"] = "Choose local, mobile, toll-free or national."
        else:
            clean["kind"] = kind
        if "country" in clean and "kind" in clean:
            try:
                area = resolve_area(clean["country"], kind, fields.get("area") or "")
                clean.update(
                    area=area.area,
                    area_text=area.text,
                    area_names=list(area.area_names),
                    prefixes=list(area.prefixes),
                    area_by_name=area.by_name,
                )
            except DomainError as exc:
                errors["area"] = exc.message
        quantity = str(fields.get("quantity") or "").strip()
        if not quantity.isdigit() or not 1 <= int(quantity) <= MAX_QUANTITY:
            errors["quantity"] = f"Quantity is a whole number from 1 to {MAX_QUANTITY}."
        else:
            clean["quantity"] = int(quantity)
        self._address_field(fields, clean, errors)
        try:
            clean["reason"] = clean_field(
                fields.get("reason"), "reason", MAX_REASON, label="Reason"
            )
        except DomainError as exc:
            errors["reason"] = exc.message
        if errors:
            raise ValidationError(errors)
        return clean

    def mandate_fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Validated mandate details; each refused number named with why."""
        errors: dict[str, str] = {}
        clean: dict[str, Any] = {}
        texts = [t.strip() for t in fields.get("numbers") or [] if t and t.strip()]
        if not texts:
            errors["numbers"] = "Paste at least one number."
        elif len(texts) > MAX_MANDATE_NUMBERS:
            errors["numbers"] = f"At most {MAX_MANDATE_NUMBERS} numbers per mandate."
        else:
            try:
                clean["numbers"] = self._new_numbers(texts)
            except DomainError as exc:
                errors["numbers"] = exc.message
        for key, label in (
            ("company", "Company legal name"),
            ("business_id", "Business id"),
            ("signatory_name", "Signatory name"),
            ("signatory_title", "Signatory title"),
        ):
            try:
                clean[key] = clean_field(fields.get(key), key, MAX_TEXT, label=label)
            except DomainError as exc:
                errors[key] = exc.message
        self._address_field(fields, clean, errors)
        if errors:
            raise ValidationError(errors)
        return clean

    def _address_field(self, fields: dict, clean: dict, errors: dict) -> None:
        address_id = fields.get("address") or ""
        if not address_id:
            errors["address"] = "Choose the address the numbers will be linked to."
            return
        try:
            clean["address_id"] = self.inventory.address_by_id(address_id).id
        except DomainError as exc:
            errors["address"] = exc.message

    def _new_numbers(
        self,
        texts: list[str],
        country: str | None = None,
        check: Callable[[str], str | None] | None = None,
    ) -> list[str]:
        """E.164 of numbers not yet in the inventory (nor twice in the list) that pass
        ``check`` (which returns a problem or None), or one error naming every refused
        number with its reason."""
        parse = (
            (lambda t: self.inventory.parse(t))
            if country is None
            else (lambda t: _parse_in(t, country))
        )
        infos = self.inventory.views().infos
        requested = self._requested_elsewhere()
        found: list[str] = []
        problems: list[str] = []
        for text in texts:
            try:
                e164 = parse(text).e164
            except DomainError as exc:
                problems.append(f"{text[:40]}: {exc.message}")
                continue
            shown = format_number(e164)
            if e164 in infos:
                problems.append(f"{shown} is already in the inventory")
            elif e164 in found:
                problems.append(f"{shown} is given twice")
            elif e164 in requested:
                problems.append(f"{shown} is already in request {requested[e164]}")
            else:
                problem = check(e164) if check else None
                if problem:
                    problems.append(problem)
                found.append(e164)  # also when refused: a repeat is then named as such
        if problems:
            more = f" and {len(problems) - 15} more" if len(problems) > 15 else ""
            raise DomainError("; ".join(problems[:15]) + more + ".", field="numbers")
        return found

    def _requested_elsewhere(self) -> dict[str, str]:
        """Numbers of mandates still open: e164 -> request id."""
        return {
            e164: r.id
            for r in self.all()
            if r.kind == "mandate" and r.status in ("pending", "approved")
            for e164 in r.details.get("numbers", [])
        }

    def draft_warning(self, fields: dict[str, Any]) -> str | None:
        """``address_warning`` for a purchase form still being filled in (None while the
        country, kind or address is missing)."""
        try:
            country = resolve_country(fields.get("country") or "")
        except DomainError:
            return None
        kind = fields.get("kind")
        if kind not in PURCHASE_KINDS:
            return None
        details: dict[str, Any] = {
            "country": country,
            "kind": kind,
            "address_id": fields.get("address"),
        }
        try:
            area = resolve_area(country, kind, fields.get("area") or "")
        except DomainError:
            area = Area("", ())
        details.update(
            area=area.area,
            area_names=area.area_names,
            prefixes=area.prefixes,
            area_by_name=area.by_name,
        )
        return self.address_warning(details)

    def address_warning(self, details: dict[str, Any]) -> str | None:
        """Why the chosen address cannot satisfy the rules for the numbers asked for, or None.

        A synthetic number of the requested country, kind and area is judged with the
        address; only a verdict the address itself causes (wrong country, outside the
        area) warns: an area phonenumbers cannot tell is left to the manager.
        """
        address = self.inventory.views().addresses.get(details.get("address_id") or "")
        country, kind = details.get("country"), details.get("kind")
        if address is None or not country or not kind:
            return None
        cc = phonenumbers.country_code_for_region(country)
        prefixes = details.get("prefixes") or [""]
        probe = Number(
            e164=f"+{cc}{prefixes[0]}",
            country=country,
            kind=kind,
            area=details.get("area") or "",
            area_names=tuple(details.get("area_names") or ()),
        )
        found = verdict(probe, address, self.inventory.rules)
        problems = []
        if found.status in (Status.WRONG_COUNTRY, Status.OUTSIDE_AREA):
            # No number exists yet: the reason names what was asked for, not a made-up number.
            typed = prefixes[0] if prefixes[0] and not details.get("area_by_name") else ""
            problems.append(_request_problem(found.status, found.level, probe, typed, address))
        allowed, why = self.inventory.rules.can_be_caller_id(country, kind)
        if not allowed:
            problems.append(why)
        return "; ".join(problems) or None

    # four eyes and limits -----------------------------------------------------
    def self_approval_allowed(self) -> bool:
        return bool(self.repo.get_value(SELF_APPROVE_KEY, False))

    def set_self_approval(self, actor: Actor, allowed: bool) -> bool:
        """Whether managers may approve their own requests; returns whether it changed."""
        require_manager(actor, "change who approves requests")
        with self.repo.transaction():
            before = bool(self.repo.get_value(SELF_APPROVE_KEY, False))
            if before == allowed:
                return False
            self.repo.set_value(SELF_APPROVE_KEY, allowed)
            self.inventory.audit_change(
                actor,
                "setting.self_approve",
                "self_approve",
                {"self_approve": before},
                {"self_approve": allowed},
            )
        return True

    def check_rate(self, user_id: str) -> None:
        """Refuse a new request from someone who filed the most allowed in the last hour."""
        now = _when(self.inventory.clock())
        recent = sorted(
            _when(r.requested_at)
            for r in self.all()
            if r.requested_by == user_id and now - _when(r.requested_at) < _HOUR
        )
        if len(recent) >= MAX_REQUESTS_PER_HOUR:
            again = (recent[-MAX_REQUESTS_PER_HOUR] + _HOUR).strftime("%H:%M UTC")
            raise TooManyRequests(
                f"You filed {len(recent)} requests within the last hour, the most allowed "
                f"({MAX_REQUESTS_PER_HOUR} an hour). You can file the next one after {again}; "
                "a manager can see the open ones with `/numbers requests`."
            )

    def message_of(self, request_id: str) -> dict | None:
        """Where the request was announced: {"channel", "ts"} (None while it was not)."""
        return self.repo.get_value(message_key(request_id))

    def remember_message(self, request_id: str, channel: str, ts: str) -> None:
        with self.repo.transaction():
            self.repo.set_value(message_key(request_id), {"channel": channel, "ts": ts})

    def _announce(self, actor: Actor, event: str, request: Request) -> None:
        """Inside the change's transaction: the listeners (``bot.notify``) queue the
        channel post, the requester's DM and the post's edit in the same write."""
        self.inventory.emit(
            event,
            actor,
            request=request,
            address=self.address_of(request),
            message_key=message_key(request.id),
            message=self.message_of(request.id),
        )

    # changes ---------------------------------------------------------------
    def create_purchase(self, actor: Actor, fields: dict[str, Any]) -> Request:
        details = self.purchase_fields(fields)
        warning = self.address_warning(details)
        if warning:
            details["warning"] = warning
        return self._create(actor, "purchase", details)

    def create_mandate(self, actor: Actor, fields: dict[str, Any]) -> Request:
        details = self.mandate_fields(fields)
        warning = self.mandate_warning(details)
        if warning:
            details["warning"] = warning
        return self._create(actor, "mandate", details)

    def mandate_warning(self, details: dict[str, Any]) -> str | None:
        """Which of a mandate's numbers the chosen address would leave non-compliant."""
        address = self.inventory.views().addresses.get(details.get("address_id") or "")
        failing = []
        for e164 in details.get("numbers", []):
            parsed = self.inventory.parse(e164)
            probe = Number(e164, parsed.country, parsed.kind, parsed.area, parsed.area_names)
            found = verdict(probe, address, self.inventory.rules)
            if not found.ok:
                failing.append(found.reason)
        if not failing:
            return None
        more = f" and {len(failing) - 5} more" if len(failing) > 5 else ""
        return "; ".join(failing[:5]) + more

    def _create(self, actor: Actor, kind: str, details: dict[str, Any]) -> Request:
        with self.repo.transaction():
            self.check_rate(actor.user_id)  # under the lock: parallel forms count too
            if kind == "mandate":  # checked again under the lock: no number in two mandates
                details["numbers"] = self._new_numbers(details["numbers"])
            sequence = int(self.repo.get_value(_SEQUENCE_KEY, 0)) + 1
            self.repo.set_value(_SEQUENCE_KEY, sequence)
            request = Request(
                id=f"R{sequence}",
                kind=kind,
                details=details,
                requested_by=actor.user_id,
                requested_at=self.inventory.clock(),
            )
            self.repo.requests.save(request)
            self.inventory.audit_change(actor, f"request.{kind}", request.id, after=request)
            self._announce(actor, "request.created", request)
        return request

    def approve(self, actor: Actor, request_id: str, managers: Iterable[str] = ()) -> Decision:
        """Approve a pending request. A mandate is fulfilled at once with its numbers; a
        purchase waits for the numbers the carrier allocates (``fulfil``).

        Four eyes: a manager's own request is approved by another of the ``managers``
        (unless the workspace allows self-approval); the only manager may approve it."""
        require_manager(actor, "approve requests")
        with self.repo.transaction():
            current = self._current(request_id, "pending")
            note = ""
            if current.requested_by == actor.user_id and not self.self_approval_allowed():
                others = sorted(set(managers) - {actor.user_id})
                if others:
                    raise OwnRequest(current, others)
                note = "You approved your own request: you are the only manager."
            approved = self._decide(actor, current, "approved", "request.approve")
            if current.kind == "mandate":
                decision = self._fulfil(actor, approved, approved.details.get("numbers", []))
                decision.note = " ".join(filter(None, (decision.note, note)))
                return decision
            self._announce(actor, "request.decided", approved)
        return Decision(approved, note=note)

    def reject(self, actor: Actor, request_id: str, reason: str) -> Request:
        require_manager(actor, "reject requests")
        reason = clean_field(reason, "reason", MAX_REASON, label="Reason")
        with self.repo.transaction():
            current = self._current(request_id, "pending")
            rejected = self._decide(actor, current, "rejected", "request.reject", reason=reason)
            self._announce(actor, "request.decided", rejected)
        return rejected

    def fulfil(
        self, actor: Actor, request_id: str, texts: list[str], close: bool = False
    ) -> Decision:
        """The numbers the carrier allocated for an approved purchase enter the inventory.

        Fewer than still missing is a partial delivery: the request stays open for the
        rest, unless ``close`` (the manager expects no more)."""
        require_manager(actor, "fulfil requests")
        with self.repo.transaction():
            current = self._current(request_id, "approved")
            if current.kind != "purchase":
                raise DomainError(f"Request {current.id} is a mandate: it needs no numbers.")
            texts = [t for t in texts if t.strip()]
            if not texts and close and current.numbers:
                return self._fulfil(actor, current, [], close=True)
            e164s = self._allocated(current, texts)
            return self._fulfil(actor, current, e164s, close=close)

    def _decide(
        self, actor: Actor, current: Request, status: str, action: str, **extra: str
    ) -> Request:
        """Record a manager's decision on a pending request (inside the transaction)."""
        decided = replace(
            current,
            status=status,
            decided_by=actor.user_id,
            decided_at=self.inventory.clock(),
            **extra,
        )
        self.repo.requests.save(decided)
        self.inventory.audit_change(
            actor, action, current.id, {"status": current.status}, {"status": status, **extra}
        )
        return decided

    def _current(self, request_id: str, wanted: str) -> Request:
        """The request as stored now (inside the transaction), in the ``wanted`` state."""
        current = self.get(request_id)
        if current.status == wanted:
            return current
        if wanted == "approved" and current.status == "pending":
            raise DomainError(f"Request {current.id} is not approved yet: approve it first.")
        raise AlreadyDecided(current)

    def _allocated(self, request: Request, texts: list[str]) -> list[str]:
        details = request.details
        country, kind = details["country"], details["kind"]
        quantity = int(details["quantity"])
        remaining = remaining_of(request)
        if not texts:
            raise DomainError(
                f"Enter the numbers the carrier allocated ({remaining} still to come).",
                "numbers",
            )
        cc = phonenumbers.country_code_for_region(country)
        prefixes = details.get("prefixes") or []

        def fits(e164: str) -> str | None:
            parsed = _parse_in(e164, country)
            shown = format_number(e164)
            if parsed.country != country:
                return f"{shown} is not a number of {country_phrase(country)}"
            if parsed.kind != kind:
                got = KIND_LABELS.get(parsed.kind, parsed.kind).lower()
                return f"{shown} is a {got} number, not {KIND_LABELS[kind].lower()}"
            if details.get("area_by_name"):
                wanted = {fold(n, keep="words") for n in details.get("area_names") or ()}
                if not wanted.intersection(fold(n, keep="words") for n in parsed.area_names):
                    where = parsed.area or "an unknown area"
                    return f"{shown} is a number of {where}, not of {details.get('area')}"
            elif prefixes and not any(e164.startswith(f"+{cc}{p}") for p in prefixes):
                want = details.get("area") or ", ".join(prefixes)
                return f"{shown} is not in the requested area ({want})"
            return None

        e164s = self._new_numbers(texts, country, fits)
        if len(e164s) > remaining:
            delivered = len(request.numbers)
            so_far = f", {delivered} of them already delivered" if delivered else ""
            raise DomainError(
                f"The request is for {quantity} numbers{so_far}: enter at most {remaining} "
                f"(you entered {len(e164s)}).",
                field="numbers",
            )
        return e164s

    def _fulfil(
        self, actor: Actor, request: Request, e164s: list[str], close: bool = True
    ) -> Decision:
        """Inside the caller's transaction: add the numbers; the request is fulfilled when
        all arrived or ``close``, else it stays open (approved) for the rest."""
        infos = self.inventory.views().infos
        present = [format_number(e) for e in e164s if e in infos]
        if present:
            raise DomainError(
                f"Request {request.id} cannot be fulfilled: {', '.join(present[:10])} "
                "entered the inventory meanwhile. Remove them or reject the request.",
                field="numbers",
            )
        address = self.address_of(request)
        note = (
            ""
            if address or not request.details.get("address_id")
            else ("The request's address no longer exists: the numbers were added without one.")
        )
        result = self.inventory.numbers.add(
            actor,
            e164s,
            source=request.kind,
            address_name=address.name if address else None,
        )
        added = [i.e164 for i in result.added]
        delivered = [*request.numbers, *added]
        if request.kind == "purchase":
            left = max(0, int(request.details.get("quantity", 0)) - len(delivered))
        else:
            left = 0
        fulfilled = replace(
            request,
            status="fulfilled" if close or not left else "approved",
            numbers=delivered,
            decided_by=request.decided_by or actor.user_id,
            decided_at=request.decided_at or self.inventory.clock(),
        )
        self.repo.requests.save(fulfilled)
        self.inventory.audit_change(
            actor,
            "request.fulfil",
            request.id,
            {"status": request.status, "delivered": len(request.numbers)},
            {
                "status": fulfilled.status,
                "numbers": added,
                "delivered": len(delivered),
                "remaining": left,
            },
        )
        self._announce(actor, "request.decided", fulfilled)
        return Decision(fulfilled, result.added, note)


def remaining_of(request: Request) -> int:
    """How many numbers of a purchase are still to come (0 for a mandate)."""
    if request.kind != "purchase":
        return 0
    return max(0, int(request.details.get("quantity", 0)) - len(request.numbers))


def message_key(request_id: str) -> str:
    """The key (``repo.get_value``) of where a request's channel post went."""
    return f"request_message:{request_id}"


def _parse_in(text: str, country: str):
    from bot.core.phone import parse_number

    return parse_number(text, country)


def _seq(request_id: str) -> int:
    digits = request_id[1:]
    return int(digits) if digits.isdigit() else 0


_HOUR = timedelta(hours=1)


def _when(iso: str) -> datetime:
    try:
        when = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return datetime.min.replace(tzinfo=UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)
