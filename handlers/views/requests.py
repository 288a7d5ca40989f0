"""Views about purchase requests and mandates, and the audit log."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.core.model import Address, AuditEntry, Request
from bot.core.phone import KIND_LABELS, country_phrase, format_number
from bot.core.requests import MAX_QUANTITY, PURCHASE_KINDS, Decision, remaining_of
from handlers import blocks as B
from handlers import ids
from handlers import slack_limits as L
from handlers.mrkdwn import Mrkdwn, join, md, user
from handlers.views.addresses import country_option, country_option_groups
from handlers.views.numbers import number_line

STATUS_ICONS = {
    "pending": ":hourglass_flowing_sand:",
    "approved": ":white_check_mark:",
    "fulfilled": ":tada:",
    "rejected": ":no_entry_sign:",
}
AUDIT_PAGE = 20
MAX_LISTED_PENDING = 15  # two blocks each: stays well under a message's 50 blocks


def kind_option(kind: str) -> dict:
    return B.option(KIND_LABELS[kind], kind)


def _selected(state: dict, block_id: str) -> dict | None:
    """The option chosen in a select of a submitted/updated view's state, as Slack sent it."""
    for element in (state.get(block_id) or {}).values():
        option = element.get("selected_option")
        if option:
            return {"text": option["text"], "value": option["value"]}
    return None


def _typed(state: dict, block_id: str) -> str | None:
    for element in (state.get(block_id) or {}).values():
        return element.get("value") or None
    return None


def buy_modal(state: dict | None = None, warning: str | None = None) -> dict:
    """The purchase form; ``state`` (view.state.values) keeps what was filled in when the
    form is redrawn with a ``warning`` about the chosen address."""
    state = state or {}
    country = _selected(state, "country")
    country = country_option(country["value"]) if country else None
    country_input = B.input_block(
        "country",
        "Country",
        B.static_select(
            ids.BUY_COUNTRY,
            option_groups=list(country_option_groups()),
            initial=country,
            placeholder="Type a country",
        ),
    )
    kind_input = B.input_block(
        "kind",
        "Kind",
        B.static_select(
            ids.BUY_KIND,
            [kind_option(k) for k in PURCHASE_KINDS],
            initial=_selected(state, "kind"),
        ),
    )
    address_input = B.input_block(
        "address",
        "Address",
        B.external_select(
            ids.REQUEST_ADDRESS, initial=_selected(state, "address"), placeholder="Type a name"
        ),
        hint="The numbers will be linked to this address when they arrive.",
    )
    for block in (country_input, kind_input, address_input):
        block["dispatch_action"] = True  # a choice redraws the form with the address check
    blocks = [
        country_input,
        kind_input,
        B.input_block(
            "area",
            "Area or prefix",
            B.text_input(
                "area", _typed(state, "area"), placeholder="89 or München", max_length=100
            ),
            optional=True,
            hint="For local numbers: a place or the prefix (digits). Other kinds: a prefix or "
            "nothing.",
        ),
        B.input_block(
            "quantity",
            "Quantity",
            B.text_input("quantity", _typed(state, "quantity") or "1", max_length=3),
            hint=f"1 to {MAX_QUANTITY}.",
        ),
        address_input,
    ]
    if warning:
        blocks.append(
            B.context(
                md(
                    ":warning: *This address cannot satisfy the rules:* {}. "
                    "Choose another address, or say why in the reason.",
                    warning,
                )
            )
        )
        blocks[-1]["block_id"] = "address_warning"
    blocks.append(
        B.input_block(
            "reason",
            "Reason",
            B.text_input("reason", _typed(state, "reason"), multiline=True, max_length=500),
            hint="Why the numbers are needed (the approving manager reads this).",
        )
    )
    return B.modal(ids.BUY_FORM, "Buy numbers", blocks, submit="Send request")


