"""New numbers in Slack: `/numbers buy | mandate | requests`, the approval buttons and forms;
`/numbers audit` and `/numbers export`."""

from __future__ import annotations

import contextlib
import json
import logging

from bot.core.agents import Agents
from bot.core.errors import DomainError
from bot.core.model import Request
from bot.core.phone import format_number
from bot.core.requests import AlreadyDecided, Decision, OwnRequest, Requests
from bot.core.text import fold
from handlers import blocks as B
from handlers import ids
from handlers import slack_limits as L
from handlers.interactions import on_action, on_options, on_submit, tell
from handlers.mrkdwn import md, user
from handlers.numbers import split_pasted
from handlers.router import Call, Later, OpenModal, Reply, UsageError, subcommand
from handlers.views import requests as V
from handlers.views.numbers import result_modal

log = logging.getLogger(__name__)


def _service(session) -> Requests:
    return Requests(session.inventory)


def already_decided(request: Request) -> str:
    """What a second click on a decided request answers."""
    who = user(request.decided_by) if request.decided_by else "someone"
    return (
        f":information_source: Request *{request.id}* is already decided by {who} "
        f"({request.status}). Nothing changed."
    )


# --------------------------------------------------------------------------- subcommands


@subcommand("buy", "buy", "buy", "ask to purchase new numbers (a form; a manager approves)")
def buy(call: Call) -> OpenModal:
    _service(call.session).check_rate(call.session.user_id)
    return OpenModal(V.buy_modal())


@subcommand("mandate", "mandate", "mandate", "file a mandate for numbers the company already owns")
def mandate(call: Call) -> OpenModal:
    _service(call.session).check_rate(call.session.user_id)
    return OpenModal(V.mandate_modal())


def known_managers(session) -> set[str]:
    """Managers by user id: NUMBERS_MANAGERS and the granted ones (admins are asked of
    Slack per person, so they are not listed)."""
    return set(session.roles.managers) | session.inventory.grants()


def own_request_text(exc: OwnRequest) -> str:
    others = ", ".join(user(m) for m in exc.others[:10])
    return (
        f":raised_hand: You asked for request *{exc.request.id}* yourself, so another manager "
        f"approves it: {others}. (A manager can allow approving one's own requests with "
        "`/numbers access self-approve on`.)"
    )


@subcommand("requests", "requests", "requests", "open and recent requests; managers decide")
def list_requests(call: Call) -> Reply:
    if call.words:
        raise UsageError("requests", "`/numbers requests` takes no words.")
    service = _service(call.session)
    blocks, text = V.requests_list(
        service.pending(),
        service.recent(),
        call.inventory.views().addresses,
        call.actor.is_manager,
    )
    return Reply(text, blocks)


def _labels(inventory) -> dict[str, str]:
    """Plain names of addresses, groups, campaigns and agents by id, as they are now."""
    views = inventory.views()
    labels = {
        item_id: item.name
        for items in (views.addresses, views.groups, views.campaigns)
        for item_id, item in items.items()
    }
    labels.update((v.agent.id, v.agent.name) for v in Agents(inventory).all())
    return labels


def audit_reply(session, subject: str, page: int) -> Reply:
    """One page of the audit log (about ``subject``), newest first."""
    service = _service(session)
    entries, more = service.audit_page(subject or None, page, V.AUDIT_PAGE)
    if subject:
        shown = subject
        if subject[:1] in "+0123456789":
            with contextlib.suppress(DomainError):
                shown = format_number(session.inventory.number_key(subject))
        title = f"Audit: {shown}"
    else:
        title = "Audit log"
    labels = _labels(session.inventory)
    subjects = {e.subject for e in entries if not e.subject.startswith(("+", "R", "U", "W"))}
    missing = (V.referenced_ids(entries) | subjects) - labels.keys()
    missing -= V.entry_names(entries).keys()
    if missing:  # deleted objects: their names as the log last recorded them
        labels = {**service.recorded_names(missing), **labels}
    blocks, text = V.audit_blocks(entries, title[: L.MAX_HEADER_TEXT], page, more, labels, subject)
    return Reply(text, blocks)


