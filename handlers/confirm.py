"""`/numbers confirm NUMBER` and the "Confirm area by hand" button of `/numbers show`.

A number under an area rule whose prefix's area the geocoder cannot name is
"unverifiable"; a manager confirms by hand that its linked address lies in that
area (PRODUCT.md §3). The confirmation is audited and lapses when the number's
address link changes or the address moves.
"""

from __future__ import annotations

from bot.core.services import NumberInfo
from handlers import ids
from handlers.interactions import on_action
from handlers.mrkdwn import md, user
from handlers.router import Call, Reply, UsageError, subcommand


def confirmed_text(info: NumberInfo, user_id: str) -> str:
    address = md("{}", info.address.name) if info.address else "its address"
    return (
        f":white_check_mark: {user(user_id)} confirmed by hand that *{address}* lies within "
        f"the area of *{info.display}*. Its verdict is now OK; the audit log records it."
    )


@subcommand(
    "confirm",
    "confirm NUMBER",
    "confirm +63 2 8123 4567",
    "confirm by hand that an unverifiable number's address is in its area (manager)",
)
def confirm_number(call: Call) -> Reply:
    if not call.words:
        raise UsageError("confirm", "Which number?")
    info = call.inventory.numbers.confirm_area(call.actor, " ".join(call.words))
    return Reply(confirmed_text(info, call.actor.user_id))


def register(app, registry) -> None:
    registry.commands.add(confirm_number)

    @on_action(app, ids.CONFIRM_AREA)
    def _confirm(session, action, body, client, respond):
        info = session.inventory.numbers.confirm_area(session.actor, action.get("value") or "")
        respond(
            replace_original=False,
            response_type="ephemeral",
            text=confirmed_text(info, session.actor.user_id),
        )
