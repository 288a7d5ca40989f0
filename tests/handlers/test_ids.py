"""Action and callback ids live in handlers/ids.py: listeners and views name them from there."""

from __future__ import annotations

import ast
from pathlib import Path

from handlers import ids

HANDLERS = Path(__file__).resolve().parents[2] / "handlers"
LISTENERS = {"on_action", "on_submit", "on_options", "view", "action", "options"}


def _called(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def test_no_listener_or_form_names_its_id_as_a_literal():
    literal = []
    for path in HANDLERS.rglob("*.py"):
        if path.name == "ids.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = _called(node)
            args = node.args
            if name in LISTENERS and len(args) == 2 and isinstance(args[1], ast.Constant):
                literal.append(f"{path.name}:{node.lineno} {name}({args[1].value!r})")
            if name in LISTENERS and len(args) == 1 and isinstance(args[0], ast.Constant):
                literal.append(f"{path.name}:{node.lineno} {name}({args[0].value!r})")
            if name == "modal" and args and isinstance(args[0], ast.Constant):
                literal.append(f"{path.name}:{node.lineno} modal({args[0].value!r})")
    assert literal == []


def test_ids_are_unique_and_fit_slack():
    values = [v for k, v in vars(ids).items() if k.isupper() and isinstance(v, str)]
    assert len(values) == len(set(values))
    assert all(0 < len(v) <= 255 for v in values)
    assert ids.OPEN_ADDRESS_EDIT_ANY.match(f"{ids.OPEN_ADDRESS_EDIT}_3")
    assert ids.delete("group") == ids.DELETE_GROUP
