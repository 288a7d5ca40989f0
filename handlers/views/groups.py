"""Views about groups and campaigns: the forms, lists, details and the pool report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.core.model import PURPOSES, Campaign, Group
from bot.core.phone import country_name, format_number
from bot.core.services import OWN_COUNTRY, CampaignPool, NumberInfo
from handlers import blocks as B
from handlers import ids
from handlers import slack_limits as L
from handlers.mrkdwn import join, md
from handlers.views.addresses import country_option, country_option_groups
from handlers.views.numbers import (
    delivery_note,
    fix_block,
    number_line,
    option_for,
    result_modal,
    starts_text,
)

MAX_INITIAL = L.MAX_EXTERNAL_SELECT_OPTIONS  # initial_options of a multi select: at most 100
MAX_GROUP_CHECKBOXES = L.MAX_CHECKBOX_OPTIONS  # more groups than this: an external select
POOL_PAGE_SIZE = 20  # numbers per page of `campaign show`, as `list`
RESULT_WARNINGS = 40


def member_option(e164: str, infos: Mapping[str, NumberInfo]) -> dict:
    info = infos.get(e164)
    return option_for(info) if info else B.option(format_number(e164), e164)


def group_option(group: Group) -> dict:
    return B.option(group.name, group.id, B.plural(len(group.numbers), "number"))


def _name_input(initial: str | None, placeholder: str) -> dict:
    return B.input_block(
        "name",
        "Name",
        B.text_input("name", initial or None, placeholder=placeholder, max_length=L.MAX_NAME),
    )


def _numbers_inputs(
    members: Sequence[str], infos: Mapping[str, NumberInfo], remove_action: str, what: str
) -> tuple[list[dict], dict]:
    """The Numbers input(s) and the metadata needed to compute the final member list.

    Up to 100 members: one multi select with all of them preselected (the metadata
    remembers which were shown, so members added meanwhile by someone else survive).
    More: "Add numbers" and "Remove numbers"; every member not removed stays.
    """
    if len(members) <= MAX_INITIAL:
        initial = [member_option(e, infos) for e in members]
        block = B.input_block(
            "numbers",
            "Numbers",
            B.external_select(
                ids.NUMBERS_SEARCH,
                multi=True,
                initial=initial or None,
                placeholder="Type digits, an area or an address",
            ),
            optional=True,
            hint="Search by digits (+4989…), area or address name.",
        )
        return [block], {"shown": list(members)}
    blocks = [
        B.context(
            f"This {what} has *{len(members)}* numbers: too many to list here. "
            "Add or remove some below; every other number stays."
        ),
        B.input_block(
            "numbers",
            "Add numbers",
            B.external_select(
                ids.NUMBERS_SEARCH, multi=True, placeholder="Type digits, an area or an address"
            ),
            optional=True,
        ),
        B.input_block(
            "remove",
            "Remove numbers",
            B.external_select(remove_action, multi=True, placeholder=f"Search this {what}"),
            optional=True,
        ),
    ]
    return blocks, {"large": 1}


def group_modal(group: Group | None, infos: Mapping[str, NumberInfo], name: str = "") -> dict:
    """The group form: editing ``group``, or a new one (its name prefilled with ``name``)."""
    members = group.numbers if group else []
    number_blocks, meta = _numbers_inputs(members, infos, ids.GROUP_MEMBER_SEARCH, "group")
    metadata = {"g": group.id, **meta} if group else None
    return B.modal(
        ids.GROUP_FORM,
        "Edit group" if group else "New group",
        [_name_input(group.name if group else name, "Sales DE"), *number_blocks],
        metadata=metadata,
    )


OWN_COUNTRY_LABEL = "Each number's own country"
ORIGIN_LABEL = "Calls enter the phone network in"
PURPOSE_LABELS = {"sales": "Sales", "service": "Service"}


def _origin_input(origin: str | None) -> dict:
    """Where calls enter the network: "each number's own country" first, then every
    country grouped by first letter (option groups keep each list under 100)."""
    own = B.option(OWN_COUNTRY_LABEL, OWN_COUNTRY)
    groups = [
        {"label": B.plain("Default", L.MAX_OPTION_GROUP_LABEL), "options": [own]},
        *country_option_groups(),
    ]
    return B.input_block(
        "origin",
        ORIGIN_LABEL,
        B.static_select(
            "origin",
            option_groups=groups,
            initial=(country_option(origin) if origin else None) or own,
            placeholder="Type a country",
        ),
        hint="Where your dialer's carrier hands the calls over (own country: a local carrier "
        "per country). Some countries block calls from abroad showing their own numbers.",
    )


def _purpose_input(purpose: str) -> dict:
    options = [B.option(PURPOSE_LABELS[p], p) for p in PURPOSES]
    initial = next((o for o in options if o["value"] == purpose), options[0])
    return B.input_block(
        "purpose",
        "Purpose",
        B.static_select("purpose", options, initial=initial),
        hint="Sales calls may not show some kinds of number, or must use dedicated ranges.",
    )


def campaign_settings_line(campaign: Campaign) -> str:
    """Both presentation settings of a campaign, in one line."""
    where = country_name(campaign.origin) if campaign.origin else OWN_COUNTRY_LABEL.lower()
    purpose = PURPOSE_LABELS.get(campaign.purpose, campaign.purpose).lower()
    return md("Calls enter the phone network in *{}* · purpose *{}*", where, purpose)


def campaign_modal(
    campaign: Campaign | None,
    all_groups: Sequence[Group],
    infos: Mapping[str, NumberInfo],
    name: str = "",
) -> dict:
    c = campaign
    blocks = [
        _name_input(c.name if c else name, "Spring promo"),
        _origin_input(c.origin if c else None),
        _purpose_input(c.purpose if c else PURPOSES[0]),
    ]
    chosen = set(c.groups) if c else set()
    metadata: dict = {"c": c.id} if c else {}
    if not all_groups:
        blocks.append(B.context("No groups yet: `/numbers group new` creates one."))
    elif len(all_groups) <= MAX_GROUP_CHECKBOXES:
        options = [group_option(g) for g in all_groups]
        initial = [o for o, g in zip(options, all_groups, strict=True) if g.id in chosen]
        blocks.append(
            B.input_block(
                "groups", "Groups", B.checkboxes("groups", options, initial or None), optional=True
            )
        )
    else:
        by_id = {g.id: g for g in all_groups}
        current = [by_id[g] for g in (c.groups if c else []) if g in by_id]
        if len(current) > MAX_INITIAL:
            metadata["gx"] = 1  # groups beyond the first 100 are kept as they are
        initial = [group_option(g) for g in current[:MAX_INITIAL]]
        blocks.append(
            B.input_block(
                "groups",
                "Groups",
                B.external_select(
                    ids.CAMPAIGN_GROUP_SEARCH,
                    multi=True,
                    initial=initial or None,
                    placeholder="Type a group name",
                ),
                optional=True,
                hint="Every number of these groups joins the campaign's pool.",
            )
        )
    number_blocks, meta = _numbers_inputs(
        c.numbers if c else [], infos, ids.CAMPAIGN_MEMBER_SEARCH, "campaign"
    )
    blocks += number_blocks
    if c:
        metadata.update(meta)
    return B.modal(
        ids.CAMPAIGN_FORM,
        "Edit campaign" if c else "New campaign",
        blocks,
        metadata=metadata or None,
    )


# ---------------------------------------------------------------------------- groups
def group_lines(groups: Sequence[Group], used_by: Mapping[str, int]) -> list[str]:
    return [
        md("• *{}* — {}", g.name, B.plural(len(g.numbers), "number"))
        + (md(" · in {}", B.plural(used_by[g.id], "campaign")) if used_by.get(g.id) else md(""))
        for g in groups
    ]


def group_detail(group: Group, members: Sequence[NumberInfo], page: int) -> tuple[list, str]:
    lines = [f"• {number_line(i)}" for i in members]
    blocks, _ = B.paged(f"Group {group.name}", lines, page, per_page=20)
    return blocks, md("Group {}: {}", group.name, B.plural(len(members), "number"))


# ------------------------------------------------------------------------- campaigns
def warning_line(info: NumberInfo, why: str) -> str:
    return md("• *{}* — {}", info.display, why)


def campaign_lines(pools: Sequence[CampaignPool]) -> list[str]:
    lines = []
    for p in pools:
        c = p.campaign
        line = md(
            "• *{}* — {}, {} · pool {}",
            c.name,
            B.plural(len(p.groups), "group"),
            B.plural(len(c.numbers), "number"),
            p.size,
        )
        if p.warnings:
            line += f" · :warning: {len(p.warnings)} left out"
        lines.append(line)
    return lines


def _pool_summary(pool: CampaignPool) -> str:
    c = pool.campaign
    return md(
        "*{}*: a caller-ID pool of *{}*, from {} and {} of its own.",
        c.name,
        B.plural(pool.size, "usable number"),
        B.plural(len(pool.groups), "group"),
        B.plural(len(c.numbers), "number"),
    )


def campaign_result(pool: CampaignPool, created: bool) -> dict:
    """The confirmation a saved campaign form turns into: pool size and warnings."""
    lines = [("Created " if created else "Saved ") + _pool_summary(pool)]
    warnings = pool.warnings
    if warnings:
        lines.append(
            f":warning: *{B.plural(len(warnings), 'number')}* "
            f"{'is' if len(warnings) == 1 else 'are'} left out of the pool:"
        )
        lines += [warning_line(i, why) for i, why in warnings[:RESULT_WARNINGS]]
        if len(warnings) > RESULT_WARNINGS:
            lines.append(
                f"… and {len(warnings) - RESULT_WARNINGS} more: "
                + md("`/numbers campaign show {}`.", pool.campaign.name)
            )
    else:
        lines.append("Every number can be used as caller ID.")
    title = "Campaign created" if created else "Campaign saved"
    return result_modal(title, B.sections(lines, limit=L.MAX_VIEW_BLOCKS - 1))


def pool_line(pool: CampaignPool, info: NumberInfo, why: str | None) -> str:
    """A number of a campaign: what `list` shows, where it comes from (the campaign's own,
    which groups), and whether it is in the usable pool or left out and why."""
    via = pool.via.get(info.e164, [])
    groups = join(", ", via)
    group_word = "group" if len(via) == 1 else "groups"
    if pool.own(info.e164):
        source = "own number" + (f", also from {group_word} {groups}" if via else "")
    else:
        source = f"from {group_word} {groups}"
    presentation = pool.presentations.get(info.e164)
    calls = delivery_note(presentation) if presentation else ""
    if why is None:
        state = "in the pool"
    elif why == info.verdict.reason or (calls and presentation and why == presentation.reason):
        state = ":no_entry: *left out* (see why above)"
    else:
        state = md(":no_entry: *left out:* _{}_", why)
    calls = f"\n{calls}" if calls else ""
    return f"{number_line(info)}{calls}\n    {source} · {state}"


SUMMARY_NAMED = 5  # numbers named per line of a campaign's delivery summary


def delivery_summary_lines(pool: CampaignPool) -> list[str]:
    """The campaign's warnings about its calls: numbers that will not reach callees (today),
    numbers restricted, and numbers a dated rule will block, each named (a few)."""
    blocked, restricted, ahead = [], [], {}
    for e164, p in pool.presentations.items():
        if p.status == "blocked":
            blocked.append(e164)
        elif p.status == "restricted":
            restricted.append(e164)
        if p.upcoming is not None and p.upcoming.status == "blocked" and p.upcoming.since:
            when = starts_text(p.upcoming.reason, p.upcoming.since)
            ahead.setdefault((p.upcoming.since, when), []).append(e164)

    def named(e164s: list[str]) -> str:
        shown = ", ".join(format_number(e) for e in e164s[:SUMMARY_NAMED])
        extra = len(e164s) - SUMMARY_NAMED
        return shown + (f" and {extra} more" if extra > 0 else "")

    lines = []
    if blocked:
        lines.append(
            f":no_entry: *{B.plural(len(blocked), 'number')} will not reach callees:* "
            f"{named(blocked)} (left out of the pool)"
        )
    if restricted:
        are = "is" if len(restricted) == 1 else "are"
        lines.append(
            f":warning: *{B.plural(len(restricted), 'number')} {are} restricted:* "
            f"{named(restricted)}"
        )
    for (_, when), e164s in sorted(ahead.items()):
        lines.append(
            f":calendar: *{B.plural(len(e164s), 'number')} will be blocked from {when}:* "
            f"{named(e164s)}"
        )
    return lines


def campaign_detail(
    pool: CampaignPool, page: int, can_edit: bool = False
) -> tuple[list[dict], str]:
    """One page of a campaign's numbers, left-out ones first, with where each comes from,
    its area, address verdict and presentation verdict, and a summary of the numbers that
    will not reach callees; Previous/Next and Edit (managers). At most 20 numbers, each with
    its fix buttons: 2 × 20 + 7 blocks, under Slack's 50."""
    c = pool.campaign
    group_names = join(", ", (g.name for g in pool.groups)) or "—"
    blocks = [
        B.header(f"Campaign {c.name}"),
        B.fields(
            [
                f"*Groups*\n{group_names}",
                f"*Numbers of its own*\n{len(c.numbers)}",
                f"*Usable pool*\n{pool.size}",
                f"*Left out*\n{len(pool.warnings)}",
            ]
        ),
        B.context(campaign_settings_line(c)),
    ]
    summary = delivery_summary_lines(pool)
    if summary:
        blocks.append(B.section("\n".join(summary)))
    entries = [(i, why) for i, why in pool.warnings] + [(i, None) for i in pool.usable]
    text = md("Campaign {}: pool of {}", c.name, pool.size)
    if pool.warnings:
        text += f", {len(pool.warnings)} left out"
    edit = B.button("Edit campaign", ids.OPEN_CAMPAIGN_EDIT, c.id) if can_edit else None
    if not entries:
        blocks.append(B.section("No numbers yet: add numbers or groups with Edit."))
        if edit:
            blocks.append(B.actions(edit, block_id="campaign_actions"))
        return blocks, text
    pages = -(-len(entries) // POOL_PAGE_SIZE)
    page = min(max(page, 1), pages)
    shown = entries[(page - 1) * POOL_PAGE_SIZE : page * POOL_PAGE_SIZE]
    note = f"{len(entries)} numbers · page {page} of {pages}"
    if pool.warnings:
        note += " · numbers left out of the pool come first"
    elif page == 1:
        note += " · every number can be used as caller ID"
    blocks.append(B.context(note))
    for info, why in shown:
        blocks.append(B.section(pool_line(pool, info, why)))
        fix = fix_block(info) if can_edit else None
        if fix:
            blocks.append(fix)
    buttons = []
    if page > 1:
        buttons.append(B.button("◀ Previous", ids.CAMPAIGN_PAGE_PREV, f"{page - 1}|{c.id}"))
    if page < pages:
        buttons.append(B.button("Next ▶", ids.CAMPAIGN_PAGE_NEXT, f"{page + 1}|{c.id}"))
    if edit:
        buttons.append(edit)
    if buttons:
        blocks.append(B.actions(*buttons, block_id="campaign_actions"))
    return blocks, text
