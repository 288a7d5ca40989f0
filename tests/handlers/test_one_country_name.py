"""One country name everywhere: the digest, list titles and forms all say "South Korea"."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.core import phone
from handlers import notifications

HANDLERS = Path(__file__).resolve().parents[2] / "handlers"


def test_the_digest_names_countries_like_every_other_view():
    assert notifications.country_name is phone.country_name
    assert notifications.country_name("KR") == "South Korea"


def test_handlers_take_country_names_from_the_core_phone_module_only():
    wrong = []
    for path in HANDLERS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            imported = isinstance(node, ast.ImportFrom) and node.module != "bot.core.phone"
            if imported and any(alias.name == "country_name" for alias in node.names):
                wrong.append(f"{path.name}: from {node.module}")
            if isinstance(node, ast.FunctionDef) and node.name == "country_name":
                wrong.append(f"{path.name}: def country_name")
    assert wrong == []