@subcommand(
    "audit",
    "audit [NUMBER|NAME|REQUEST]",
    'audit "HQ Munich"',
    "who changed what, newest first (an address: also its numbers)",
)
def audit(call: Call) -> Reply:
    positional, named = call.options()
    unknown = set(named) - {"page"}
    if unknown:
        raise UsageError("audit", f"I don't know the option {sorted(unknown)[0]}=.")
    return audit_reply(call.session, " ".join(positional).strip(), call.page(named))


@subcommand("export", "export", "export", "a CSV of the inventory, sent to you")
def export(call: Call) -> Later:
    inventory, client, user_id = call.inventory, call.client, call.session.user_id

    def work() -> Reply:
        content = inventory.csv.export_csv()
        rows = max(0, content.count("\n") - 1)
        channel = client.conversations_open(users=user_id)["channel"]["id"]
        client.files_upload_v2(
            channel=channel,
            content=content,
            filename="numbers.csv",
            title="numbers.csv",
            initial_comment=f"The inventory: {B.plural(rows, 'number')}.",
        )
        return Reply(f"Sent *numbers.csv* ({B.plural(rows, 'number')}) to your direct messages.")

    return Later("Preparing the CSV…", work)


# --------------------------------------------------------------------------- notifications
# The channel post with the buttons, the requester's DMs and the edit of the post are
# recorded in the outbox by the request's own transaction (bot.notify) and posted by
# the notification worker (handlers.notifications): a failed post is retried later.


def _pending_on_home(session) -> list[dict]:
    waiting = _service(session).pending()
    if not waiting:
        return []
    return [
        B.section(
            f":inbox_tray: *{B.plural(len(waiting), 'request')}* "
            f"{'waits' if len(waiting) == 1 else 'wait'} for a decision or for numbers: "
            "`/numbers requests`."
        )
    ]


# --------------------------------------------------------------------------- wiring


