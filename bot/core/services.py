"""Use cases: the only way to read or change a workspace's numbers.

Every change checks the actor's role, validates everything before writing,
writes an audit entry, and happens inside one repository transaction: either
all of it is on disk when the method returns, or none of it is.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from dataclasses import fields as dataclass_fields
from datetime import date, timedelta
from typing import Any

import phonenumbers
import pycountry

from bot.core.compliance import (
    Delivery,
    Presentation,
    Rules,
    Status,
    Verdict,
    deliverability,
    verdict,
)
from bot.core.csvsafe import CsvLineError, read_csv, write_csv
from bot.core.errors import DomainError, NotFound, PermissionDenied, ValidationError
from bot.core.model import (
    PURPOSES,
    Actor,
    Address,
    AuditEntry,
    Campaign,
    Group,
    Number,
    new_id,
    utcnow,
)
from bot.core.phone import Typed, format_number, number_key, parse_number, split_numbers
from bot.core.ports import Repository
from bot.core.text import casefold, clean_field, fold, unquote

MAX_NAME = 75  # a name must fit a Slack option's text
MAX_FIELD = 200
MAX_LABEL = 75
EXPORT_COLUMNS = [
    "number",
    "country",
    "kind",
    "area",
    "address",
    "verdict",
    "reason",
    "label",
    "source",
    "groups",
    "campaigns",
    # The linked address in full, so that the export is the whole record of proof.
    "address_customer",
    "address_street",
    "address_postal_code",
    "address_city",
    "address_region",
    "address_country",
    "delivery",  # "Campaign: status" per campaign it is in (the presentation verdict, today)
]
ADDRESS_EXPORT_FIELDS = ("customer_name", "street", "postal_code", "city", "region", "country")


@dataclass(frozen=True, slots=True)
class NumberInfo:
    """A number with what a person needs to see about it."""

    number: Number
    address: Address | None
    verdict: Verdict

    @property
    def e164(self) -> str:
        return self.number.e164

    @property
    def display(self) -> str:
        return format_number(self.number.e164)


@dataclass(frozen=True)
class NumberDetail:
    info: NumberInfo
    groups: list[Group]
    campaigns: list[Campaign]


@dataclass
class AddResult:
    added: list[NumberInfo] = field(default_factory=list)
    invalid: list[tuple[int, str, str]] = field(default_factory=list)  # (line, text, reason)
    already: list[str] = field(default_factory=list)
    typed: dict[str, tuple[int, str]] = field(default_factory=dict)  # e164: (line, as typed)

    @property
    def needing_attention(self) -> list[NumberInfo]:
        return [i for i in self.added if not i.verdict.ok]


@dataclass
class LinkResult:
    """What a link or unlink did, number by number: nothing is left unsaid."""

    address: Address | None  # the target; None for an unlink
    changed: list[NumberInfo]  # numbers whose address changed, as they are now
    unchanged: list[NumberInfo] = field(default_factory=list)  # already linked there / had none
    previous: dict[str, Address | None] = field(default_factory=dict)  # e164 -> address before
    unknown: list[str] = field(default_factory=list)  # E.164 of valid numbers not in inventory
    invalid: list[tuple[str, str]] = field(default_factory=list)  # (text, why)

    @property
    def needing_attention(self) -> list[NumberInfo]:
        return [i for i in self.changed + self.unchanged if not i.verdict.ok]


@dataclass
class AddressChange:
    address: Address
    newly_failing: list[NumberInfo]  # linked numbers that were OK before this change
    before: dict[str, NumberInfo] = field(default_factory=dict)  # linked numbers, before
    after: list[NumberInfo] = field(default_factory=list)  # the same numbers, now

    @property
    def changed_verdicts(self) -> list[tuple[NumberInfo, NumberInfo]]:
        """(before, now) of the linked numbers whose verdict changed with this edit."""
        return [
            (self.before[i.e164], i)
            for i in self.after
            if i.e164 in self.before and self.before[i.e164].verdict.status != i.verdict.status
        ]


@dataclass
class MoveResult:
    """Numbers moved from one address to another, and whether the first was deleted."""

    source: Address
    target: Address
    moved: list[NumberInfo]  # as they are now, linked to target
    deleted: bool


@dataclass
class CampaignPool:
    campaign: Campaign
    groups: list[Group]
    usable: list[NumberInfo]
    warnings: list[tuple[NumberInfo, str]]  # numbers left out, with why
    # e164 -> names of the campaign's groups it comes from ([] for a number only of its own)
    via: dict[str, list[str]] = field(default_factory=dict)
    # e164 -> the presentation verdict of every member for this campaign, today
    presentations: dict[str, Presentation] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.usable)

    def own(self, e164: str) -> bool:
        """Whether the number is one of the campaign's own (it may also come from groups)."""
        return e164 in self._own

    @functools.cached_property
    def _own(self) -> frozenset[str]:
        return frozenset(self.campaign.numbers)


@dataclass(frozen=True, slots=True)
class NumberPresentation:
    """A number's presentation verdict for one campaign (see compliance.deliverability)."""

    info: NumberInfo
    campaign: Campaign
    presentation: Presentation


@dataclass(frozen=True, slots=True)
class UpcomingBlock:
    """A number a campaign uses that a dated rule blocks from ``starts`` (``days`` from
    today; 0 on the day itself). ``presentation`` is the blocked verdict, naming the rule."""

    info: NumberInfo
    campaign: Campaign
    presentation: Presentation
    starts: date
    days: int


OWN_COUNTRY = "own"  # a campaign's origin: each number's own country (stored as None)


@dataclass(frozen=True)
class DeliverySummary:
    """The numbers campaigns use that are blocked or restricted in at least one of them
    (today): e164 -> [(campaign, verdict)] by campaign name. A number blocked in one
    campaign and restricted in another is in both."""

    blocked: dict[str, list[tuple[Campaign, Presentation]]]
    restricted: dict[str, list[tuple[Campaign, Presentation]]]


class _CampaignDelivery:
    """One campaign's presentation verdicts on one day, and what they were computed from
    (compared by identity: the repository hands out the same objects until they are saved)."""

    __slots__ = ("today", "campaign", "groups", "infos", "numbers", "verdicts")

    def __init__(self, today, campaign, groups, infos, numbers, verdicts) -> None:
        self.today = today
        self.campaign = campaign
        self.groups = groups
        self.infos = infos
        self.numbers: dict[str, Number] = numbers  # e164 -> the Number judged
        self.verdicts: dict[str, Presentation] = verdicts  # e164 -> verdict, in E.164 order

    def holds(self, today: date, campaign: Campaign, groups: tuple, infos: dict) -> bool:
        return (
            self.today == today
            and self.campaign is campaign
            and self.infos is infos
            and len(self.groups) == len(groups)
            and all(a is b for a, b in zip(self.groups, groups, strict=True))
        )


