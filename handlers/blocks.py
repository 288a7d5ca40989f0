"""Block Kit building blocks: plain dicts, cut to fit Slack's limits as they are built."""

from __future__ import annotations

import json
from typing import Any

from handlers import ids
from handlers import slack_limits as L
from handlers.slack_limits import truncate


def plain(text: str, limit: int = L.MAX_SECTION_TEXT) -> dict:
    return {"type": "plain_text", "text": truncate(text or " ", limit), "emoji": True}


def mrkdwn(text: str, limit: int = L.MAX_SECTION_TEXT) -> dict:
    return {"type": "mrkdwn", "text": truncate(text or " ", limit)}


def section(text: str, accessory: dict | None = None, block_id: str | None = None) -> dict:
    block: dict[str, Any] = {"type": "section", "text": mrkdwn(text)}
    if accessory:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = block_id
    return block


def fields(texts: list[str]) -> dict:
    return {
        "type": "section",
        "fields": [mrkdwn(t, L.MAX_FIELD_TEXT) for t in texts[: L.MAX_SECTION_FIELDS]],
    }


def header(text: str) -> dict:
    return {"type": "header", "text": plain(text, L.MAX_HEADER_TEXT)}


def context(*texts: str) -> dict:
    return {
        "type": "context",
        "elements": [mrkdwn(t, L.MAX_SECTION_TEXT) for t in texts[: L.MAX_CONTEXT_ELEMENTS]],
    }


def divider() -> dict:
    return {"type": "divider"}


def confirm(title: str, text: str, ok: str = "Yes", deny: str = "Cancel") -> dict:
    return {
        "title": plain(title, L.MAX_CONFIRM_TITLE),
        "text": plain(text, L.MAX_CONFIRM_TEXT),
        "confirm": plain(ok, L.MAX_CONFIRM_BUTTON),
        "deny": plain(deny, L.MAX_CONFIRM_BUTTON),
        "style": "danger",
    }


def button(
    text: str,
    action_id: str,
    value: str | None = None,
    style: str | None = None,
    confirm_with: dict | None = None,
) -> dict:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text, L.MAX_BUTTON_TEXT),
        "action_id": action_id,
    }
    if value is not None:
        element["value"] = value[: L.MAX_BUTTON_VALUE]
    if style:
        element["style"] = style
    if confirm_with:
        element["confirm"] = confirm_with
    return element


def actions(*elements: dict, block_id: str | None = None) -> dict:
    block: dict[str, Any] = {
        "type": "actions",
        "elements": list(elements[: L.MAX_ACTIONS_ELEMENTS]),
    }
    if block_id:
        block["block_id"] = block_id
    return block


def option(text: str, value: str, description: str | None = None) -> dict:
    opt: dict[str, Any] = {"text": plain(text, L.MAX_OPTION_TEXT), "value": value}
    if len(value) > L.MAX_OPTION_VALUE:
        raise ValueError(f"option value longer than {L.MAX_OPTION_VALUE}: {value[:20]}…")
    if description:
        opt["description"] = plain(description, L.MAX_OPTION_DESCRIPTION)
    return opt


def text_input(
    action_id: str,
    initial: str | None = None,
    multiline: bool = False,
    placeholder: str | None = None,
    max_length: int | None = None,
) -> dict:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": multiline,
    }
    if initial:
        element["initial_value"] = initial
    if placeholder:
        element["placeholder"] = plain(placeholder, L.MAX_PLACEHOLDER)
    if max_length:
        element["max_length"] = max_length
    return element


def static_select(
    action_id: str,
    options: list[dict] | None = None,
    option_groups: list[dict] | None = None,
    initial: dict | None = None,
    placeholder: str = "Choose…",
) -> dict:
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": plain(placeholder, L.MAX_PLACEHOLDER),
    }
    if option_groups is not None:
        element["option_groups"] = option_groups
    else:
        element["options"] = (options or [])[: L.MAX_OPTIONS]
    if initial:
        element["initial_option"] = initial
    return element


def external_select(
    action_id: str,
    multi: bool = False,
    initial: list[dict] | dict | None = None,
    placeholder: str = "Type to search…",
    min_query_length: int = 0,
) -> dict:
    """A select whose options Slack loads from the app (any number of choices)."""
    element: dict[str, Any] = {
        "type": "multi_external_select" if multi else "external_select",
        "action_id": action_id,
        "placeholder": plain(placeholder, L.MAX_PLACEHOLDER),
        "min_query_length": min_query_length,
    }
    if initial:
        element["initial_options" if multi else "initial_option"] = initial
    return element