def register(app, registry, settings) -> None:
    notify_channel = settings.notify_channel
    registry.commands.add(buy, mandate, list_requests, audit, export)
    registry.home_sections.append(_pending_on_home)

    @on_submit(app, ids.BUY_FORM)
    def _buy(session, view, values, body, client):
        service = _service(session)
        request = service.create_purchase(session.actor, values)
        return _sent(client, service, request, notify_channel, settings.managers)

    @on_submit(app, ids.MANDATE_FORM)
    def _mandate(session, view, values, body, client):
        service = _service(session)
        fields = dict(values)
        fields["numbers"] = [text for _, text in split_pasted(values.get("numbers", ""))]
        request = service.create_mandate(session.actor, fields)
        return _sent(client, service, request, notify_channel, settings.managers)

    def _refresh(session, action, body, client, respond):
        view = body.get("view") or {}
        if view.get("callback_id") != ids.BUY_FORM:
            return
        warning = _service(session).draft_warning(B.form(view))
        state = (view.get("state") or {}).get("values", {})
        client.views_update(
            view_id=view["id"], hash=view.get("hash"), view=V.buy_modal(state, warning)
        )

    for action_id in (ids.BUY_COUNTRY, ids.BUY_KIND, ids.REQUEST_ADDRESS):
        on_action(app, action_id)(_refresh)

    @on_options(app, ids.REQUEST_ADDRESS)
    def _addresses(session, text, body):
        wanted = fold(text)  # "zur" finds "Zürich office", as in handlers.numbers
        found = [a for a in session.inventory.address_list() if wanted in fold(a.name)]
        return [B.option(a.name, a.id, f"{a.city}, {a.country}") for a in found[:100]]

    def _audit_page(session, action, body, client, respond):
        try:
            wanted = json.loads(action.get("value") or "{}")
            subject, page = str(wanted.get("subject", "")), max(1, int(wanted.get("page", 1)))
        except (ValueError, TypeError, AttributeError):
            subject, page = "", 1
        reply = audit_reply(session, subject, page)
        respond(**{**reply.payload(), "replace_original": True})

    for action_id in (ids.AUDIT_NEWER, ids.AUDIT_OLDER):
        on_action(app, action_id)(_audit_page)

    @on_action(app, ids.OPEN_BUY)
    def _open_buy(session, action, body, client, respond):
        _service(session).check_rate(session.user_id)
        client.views_open(trigger_id=body["trigger_id"], view=V.buy_modal())

    @on_action(app, ids.OPEN_MANDATE)
    def _open_mandate(session, action, body, client, respond):
        _service(session).check_rate(session.user_id)
        client.views_open(trigger_id=body["trigger_id"], view=V.mandate_modal())

    @on_action(app, ids.REQUEST_APPROVE)
    def _approve(session, action, body, client, respond):
        service = _service(session)
        try:
            decision = service.approve(
                session.actor, action.get("value") or "", known_managers(session)
            )
        except AlreadyDecided as exc:
            tell(body, client, respond, already_decided(exc.request))
            return
        except OwnRequest as exc:
            tell(body, client, respond, own_request_text(exc))
            return
        request = decision.request
        if request.status == "approved":  # a purchase: the manager enters the numbers now
            client.views_open(
                trigger_id=body["trigger_id"],
                view=V.fulfil_modal(request, service.address_of(request)),
            )
            if decision.note:
                tell({**body, "trigger_id": None}, client, respond, md("{}", decision.note))
        else:
            tell(body, client, respond, "\n".join(V.decision_lines(decision)))

    @on_action(app, ids.REQUEST_FULFIL)
    def _open_fulfil(session, action, body, client, respond):
        service = _service(session)
        request = service.get(action.get("value") or "")
        if request.status != "approved":
            tell(body, client, respond, already_decided(request))
            return
        view = V.fulfil_modal(request, service.address_of(request))
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @on_action(app, ids.REQUEST_REJECT)
    def _open_reject(session, action, body, client, respond):
        request = _service(session).get(action.get("value") or "")
        if request.status != "pending":
            tell(body, client, respond, already_decided(request))
            return
        client.views_open(trigger_id=body["trigger_id"], view=V.reject_modal(request))

    @on_submit(app, ids.REQUEST_REJECT_FORM)
    def _reject(session, view, values, body, client):
        service = _service(session)
        request_id = B.metadata(view).get("request_id", "")
        try:
            request = service.reject(session.actor, request_id, values.get("reason", ""))
        except AlreadyDecided as exc:
            return result_modal("Already decided", [B.section(already_decided(exc.request))])
        lines = V.decision_lines(Decision(request))
        return result_modal("Request rejected", B.sections(lines))

    @on_submit(app, ids.REQUEST_FULFIL_FORM)
    def _fulfil(session, view, values, body, client):
        service = _service(session)
        request_id = B.metadata(view).get("request_id", "")
        texts = [text for _, text in split_pasted(values.get("numbers", ""))]
        close = values.get("when_fewer") == V.CLOSE
        try:
            decision = service.fulfil(session.actor, request_id, texts, close=close)
        except AlreadyDecided as exc:
            return result_modal("Already decided", [B.section(already_decided(exc.request))])
        title = "Request fulfilled" if decision.request.status == "fulfilled" else "Numbers added"
        return result_modal(title, B.sections(V.decision_lines(decision)))


def _sent(
    client, service: Requests, request: Request, channel: str | None, managers=frozenset()
) -> dict:
    what = "Purchase request" if request.kind == "purchase" else "Mandate"
    lines = [
        f"{what} *{request.id}* is sent and waits for a manager's decision. "
        "You will get a direct message when it is decided."
    ]
    if channel:
        lines.append(f"It is posted to <#{channel}> for approval.")
    elif managers:
        shown = ", ".join(user(m) for m in sorted(managers))
        lines.append(f"It is sent to the managers ({shown}) as a direct message.")
    else:
        lines.append("Managers see it with `/numbers requests` and on the bot's Home tab.")
    if request.details.get("warning"):
        lines.append(md(":warning: {}", request.details["warning"]))
    return result_modal("Request sent", B.sections(lines))
