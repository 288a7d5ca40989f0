"""The one escaper for text people typed, before it is shown in mrkdwn."""

from __future__ import annotations

import html
import re

_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


def escape(text: object) -> str:
    """Escape &, < and > so that typed text never becomes a mention or a link."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Slack HTML-escapes &, < and > in what people type: undo it."""
    return html.unescape(text) if "&" in text else text


def mention_user(token: str) -> str | None:
    """The user id of a mention as Slack delivers it (<@U123|name>), or None."""
    match = _MENTION.match(token.strip())
    return match.group(1) if match else None


def user(user_id: str) -> str:
    """A mention of a Slack user id (ids are not typed text: they are checked first)."""
    return f"<@{user_id}>" if re.fullmatch(r"[UW][A-Z0-9]+", user_id or "") else escape(user_id)
