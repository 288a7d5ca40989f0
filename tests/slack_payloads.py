"""Slack's payload limits checked in a payload: every violated limit as a readable string
(``"blocks[3].text: section text 3012 > 3000"``); an empty list means Slack should accept
the payload. A test helper: the fake Slack (tests/fakeslack.py) runs it on every view and
message the bot sends. The limits themselves live in handlers/slack_limits.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from handlers.slack_limits import (
    MAX_ACTIONS_ELEMENTS,
    MAX_BUTTON_TEXT,
    MAX_BUTTON_VALUE,
    MAX_CHECKBOX_OPTIONS,
    MAX_CONFIRM_BUTTON,
    MAX_CONFIRM_TEXT,
    MAX_CONFIRM_TITLE,
    MAX_CONTEXT_ELEMENTS,
    MAX_FIELD_TEXT,
    MAX_HEADER_TEXT,
    MAX_HINT,
    MAX_ID,
    MAX_LABEL,
    MAX_MESSAGE_BLOCKS,
    MAX_MESSAGE_BLOCKS_TEXT,
    MAX_MESSAGE_TEXT,
    MAX_OPTION_DESCRIPTION,
    MAX_OPTION_GROUP_LABEL,
    MAX_OPTION_GROUPS,
    MAX_OPTION_TEXT,
    MAX_OPTION_VALUE,
    MAX_OPTIONS,
    MAX_OVERFLOW_OPTIONS,
    MAX_PLACEHOLDER,
    MAX_PRIVATE_METADATA,
    MAX_RADIO_OPTIONS,
    MAX_SECTION_FIELDS,
    MAX_SECTION_TEXT,
    MAX_TITLE,
    MAX_VIEW_BLOCKS,
    MAX_VIEW_BYTES,
)

TEXT_TYPES = ("plain_text", "mrkdwn")
_SELECT_TYPES = ("static_select", "multi_static_select")
_INPUT_TEXT_ELEMENTS = (
    "plain_text_input",
    "email_text_input",
    "url_text_input",
    "number_input",
)


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    # -- primitives -------------------------------------------------------------
    def max_len(self, path: str, what: str, value: Any, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.add(path, f"{what} {len(value)} > {limit}")

    def identifier(self, path: str, what: str, value: Any) -> None:
        """An optional id (block_id, action_id...): when present, a non-empty string ≤255."""
        if value is None:
            return
        if not isinstance(value, str) or not value:
            self.add(path, f"{what} must be a non-empty string, got {value!r}")
            return
        self.max_len(path, what, value, MAX_ID)

    def text_obj(
        self,
        path: str,
        what: str,
        obj: Any,
        limit: int | None,
        *,
        plain_only: bool = False,
        required: bool = True,
    ) -> None:
        if obj is None:
            if required:
                self.add(path, f"{what} is required")
            return
        if not isinstance(obj, dict):
            self.add(path, f"{what} must be a text object, got {type(obj).__name__}")
            return
        kind = obj.get("type")
        allowed = ("plain_text",) if plain_only else TEXT_TYPES
        if kind not in allowed:
            self.add(path, f"{what} type must be {' or '.join(allowed)}, got {kind!r}")
        text = obj.get("text")
        if not isinstance(text, str) or not text:
            self.add(path, f"{what} text must be a non-empty string, got {text!r}")
            return
        if limit is not None and len(text) > limit:
            self.add(path, f"{what} {len(text)} > {limit}")

    def count(self, path: str, what: str, items: Any, limit: int, minimum: int = 0) -> None:
        if items is None:
            return
        if not isinstance(items, list):
            self.add(path, f"{what} must be a list")
            return
        if len(items) > limit:
            self.add(path, f"{what} {len(items)} > {limit}")
        if len(items) < minimum:
            self.add(path, f"{what} {len(items)} < {minimum}")

    # -- composition objects --------------------------------------------------
    def confirm(self, path: str, obj: Any) -> None:
        if obj is None:
            return
        if not isinstance(obj, dict):
            self.add(path, "confirm must be an object")
            return
        self.text_obj(
            f"{path}.title", "confirm title", obj.get("title"), MAX_CONFIRM_TITLE, plain_only=True
        )
        self.text_obj(f"{path}.text", "confirm text", obj.get("text"), MAX_CONFIRM_TEXT)
        self.text_obj(
            f"{path}.confirm",
            "confirm button",
            obj.get("confirm"),
            MAX_CONFIRM_BUTTON,
            plain_only=True,
        )
        self.text_obj(
            f"{path}.deny", "deny button", obj.get("deny"), MAX_CONFIRM_BUTTON, plain_only=True
        )

    def option(self, path: str, opt: Any, *, plain_only: bool = True) -> None:
        if not isinstance(opt, dict):
            self.add(path, "option must be an object")
            return
        self.text_obj(
            f"{path}.text", "option text", opt.get("text"), MAX_OPTION_TEXT, plain_only=plain_only
        )
        value = opt.get("value")
        if value is not None and not isinstance(value, str):
            self.add(f"{path}.value", f"option value must be a string, got {value!r}")
        self.max_len(f"{path}.value", "option value", value, MAX_OPTION_VALUE)
        self.text_obj(
            f"{path}.description",
            "option description",
            opt.get("description"),
            MAX_OPTION_DESCRIPTION,
            plain_only=plain_only,
            required=False,
        )

    def options(self, path: str, opts: Any, limit: int, *, plain_only: bool = True) -> None:
        self.count(f"{path}.options", "options", opts, limit)
        if isinstance(opts, list):
            for i, opt in enumerate(opts):
                self.option(f"{path}.options[{i}]", opt, plain_only=plain_only)

    def initial_options_match(self, path: str, element: dict, all_options: list) -> None:
        """Slack rejects an initial option that is not one of the element's options."""
        values = {o.get("value") for o in all_options if isinstance(o, dict)}
        initial = []
        if isinstance(element.get("initial_option"), dict):
            initial.append(element["initial_option"])
        if isinstance(element.get("initial_options"), list):
            initial.extend(o for o in element["initial_options"] if isinstance(o, dict))
        for opt in initial:
            if opt.get("value") not in values:
                self.add(path, f"initial option {opt.get('value')!r} is not one of the options")

    # -- elements ---------------------------------------------------------------
    def element(self, path: str, el: Any) -> None:
        if not isinstance(el, dict):
            self.add(path, "element must be an object")
            return
        kind = el.get("type")
        if not isinstance(kind, str):
            self.add(path, "element type is required")
            return
        if kind in TEXT_TYPES:  # context block text element
            self.text_obj(path, f"{kind} element", el, None)
            return
        if kind == "image":
            if not el.get("image_url") and not el.get("slack_file"):
                self.add(path, "image needs image_url or slack_file")
            if not isinstance(el.get("alt_text"), str) or not el.get("alt_text"):
                self.add(path, "image alt_text must be a non-empty string")
            return
        self.identifier(f"{path}.action_id", "action_id", el.get("action_id"))
        self.confirm(f"{path}.confirm", el.get("confirm"))
        self.text_obj(
            f"{path}.placeholder",
            "placeholder",
            el.get("placeholder"),
            MAX_PLACEHOLDER,
            plain_only=True,
            required=False,
        )
        if kind == "button":
            self.text_obj(
                f"{path}.text", "button text", el.get("text"), MAX_BUTTON_TEXT, plain_only=True
            )
            self.max_len(f"{path}.value", "button value", el.get("value"), MAX_BUTTON_VALUE)
        elif kind in _SELECT_TYPES:
            opts, groups = el.get("options"), el.get("option_groups")
            if opts is None and groups is None:
                self.add(path, f"{kind} needs options or option_groups")
            if opts is not None and groups is not None:
                self.add(path, f"{kind} has both options and option_groups")
            self.options(path, opts, MAX_OPTIONS)
            all_opts = list(opts) if isinstance(opts, list) else []
            self.count(f"{path}.option_groups", "option_groups", groups, MAX_OPTION_GROUPS)
            if isinstance(groups, list):
                for g, group in enumerate(groups):
                    gpath = f"{path}.option_groups[{g}]"
                    if not isinstance(group, dict):
                        self.add(gpath, "option group must be an object")
                        continue
                    self.text_obj(
                        f"{gpath}.label",
                        "option group label",
                        group.get("label"),
                        MAX_OPTION_GROUP_LABEL,
                        plain_only=True,
                    )
                    self.options(gpath, group.get("options"), MAX_OPTIONS)
                    if isinstance(group.get("options"), list):
                        all_opts.extend(group["options"])
            self.initial_options_match(path, el, all_opts)
        elif kind in ("checkboxes", "radio_buttons", "overflow"):
            limit = {
                "checkboxes": MAX_CHECKBOX_OPTIONS,
                "radio_buttons": MAX_RADIO_OPTIONS,
                "overflow": MAX_OVERFLOW_OPTIONS,
            }[kind]
            opts = el.get("options")
            if not isinstance(opts, list) or not opts:
                self.add(f"{path}.options", f"{kind} needs at least one option")
            else:
                self.options(path, opts, limit, plain_only=kind == "overflow")
                self.initial_options_match(path, el, opts)
        elif kind in ("external_select", "multi_external_select"):
            init = el.get("initial_option")
            if init is not None:
                self.option(f"{path}.initial_option", init)
            for i, opt in enumerate(el.get("initial_options") or []):
                self.option(f"{path}.initial_options[{i}]", opt)

    # -- blocks -------------------------------------------------------------------
    def blocks(self, blocks: Any, limit: int, *, where: str) -> None:
        if blocks is None:
            return
        if not isinstance(blocks, list):
            self.add("blocks", "blocks must be a list")
            return
        if len(blocks) > limit:
            self.add("blocks", f"{len(blocks)} blocks in a {where} > {limit}")
        seen: dict[str, int] = {}
        for i, block in enumerate(blocks):
            path = f"blocks[{i}]"
            if not isinstance(block, dict):
                self.add(path, "block must be an object")
                continue
            block_id = block.get("block_id")
            self.identifier(f"{path}.block_id", "block_id", block_id)
            if isinstance(block_id, str) and block_id:
                if block_id in seen:
                    self.add(
                        f"{path}.block_id",
                        f"duplicate block_id {block_id!r} (also blocks[{seen[block_id]}])",
                    )
                else:
                    seen[block_id] = i
            self.block(path, block)

    def block(self, path: str, block: dict) -> None:
        kind = block.get("type")
        if kind == "section":
            text, fields = block.get("text"), block.get("fields")
            if text is None and not fields:
                self.add(path, "section needs text or fields")
            if text is not None:
                self.text_obj(f"{path}.text", "section text", text, MAX_SECTION_TEXT)
            self.count(f"{path}.fields", "fields", fields, MAX_SECTION_FIELDS)
            if isinstance(fields, list):
                for f, field in enumerate(fields):
                    self.text_obj(f"{path}.fields[{f}]", "field text", field, MAX_FIELD_TEXT)
            if block.get("accessory") is not None:
                self.element(f"{path}.accessory", block["accessory"])
        elif kind == "header":
            self.text_obj(
                f"{path}.text", "header text", block.get("text"), MAX_HEADER_TEXT, plain_only=True
            )
        elif kind == "input":
            self.text_obj(f"{path}.label", "label", block.get("label"), MAX_LABEL, plain_only=True)
            self.text_obj(
                f"{path}.hint", "hint", block.get("hint"), MAX_HINT, plain_only=True, required=False
            )
            if block.get("element") is None:
                self.add(path, "input needs an element")
            else:
                self.element(f"{path}.element", block["element"])
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.add(f"{path}.elements", "actions block needs at least one element")
                return
            self.count(f"{path}.elements", "actions elements", elements, MAX_ACTIONS_ELEMENTS)
            self.elements_with_unique_action_ids(path, elements)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements:
                self.add(f"{path}.elements", "context block needs at least one element")
                return
            self.count(f"{path}.elements", "context elements", elements, MAX_CONTEXT_ELEMENTS)
            for e, el in enumerate(elements):
                self.element(f"{path}.elements[{e}]", el)
        elif kind == "image":
            self.element(path, block)
            self.text_obj(
                f"{path}.title",
                "image title",
                block.get("title"),
                2000,
                plain_only=True,
                required=False,
            )
        elif kind is None:
            self.add(path, "block type is required")

    def elements_with_unique_action_ids(self, path: str, elements: list) -> None:
        seen: dict[str, int] = {}
        for e, el in enumerate(elements):
            epath = f"{path}.elements[{e}]"
            self.element(epath, el)
            action_id = el.get("action_id") if isinstance(el, dict) else None
            if isinstance(action_id, str) and action_id:
                if action_id in seen:
                    self.add(
                        f"{epath}.action_id",
                        f"duplicate action_id {action_id!r} in one block "
                        f"(also elements[{seen[action_id]}])",
                    )
                else:
                    seen[action_id] = e


