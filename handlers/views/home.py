"""The dashboard: App Home and the `/numbers` overview."""

from __future__ import annotations

from bot.core.compliance import STATUS_LABELS
from bot.core.services import NumberInfo, Summary
from handlers import blocks as B
from handlers import ids
from handlers import slack_limits as L
from handlers.mrkdwn import user
from handlers.views.numbers import DELIVERY_ICONS, STATUS_ICONS, fixes_for, number_line

PER_STATUS = 10  # numbers shown per verdict on App Home


def main_buttons(is_manager: bool = True) -> dict:
    """The forms a person can use: managers change the inventory; everyone may ask for
    numbers (a manager approves)."""
    if not is_manager:
        return B.actions(
            B.button("Request numbers", ids.OPEN_BUY, style="primary"),
            B.button("File a mandate", ids.OPEN_MANDATE),
            block_id="main_buttons",
        )
    return B.actions(
        B.button("New address", ids.OPEN_ADDRESS_NEW, style="primary"),
        B.button("Link numbers", ids.OPEN_LINK),
        B.button("Add numbers", ids.OPEN_BULK_ADD),
        B.button("Import CSV", ids.OPEN_IMPORT),
        B.button("New group", ids.OPEN_GROUP_NEW),
        B.button("New campaign", ids.OPEN_CAMPAIGN_NEW),
        block_id="main_buttons",
    )


def member_note(managers: list[str]) -> dict:
    """For a member: what needs a manager, and whom to ask."""
    shown = ", ".join(user(m) for m in managers[:10])
    more = f" and {len(managers) - 10} more" if len(managers) > 10 else ""
    ask = f"Ask {shown}{more}" if managers else "Ask a workspace admin"
    return B.context(
        "You can read everything here and ask for new numbers. Adding numbers, linking "
        f"addresses, groups and campaigns is for managers: {ask}."
    )


def role_blocks(is_manager: bool, managers: list[str]) -> list[dict]:
    return [main_buttons(is_manager)] + ([] if is_manager else [member_note(managers)])


def totals(summary: Summary) -> dict:
    counts = [f"*{summary.total}* numbers"] + [
        f"{STATUS_ICONS[s]} {label}: *{summary.by_status.get(s, 0)}*"
        for s, label in STATUS_LABELS.items()
    ]
    return B.fields(
        [
            " · ".join(counts[:2]),
            " · ".join(counts[2:4]),
            " · ".join(counts[4:]),
            f"*{summary.addresses}* addresses · *{summary.groups}* groups · "
            f"*{summary.campaigns}* campaigns",
            delivery_counts(summary),
        ]
    )


def delivery_counts(summary: Summary) -> str:
    """Whether calls get through, over the campaigns' numbers (a number counts once)."""
    line = (
        f"Calls: {DELIVERY_ICONS['blocked']} Blocked in a campaign: *{summary.blocked}* · "
        f"{DELIVERY_ICONS['restricted']} Restricted: *{summary.restricted}*"
    )
    if summary.blocked or summary.restricted:
        line += " (`/numbers list blocked`)" if summary.blocked else " (`/numbers list restricted`)"
    return line


def attention_blocks(
    attention: list[NumberInfo], per_status: int = PER_STATUS, can_fix: bool = True
) -> list[dict]:
    """Needing-attention numbers grouped by verdict, a few of each (bounded block count);
    ``can_fix``: with the buttons that fix them (managers only: a member's click would be
    refused)."""
    blocks: list[dict] = []
    for status, label in STATUS_LABELS.items():
        if status == "ok":
            continue
        group = [i for i in attention if i.verdict.status == status]
        if not group:
            continue
        lines = [f"*{STATUS_ICONS[status]} {label} ({len(group)})*"]
        lines += [f"• {number_line(i)}" for i in group[:per_status]]
        if len(group) > per_status:
            lines.append(f"… and {len(group) - per_status} more: `/numbers list attention`")
        blocks += B.sections(lines, limit=3)
        fixes = can_fix and fixes_for(group[:per_status])  # the buttons that fix them
        if fixes:
            blocks.append(fixes)
    return blocks


def home_view(
    summary: Summary,
    attention: list[NumberInfo],
    extra: list[dict] | None = None,
    notify_channel: str | None = None,
    is_manager: bool = True,
    managers: list[str] | None = None,
) -> dict:
    blocks = [B.header("Caller-ID numbers"), totals(summary)]
    blocks += role_blocks(is_manager, managers or [])
    blocks.append(B.divider())
    if attention:
        blocks.append(B.header(f"Needing attention: {len(attention)}"))
        blocks += attention_blocks(attention, can_fix=is_manager)
    else:
        blocks.append(B.section(":white_check_mark: Every number has the address it needs."))
    blocks += extra or []
    if not notify_channel:
        blocks.append(
            B.context(
                "No notification channel is set: set NUMBERS_NOTIFY_CHANNEL to a channel id "
                "to get the daily digest and change alerts there."
            )
        )
    return {"type": "home", "blocks": blocks[: L.MAX_VIEW_BLOCKS]}


def overview(
    summary: Summary,
    attention: list[NumberInfo],
    is_manager: bool = True,
    managers: list[str] | None = None,
) -> list[dict]:
    blocks = [B.header("Caller-ID numbers"), totals(summary)]
    if attention:
        blocks += attention_blocks(attention, per_status=3, can_fix=is_manager)
    blocks += role_blocks(is_manager, managers or [])
    blocks.append(B.context("`/numbers help` lists every subcommand."))
    return blocks
