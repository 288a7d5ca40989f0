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

from handlers import ids


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
    (ACTION, ids.OPEN_BULK_ADD): Rule("add numbers"),
    (ACTION, ids.REMOVE_NUMBER): Rule("remove numbers"),
    (ACTION, ids.OPEN_LINK): Rule("link numbers"),
    (ACTION, ids.ADD_AND_LINK): Rule("add numbers"),
    (ACTION, ids.CONFIRM_AREA): Rule("confirm areas"),
    (ACTION, ids.OPEN_IMPORT): Rule("import numbers"),
    (ACTION, ids.OPEN_ADDRESS_NEW): Rule("create addresses"),
    (ACTION, ids.OPEN_ADDRESS_EDIT_PATTERN): Rule("edit addresses"),
    (ACTION, ids.OPEN_ADDRESS_MOVE): Rule("move numbers between addresses"),
    (ACTION, ids.DELETE_ADDRESS): Rule("delete addresses"),
    (ACTION, ids.OPEN_GROUP_NEW): Rule("create groups"),
    (ACTION, ids.DELETE_GROUP): Rule("delete groups"),
    (ACTION, ids.OPEN_CAMPAIGN_NEW): Rule("create campaigns"),
    (ACTION, ids.OPEN_CAMPAIGN_EDIT): Rule("edit campaigns"),
    (ACTION, ids.DELETE_CAMPAIGN): Rule("delete campaigns"),
    (ACTION, ids.DELETE_AGENT): Rule("delete agents"),
    (ACTION, ids.REQUEST_APPROVE): Rule("approve requests"),
    (ACTION, ids.REQUEST_REJECT): Rule("reject requests"),
    (ACTION, ids.REQUEST_FULFIL): Rule("fulfil requests"),
    (VIEW, ids.BULK_ADD_FORM): Rule("add numbers"),
    (VIEW, ids.LINK_FORM): Rule("link numbers"),
    (VIEW, ids.IMPORT_FORM): Rule("import numbers"),
    (VIEW, ids.ADDRESS_FORM): Rule("change addresses"),
    (VIEW, ids.ADDRESS_MOVE_FORM): Rule("move numbers between addresses"),
    (VIEW, ids.GROUP_FORM): Rule("change groups"),
    (VIEW, ids.CAMPAIGN_FORM): Rule("change campaigns"),
    (VIEW, ids.REQUEST_REJECT_FORM): Rule("reject requests"),
    (VIEW, ids.REQUEST_FULFIL_FORM): Rule("fulfil requests"),
}

# Buttons and forms anyone may use (reading, paging, asking a manager).
EVERYONE: frozenset[tuple[str, str]] = frozenset(
    {
        (ACTION, ids.LIST_PAGE_PREV),
        (ACTION, ids.LIST_PAGE_NEXT),
        (ACTION, ids.CAMPAIGN_PAGE_PREV),
        (ACTION, ids.CAMPAIGN_PAGE_NEXT),
        (ACTION, ids.OPEN_BUY),
        (ACTION, ids.OPEN_MANDATE),
        (ACTION, ids.BUY_COUNTRY),  # the request forms refresh as a choice changes
        (ACTION, ids.BUY_KIND),
        (ACTION, ids.REQUEST_ADDRESS),
        (ACTION, ids.AUDIT_NEWER),
        (ACTION, ids.AUDIT_OLDER),
        (VIEW, ids.BUY_FORM),
        (VIEW, ids.MANDATE_FORM),
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