def mandate_modal() -> dict:
    def text(block_id: str, label: str, hint: str | None = None) -> dict:
        return B.input_block(block_id, label, B.text_input(block_id, max_length=200), hint=hint)

    return B.modal(
        ids.MANDATE_FORM,
        "Mandate numbers",
        [
            B.section(
                "A mandate lets the platform use numbers the company already owns. "
                "A manager approves it; the numbers then enter the inventory."
            ),
            B.input_block(
                "numbers",
                "Numbers",
                B.text_input(
                    "numbers",
                    multiline=True,
                    placeholder="+49 89 1234567\n+49 30 1234567",
                    max_length=L.MAX_INPUT_LENGTH,
                ),
                hint="One per line or separated by commas, in any common format.",
            ),
            text("company", "Company legal name", "The company that holds the numbers."),
            text("business_id", "Business id", "Its registration or VAT number."),
            text("signatory_name", "Signatory name", "Who signs the mandate for the company."),
            text("signatory_title", "Signatory title"),
            B.input_block(
                "address",
                "Address",
                B.external_select(ids.REQUEST_ADDRESS, placeholder="Type a name"),
                hint="The numbers will be linked to this address.",
            ),
        ],
        submit="Send mandate",
    )


def reject_modal(request: Request) -> dict:
    return B.modal(
        ids.REQUEST_REJECT_FORM,
        "Reject request",
        [
            B.section(f"Reject request *{request.id}* of {user(request.requested_by)}?"),
            B.input_block(
                "reason",
                "Reason",
                B.text_input("reason", multiline=True, max_length=500),
                hint="The requester is told this reason.",
            ),
        ],
        submit="Reject",
        metadata={"request_id": request.id},
    )


KEEP_OPEN, CLOSE = "keep_open", "close"


def fulfil_modal(request: Request, address: Address | None) -> dict:
    remaining = remaining_of(request)
    keep = B.option("Keep the request open for the rest", KEEP_OPEN)
    choices = [keep, B.option("Close the request: no more numbers will come", CLOSE)]
    numbers_hint = (
        f"The numbers the carrier allocated, one per line: up to {remaining}. "
        "Fewer is fine: choose below whether more will come."
    )
    return B.modal(
        ids.REQUEST_FULFIL_FORM,
        "Fulfil request",
        [
            B.section("\n".join(summary_lines(request, address))),
            B.input_block(
                "numbers",
                "Allocated numbers",
                B.text_input(
                    "numbers",
                    multiline=True,
                    placeholder="+49 89 1234567\n+49 89 1234568",
                    max_length=L.MAX_INPUT_LENGTH,
                ),
                optional=bool(request.numbers),  # closing after a partial delivery
                hint=numbers_hint,
            ),
            B.input_block(
                "when_fewer",
                "If fewer than requested",
                {
                    "type": "radio_buttons",
                    "action_id": "when_fewer",
                    "options": choices,
                    "initial_option": keep,
                },
                hint="Only matters when fewer numbers arrive than are still to come.",
            ),
        ],
        submit="Add numbers",
        metadata={"request_id": request.id},
    )


def status_text(request: Request) -> str:
    """The request's state for a person, with what a partial delivery brought."""
    if request.kind != "purchase" or not request.numbers:
        return f"*{request.status}*"
    quantity = int(request.details.get("quantity", 0))
    delivered = len(request.numbers)
    if request.status == "approved":
        return (
            f"*partially fulfilled* ({delivered} of {quantity} delivered, "
            f"{quantity - delivered} still to come)"
        )
    if request.status == "fulfilled" and delivered < quantity:
        return f"*fulfilled* (closed with {delivered} of {quantity} delivered)"
    return f"*{request.status}*"