def checkboxes(action_id: str, options: list[dict], initial: list[dict] | None = None) -> dict:
    element: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": action_id,
        "options": options[: L.MAX_CHECKBOX_OPTIONS],
    }
    if initial:
        element["initial_options"] = initial
    return element


def input_block(
    block_id: str,
    label: str,
    element: dict,
    optional: bool = False,
    hint: str | None = None,
) -> dict:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, L.MAX_LABEL),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, L.MAX_HINT)
    return block


def modal(
    callback_id: str,
    title: str,
    blocks: list[dict],
    submit: str | None = "Save",
    close: str = "Cancel",
    metadata: dict | None = None,
) -> dict:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, L.MAX_TITLE),
        "close": plain(close, L.MAX_TITLE),
        "blocks": blocks[: L.MAX_VIEW_BLOCKS],
    }
    if submit:
        view["submit"] = plain(submit, L.MAX_TITLE)
    if metadata:
        text = json.dumps(metadata, separators=(",", ":"))
        if len(text) > L.MAX_PRIVATE_METADATA:
            raise ValueError("private_metadata too long")
        view["private_metadata"] = text
    return view


def metadata(view: dict) -> dict:
    """The dict a modal carried in private_metadata (empty when none or unreadable)."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def message(blocks: list[dict], text: str) -> dict:
    """A message payload: at most 50 blocks, with a notification text."""
    if len(blocks) > L.MAX_MESSAGE_BLOCKS:
        blocks = blocks[: L.MAX_MESSAGE_BLOCKS - 1] + [
            context(f"… {len(blocks) - L.MAX_MESSAGE_BLOCKS + 1} more not shown.")
        ]
    return {"text": truncate(text, L.MAX_MESSAGE_TEXT), "blocks": blocks}


def form(view: dict) -> dict[str, Any]:
    """A submitted modal's values by block id, whatever the element type.

    Text → str ("" when empty); select → the chosen value or None; multi-select and
    checkboxes → list of values.
    """
    values: dict[str, Any] = {}
    for block_id, elements in (view.get("state") or {}).get("values", {}).items():
        for state in elements.values():
            kind = state.get("type", "")
            if kind in ("multi_static_select", "multi_external_select", "checkboxes"):
                values[block_id] = [o["value"] for o in state.get("selected_options") or []]
            elif kind in ("static_select", "external_select", "radio_buttons"):
                selected = state.get("selected_option")
                values[block_id] = selected["value"] if selected else None
            else:
                values[block_id] = state.get("value") or ""
    return values


def sections(lines: list[str], limit: int = 40) -> list[dict]:
    """Lines packed into sections that fit a section's text, at most ``limit`` blocks."""
    out, current = [], ""
    for line in lines:
        if current and len(current) + len(line) + 1 > L.MAX_SECTION_TEXT:
            out.append(section(current))
            current = ""
        current += line + "\n"
    if current:
        out.append(section(current))
    return out[:limit]


def paged(title: str, lines: list[str], page: int, per_page: int = 40) -> tuple[list[dict], str]:
    """A titled page of lines with a 'page N of M' note (for `… page=N` commands)."""
    pages = max(1, -(-len(lines) // per_page))
    page = min(max(page, 1), pages)
    shown = lines[(page - 1) * per_page : page * per_page]
    out = [header(title)]
    if not lines:
        return out + [section("Nothing here yet.")], title
    out.append(context(f"{len(lines)} in all · page {page} of {pages}"))
    out += sections(shown)
    if pages > 1:
        out.append(context(f"Add `page={page % pages + 1}` to the command for the next page."))
    return out, f"{title}: {len(lines)}"


def plural(count: int, word: str, words: str | None = None) -> str:
    """ "1 number", "2 numbers" (``words`` for an irregular plural: "1 entry", "2 entries")."""
    return f"{count} {word if count == 1 else words or word + 's'}"


def delete_prompt(text: str, kind: str, name: str, value: str) -> list[dict]:
    """The question and a danger "Delete" button (action ``delete_<kind>``, carrying
    ``value``) that asks once more before it acts."""
    ask = confirm(f"Delete this {kind}?", f"“{name}” will be deleted.")
    button_ = button("Delete", ids.delete(kind), value, "danger", ask)
    return [section(text), actions(button_, block_id="delete")]
