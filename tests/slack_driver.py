"""A person's actions against a running bot, safe to use from many threads at once.

Each command carries its own trigger_id, so the form the bot opens for it is found
by that trigger (not by position), even when 16 threads open forms concurrently.
A request that dies with the bot (connection reset, no answer) raises ``Lost``.
"""

from __future__ import annotations

import http.client
import time
from urllib.parse import urlencode

from tests.conftest import MANAGER
from tests.fakeslack import APP_ID, TEAM_ID, VERIFICATION_TOKEN, FakeSlack, Modal, SlackSender

ADDRESS_VALUES = {
    "Customer name": "Acme GmbH",
    "Street": "Marienplatz 1",
    "Postal code": "80331",
    "City": "München",
    "Country": "DE",
    "Obligations": ["confirmed"],
}


class Lost(Exception):
    """The request got no answer (the bot died, or the connection broke)."""


def _guard(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except (OSError, http.client.HTTPException) as exc:
        raise Lost(repr(exc)) from exc


def command(
    sender: SlackSender,
    text: str,
    user: str = MANAGER,
    team: str = TEAM_ID,
    channel: str = "C1",
):
    """Send `/numbers text`; returns (response, trigger_id)."""
    trigger = sender.trigger_id()
    body = {
        "token": VERIFICATION_TOKEN,
        "team_id": team,
        "team_domain": team.lower(),
        "channel_id": channel,
        "channel_name": channel.lower(),
        "user_id": user,
        "user_name": user.lower(),
        "command": "/numbers",
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": sender._response_url(f"cmd-{trigger}"),
        "trigger_id": trigger,
    }
    return _guard(sender.send, urlencode(body)), trigger


def opened_view(fake: FakeSlack, trigger: str, timeout: float = 15, alive=lambda: True) -> Modal:
    """The form the bot opened with ``trigger`` (raises Lost if it never comes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for call in fake.calls_to("views.open"):  # a 429 may come first, then the retry
            if call.body.get("trigger_id") == trigger:
                response = call.response if isinstance(call.response, dict) else {}
                if response.get("view"):
                    return Modal(response["view"])
                if response.get("error") == "invalid_blocks":
                    raise AssertionError(f"views.open was rejected: {response}")
        if not alive():
            raise Lost("the bot died before opening the form")
        time.sleep(0.01)
    raise Lost(f"no views.open for trigger {trigger} within {timeout}s")


def open_form(
    sender: SlackSender, fake: FakeSlack, text: str, user: str = MANAGER, alive=lambda: True
) -> Modal:
    r, trigger = command(sender, text, user=user)
    if r.status != 200:
        raise AssertionError(f"/numbers {text} answered {r.status}: {r.body_text}")
    if r.body_text.strip():
        raise AssertionError(f"/numbers {text} answered instead of opening a form: {r.body_text}")
    return opened_view(fake, trigger, alive=alive)


def submit(modal: Modal, sender: SlackSender, user: str = MANAGER):
    return _guard(modal.submit, sender, user=user)


def saved(r) -> bool:
    """The form was accepted: Slack shows the bot's confirmation view."""
    body = r.json if isinstance(r.json, dict) else {}
    return r.status == 200 and body.get("response_action") == "update"


def new_address(sender, fake, name: str, alive=lambda: True, **fields):
    modal = open_form(sender, fake, "address new", alive=alive).fill("Name", name)
    for label, value in {**ADDRESS_VALUES, **fields}.items():
        modal.fill(label, value)
    return submit(modal, sender)
