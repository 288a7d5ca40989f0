"""`/numbers access`: who holds the manager role."""

from __future__ import annotations

import re

from bot.core.requests import Requests
from handlers.mrkdwn import user
from handlers.router import Call, Reply, UsageError, subcommand

USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")


@subcommand(
    "access",
    "access [list | grant @user | revoke @user | self-approve on|off]",
    "access grant @maria",
    "who may change things; managers grant and revoke, and decide whether a manager may "
    "approve their own requests",
)
def access(call: Call) -> Reply:
    verb = call.words[0].casefold() if call.words else "list"
    settings_managers = sorted(call.session.roles.managers)
    if verb == "list":
        granted = sorted(call.inventory.grants())
        lines = [
            "*Managers* (everyone else can read but not change):",
            "• From NUMBERS_MANAGERS: " + (", ".join(map(user, settings_managers)) or "nobody"),
            "• Granted here: " + (", ".join(map(user, granted)) or "nobody"),
            "• Workspace admins and owners are managers too.",
            f"You are {'a manager' if call.actor.is_manager else 'not a manager'}.",
            "A manager's own purchase requests and mandates are approved by "
            + (
                "any manager, themselves included (`/numbers access self-approve off` "
                "asks for another)."
                if Requests(call.inventory).self_approval_allowed()
                else "another manager (`/numbers access self-approve on` allows their own)."
            ),
        ]
        return Reply("\n".join(lines))
    if verb in ("grant", "revoke"):
        # A mention arrives as a user id (U…/W…, capitals and digits); "Uwe" is not one.
        if len(call.words) != 2 or not USER_ID.fullmatch(call.words[1]):
            raise UsageError("access", "Mention one person, like @maria.")
        target = call.words[1]
        call.inventory.access.set(call.actor, target, verb == "grant")
        done = "is now a manager" if verb == "grant" else "is no longer a granted manager"
        note = ""
        if verb == "revoke" and target in settings_managers:
            note = " (still a manager through NUMBERS_MANAGERS)"
        return Reply(f"{user(target)} {done}{note}.")
    if verb in ("self-approve", "selfapprove", "self_approve"):
        setting = call.words[1].casefold() if len(call.words) == 2 else ""
        if setting not in ("on", "off"):
            raise UsageError("access", "Say `self-approve on` or `self-approve off`.")
        allowed = setting == "on"
        changed = Requests(call.inventory).set_self_approval(call.actor, allowed)
        when = "now" if changed else "already"
        if allowed:
            return Reply(f"Managers may {when} approve their own purchase requests and mandates.")
        return Reply(
            f"A manager's own purchase requests and mandates {when} need another manager "
            "to approve them (when there is one)."
        )
    raise UsageError("access", f"I don't know “{verb[:30]}”.")


def register(app, registry) -> None:
    registry.commands.add(access)