def _what(request: Request) -> Mrkdwn:
    d = request.details
    if request.kind == "mandate":
        numbers = B.plural(len(d.get("numbers", [])), "number")
        return md("mandate for {} of *{}*", numbers, d.get("company"))
    kind = KIND_LABELS.get(d.get("kind", ""), d.get("kind", "")).lower()
    area = ""
    if d.get("area") or d.get("prefixes"):
        shown = d.get("area") or ", ".join(d.get("prefixes", [])[:3])
        area = md(", area {}", shown)
    return md(
        "purchase of {} {} number{} in {}{}",
        d.get("quantity"),
        kind,
        "" if d.get("quantity") == 1 else "s",
        country_phrase(d.get("country", "")),
        area,
    )


def summary_lines(request: Request, address: Address | None) -> list[str]:
    d = request.details
    icon = STATUS_ICONS.get(request.status, "")
    lines = [
        f"{icon} *{request.id}* · {_what(request)} · from {user(request.requested_by)} · "
        f"{status_text(request)}",
        "Address: "
        + (md("*{}* ({})", address.name, address.one_line()) if address else "_no longer exists_"),
    ]
    if request.kind == "mandate":
        numbers = d.get("numbers", [])
        shown = ", ".join(format_number(n) for n in numbers[:10])
        more = f" and {len(numbers) - 10} more" if len(numbers) > 10 else ""
        lines += [
            f"Numbers: {shown}{more}",
            md(
                "Business id: {} · Signatory: {}, {}",
                d.get("business_id"),
                d.get("signatory_name"),
                d.get("signatory_title"),
            ),
        ]
    else:
        lines.append(md("Reason: _{}_", d.get("reason", "")))
    if d.get("warning"):
        lines.append(md(":warning: {}", d["warning"]))
    if request.decided_by:
        verb = "Rejected" if request.status == "rejected" else "Approved"
        line = f"{verb} by {user(request.decided_by)} on {slack_date(request.decided_at)}"
        if request.reason:
            line += md(": _{}_", request.reason)
        lines.append(line)
    if request.status == "fulfilled":
        lines.append(
            f"Fulfilled: {B.plural(len(request.numbers), 'number')} entered the inventory."
        )
    return lines


def decision_buttons(request: Request) -> dict | None:
    if request.status == "pending":
        return B.actions(
            B.button("Approve", ids.REQUEST_APPROVE, request.id, "primary"),
            B.button("Reject", ids.REQUEST_REJECT, request.id, "danger"),
            block_id=f"decide_{request.id}",
        )
    if request.status == "approved" and request.kind == "purchase":
        return B.actions(
            B.button("Enter allocated numbers", ids.REQUEST_FULFIL, request.id, "primary"),
            block_id=f"fulfil_{request.id}",
        )
    return None


def request_blocks(request: Request, address: Address | None, can_decide: bool) -> list[dict]:
    blocks = B.sections(summary_lines(request, address))
    buttons = decision_buttons(request) if can_decide else None
    return blocks + ([buttons] if buttons else [])


def request_message(request: Request, address: Address | None) -> tuple[list[dict], str]:
    """The announcement in the notify channel (buttons while a decision is open)."""
    title = "Purchase request" if request.kind == "purchase" else "Mandate"
    text = f"{title} {request.id}"
    return [B.header(text)] + request_blocks(request, address, True), text


def requests_list(
    pending: list[Request],
    recent: list[Request],
    addresses: dict[str, Address],
    can_decide: bool,
) -> tuple[list[dict], str]:
    blocks = [B.header("Requests")]
    if not pending:
        blocks.append(B.section("No request waits for a decision."))
    for r in pending[:MAX_LISTED_PENDING]:
        blocks += request_blocks(r, addresses.get(r.details.get("address_id", "")), can_decide)
    if len(pending) > MAX_LISTED_PENDING:
        blocks.append(B.context(f"… and {len(pending) - MAX_LISTED_PENDING} more waiting."))
    if recent:
        blocks.append(B.divider())
        lines = ["*Recently decided*"]
        for r in recent:
            line = f"{STATUS_ICONS.get(r.status, '')} *{r.id}* · {_what(r)} · {status_text(r)}"
            if r.decided_by:
                line += f" by {user(r.decided_by)}"
            if r.reason:
                line += md(": _{}_", r.reason[:100])
            lines.append(line)
        blocks += B.sections(lines, limit=3)
    text = f"Requests: {len(pending)} open"
    return blocks, text


