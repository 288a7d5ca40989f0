"""The read side: numbers with their verdicts, lookups, summaries, presentation verdicts,
the audit log's pages, and the cache that keeps them per database generation.

The domain services (bot.core.services and its neighbours) decide their writes from these
reads inside their own transaction; handlers read through them too.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import phonenumbers

from bot.core.compliance import (
    Delivery,
    Presentation,
    Rules,
    Status,
    Verdict,
    deliverability,
    verdict,
)
from bot.core.errors import DomainError, NotFound
from bot.core.model import Address, AuditEntry, Campaign, Group, Number, utcnow
from bot.core.phone import (
    Typed,
    format_number,
    number_key,
    parse_number,
    resolve_country,
    split_numbers,
)
from bot.core.ports import Repository
from bot.core.text import MAX_NAME, casefold, did_you_mean, fold


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


class Views:
    """Derived data for one generation of the database (numbers with their verdicts,
    lookups by name, the order and the search index)."""

    def __init__(self, reads: ReadModel, previous: Views | None = None) -> None:
        repo = reads.repo
        self.addresses = {a.id: a for a in repo.addresses.all()}
        self.address_by_name = {casefold(a.name): a for a in self.addresses.values()}
        self.groups = {g.id: g for g in repo.groups.all()}
        self.group_by_name = {casefold(g.name): g for g in self.groups.values()}
        self.campaigns = {c.id: c for c in repo.campaigns.all()}
        self.campaign_by_name = {casefold(c.name): c for c in self.campaigns.values()}
        rules = reads.rules
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


class ReadModel:
    """What a workspace holds, as people read it: numbers with their verdicts, lookups by
    name, summaries and presentation verdicts, cached per database generation (built
    again from the last generation's, so unchanged numbers keep their verdicts)."""

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
        self._views: Views | None = None
        self._views_generation = -1
        self._views_lock = threading.Lock()
        self._regions: tuple[Views, list[str]] | None = None
        # Presentation verdicts per campaign id, and their summary (see campaign_verdicts).
        self._deliveries: dict[str, _CampaignDelivery] = {}
        self._delivery_summary: tuple[tuple, DeliverySummary] | None = None

    # ------------------------------------------------------------------ reading
    def views(self) -> Views:
        with self.repo.reading(), self._views_lock:
            generation = self.repo.generation
            if self._views is None or self._views_generation != generation:
                # Built from the last generation's: unchanged numbers keep their verdicts.
                self._views = Views(self, self._views)
                self._views_generation = generation
            return self._views

    def number_list(
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

    def address_list(self) -> list[Address]:
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
        return [i for i in self.number_list() if i.number.address_id == address_id]

    def group_list(self) -> list[Group]:
        return sorted(self.views().groups.values(), key=_by_name)

    def group(self, name: str) -> Group:
        return self._named("group", "group_by_name", name)

    def campaign_list(self) -> list[Campaign]:
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
        campaigns = self.campaign_list()
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
        for campaign in self.campaign_list():
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
        for campaign in self.campaign_list():
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

    def resolve_numbers(
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

    def existing_numbers(self, texts: Sequence[str]) -> list[Number]:
        """Every text resolved to a number of the inventory, or one error naming all bad ones."""
        found, unknown, invalid = self.resolve_numbers(texts)
        problems = [f"{text}: {why}" for text, why in invalid] + [
            f"{format_number(e164)} is not in the inventory" for e164 in unknown
        ]
        if problems:
            raise DomainError("; ".join(problems[:10]) + more(len(problems) - 10), field="numbers")
        return found

    def member_keys(self, texts: Sequence[str]) -> list[str]:
        """The E.164 keys of a group's or campaign's typed members (``existing_numbers``)."""
        return [n.e164 for n in self.existing_numbers(texts)] if texts else []

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


def _by_name(item: Any) -> str:
    return casefold(item.name)


def more(extra: int) -> str:
    return f" and {extra} more" if extra > 0 else ""
