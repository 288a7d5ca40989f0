"""Which listener needs the manager role: the one table, checked before the listener runs.

The router checks a `/numbers` subcommand (and its verb) before running it;
``on_action``/``on_submit`` check a button or a form before calling its function. A
refusal is the service's own (``bot.core.auditing.require_manager``: "Only managers can
<doing>. …"), with the ``doing`` declared here, so each action has one refusal text.
The services check the role again on every change (defence in depth).

Every button and form a surface registers is either in ``MANAGER_ONLY`` or in
``EVERYONE`` (a test walks the registered listeners and holds to that).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    doing: str  # "Only managers can {doing}."
    # Manager only when this holds (session, words after the subcommand); None: always.
    when: Callable[..., bool] | None = None


def _with_channel(session, words: list[str]) -> bool:
    """Without a channel, `/numbers digest` shows the digest to the person only."""
    return bool(session.workspaces.notifier.channel)


def _agent_delete(session, words: list[str]) -> bool:
    """`agent delete NAME` (not `agent delete callerid …`: an agent named "delete")."""
    return len(words) > 1 and "callerid" not in (w.casefold() for w in words)


COMMAND, ACTION, VIEW = "command", "action", "view"

# (kind, name): command names are "SUBCOMMAND" or "SUBCOMMAND VERB"; actions by action
# id (a pattern by its text), views by callback id.
MANAGER_ONLY: dict[tuple[str, str], Rule] = {
    (COMMAND, "add"): Rule("add numbers"),
    (COMMAND, "remove"): Rule("remove numbers"),
    (COMMAND, "link"): Rule("link numbers"),
    (COMMAND, "unlink"): Rule("unlink numbers"),
    (COMMAND, "import"): Rule("import numbers"),
    (COMMAND, "address new"): Rule("create addresses"),
    (COMMAND, "address edit"): Rule("edit addresses"),
    (COMMAND, "address delete"): Rule("delete addresses"),
    (COMMAND, "group new"): Rule("create groups"),
    (COMMAND, "group edit"): Rule("edit groups"),
    (COMMAND, "group delete"): Rule("delete groups"),
    (COMMAND, "campaign new"): Rule("create campaigns"),
    (COMMAND, "campaign edit"): Rule("edit campaigns"),
    (COMMAND, "campaign delete"): Rule("delete campaigns"),
    (COMMAND, "agent delete"): Rule("delete agents", when=_agent_delete),
    (COMMAND, "access grant"): Rule("grant or revoke the manager role"),
    (COMMAND, "access revoke"): Rule("grant or revoke the manager role"),
    (COMMAND, "digest"): Rule("post the digest to the channel", when=_with_channel),
    (ACTION, "open_bulk_add"): Rule("add numbers"),
    (ACTION, "remove_number"): Rule("remove numbers"),
    (ACTION, "open_link"): Rule("link numbers"),
    (ACTION, "add_and_link"): Rule("add numbers"),
    (ACTION, "confirm_area"): Rule("confirm areas"),
    (ACTION, "open_import"): Rule("import numbers"),
    (ACTION, "open_address_new"): Rule("create addresses"),
    (ACTION, "^open_address_edit(_\\d+)?$"): Rule("edit addresses"),
    (ACTION, "open_address_move"): Rule("move numbers between addresses"),
    (ACTION, "delete_address"): Rule("delete addresses"),
    (ACTION, "open_group_new"): Rule("create groups"),
    (ACTION, "delete_group"): Rule("delete groups"),
    (ACTION, "open_campaign_new"): Rule("create campaigns"),
    (ACTION, "open_campaign_edit"): Rule("edit campaigns"),
    (ACTION, "delete_campaign"): Rule("delete campaigns"),
    (ACTION, "delete_agent"): Rule("delete agents"),
    (ACTION, "request_approve"): Rule("approve requests"),
    (ACTION, "request_reject"): Rule("reject requests"),
    (ACTION, "request_fulfil"): Rule("fulfil requests"),
    (VIEW, "bulk_add_form"): Rule("add numbers"),
    (VIEW, "link_form"): Rule("link numbers"),
    (VIEW, "import_form"): Rule("import numbers"),
    (VIEW, "address_form"): Rule("change addresses"),
    (VIEW, "address_move_form"): Rule("move numbers between addresses"),
    (VIEW, "group_form"): Rule("change groups"),
    (VIEW, "campaign_form"): Rule("change campaigns"),
    (VIEW, "request_reject_form"): Rule("reject requests"),
    (VIEW, "request_fulfil_form"): Rule("fulfil requests"),
}

# Buttons and forms anyone may use (reading, paging, asking a manager).
EVERYONE: frozenset[tuple[str, str]] = frozenset(
    {
        (ACTION, "list_page_prev"),
        (ACTION, "list_page_next"),
        (ACTION, "campaign_page_prev"),
        (ACTION, "campaign_page_next"),
        (ACTION, "open_buy"),
        (ACTION, "open_mandate"),
        (ACTION, "buy_country"),  # the request forms refresh as a choice changes
        (ACTION, "buy_kind"),
        (ACTION, "request_address"),
        (ACTION, "audit_newer"),
        (ACTION, "audit_older"),
        (VIEW, "buy_form"),
        (VIEW, "mandate_form"),
    }
)


def key_name(name) -> str:
    """An action id as the table names it (a compiled pattern by its text)."""
    return getattr(name, "pattern", name)


def rule_for(kind: str, name, session=None, words: list[str] | None = None) -> Rule | None:
    """The rule that applies to this listener and request, if it is manager only."""
    rule = MANAGER_ONLY.get((kind, key_name(name)))
    if rule is None or rule.when is None:
        return rule
    return rule if rule.when(session, list(words or [])) else None


def check(session, kind: str, name, words: list[str] | None = None) -> None:
    """Refuse a non-manager (PermissionDenied) before the listener runs."""
    rule = rule_for(kind, name, session, words)
    if rule is not None:
        session.require_manager(rule.doing)


def check_command(session, name: str, words: list[str]) -> None:
    """A subcommand, and its verb (the first word after it)."""
    check(session, COMMAND, name, words)
    if words:
        check(session, COMMAND, f"{name} {words[0].casefold()}", words)