@dataclass
class Summary:
    total: int
    by_status: Counter
    addresses: int
    groups: int
    campaigns: int
    blocked: int = 0  # numbers blocked in at least one campaign (today)
    restricted: int = 0  # numbers restricted in at least one campaign

    @property
    def needing_attention(self) -> int:
        return self.total - self.by_status.get(Status.OK, 0)


@dataclass
class ImportResult:
    added: list[NumberInfo]
    skipped: list[tuple[int, str]]  # (line, why)
    errors: list[tuple[int, str]]  # (line, reason)


def closest_names(wanted: str, names: Iterable[str], limit: int = 3) -> list[str]:
    """The names a person probably meant: those starting with or containing what was typed
    (case, accents and spaces folded: "oktoberfest" finds "Oktoberfest 2025"), then the
    closest by spelling ("HQ Munchen" finds "HQ Munich")."""
    key = fold(unquote(wanted))
    if not key:
        return []
    by_fold: dict[str, str] = {}
    for name in names:
        by_fold.setdefault(fold(name), name)
    found = [by_fold[f] for f in sorted(by_fold) if f.startswith(key)]
    found += [by_fold[f] for f in sorted(by_fold) if key in f and by_fold[f] not in found]
    close = difflib.get_close_matches(key, list(by_fold), n=limit, cutoff=0.6)
    found += [by_fold[f] for f in close if by_fold[f] not in found]
    return found[:limit]


def did_you_mean(wanted: str, names: Iterable[str]) -> str:
    """ " Did you mean “Oktoberfest 2025”?" for a name that was not found ("" if none is close)."""
    found = closest_names(wanted, names)
    if not found:
        return ""
    quoted = [f"“{n}”" for n in found]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f" Did you mean {listed}?"


NAME_QUOTES = '"“”„«»'


def refuse_quotes(name: str, field_name: str = "name") -> None:
    """A new name may not hold a double quote: quotes are how a name with spaces is typed
    in a command, so one inside a name could never be typed back."""
    if any(ch in NAME_QUOTES for ch in name or ""):
        raise DomainError(
            f"A name cannot contain quotes (“{name[:MAX_NAME]}”): quotes are how names with "
            "spaces are typed in commands. Leave them out.",
            field=field_name,
        )


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
        return text[:MAX_FIELD]
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


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return country.name if country else code


class _Views:
    """Derived data for one generation of the database."""

    def __init__(self, inventory: Inventory, previous: _Views | None = None) -> None:
        repo = inventory.repo
        self.addresses = {a.id: a for a in repo.addresses.all()}
        self.address_by_name = {casefold(a.name): a for a in self.addresses.values()}
        self.groups = {g.id: g for g in repo.groups.all()}
        self.group_by_name = {casefold(g.name): g for g in self.groups.values()}
        self.campaigns = {c.id: c for c in repo.campaigns.all()}
        self.campaign_by_name = {casefold(c.name): c for c in self.campaigns.values()}
        rules = inventory.rules
        self.versions = (repo.numbers.version, repo.addresses.version)
        if previous is not None and previous.versions == self.versions:
            # Neither numbers nor addresses changed (a group, campaign, outbox or audit
            # change): every verdict, the order and the search index still hold.
            self.infos = previous.infos
            self._previous_order = previous._previous_order
            self._ordered = previous._ordered
            self._search_index = previous._search_index
            return
        changed = (
            repo.numbers.changed_since(previous.versions[0])
            if previous is not None and previous.versions[1] == self.versions[1]
            else None
        )
        if changed is not None:
            # Only numbers changed (addresses did not): judge those again, keep the rest.
            self.infos = dict(previous.infos)
            same_set = True
            for key in changed:
                n = repo.numbers.get(key)
                same_set = same_set and (n is not None) == (key in previous.infos)
                if n is None:
                    self.infos.pop(key, None)
                    continue
                address = self.addresses.get(n.address_id) if n.address_id else None
                self.infos[key] = NumberInfo(n, address, verdict(n, address, rules))
            order = previous._ordered or previous._previous_order
            self._previous_order = order if same_set else None
            self._ordered = None
            self._search_index = None
            return
        # A verdict depends only on the number, its address and the rules. The repository
        # hands out the same objects until they are saved, so a NumberInfo of the previous
        # generation whose number and address are the very same objects is still right:
        # after a commit only the changed numbers are judged again.
        before = previous.infos if previous is not None else {}
        self.infos: dict[str, NumberInfo] = {}
        for n in repo.numbers.all():
            address = self.addresses.get(n.address_id) if n.address_id else None
            old = before.get(n.e164)
            if old is not None and old.number is n and old.address is address:
                self.infos[n.e164] = old
            else:
                self.infos[n.e164] = NumberInfo(n, address, verdict(n, address, rules))
        self._previous_order = previous._ordered if previous is not None else None
        self._ordered: list[NumberInfo] | None = None
        self._search_index: list[tuple[str, str, NumberInfo]] | None = None

    @property
    def ordered(self) -> list[NumberInfo]:
        """Every NumberInfo in E.164 order (sorted once per generation, reusing the last
        generation's order when the set of numbers is the same)."""
        if self._ordered is None:
            infos, previous = self.infos, self._previous_order
            if previous is not None and len(previous) == len(infos):
                found = [infos.get(i.e164) for i in previous]
                # An identity test: `None in found` would call NumberInfo.__eq__ per item.
                if not any(i is None for i in found):
                    self._ordered = found  # type: ignore[assignment]
            if self._ordered is None:
                self._ordered = sorted(infos.values(), key=lambda i: i.e164)
            self._previous_order = None
        return self._ordered

    @property
    def search_index(self) -> list[tuple[str, str, NumberInfo]]:
        """(E.164 digits, label/area/area names/address folded, info) in E.164 order, built
        once per generation."""
        if self._search_index is None:
            self._search_index = [
                (
                    i.e164[1:],
                    fold(
                        "|".join(
                            (
                                i.number.label,
                                i.number.area,
                                *i.number.area_names,
                                i.address.name if i.address else "",
                            )
                        )
                    ),
                    i,
                )
                for i in self.ordered
            ]
        return self._search_index