def decision_lines(decision: Decision) -> list[str]:
    r = decision.request
    if r.status == "rejected":
        return [md("Request *{}* rejected: _{}_. The requester was told.", r.id, r.reason)]
    if r.status == "approved" and not r.numbers:
        return [f"Request *{r.id}* approved. Enter the numbers the carrier allocated."]
    added = B.plural(len(decision.added), "number")
    if r.status == "approved":
        lines = [
            f"Request *{r.id}*: {added} entered the inventory; {remaining_of(r)} still to "
            "come. The request stays open: press *Enter allocated numbers* again when they "
            "arrive."
        ]
    elif r.kind == "purchase" and len(r.numbers) < int(r.details.get("quantity", 0)):
        lines = [
            f"Request *{r.id}* closed: {added} entered the inventory now, "
            f"{len(r.numbers)} of {r.details.get('quantity')} delivered in all."
        ]
    else:
        lines = [
            f"Request *{r.id}* fulfilled: {B.plural(len(decision.added), 'number')} "
            "entered the inventory."
        ]
    if decision.note:
        lines.append(md(":warning: {}", decision.note))
    lines += [f"• {number_line(i)}" for i in decision.added[:30]]
    if len(decision.added) > 30:
        lines.append(f"… and {len(decision.added) - 30} more (`/numbers list`).")
    return lines


def requester_notice(request: Request) -> str:
    """The DM that tells the requester what was decided."""
    what = _what(request)
    if request.status == "rejected":
        return md(
            "Your request *{}* ({}) was rejected by {}: _{}_",
            Mrkdwn(request.id),
            Mrkdwn(what),
            user(request.decided_by),
            request.reason,
        )
    if request.status == "approved" and not request.numbers:
        return (
            f"Your request *{request.id}* ({what}) was approved by {user(request.decided_by)}. "
            "You will hear again when the numbers arrive."
        )
    shown = ", ".join(format_number(n) for n in request.numbers[:20])
    more = f" and {len(request.numbers) - 20} more" if len(request.numbers) > 20 else ""
    if request.status == "approved":
        return (
            f"Your request *{request.id}* ({what}) is partially fulfilled: {shown}{more} "
            f"entered the inventory; {remaining_of(request)} still to come."
        )
    if remaining_of(request):
        return (
            f"Your request *{request.id}* ({what}) is closed with {len(request.numbers)} of "
            f"{request.details.get('quantity')} numbers: {shown}{more} entered the inventory."
        )
    return (
        f"Your request *{request.id}* ({what}) is fulfilled: {shown}{more} entered the inventory."
    )


# --------------------------------------------------------------------------- audit

USER_KEYS = {
    "who",
    "created_by",
    "added_by",
    "requested_by",
    "decided_by",
    "area_confirmed_by",
    "slack_user",
    "user_id",
}
TIME_KEYS = {"at", "decided_at"}
NUMBER_KEYS = {"numbers", "caller_id", "e164"}
ID_KEYS = {"address_id", "groups"}  # ids of other objects: shown by their names


def slack_date(iso: str | None) -> str:
    """A stored time in each reader's own time zone (Slack's date formatting); the
    fallback, for clients that cannot format it, is the UTC time."""
    if not iso:
        return "–"
    try:
        when = datetime.fromisoformat(str(iso))
    except ValueError:
        return md("{}", iso)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    fallback = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def entry_names(entries: list[AuditEntry]) -> dict[str, str]:
    """Names of objects as the audit entries recorded them (id -> name, the newest first
    seen): how a deleted address or group is still named."""
    found: dict[str, str] = {}
    for e in entries:
        for data in (e.after, e.before):
            if data and isinstance(data.get("id"), str) and isinstance(data.get("name"), str):
                found.setdefault(data["id"], data["name"])
    return found