def _has_input_block(blocks: Any) -> bool:
    return isinstance(blocks, list) and any(
        isinstance(b, dict) and b.get("type") == "input" for b in blocks
    )


def view_problems(view: dict) -> list[str]:
    """Every limit of a modal or Home tab view that Slack would reject."""
    if hasattr(view, "to_dict"):  # slack_sdk.models.views.View
        view = view.to_dict()
    c = _Checker()
    if not isinstance(view, dict):
        return [f"view: must be an object, got {type(view).__name__}"]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        c.add("type", f"view type must be 'modal' or 'home', got {kind!r}")
    blocks = view.get("blocks")
    if blocks is None:
        c.add("blocks", "view needs blocks")
    if kind == "modal":
        c.text_obj("title", "title", view.get("title"), MAX_TITLE, plain_only=True)
        c.text_obj(
            "submit",
            "submit",
            view.get("submit"),
            MAX_TITLE,
            plain_only=True,
            required=_has_input_block(blocks),
        )
        c.text_obj("close", "close", view.get("close"), MAX_TITLE, plain_only=True, required=False)
    elif view.get("title") is not None:
        c.text_obj("title", "title", view.get("title"), MAX_TITLE, plain_only=True)
    pm = view.get("private_metadata")
    if pm is not None and not isinstance(pm, str):
        c.add("private_metadata", "private_metadata must be a string")
    c.max_len("private_metadata", "private_metadata", pm, MAX_PRIVATE_METADATA)
    c.identifier("callback_id", "callback_id", view.get("callback_id"))
    c.identifier("external_id", "external_id", view.get("external_id"))
    c.blocks(blocks, MAX_VIEW_BLOCKS, where=kind if kind == "home" else "modal")
    size = len(json.dumps(view, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    if size > MAX_VIEW_BYTES:
        c.add("view", f"view JSON {size} bytes > {MAX_VIEW_BYTES} (view_too_large)")
    return c.problems


def _texts(obj: Any) -> Iterable[str]:
    """Every "text" string of the text objects nested in ``obj``."""
    if isinstance(obj, dict):
        if obj.get("type") in TEXT_TYPES and isinstance(obj.get("text"), str):
            yield obj["text"]
        for value in obj.values():
            if isinstance(value, dict | list):
                yield from _texts(value)
    elif isinstance(obj, list):
        for item in obj:
            yield from _texts(item)


def message_problems(text: str | None, blocks: list[dict] | None) -> list[str]:
    """Every limit of a message (chat.postMessage / postEphemeral / update / response_url)."""
    c = _Checker()
    if text is not None and not isinstance(text, str):
        c.add("text", f"text must be a string, got {type(text).__name__}")
    if not text and not blocks:
        c.add("message", "message needs text or blocks (no_text)")
    c.max_len("text", "message text", text, MAX_MESSAGE_TEXT)
    c.blocks(blocks, MAX_MESSAGE_BLOCKS, where="message")
    if isinstance(blocks, list):
        total = sum(len(t) for t in _texts(blocks))
        if total > MAX_MESSAGE_BLOCKS_TEXT:
            c.add("blocks", f"block text {total} > {MAX_MESSAGE_BLOCKS_TEXT} (msg_blocks_too_long)")
    return c.problems


def rendered_texts(value) -> list[str]:
    """The strings Slack parses for mentions and links: mrkdwn texts and plain strings
    (a message's ``text``, a file comment); plain_text objects are shown as typed."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in rendered_texts(v)]
    if isinstance(value, dict):
        if value.get("type") == "plain_text":
            return []
        skip = (
            "type",
            "action_id",
            "block_id",
            "callback_id",
            "value",
            "private_metadata",
            "initial_value",
            "url",
            "image_url",
            "trigger_id",
            "channel",
            "ts",
            "user",
            "external_id",
            "hash",
            "view_id",
            "filename",
            "title",
            "id",
        )
        return [s for k, v in value.items() if k not in skip for s in rendered_texts(v)]
    return []
