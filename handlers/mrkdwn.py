"""The one escaping boundary for text people typed, before it is shown in mrkdwn.

Write mrkdwn with ``md``: the template is ours, every argument is escaped —

    md("*{}* moved to {}", address.name, address.city)

An argument that is mrkdwn already (``md``'s own result, a ``user`` mention, ``escape``d
text) is a ``Mrkdwn`` and goes in as it is, so nothing is escaped twice and nothing
typed is forgotten. Numbers go in as they are (``{:,}`` works). ``escape`` is the
primitive underneath; new code uses ``md``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


class Mrkdwn(str):
    """Text that is mrkdwn already: written by the bot, or typed text escaped."""

    __slots__ = ()

    def __add__(self, other: str) -> str:
        """Mrkdwn + Mrkdwn is mrkdwn; anything else added makes a plain str."""
        joined = str.__add__(self, other)
        return Mrkdwn(joined) if isinstance(other, Mrkdwn) else joined


def escape(text: object) -> Mrkdwn:
    """Escape &, < and > so that typed text never becomes a mention or a link
    (``Mrkdwn`` is escaped already: it is returned as it is)."""
    if isinstance(text, Mrkdwn):
        return text
    return Mrkdwn(str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def _arg(value: object) -> object:
    if isinstance(value, Mrkdwn | int | float) and not isinstance(value, bool):
        return value
    return escape(value)


def md(template: str, *args: object, **kwargs: object) -> Mrkdwn:
    """``template`` (mrkdwn the bot wrote) with every argument escaped, unless it is
    ``Mrkdwn`` already or a number."""
    return Mrkdwn(
        template.format(*(_arg(a) for a in args), **{k: _arg(v) for k, v in kwargs.items()})
    )


def join(separator: str, parts: Iterable[object]) -> Mrkdwn:
    """``separator`` (ours) between ``parts``, each escaped unless it is ``Mrkdwn``."""
    return Mrkdwn(separator.join(escape(p) for p in parts))


def unescape(text: str) -> str:
    """Slack HTML-escapes &, < and > in what people type: undo it."""
    return html.unescape(text) if "&" in text else text


def mention_user(token: str) -> str | None:
    """The user id of a mention as Slack delivers it (<@U123|name>), or None."""
    match = _MENTION.match(token.strip())
    return match.group(1) if match else None


def user(user_id: str) -> Mrkdwn:
    """A mention of a Slack user id (ids are not typed text: they are checked first)."""
    if re.fullmatch(r"[UW][A-Z0-9]+", user_id or ""):
        return Mrkdwn(f"<@{user_id}>")
    return escape(user_id)