def referenced_ids(entries: list[AuditEntry]) -> set[str]:
    """Ids of other objects the entries' changes mention (addresses, groups)."""
    ids: set[str] = set()
    for e in entries:
        for data in (e.before, e.after):
            for key in ID_KEYS & set(data or ()):
                value = data[key]
                ids.update(v for v in (value if isinstance(value, list) else [value]) if v)
    return ids


def _one(key: str, value: object, labels: dict[str, str]) -> str:
    text = str(value)
    if key in USER_KEYS:
        return user(text)
    if key in TIME_KEYS:
        return slack_date(text)
    if key in NUMBER_KEYS and text.startswith("+"):
        return format_number(text)
    if key in ID_KEYS:
        name = labels.get(text)
        what = "address" if key == "address_id" else "group"
        return md("*{}*", name) if name is not None else f"_a deleted {what}_"
    return md("{}", text[:80] + ("…" if len(text) > 80 else ""))


def _value(value: object, key: str = "", labels: dict[str, str] | None = None) -> str:
    labels = labels or {}
    if isinstance(value, list):
        more = " …" if len(value) > 5 else ""
        return "[" + ", ".join(_one(key, v, labels) for v in value[:5]) + more + "]"
    if value in (None, ""):
        return "–"
    return _one(key, value, labels)


_KEY_LABELS = {"address_id": "address"}
_SKIP = {"id", "updated_at", "created_at", "added_at", "area_names", "details", "requested_at"}


def changes(before: dict | None, after: dict | None, labels: dict[str, str] | None = None) -> str:
    """before → after, for the fields that differ (a summary for a creation or deletion);
    ids of addresses and groups as their names (``labels``), users as mentions, times in
    the reader's time zone."""
    label = _KEY_LABELS.get
    if before and after:
        keys = [k for k in {**before, **after} if k not in _SKIP]
        parts = [
            f"{label(k, k)}: {_value(before.get(k), k, labels)} → {_value(after.get(k), k, labels)}"
            for k in keys
            if before.get(k) != after.get(k)
        ]
        return "; ".join(parts) or "no visible change"
    data = after or before or {}
    parts = [
        f"{label(k, k)}: {_value(v, k, labels)}"
        for k, v in data.items()
        if k not in _SKIP and v not in (None, "", [])
    ]
    summary = ", ".join(parts[:6])
    return f"→ {summary}" if after else f"{summary} → deleted"


SOURCE_WORDS = {
    "slack": "typed in Slack",
    "import": "imported",
    "csv": "from a CSV file",
    "purchase": "bought through a purchase request",
    "mandate": "under a mandate",
}
_FIELD_WORDS = {
    "customer_name": "customer",
    "postal_code": "postal code",
    "address_id": "address",
    "caller_id": "caller ID",
    "area_confirmed_by": "area confirmed by",
}


def _num(e164: object) -> str:
    text = str(e164 or "")
    return f"*{format_number(text)}*" if text.startswith("+") else md("*{}*", text)


