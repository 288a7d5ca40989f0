"""Which number a call presents as caller ID, and why.

COMPLIANCE.md, "Choosing a caller ID for a call": an agent's own caller ID wins
when it is compliant; otherwise the campaign's usable pool is searched for a
number that looks local to the person called, in this order (Talkdesk's):

1. same area prefix: the called number's geographic area code (its length from
   phonenumbers, 2–5 digits in Germany, 3 in North America) starts the national
   number of the candidate; a longer area code is a longer prefix, so the
   longest matching prefix wins, as in VICIdial;
2. same state / subdivision (US, CA, BR, … where the geocoder names one);
3. same country;
4. any number that is not toll-free;
5. a toll-free number of the called number's country;
6. any toll-free number.

Among equally good numbers the one used least today wins (then the lowest
E.164, so that the answer is stable). Pure: no Slack, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import phonenumbers
import pycountry

from bot.core.compliance import Delivery, Presentation, Rules
from bot.core.model import Agent
from bot.core.phone import Kind, PhoneNumber, country_phrase, format_number
from bot.core.services import NumberInfo
from bot.core.text import fold

__all__ = [
    "RULE_AGENT",
    "RULE_ANY",
    "RULE_AREA",
    "RULE_COUNTRY",
    "RULE_NONE",
    "RULE_STATE",
    "RULE_TOLL_FREE",
    "RULE_TOLL_FREE_COUNTRY",
    "Resolution",
    "area_prefix",
    "record_use",
    "resolve",
    "state_of",
    "usage_on",
    "usable_as_caller_id",
]

RULE_AGENT = "the agent's own caller ID"
RULE_AREA = "same area prefix"
RULE_STATE = "same state"
RULE_COUNTRY = "same country"
RULE_ANY = "any number that is not toll-free"
RULE_TOLL_FREE_COUNTRY = "a toll-free number of the same country"
RULE_TOLL_FREE = "any toll-free number"
RULE_NONE = "no usable number"


@dataclass(frozen=True)
class Resolution:
    """The number a call would present (None: none can be), the rule that chose it,
    the steps taken (plain sentences) and the numbers left out with why."""

    chosen: NumberInfo | None
    rule: str
    steps: list[str] = field(default_factory=list)
    left_out: list[tuple[NumberInfo, str]] = field(default_factory=list)


def usable_as_caller_id(info: NumberInfo, rules: Rules) -> tuple[bool, str]:
    """``(True, "")``, or ``(False, why)`` for a kind that cannot be caller ID in its
    country or a number whose verdict is not OK."""
    allowed, why = rules.can_be_caller_id(info.number.country, info.number.kind)
    if not allowed:
        return False, why
    if not info.verdict.ok:
        return False, info.verdict.reason
    return True, ""


# --------------------------------------------------------------------------- places


@lru_cache(maxsize=65_536)
def _national(e164: str) -> tuple[int, str]:
    """(country calling code, national significant number) of an E.164 number."""
    try:
        num = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return 0, ""
    return num.country_code, phonenumbers.national_significant_number(num)


@lru_cache(maxsize=65_536)
def area_prefix(e164: str) -> str:
    """The geographic area code of a number as the leading digits of its national
    significant number ("89" for +49 89 …, "415" for +1 415 …), "" when it has none
    (mobile, toll-free and other non-geographic numbers)."""
    try:
        num = phonenumbers.parse(e164, None)
        length = phonenumbers.length_of_geographical_area_code(num)
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.national_significant_number(num)[:length] if length else ""


@lru_cache(maxsize=256)
def _subdivisions(country: str) -> tuple[dict[str, str], set[str]]:
    """({folded name: short code}, {short codes}) of a country's subdivisions."""
    try:
        subs = pycountry.subdivisions.get(country_code=country) or []
    except (KeyError, LookupError):
        subs = []
    by_name, codes = {}, set()
    for sub in subs:
        short = sub.code.split("-", 1)[1]
        codes.add(short)
        by_name.setdefault(fold(sub.name, keep="alnum"), short)
    return by_name, codes


