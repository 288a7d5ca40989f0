"""The core (bot/core) imports only the standard library, phonenumbers and pycountry."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "bot" / "core"
ALLOWED = {"phonenumbers", "pycountry"}


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_a_core_module_imports_no_framework_storage_or_adapter(path):
    forbidden = sorted(
        name
        for name in imported(path)
        if not (
            name.split(".")[0] in sys.stdlib_module_names
            or name.split(".")[0] in ALLOWED
            or name == "bot.core"
            or name.startswith("bot.core.")
        )
    )
    assert forbidden == [], f"{path.name} imports {forbidden}"