def _numbers(values: list | None, limit: int = 5) -> str:
    values = list(values or [])
    shown = ", ".join(format_number(str(v)) for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def _named(kind: str, subject: str, data: dict | None, labels: dict[str, str]) -> str:
    name = labels.get(subject) or (data or {}).get("name")
    return md("the {} *{}*", kind, name) if name else f"a {kind} that no longer exists"


def _address_name(address_id: object, labels: dict[str, str]) -> str:
    if not address_id:
        return ""
    name = labels.get(str(address_id))
    return md("*{}*", name) if name is not None else "_a deleted address_"


def _membership(before: dict, after: dict, labels: dict[str, str]) -> str:
    """What an edit of a group or campaign changed, in words."""
    parts = []
    if before.get("name") != after.get("name"):
        parts.append(md("renamed it from *{}*", before.get("name")))
    old, new = before.get("numbers") or [], after.get("numbers") or []
    added = [n for n in new if n not in old]
    removed = [n for n in old if n not in new]
    if added:
        parts.append(f"added {_numbers(added)}")
    if removed:
        parts.append(f"took out {_numbers(removed)}")
    old_g, new_g = before.get("groups") or [], after.get("groups") or []
    for verb, group_ids in (
        ("added", [g for g in new_g if g not in old_g]),
        ("took out", [g for g in old_g if g not in new_g]),
    ):
        if group_ids:
            names = ", ".join(
                md("*{}*", labels[g]) if g in labels else "_a deleted group_" for g in group_ids[:5]
            )
            parts.append(f"{verb} the group{'s' if len(group_ids) > 1 else ''} {names}")
    return "; ".join(parts) or "saved it unchanged"


def _fields_changed(before: dict, after: dict) -> str:
    parts = []
    for key in after:
        if key in _SKIP or key in ("created_by",) or before.get(key) == after.get(key):
            continue
        old, new = before.get(key) or "–", after.get(key) or "–"
        parts.append(
            md("{} {} → {}", Mrkdwn(_FIELD_WORDS.get(key, key)), str(old)[:80], str(new)[:80])
        )
    return "; ".join(parts) or "nothing visible"


def _request_words(data: dict) -> str:
    d = data.get("details") or {}
    if data.get("kind") == "mandate":
        count = len(d.get("numbers") or [])
        return md("a mandate for {} of *{}*", Mrkdwn(B.plural(count, "number")), d.get("company"))
    kind = KIND_LABELS.get(d.get("kind", ""), d.get("kind", "")).lower()
    area = md(" ({})", d["area"]) if d.get("area") else ""
    return (
        f"to buy {d.get('quantity')} {kind} number{'s' if d.get('quantity') != 1 else ''} in "
        f"{country_phrase(d.get('country', ''))}{area}"
    )


def describe(entry: AuditEntry, labels: dict[str, str]) -> str:
    """An audit entry as a sentence a team lead reads: who did what to which thing."""
    who = user(entry.who) if not entry.who.startswith("cli:") else "The command line"
    before, after = entry.before or {}, entry.after or {}
    action, subject = entry.action, entry.subject
    if action == "number.add":
        how = SOURCE_WORDS.get(after.get("source", ""), "")
        text = f"{who} added {_num(subject)}" + (f" ({how})" if how else "")
        if after.get("address_id"):
            text += f", linked to {_address_name(after['address_id'], labels)}"
        if after.get("label"):
            text += md(", labelled “{}”", after["label"])
        return text
    if action == "number.remove":
        return f"{who} removed {_num(subject)} from the inventory"
    if action == "number.link":
        text = f"{who} linked {_num(subject)} to {_address_name(after.get('address_id'), labels)}"
        if before.get("address_id"):
            text += f" (it was linked to {_address_name(before['address_id'], labels)})"
        return text
    if action == "number.unlink":
        was = _address_name(before.get("address_id"), labels) or "its address"
        return f"{who} unlinked {_num(subject)} from {was}"
    if action == "number.confirm_area":
        return f"{who} confirmed by hand that the address of {_num(subject)} lies in its area"
    if action == "number.unconfirm_area":
        return f"The hand confirmation of {_num(subject)}'s area lapsed: {who} changed its address"
    if action.startswith(("address.", "group.", "campaign.", "agent.")):
        kind, verb = action.split(".", 1)
        thing = _named(kind, subject, after or before, labels)
        if verb == "create" and kind == "address":
            where = join(", ", (str(after.get(k)) for k in ("city", "country") if after.get(k)))
            return f"{who} created {thing}" + (f" ({where})" if where else "")
        if verb == "create" and kind in ("group", "campaign"):
            count = len(after.get("numbers") or [])
            groups = len(after.get("groups") or [])
            extra = f" and {B.plural(groups, 'group')}" if groups else ""
            return f"{who} created {thing} with {B.plural(count, 'number')}{extra}"
        if verb == "create" and kind == "agent":
            own = f" presenting {_num(after['caller_id'])}" if after.get("caller_id") else ""
            return f"{who} added {thing}{own}"
        if verb == "delete":
            return f"{who} deleted {thing}"
        if verb == "edit" and kind == "address":
            return f"{who} changed {thing}: {_fields_changed(before, after)}"
        if verb == "edit":
            return f"{who} changed {thing}: {_membership(before, after, labels)}"
        if verb == "callerid":
            if after.get("caller_id"):
                was = f" (was {_num(before['caller_id'])})" if before.get("caller_id") else ""
                return f"{who} set {thing}'s own caller ID to {_num(after['caller_id'])}{was}"
            return f"{who} cleared {thing}'s own caller ID"
    if action == "access.grant":
        return f"{who} gave {user(subject)} the manager role"
    if action == "access.revoke":
        return f"{who} took the granted manager role from {user(subject)}"
    if action == "setting.self_approve":
        if after.get("self_approve"):
            return f"{who} allowed managers to approve their own requests"
        return f"{who} required another manager to approve a manager's own requests"
    request = md("request *{}*", subject)
    if action in ("request.purchase", "request.mandate"):
        return f"{who} asked {_request_words(after)} ({request})"
    if action == "request.approve":
        return f"{who} approved {request}"
    if action == "request.reject":
        return md("{} rejected {}: _{}_", Mrkdwn(who), request, after.get("reason", ""))
    if action == "request.fulfil":
        numbers = after.get("numbers") or []
        text = f"{who} entered {B.plural(len(numbers), 'number')} for {request}"
        text += f" ({_numbers(numbers)})" if numbers else ""
        if after.get("status") == "fulfilled":
            missing = after.get("remaining") or 0
            if missing:
                return text + f"; closed it with {missing} not delivered"
            return text + "; it is fulfilled"
        if after.get("remaining"):
            return text + f"; {after['remaining']} still to come"
        return text
    return md(
        "{} · {} · {} · {}", Mrkdwn(who), action, subject, Mrkdwn(changes(before, after, labels))
    )


def audit_blocks(
    entries: list[AuditEntry],
    title: str,
    page: int,
    more: bool,
    labels: dict[str, str] | None = None,
    subject: str = "",
) -> tuple[list[dict], str]:
    """One page of the audit log, newest first: a sentence per entry, and Previous/Next
    buttons (``more``: older entries exist). ``labels``: plain names of objects by id
    (current ones win over recorded ones)."""
    blocks = [B.header(title)]
    if not entries and page == 1:
        return blocks + [B.section("No changes recorded yet.")], title
    known = {**entry_names(entries), **(labels or {})}
    first = (page - 1) * AUDIT_PAGE + 1
    last = first + len(entries) - 1
    if page == 1 and not more:
        counted = B.plural(len(entries), "entry", "entries")
        note = f"{counted}, newest first"
    elif not more:
        note = f"Entries {first}–{last} of {last}, newest first"
    else:
        note = f"Entries {first}–{last}, newest first · older ones: *Next*"
    blocks.append(B.context(note))
    lines = [f"{slack_date(e.at)} · {describe(e, known)[:900]}" for e in entries]
    blocks += B.sections(lines)
    buttons = []
    if page > 1:
        buttons.append(B.button("Previous", ids.AUDIT_NEWER, _page_value(subject, page - 1)))
    if more:
        buttons.append(B.button("Next", ids.AUDIT_OLDER, _page_value(subject, page + 1)))
    if buttons:
        blocks.append(B.actions(*buttons, block_id="audit_pages"))
    return blocks, f"{title}: {note}"


def _page_value(subject: str, page: int) -> str:
    return json.dumps({"subject": subject[:500], "page": page})