class Inventory:
    """One workspace's numbers, addresses, groups and campaigns."""

    def __init__(
        self,
        repo: Repository,
        rules: Rules,
        default_region: str = "FI",
        clock: Callable[[], str] = utcnow,
    ) -> None:
        self.repo = repo
        self.rules = rules
        self.default_region = default_region
        self.clock = clock
        self._views: _Views | None = None
        self._views_generation = -1
        self._views_lock = threading.Lock()
        self._regions: tuple[_Views, list[str]] | None = None
        # Presentation verdicts per campaign id, and their summary (see campaign_verdicts).
        self._deliveries: dict[str, _CampaignDelivery] = {}
        self._delivery_summary: tuple[tuple, DeliverySummary] | None = None
        # Called inside the change's transaction: listener(inventory, event, actor, data).
        # bot.notify records alerts in the outbox in the same write as the change.
        self.listeners: list[Callable[[Inventory, str, Actor, dict], None]] = []

    # ------------------------------------------------------------------ reading
    def views(self) -> _Views:
        with self.repo.reading(), self._views_lock:
            generation = self.repo.generation
            if self._views is None or self._views_generation != generation:
                # Built from the last generation's: unchanged numbers keep their verdicts.
                self._views = _Views(self, self._views)
                self._views_generation = generation
            return self._views

    def numbers(
        self,
        status: str = "all",
        country: str | None = None,
        group: str | None = None,
    ) -> list[NumberInfo]:
        """Numbers in E.164 order; status is all | attention | unaddressed | ok | a Status
        | blocked | restricted (in at least one campaign, today)."""
        views = self.views()
        infos: Iterable[NumberInfo] = views.ordered  # already in E.164 order
        if status in (Delivery.BLOCKED, Delivery.RESTRICTED):
            found = getattr(self.delivery_summary(), status)
            infos = (i for i in infos if i.e164 in found)
            status = "all"
        if group:
            members = set(self.group(group).numbers)
            infos = (i for i in infos if i.e164 in members)
        if country:
            code = resolve_country(country)
            infos = (i for i in infos if i.number.country == code)
        if status == "attention":
            infos = (i for i in infos if not i.verdict.ok)
        elif status == "unaddressed":
            infos = (i for i in infos if i.number.address_id is None)
        elif status in {s.value for s in Status}:
            infos = (i for i in infos if i.verdict.status == status)
        elif status != "all":
            raise DomainError(
                f"Unknown filter “{status}”: use all, attention, unaddressed, ok, blocked or "
                "restricted."
            )
        return list(infos)

    def summary(self) -> Summary:
        views = self.views()
        delivery = self.delivery_summary()
        return Summary(
            total=len(views.infos),
            by_status=Counter(i.verdict.status for i in views.infos.values()),
            addresses=len(views.addresses),
            groups=len(views.groups),
            campaigns=len(views.campaigns),
            blocked=len(delivery.blocked),
            restricted=len(delivery.restricted),
        )

    def info(self, text: str) -> NumberInfo:
        e164 = self.number_key(text)
        info = self.views().infos.get(e164)
        if info is None:
            raise NotFound(f"{format_number(e164)} is not in the inventory.")
        return info

    def detail(self, text: str) -> NumberDetail:
        info = self.info(text)
        views = self.views()
        groups = [g for g in views.groups.values() if info.e164 in g.numbers]
        group_ids = {g.id for g in groups}
        campaigns = [
            c
            for c in views.campaigns.values()
            if info.e164 in c.numbers or group_ids.intersection(c.groups)
        ]
        return NumberDetail(info, sorted(groups, key=_by_name), sorted(campaigns, key=_by_name))

    def search_numbers(self, text: str, limit: int = 100) -> list[NumberInfo]:
        """Numbers whose digits, label, area or address contain the text, in E.164 order.

        Digits typed with "+" or "00" match the start of the international form ("+49" finds
        German numbers only); other digits match anywhere in it, and the national form of the
        default country ("089 123" finds +49 89 123… when the default is DE). Words match
        the label, area (in any of its languages) or address with case and accents folded.
        """
        wanted = fold(text)
        digits = "".join(ch for ch in wanted if ch.isdigit())
        prefix = ""
        patterns = set()
        if digits and (wanted.startswith("+") or wanted.startswith("00")):
            prefix = digits[2:] if wanted.startswith("00") else digits
        elif digits:
            patterns.add(digits)
            if digits.startswith("0"):
                code = phonenumbers.country_code_for_region(self.default_region)
                patterns.add(f"{code}{digits[1:]}")
        found = []
        for e164_digits, folded, info in self.views().search_index:
            if (
                not wanted
                or wanted in folded
                or (prefix and e164_digits.startswith(prefix))
                or any(p in e164_digits for p in patterns)
            ):
                found.append(info)
                if len(found) >= limit:
                    break
        return found

    def addresses(self) -> list[Address]:
        return sorted(self.views().addresses.values(), key=_by_name)

    def _named(self, kind: str, index: str, name: str):
        lookup = getattr(self.views(), index)
        found = lookup.get(casefold(name))
        if found is None:
            names = [item.name for item in lookup.values()]
            raise NotFound(
                f"There is no {kind} called “{name[:MAX_NAME]}”.{did_you_mean(name, names)}"
            )
        return found

    def address(self, name: str) -> Address:
        return self._named("address", "address_by_name", name)

    def address_by_id(self, address_id: str) -> Address:
        address = self.views().addresses.get(address_id)
        if address is None:
            raise NotFound("Choose an address (that one no longer exists).", field="address")
        return address

    def address_numbers(self, address_id: str) -> list[NumberInfo]:
        return [i for i in self.numbers() if i.number.address_id == address_id]

    def groups(self) -> list[Group]:
        return sorted(self.views().groups.values(), key=_by_name)

    def group(self, name: str) -> Group:
        return self._named("group", "group_by_name", name)

    def campaigns(self) -> list[Campaign]:
        return sorted(self.views().campaigns.values(), key=_by_name)

    def campaign(self, name: str) -> Campaign:
        return self._named("campaign", "campaign_by_name", name)

    def pool(self, name: str) -> CampaignPool:
        """The campaign's caller-ID pool: its numbers ∪ its groups' numbers, minus warnings:
        kinds that cannot be caller ID, numbers whose address verdict is not OK and numbers
        blocked for the campaign (its presentation verdict, today)."""
        campaign = self.campaign(name)
        views = self.views()
        groups = [views.groups[g] for g in campaign.groups if g in views.groups]
        via: dict[str, list[str]] = {}
        for g in sorted(groups, key=_by_name):
            for e164 in g.numbers:
                via.setdefault(e164, []).append(g.name)
        verdicts = self.campaign_verdicts(campaign)
        usable, warnings = [], []
        for e164, presentation in verdicts.items():
            info = views.infos.get(e164)
            if info is None:  # removed meanwhile
                continue
            allowed, why = self.rules.can_be_caller_id(info.number.country, info.number.kind)
            if not allowed:
                warnings.append((info, why))
            elif presentation.status == Delivery.BLOCKED:
                warnings.append((info, presentation.reason))
            elif not info.verdict.ok:
                warnings.append((info, info.verdict.reason))
            else:
                usable.append(info)
        return CampaignPool(campaign, sorted(groups, key=_by_name), usable, warnings, via, verdicts)

    # ---------------------------------------------------------- presentation verdicts
    def today(self) -> date:
        """Today (UTC) by the inventory's clock, which tests control."""
        return date.fromisoformat(self.clock()[:10])

    def _judge(self, info: NumberInfo, campaign: Campaign, today: date) -> Presentation:
        return deliverability(info.number, campaign.origin, campaign.purpose, today, self.rules)

    def judge(
        self, info: NumberInfo, campaign: Campaign, today: date | None = None
    ) -> Presentation:
        """The presentation verdict of calls of ``campaign`` showing this number, whether or
        not it is one of the campaign's numbers (an agent's own caller ID)."""
        return self._judge(info, campaign, today or self.today())

    def campaign_verdicts(
        self, campaign: Campaign, today: date | None = None
    ) -> dict[str, Presentation]:
        """E.164 -> the presentation verdict of every number of the campaign (its own and
        its groups'), in E.164 order. Kept per campaign: computed again only for what
        changed (the day, the campaign, its groups, the numbers), so that App Home and the
        digest can count over every campaign on every request."""
        day = today or self.today()
        views = self.views()
        groups = tuple(views.groups[g] for g in campaign.groups if g in views.groups)
        cached = self._deliveries.get(campaign.id)
        if cached is not None and cached.holds(day, campaign, groups, views.infos):
            return cached.verdicts
        reuse = (
            cached is not None
            and cached.today == day
            and cached.campaign.origin == campaign.origin
            and cached.campaign.purpose == campaign.purpose
        )
        members = dict.fromkeys(campaign.numbers)
        for group in groups:
            members.update(dict.fromkeys(group.numbers))
        numbers: dict[str, Number] = {}
        verdicts: dict[str, Presentation] = {}
        for e164 in sorted(members):
            info = views.infos.get(e164)
            if info is None:
                continue
            n = info.number
            numbers[e164] = n
            if reuse and cached.numbers.get(e164) is n:
                verdicts[e164] = cached.verdicts[e164]
            else:
                verdicts[e164] = deliverability(
                    n, campaign.origin, campaign.purpose, day, self.rules
                )
        self._deliveries[campaign.id] = _CampaignDelivery(
            day, campaign, groups, views.infos, numbers, verdicts
        )
        return verdicts

    def delivery_summary(self, today: date | None = None) -> DeliverySummary:
        """The numbers blocked or restricted in at least one campaign (see DeliverySummary)."""
        campaigns = self.campaigns()
        per_campaign = [(c, self.campaign_verdicts(c, today)) for c in campaigns]
        if len(self._deliveries) > len(campaigns):  # forget deleted campaigns
            kept = {c.id for c in campaigns}
            for gone in [k for k in list(self._deliveries) if k not in kept]:
                self._deliveries.pop(gone, None)
        key = tuple(v for _, v in per_campaign)
        cached = self._delivery_summary
        if (
            cached is not None
            and len(cached[0]) == len(key)
            and all(a is b for a, b in zip(cached[0], key, strict=True))
        ):
            return cached[1]
        blocked: dict[str, list] = {}
        restricted: dict[str, list] = {}
        for campaign, verdicts in per_campaign:
            for e164, p in verdicts.items():
                if p.status == Delivery.BLOCKED:
                    blocked.setdefault(e164, []).append((campaign, p))
                elif p.status == Delivery.RESTRICTED:
                    restricted.setdefault(e164, []).append((campaign, p))
        summary = DeliverySummary(blocked, restricted)
        self._delivery_summary = (key, summary)
        return summary

    def blocked_in_campaigns(
        self, info: NumberInfo, today: date | None = None
    ) -> list[tuple[Campaign, Presentation]]:
        """The campaigns whose calls showing this number would be blocked (whether or not
        it is one of their numbers): what an agent's own caller ID would meet."""
        day = today or self.today()
        found = []
        for campaign in self.campaigns():
            p = self._judge(info, campaign, day)
            if p.status == Delivery.BLOCKED:
                found.append((campaign, p))
        return found

    def presentation(
        self, text: str, campaign_name: str, today: date | None = None
    ) -> Presentation:
        """Whether the campaign's calls showing this number reach the callee (on ``today``)."""
        info = self.info(text)
        campaign = self.campaign(campaign_name)
        return self._judge(info, campaign, today or self.today())

    def number_presentations(
        self, text: str, today: date | None = None
    ) -> list[NumberPresentation]:
        """The number's presentation verdict for each campaign it is in (by name)."""
        detail = self.detail(text)
        day = today or self.today()
        info = detail.info
        return [
            NumberPresentation(
                info, c, self.campaign_verdicts(c, day).get(info.e164) or self._judge(info, c, day)
            )
            for c in detail.campaigns
        ]

    def campaign_presentations(
        self, name: str, today: date | None = None
    ) -> list[NumberPresentation]:
        """Every number of the campaign (its own and its groups') with its presentation
        verdict, in E.164 order. Independent of the pool's address warnings."""
        campaign = self.campaign(name)
        infos = self.views().infos
        return [
            NumberPresentation(infos[e164], campaign, p)
            for e164, p in self.campaign_verdicts(campaign, today).items()
            if e164 in infos
        ]

    def upcoming_blocks(self, within_days: int, today: date | None = None) -> list[UpcomingBlock]:
        """Numbers campaigns use that a dated rule blocks within ``within_days`` days: not
        blocked today and blocked from a day up to ``today + within_days``, or blocked by a
        rule that starts today (``days`` 0). By campaign name, then number."""
        day = today or self.today()
        last = day + timedelta(days=max(within_days, 0))
        found: list[UpcomingBlock] = []
        infos = self.views().infos
        for campaign in self.campaigns():
            for e164, p in self.campaign_verdicts(campaign, day).items():
                info = infos.get(e164)
                if info is None:
                    continue
                if p.status == Delivery.BLOCKED and p.since == day:
                    found.append(UpcomingBlock(info, campaign, p, day, 0))
                    continue
                ahead = p.upcoming
                if (
                    ahead is not None
                    and ahead.status == Delivery.BLOCKED
                    and ahead.since is not None
                    and ahead.since <= last
                ):
                    days = (ahead.since - day).days
                    found.append(UpcomingBlock(info, campaign, ahead, ahead.since, days))
        return found

    def audit(self, subject: str | None = None) -> list[AuditEntry]:
        """Every entry (about ``subject``), newest first: reads the whole log."""
        return self.repo.audit_entries(self.audit_keys(subject) if subject else None)

    def audit_page(
        self, subject: str | None, page: int, per_page: int
    ) -> tuple[list[AuditEntry], bool]:
        """One page of entries (about ``subject``), newest first, and whether older ones
        exist; read from the log's newest end, so a first page costs little at any size."""
        keys = self.audit_keys(subject) if subject else None
        return self.repo.audit_page(keys, (max(page, 1) - 1) * per_page, per_page)

    def audit_keys(self, subject: str) -> set[str]:
        """The audit subjects a number or a name stands for; an address also stands for
        the numbers linked to it."""
        keys = set()
        views = self.views()
        for lookup in (views.address_by_name, views.group_by_name, views.campaign_by_name):
            found = lookup.get(casefold(subject))
            if found:
                keys.add(found.id)
        address = views.address_by_name.get(casefold(subject))
        if address is not None:
            keys.update(i.e164 for i in self.address_numbers(address.id))
        with contextlib.suppress(DomainError):
            keys.add(self.number_key(subject))
        if not keys:
            names = [
                item.name
                for lookup in (views.address_by_name, views.group_by_name, views.campaign_by_name)
                for item in lookup.values()
            ]
            raise NotFound(
                f"Nothing called “{subject[:MAX_NAME]}” is known (a number or a name)."
                f"{did_you_mean(subject, names)}"
            )
        return keys

    def grants(self) -> set[str]:
        return self.repo.grants()

    def parse(self, text: str, countries: Sequence[str] = ()):
        """The number typed; ``countries``: where a number typed without "+" may be from,
        before the workspace's own (those of the numbers typed with it)."""
        regions = (lambda: [*countries, *self.likely_regions()]) if countries else None
        return parse_number(text, self.default_region, regions or self.likely_regions)

    def number_key(self, text: str) -> str:
        """``parse(text).e164`` without the area lookup (for finding a stored number)."""
        return number_key(text, self.default_region, self.likely_regions)

    def split(self, text: str | Sequence[str]) -> list[Typed]:
        """The numbers in what a person typed, each as typed (see ``split_numbers``)."""
        return split_numbers(text, self.default_region, self.likely_regions)

    def likely_regions(self) -> list[str]:
        """The countries this workspace works with, most numbers first: where a number typed
        without "+" that is not one of the default country's may be from."""
        views = self.views()
        cached = self._regions
        if cached is not None and cached[0] is views:
            return cached[1]
        counts = Counter(i.number.country for i in views.infos.values())
        for a in views.addresses.values():
            counts[a.country] += 0  # an address's country, after those with numbers
        regions = [c for c, _ in counts.most_common() if c and c != self.default_region]
        self._regions = (views, regions[:8])
        return self._regions[1]

    # ------------------------------------------------------------------ changing
    def require_manager(self, actor: Actor, doing: str) -> None:
        if not actor.is_manager:
            raise PermissionDenied(
                f"Only managers can {doing}. A manager can give you the role with "
                "`/numbers access grant @you`."
            )

    def emit(self, event: str, actor: Actor, **data: Any) -> None:
        """Tell the listeners about a change; call inside the change's transaction."""
        for listener in self.listeners:
            listener(self, event, actor, data)

    def record_audit(
        self, actor: Actor, action: str, subject: str, before=None, after=None
    ) -> None:
        """Append the change's audit entry; call inside the change's transaction."""
        self.repo.append_audit(
            AuditEntry(
                at=self.clock(),
                who=actor.user_id,
                action=action,
                subject=subject,
                before=_plain(before),
                after=_plain(after),
            )
        )

    def _resolve_numbers(
        self, texts: Sequence[str]
    ) -> tuple[list[Number], list[str], list[tuple[str, str]]]:
        """The texts as numbers of the inventory, the E.164 of valid numbers it does not
        hold, and the texts that are no valid number with why (each once, in typed order)."""
        if not texts:
            raise DomainError("Name at least one number.", field="numbers")
        views = self.views()
        found: dict[str, Number] = {}
        unknown: dict[str, None] = {}
        invalid: list[tuple[str, str]] = []
        for text in texts:
            try:
                e164 = self.number_key(text)
            except DomainError as exc:
                invalid.append((text[:40], exc.message))
                continue
            info = views.infos.get(e164)
            if info is None:
                unknown[e164] = None
            else:
                found[e164] = info.number
        return list(found.values()), list(unknown), invalid

    def _existing_numbers(self, texts: Sequence[str]) -> list[Number]:
        """Every text resolved to a number of the inventory, or one error naming all bad ones."""
        found, unknown, invalid = self._resolve_numbers(texts)
        problems = [f"{text}: {why}" for text, why in invalid] + [
            f"{format_number(e164)} is not in the inventory" for e164 in unknown
        ]
        if problems:
            raise DomainError("; ".join(problems[:10]) + _more(len(problems) - 10), field="numbers")
        return found

    def add_numbers(
        self,
        actor: Actor,
        texts: Sequence[str | Typed],
        label: str = "",
        source: str = "import",
        address_name: str | None = None,
        first_line: int = 1,
    ) -> AddResult:
        """Add the valid numbers (all in one write); report each invalid line with its reason."""
        with self.repo.transaction():
            self.require_manager(actor, "add numbers")
            label = clean_field(label, "label", MAX_LABEL, required=False)
            address = self.address(address_name) if address_name else None
            result = AddResult()
            views = self.views()
            new: dict[str, Number] = {}
            now = self.clock()
            for line, typed in enumerate(texts, start=first_line):
                problem = typed.problem if isinstance(typed, Typed) else ""
                text = (typed.text if isinstance(typed, Typed) else typed).strip()
                if not text:
                    continue
                try:
                    if problem:
                        raise DomainError(problem)
                    parsed = self.parse(text, getattr(typed, "countries", ()))
                except DomainError as exc:
                    result.invalid.append((line, text[:64], exc.message))
                    continue
                result.typed.setdefault(parsed.e164, (line, text[:64]))
                if parsed.e164 in views.infos or parsed.e164 in new:
                    result.already.append(parsed.e164)
                    continue
                new[parsed.e164] = _new_number(parsed, address, label, source, actor, now)
            if new:
                result.already.extend(self._added_meanwhile(new))
                if new:
                    self.repo.numbers.save_many(new.values())
                    for n in new.values():
                        self.record_audit(actor, "number.add", n.e164, after=n)
                    self.emit("numbers.added", actor, numbers=list(new.values()))
            result.added = [
                NumberInfo(n, address, verdict(n, address, self.rules)) for n in new.values()
            ]
            return result

    def _added_meanwhile(self, new: dict[str, Number]) -> list[str]:
        """Inside the transaction: drop from ``new`` the numbers another process added since
        the views were read (saving them again would overwrite that one's link)."""
        raced = [e164 for e164 in new if self.repo.numbers.get(e164) is not None]
        for e164 in raced:
            del new[e164]
        return raced

    def remove_number(self, actor: Actor, text: str) -> Number:
        with self.repo.transaction():
            self.require_manager(actor, "remove numbers")
            (number,) = self._existing_numbers([text])
            self._detach_numbers({number.e164})
            self.repo.numbers.delete(number.e164)
            self.record_audit(actor, "number.remove", number.e164, before=number)
            return number

    def _detach_numbers(self, e164s: set[str]) -> None:
        for group in self.repo.groups.all():
            if e164s.intersection(group.numbers):
                kept = [n for n in group.numbers if n not in e164s]
                self.repo.groups.save(replace(group, numbers=kept))
        for campaign in self.repo.campaigns.all():
            if e164s.intersection(campaign.numbers):
                kept = [n for n in campaign.numbers if n not in e164s]
                self.repo.campaigns.save(replace(campaign, numbers=kept))
        for agent in self.repo.agents.all():
            if agent.caller_id in e164s:
                self.repo.agents.save(replace(agent, caller_id=None))

    # addresses --------------------------------------------------------------
    def _validated_address(self, fields: dict[str, Any], current: Address | None) -> dict:
        errors: dict[str, str] = {}
        clean: dict[str, str] = {}
        for key, label, limit in (
            ("name", "Name", MAX_NAME),
            ("customer_name", "Customer name", MAX_FIELD),
            ("street", "Street", MAX_FIELD),
            ("postal_code", "Postal code", 20),
            ("city", "City", MAX_FIELD),
        ):
            try:
                value = fields.get(key)
                if key == "name":
                    value = unquote(str(value or ""))
                    if current is None or value != current.name:
                        refuse_quotes(value)
                clean[key] = clean_field(value, key, limit, label=label)
            except DomainError as exc:
                errors[key] = exc.message
        try:
            clean["country"] = resolve_country(fields.get("country") or "")
        except DomainError as exc:
            errors["country"] = exc.message
        if "country" in clean:
            try:
                clean["region"] = resolve_region(fields.get("region") or "", clean["country"])
            except DomainError as exc:
                errors["region"] = exc.message
        if "name" in clean:
            other = self.views().address_by_name.get(casefold(clean["name"]))
            if other and (current is None or other.id != current.id):
                errors["name"] = f"An address called “{other.name}” exists already."
        if not fields.get("confirmed"):
            errors["confirmed"] = (
                "Confirm that this is the real business address of the numbers' user."
            )
        if errors:
            raise ValidationError(errors)
        return clean

    def create_address(self, actor: Actor, fields: dict[str, Any]) -> Address:
        with self.repo.transaction():
            self.require_manager(actor, "create addresses")
            clean = self._validated_address(fields, None)
            now = self.clock()
            address = Address(
                id=new_id(), created_by=actor.user_id, created_at=now, updated_at=now, **clean
            )
            self.repo.addresses.save(address)
            self.record_audit(actor, "address.create", address.id, after=address)
            return address

    def update_address(self, actor: Actor, name: str, fields: dict[str, Any]) -> AddressChange:
        with self.repo.transaction():
            self.require_manager(actor, "edit addresses")
            current = self.address(name)
            clean = self._validated_address(fields, current)
            updated = replace(current, updated_at=self.clock(), **clean)
            before = {i.e164: i for i in self.address_numbers(current.id)}
            self.repo.addresses.save(updated)
            self.record_audit(actor, "address.edit", current.id, before=current, after=updated)
            if _moved(current, updated):
                self._clear_confirmations(actor, filter(None, map(self.repo.numbers.get, before)))
            self.emit("address.edited", actor, before=before, address=updated)
            infos = self.views().infos
            after = [infos[e164] for e164 in before if e164 in infos]
            failing = [i for i in after if before[i.e164].verdict.ok and not i.verdict.ok]
            return AddressChange(updated, failing, before, after)

    def delete_address(self, actor: Actor, name: str) -> Address:
        with self.repo.transaction():
            self.require_manager(actor, "delete addresses")
            address = self.address(name)
            linked = self.address_numbers(address.id)
            if linked:
                shown = ", ".join(i.display for i in linked[:10]) + _more(len(linked) - 10)
                are = "1 number is" if len(linked) == 1 else f"{len(linked)} numbers are"
                raise DomainError(
                    f"“{address.name}” cannot be deleted: {are} linked to it ({shown}). "
                    f"Move them to another address first (`/numbers address delete` offers it)."
                )
            self.repo.addresses.delete(address.id)
            self.record_audit(actor, "address.delete", address.id, before=address)
            return address

    # links ------------------------------------------------------------------
    def link(self, actor: Actor, texts: Sequence[str], address_name: str) -> LinkResult:
        """Link the numbers of the inventory among ``texts``; the others are reported in the
        result (unknown, invalid), not refused, so one typo does not undo the rest."""
        with self.repo.transaction():
            self.require_manager(actor, "link numbers")
            if not (address_name or "").strip():
                raise DomainError("Choose an address.", field="address")
            address = self.address(address_name)
            numbers, unknown, invalid = self._resolve_numbers(texts)
            result = self._set_address(actor, numbers, address)
            result.unknown, result.invalid = unknown, invalid
            return result

    def unlink(self, actor: Actor, texts: Sequence[str]) -> LinkResult:
        with self.repo.transaction():
            self.require_manager(actor, "unlink numbers")
            numbers, unknown, invalid = self._resolve_numbers(texts)
            result = self._set_address(actor, numbers, None)
            result.unknown, result.invalid = unknown, invalid
            return result

    def move_numbers(
        self, actor: Actor, source_name: str, target_name: str, delete: bool = False
    ) -> MoveResult:
        """Link every number of one address to another and, with ``delete``, delete the
        first: one transaction, each step audited."""
        with self.repo.transaction():
            self.require_manager(actor, "delete addresses" if delete else "link numbers")
            source = self.address(source_name)
            if not (target_name or "").strip():
                raise DomainError("Choose the address the numbers move to.", field="target")
            target = self.address(target_name)
            if target.id == source.id:
                raise DomainError(
                    f"Choose another address than “{source.name}” itself.", field="target"
                )
            numbers = [i.number for i in self.address_numbers(source.id)]
            result = self._set_address(actor, numbers, target)
            if delete:
                self.repo.addresses.delete(source.id)
                self.record_audit(actor, "address.delete", source.id, before=source)
            return MoveResult(source, target, result.changed, delete)

    def _set_address(
        self, actor: Actor, numbers: list[Number], address: Address | None
    ) -> LinkResult:
        target = address.id if address else None
        views = self.views()
        previous = {n.e164: views.addresses.get(n.address_id) for n in numbers if n.address_id}
        moving = [n for n in numbers if n.address_id != target]
        # A hand confirmation of the area was about the old address: it no longer applies.
        changed = [replace(n, address_id=target, area_confirmed_by=None) for n in moving]
        if changed:  # inside the caller's transaction
            self.repo.numbers.save_many(changed)
            for old, new in zip(moving, changed, strict=True):
                before: dict[str, Any] = {"address_id": old.address_id}
                after: dict[str, Any] = {"address_id": target}
                if old.area_confirmed_by:
                    before["area_confirmed_by"] = old.area_confirmed_by
                    after["area_confirmed_by"] = None
                self.record_audit(
                    actor,
                    "number.link" if address else "number.unlink",
                    new.e164,
                    before=before,
                    after=after,
                )
        infos = self.views().infos
        moved = {n.e164 for n in moving}
        return LinkResult(
            address,
            [infos[n.e164] for n in numbers if n.e164 in moved],
            [infos[n.e164] for n in numbers if n.e164 not in moved],
            previous,
        )

    def _clear_confirmations(self, actor: Actor, numbers: Iterable[Number]) -> None:
        """A moved address: hand confirmations of its numbers' areas no longer apply."""
        confirmed = [n for n in numbers if n.area_confirmed_by]
        if not confirmed:
            return
        self.repo.numbers.save_many([replace(n, area_confirmed_by=None) for n in confirmed])
        for n in confirmed:
            self.record_audit(
                actor,
                "number.unconfirm_area",
                n.e164,
                before={"area_confirmed_by": n.area_confirmed_by},
                after={"area_confirmed_by": None},
            )

    def confirm_area(self, actor: Actor, text: str) -> NumberInfo:
        """A manager confirms by hand that the linked address lies in the number's area."""
        with self.repo.transaction():
            self.require_manager(actor, "confirm areas")
            info = self.info(text)
            if info.verdict.ok and info.number.area_confirmed_by:
                raise DomainError(f"{info.display} is confirmed already: {info.verdict.reason}.")
            if info.verdict.status != Status.UNVERIFIABLE:
                raise DomainError(
                    f"Only a number whose area cannot be determined can be confirmed by hand; "
                    f"{info.display} is not one: {info.verdict.reason}."
                )
            self.repo.numbers.save(replace(info.number, area_confirmed_by=actor.user_id))
            self.record_audit(
                actor,
                "number.confirm_area",
                info.e164,
                after={"area_confirmed_by": actor.user_id},
            )
            return self.info(info.e164)

    # groups -----------------------------------------------------------------
    def _unique_name(self, kind: str, name: str, lookup: dict, current_id: str | None) -> str:
        name = clean_field(unquote(str(name or "")), "name", MAX_NAME, label="Name")
        current = next((item for item in lookup.values() if item.id == current_id), None)
        if current is None or name != current.name:
            refuse_quotes(name)
        other = lookup.get(casefold(name))
        if other and other.id != current_id:
            raise DomainError(f"A {kind} called “{other.name}” exists already.", field="name")
        return name

    def _members(self, texts: Sequence[str]) -> list[str]:
        return [n.e164 for n in self._existing_numbers(texts)] if texts else []

    def save_group(
        self,
        actor: Actor,
        name: str,
        numbers: Sequence[str],
        current_name: str | None = None,
    ) -> Group:
        """Create a group, or with ``current_name`` replace that group's name and members."""
        with self.repo.transaction():
            self.require_manager(actor, "change groups")
            current = self.group(current_name) if current_name else None
            name = self._unique_name(
                "group", name, self.views().group_by_name, current.id if current else None
            )
            members = self._members(numbers)
            group = Group(id=current.id if current else new_id(), name=name, numbers=members)
            self.repo.groups.save(group)
            self.record_audit(
                actor, "group.edit" if current else "group.create", group.id, current, group
            )
            return group

    def delete_group(self, actor: Actor, name: str) -> Group:
        with self.repo.transaction():
            self.require_manager(actor, "delete groups")
            group = self.group(name)
            for campaign in self.repo.campaigns.all():
                if group.id in campaign.groups:
                    kept = [g for g in campaign.groups if g != group.id]
                    self.repo.campaigns.save(replace(campaign, groups=kept))
            self.repo.groups.delete(group.id)
            self.record_audit(actor, "group.delete", group.id, before=group)
            return group

    # campaigns --------------------------------------------------------------
    def save_campaign(
        self,
        actor: Actor,
        name: str,
        numbers: Sequence[str] = (),
        groups: Sequence[str] = (),
        current_name: str | None = None,
        origin: str | None = None,
        purpose: str | None = None,
    ) -> CampaignPool:
        """Create a campaign, or with ``current_name`` replace that one's name and members.

        ``origin``: where its calls enter the phone network, a country (code or name) or
        ``OWN_COUNTRY``/"" for each number's own country; ``purpose``: sales or service.
        Either left None keeps the campaign's setting (a new campaign: own country, sales).
        """
        with self.repo.transaction():
            self.require_manager(actor, "change campaigns")
            current = self.campaign(current_name) if current_name else None
            name = self._unique_name(
                "campaign", name, self.views().campaign_by_name, current.id if current else None
            )
            chosen_origin = _campaign_origin(origin) if origin is not None else None
            chosen_purpose = _campaign_purpose(purpose) if purpose is not None else None
            members = self._members(numbers)
            group_ids = []
            for group_name in groups:
                group = self.group(group_name)
                if group.id not in group_ids:
                    group_ids.append(group.id)
            campaign = Campaign(
                id=current.id if current else new_id(),
                name=name,
                numbers=members,
                groups=group_ids,
                origin=chosen_origin
                if origin is not None
                else (current.origin if current else None),
                purpose=chosen_purpose or (current.purpose if current else PURPOSES[0]),
            )
            self.repo.campaigns.save(campaign)
            self.record_audit(
                actor,
                "campaign.edit" if current else "campaign.create",
                campaign.id,
                current,
                campaign,
            )
            return self.pool(campaign.name)

    def delete_campaign(self, actor: Actor, name: str) -> Campaign:
        with self.repo.transaction():
            self.require_manager(actor, "delete campaigns")
            campaign = self.campaign(name)
            self.repo.campaigns.delete(campaign.id)
            self.record_audit(actor, "campaign.delete", campaign.id, before=campaign)
            return campaign

    # access -----------------------------------------------------------------
    def set_access(self, actor: Actor, user_id: str, granted: bool) -> None:
        with self.repo.transaction():
            self.require_manager(actor, "grant or revoke the manager role")
            if granted == (user_id in self.repo.grants()):
                state = "already has" if granted else "does not have"
                raise DomainError(f"That person {state} a granted manager role.")
            self.repo.set_grant(user_id, granted)
            self.record_audit(
                actor,
                "access.grant" if granted else "access.revoke",
                user_id,
                after={"manager": granted},
            )

    # CSV --------------------------------------------------------------------
    def export_csv(self) -> str:
        views = self.views()
        groups_of: dict[str, list[str]] = {}
        for g in views.groups.values():
            for e164 in g.numbers:
                groups_of.setdefault(e164, []).append(g.name)
        campaigns_of: dict[str, list[str]] = {}
        for c in views.campaigns.values():
            members = set(c.numbers)
            for gid in c.groups:
                members.update(views.groups[gid].numbers if gid in views.groups else ())
            for e164 in members:
                campaigns_of.setdefault(e164, []).append(c.name)
        delivery = self._delivery_by_number()

        def rows() -> Iterable[list]:  # one at a time, as the file is written
            for info in self.numbers():
                n = info.number
                yield [
                    n.e164,
                    n.country,
                    n.kind,
                    n.area,
                    info.address.name if info.address else "",
                    info.verdict.status,
                    "" if info.verdict.ok else info.verdict.reason,
                    n.label,
                    n.source,
                    ";".join(sorted(groups_of.get(n.e164, []))),
                    ";".join(sorted(campaigns_of.get(n.e164, []))),
                    *(
                        getattr(info.address, f) if info.address else ""
                        for f in ADDRESS_EXPORT_FIELDS
                    ),
                    "; ".join(f"{c}: {p.status}" for c, p in delivery.get(n.e164, [])),
                ]

        # Every cell a spreadsheet would run (=, +, -, @ …) is written as text (bot.core.csvsafe).
        return write_csv(EXPORT_COLUMNS, rows())

    def _delivery_by_number(self) -> dict[str, list[tuple[str, Presentation]]]:
        """E.164 -> (campaign name, presentation verdict today) of each campaign it is in."""
        found: dict[str, list[tuple[str, Presentation]]] = {}
        for campaign in self.campaigns():
            for e164, p in self.campaign_verdicts(campaign).items():
                found.setdefault(e164, []).append((campaign.name, p))
        return found

    def import_csv(self, actor: Actor, text: str) -> ImportResult:
        """Rows of number, address, label, groups (header row); bad lines reported, good kept."""
        with self.repo.transaction():
            self.require_manager(actor, "import numbers")
            try:  # cells the export protected (bot.core.csvsafe) come back unprotected
                header, records = read_csv(text)
            except CsvLineError as exc:
                raise DomainError(f"The CSV's {exc}") from None
            if "number" not in header:
                raise DomainError("The CSV needs a header row with a “number” column.")
            views = self.views()
            errors: list[tuple[int, str]] = []
            skipped: list[tuple[int, str]] = []
            new: dict[str, Number] = {}
            addresses: dict[str, Address | None] = {}
            memberships: dict[str, list[str]] = {}  # group name -> numbers
            lines: dict[str, int] = {}  # number -> its line
            now = self.clock()
            for line, row in records:
                if isinstance(row, CsvLineError):
                    errors.append((line, str(row)))
                    continue
                text_number = (row.get("number") or "").strip()
                if not text_number:
                    continue
                try:
                    parsed = self.parse(text_number)
                    address_name = (row.get("address") or "").strip()
                    address = self.address(address_name) if address_name else None
                    label = clean_field(row.get("label"), "label", MAX_LABEL, required=False)
                    group_names = [
                        clean_field(unquote(g), "group", MAX_NAME, label="Group")
                        for g in (row.get("groups") or "").split(";")
                        if g.strip()
                    ]
                except DomainError as exc:
                    errors.append((line, exc.message))
                    continue
                if parsed.e164 in views.infos or parsed.e164 in new:
                    skipped.append(
                        (line, f"{format_number(parsed.e164)} is already in the inventory")
                    )
                    continue
                new[parsed.e164] = _new_number(parsed, address, label, "import", actor, now)
                addresses[parsed.e164] = address
                lines[parsed.e164] = line
                for g in group_names:
                    memberships.setdefault(g, []).append(parsed.e164)
            if new:
                for e164 in self._added_meanwhile(new):
                    why = f"{format_number(e164)} is already in the inventory"
                    skipped.append((lines[e164], why))
                skipped.sort()
                if new:
                    self.repo.numbers.save_many(new.values())
                    for n in new.values():
                        self.record_audit(actor, "number.add", n.e164, after=n)
                    self.emit("numbers.added", actor, numbers=list(new.values()))
                # the groups as they are now (another process may have changed them)
                current_groups = {casefold(g.name): g for g in self.repo.groups.all()}
                for group_name, members in memberships.items():
                    members = [m for m in members if m in new]
                    if not members:
                        continue
                    group = current_groups.get(casefold(group_name))
                    if group is None:
                        group = Group(id=new_id(), name=group_name, numbers=[])
                        self.record_audit(actor, "group.create", group.id, after=group)
                    updated = replace(group, numbers=list(dict.fromkeys(group.numbers + members)))
                    self.repo.groups.save(updated)
                    self.record_audit(actor, "group.edit", group.id, group, updated)
            added = [
                NumberInfo(n, addresses[n.e164], verdict(n, addresses[n.e164], self.rules))
                for n in new.values()
            ]
            return ImportResult(added, skipped, errors)


