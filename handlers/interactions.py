"""Wrappers that give every button and form the same error handling, and the same
role check (``handlers.permissions``, before the function runs).

A DomainError becomes a message for the person: inline on the form field for a
view submission, an ephemeral reply (or a small modal where there is no message
to reply to) for a button. Anything else is logged with its traceback and
answered with a short apology.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.core.errors import DomainError, ValidationError
from handlers import blocks as B
from handlers import ids, permissions
from handlers import slack_limits as L
from handlers.mrkdwn import md
from handlers.router import APOLOGY, refusal

log = logging.getLogger(__name__)


def input_block_ids(view: dict) -> list[str]:
    return [b.get("block_id", "") for b in view.get("blocks", []) if b.get("type") == "input"]


def form_errors(exc: DomainError, view: dict) -> dict[str, str]:
    """Errors keyed by the input blocks of the view (block ids are the field names)."""
    inputs = input_block_ids(view)
    fallback = inputs[0] if inputs else "error"
    raw = exc.errors if isinstance(exc, ValidationError) else {exc.field or fallback: refusal(exc)}
    errors: dict[str, str] = {}
    for field, message in raw.items():
        block = field if field in inputs else fallback
        errors[block] = (errors.get(block, "") + " " + message).strip()[: L.MAX_INPUT_ERROR]
    return errors


def tell(body: dict, client, respond, text: str) -> None:
    """Tell the person who clicked something, wherever they clicked it."""
    if body.get("response_url"):
        respond(text=text, response_type="ephemeral", replace_original=False)
    else:
        if body.get("trigger_id"):
            notice = B.modal(ids.NOTICE, "numbers-bot", [B.section(text)], submit=None, close="OK")
            try:
                client.views_open(trigger_id=body["trigger_id"], view=notice)
                return
            except Exception:  # the trigger expired or was used: a direct message instead
                log.warning("could not show a notice in a modal", exc_info=True)
        client.chat_postMessage(channel=body["user"]["id"], text=text)


def _named_like(listener: Callable, fn: Callable) -> None:
    """Name the listener after fn for logs. Not functools.wraps: Bolt unwraps __wrapped__
    to decide which arguments to pass, and would pass fn's (session, …) to the listener."""
    listener.__name__ = getattr(fn, "__name__", listener.__name__)
    listener.__qualname__ = getattr(fn, "__qualname__", listener.__qualname__)


def on_submit(app, callback_id: str):
    """Register a view submission: fn(session, view, values, body, client) -> result view | None.

    Returning a view replaces the form with it (the confirmation); None closes the form.
    """

    def register(fn: Callable):
        def listener(ack, body, view, client, context):
            try:
                permissions.check(context["session"], permissions.VIEW, callback_id)
                result = fn(context["session"], view, B.form(view), body, client)
            except DomainError as exc:
                ack(response_action="errors", errors=form_errors(exc, view))
                return
            except Exception:
                log.exception("view submission %s failed", callback_id)
                ack(response_action="errors", errors=form_errors(DomainError(APOLOGY), view))
                return
            if result is None:
                ack()
            else:
                ack(response_action="update", view=result)

        _named_like(listener, fn)
        app.view(callback_id)(listener)
        return fn

    return register


def on_action(app, action_id: str):
    """Register a button: fn(session, action, body, client, respond); ack comes first."""

    def register(fn: Callable):
        def listener(ack, body, action, client, respond, context):
            ack()
            try:
                permissions.check(context["session"], permissions.ACTION, action_id)
                fn(context["session"], action, body, client, respond)
            except DomainError as exc:
                tell(body, client, respond, md(":warning: {}", refusal(exc)))
            except Exception:
                log.exception("action %s failed", action_id)
                tell(body, client, respond, APOLOGY)

        _named_like(listener, fn)
        app.action(action_id)(listener)
        return fn

    return register


def on_options(app, action_id: str):
    """Register an options load: fn(session, text, body) -> options (at most 100)."""

    def register(fn: Callable):
        def listener(ack, body, context):
            try:
                options = fn(context["session"], (body.get("value") or "")[:200], body)
            except Exception:
                log.exception("options %s failed", action_id)
                options = []
            ack(options=options[:100])

        _named_like(listener, fn)
        app.options(action_id)(listener)
        return fn

    return register