@lru_cache(maxsize=16_384)
def state_of(country: str, area: str) -> str:
    """The subdivision code ("CA", "SP", "QC") a geocoder description names, or "".

    "San Francisco, CA" → "CA"; "California" → "CA"; "São Paulo - SP" → "SP";
    "Quebec" (country CA) → "QC"; "Munich" → "" (a city, not a subdivision).
    """
    if not area or not country:
        return ""
    by_name, codes = _subdivisions(country.upper())
    if not codes:
        return ""
    for sep in (",", " - "):
        if sep in area:
            tail = area.rsplit(sep, 1)[1].strip()
            if tail.upper() in codes:
                return tail.upper()
            if fold(tail, keep="alnum") in by_name:
                return by_name[fold(tail, keep="alnum")]
    return by_name.get(fold(area, keep="alnum"), "")


# --------------------------------------------------------------------------- resolving


def _shown(info: NumberInfo) -> str:
    where = f" ({info.number.area})" if info.number.area else ""
    return f"{info.display}{where}"


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def resolve(
    pool: Iterable[NumberInfo],
    *,
    rules: Rules,
    left_out: Iterable[tuple[NumberInfo, str]] = (),
    agent: Agent | None = None,
    agent_number: NumberInfo | None = None,
    to: PhoneNumber | None = None,
    usage_today: Mapping[str, int] | None = None,
    presentations: Mapping[str, Presentation] | None = None,
) -> Resolution:
    """Which number a call presents, and why.

    ``pool``: the campaign's numbers (those that cannot be caller ID or whose verdict
    is not OK are left out here, with their reasons, so the whole membership may be
    passed); ``left_out``: numbers already left out by the caller, with reasons;
    ``agent`` and ``agent_number`` (the inventory's entry for ``agent.caller_id``,
    None when it is no longer there); ``to``: the called number, if known;
    ``usage_today``: uses per E.164 today; ``presentations``: the campaign's presentation
    verdict per E.164 (the agent's own caller ID included): a blocked number is left out
    with its reason, a restricted one chosen is said to be. An empty pool gives
    ``chosen=None`` with rule :data:`RULE_NONE`, never an error.
    """
    usage = usage_today or {}
    verdicts = presentations or {}

    def blocked(info: NumberInfo) -> str:
        p = verdicts.get(info.e164)
        return p.reason if p is not None and p.status == Delivery.BLOCKED else ""

    def restricted_note(info: NumberInfo) -> None:
        p = verdicts.get(info.e164)
        if p is not None and p.status == Delivery.RESTRICTED:
            steps.append(f"Mind: {info.display} is {p.reason[:1].lower()}{p.reason[1:]}.")

    steps: list[str] = []
    excluded: list[tuple[NumberInfo, str]] = list(left_out)
    seen = {info.e164 for info, _ in excluded}
    usable: dict[str, NumberInfo] = {}
    for info in pool:
        if info.e164 in usable or info.e164 in seen:
            continue
        ok, why = usable_as_caller_id(info, rules)
        if ok and blocked(info):
            ok, why = False, blocked(info)
        if ok:
            usable[info.e164] = info
        else:
            excluded.append((info, why))
            seen.add(info.e164)
    excluded.sort(key=lambda pair: pair[0].e164)

    # 1. the agent's own caller ID
    if agent is not None:
        name = agent.name
        if not agent.caller_id:
            steps.append(f"Agent {name} has no own caller ID: the campaign's pool decides.")
        elif agent_number is None:
            steps.append(
                f"Agent {name}'s own caller ID {format_number(agent.caller_id)} is no longer "
                "in the inventory: the campaign's pool decides."
            )
        else:
            ok, why = usable_as_caller_id(agent_number, rules)
            if ok and blocked(agent_number):
                why = blocked(agent_number)
                steps.append(
                    f"Agent {name}'s own caller ID {agent_number.display} would be blocked in "
                    f"this campaign: {why.removeprefix('Blocked: ')}. The campaign's pool decides."
                )
            elif ok:
                steps.append(
                    f"Agent {name}'s own caller ID {_shown(agent_number)} is compliant "
                    f"({agent_number.verdict.reason}): it wins."
                )
                restricted_note(agent_number)
                return Resolution(agent_number, RULE_AGENT, steps, excluded)
            else:
                steps.append(
                    f"Agent {name}'s own caller ID {agent_number.display} cannot be used: "
                    f"{why}. The campaign's pool decides."
                )
            if agent_number.e164 not in seen:
                excluded.insert(0, (agent_number, f"agent {name}'s own caller ID: {why}"))

    # 2. the campaign's pool
    left = f" ({len(excluded)} left out, below)" if excluded else ""
    if not usable:
        steps.append(f"The campaign's pool has no usable number{left}.")
        return Resolution(None, RULE_NONE, steps, excluded)
    steps.append(f"The campaign's pool has {_count(len(usable), 'usable number')}{left}.")
    candidates = sorted(usable.values(), key=lambda i: i.e164)
    toll_free = [i for i in candidates if i.number.kind == Kind.TOLL_FREE]
    regular = [i for i in candidates if i.number.kind != Kind.TOLL_FREE]

    tiers: list[tuple[str, list[NumberInfo]]] = []
    if to is None:
        steps.append("No called number given: local presence does not apply.")
    else:
        cc, _ = _national(to.e164)
        prefix = area_prefix(to.e164)
        where = f" ({to.area})" if to.area else ""
        if prefix:
            steps.append(
                f"The called number {format_number(to.e164)}{where} has area prefix {prefix}."
            )
            tiers.append(
                (
                    f"{RULE_AREA} ({prefix})",
                    [
                        i
                        for i in regular
                        if _national(i.e164)[0] == cc and _nsn(i).startswith(prefix)
                    ],
                )
            )
        else:
            steps.append(
                f"The called number {format_number(to.e164)}{where} has no area prefix "
                "(it is not a geographic number)."
            )
        state = state_of(to.country, to.area)
        if state:
            tiers.append(
                (
                    f"{RULE_STATE} ({state})",
                    [
                        i
                        for i in regular
                        if i.number.country == to.country
                        and state_of(i.number.country, i.number.area) == state
                    ],
                )
            )
        else:
            steps.append("Same state: the called number's area names no state; skipped.")
        tiers.append(
            (
                f"{RULE_COUNTRY} ({country_phrase(to.country)})",
                [i for i in regular if i.number.country == to.country],
            )
        )
    tiers.append((RULE_ANY, regular))
    if to is not None:
        tiers.append(
            (
                f"{RULE_TOLL_FREE_COUNTRY} ({country_phrase(to.country)})",
                [i for i in toll_free if i.number.country == to.country],
            )
        )
    tiers.append((RULE_TOLL_FREE, toll_free))

    for rule, matches in tiers:
        if not matches:
            steps.append(f"{_capital(rule)}: none.")
            continue
        chosen = min(matches, key=lambda i: (usage.get(i.e164, 0), i.e164))
        used = usage.get(chosen.e164, 0)
        if len(matches) == 1:
            steps.append(f"{_capital(rule)}: {_shown(chosen)} only (used {used}× today).")
        else:
            steps.append(
                f"{_capital(rule)}: {_count(len(matches), 'number')}; the least used today is "
                f"{_shown(chosen)} (used {used}× today)."
            )
        restricted_note(chosen)
        return Resolution(chosen, rule, steps, excluded)
    # Unreachable: the last tiers hold every usable number between them.
    return Resolution(None, RULE_NONE, steps, excluded)  # pragma: no cover


def _nsn(info: NumberInfo) -> str:
    return _national(info.e164)[1]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def record_use(counts: Mapping[str, object] | None, day: str, e164: str) -> dict:
    """Today's use counts after one more use of ``e164``: ``{"day": day, "counts":
    {e164: n}}``; counts of another day are dropped (they are of no use any more)."""
    current = dict(counts or {})
    kept = current.get("counts") if current.get("day") == day else None
    new_counts = dict(kept) if isinstance(kept, dict) else {}
    new_counts[e164] = int(new_counts.get(e164, 0)) + 1
    return {"day": day, "counts": new_counts}


def usage_on(counts: Mapping[str, object] | None, day: str) -> dict[str, int]:
    """Uses per E.164 on ``day`` from the stored counts (empty for another day)."""
    current = counts or {}
    kept = current.get("counts") if current.get("day") == day else None
    return {k: int(v) for k, v in kept.items()} if isinstance(kept, dict) else {}