def _new_number(
    parsed, address: Address | None, label: str, source: str, actor: Actor, now: str
) -> Number:
    """A number entering the inventory, from what the parser found."""
    return Number(
        e164=parsed.e164,
        country=parsed.country,
        kind=parsed.kind,
        area=parsed.area,
        area_names=tuple(parsed.area_names),
        address_id=address.id if address else None,
        label=label,
        source=source,
        added_by=actor.user_id,
        added_at=now,
    )


def _campaign_origin(text: str) -> str | None:
    """A campaign's origin as stored: an ISO alpha-2 code, or None (own country)."""
    if not text.strip() or text.strip().casefold() == OWN_COUNTRY:
        return None
    try:
        return resolve_country(text)
    except DomainError:
        raise DomainError(
            f"“{text.strip()[:40]}” is not a country: calls enter the phone network in a "
            "country (a code like FI or a name like Finland) or in each number's own country.",
            field="origin",
        ) from None


def _campaign_purpose(text: str) -> str:
    purpose = text.strip().casefold()
    if purpose not in PURPOSES:
        raise DomainError(
            f"“{text.strip()[:40]}” is not a purpose: a campaign is for "
            + " or ".join(PURPOSES)
            + ".",
            field="purpose",
        )
    return purpose


def _by_name(item: Any) -> str:
    return casefold(item.name)


def _moved(old: Address, new: Address) -> bool:
    """Whether an edit changed where an address is (city, region or country)."""
    return any(
        casefold(getattr(old, f) or "") != casefold(getattr(new, f) or "")
        for f in ("city", "region", "country")
    )


def _more(extra: int) -> str:
    return f" and {extra} more" if extra > 0 else ""


def _plain(value: Any) -> dict | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return value
    data = {f.name: getattr(value, f.name) for f in dataclass_fields(value)}
    if all(_flat(v) for v in data.values()):  # asdict's deep copy is slow and not needed
        return {k: list(v) if isinstance(v, tuple | list) else v for k, v in data.items()}
    data = asdict(value)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def _flat(value: Any) -> bool:
    """A JSON scalar, or a list/tuple of them."""
    if isinstance(value, str | int | float | bool) or value is None:
        return True
    return isinstance(value, tuple | list) and all(
        isinstance(v, str | int | float | bool) or v is None for v in value
    )
