"""Text keys: how names are matched and searched (one place for folding)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from bot.core.errors import DomainError

QUOTES = "\"'“”„«»‘’‚‹›"


def unquote(text: str) -> str:
    """The text without quotes around it ("“Office B”" -> "Office B")."""
    text = (text or "").strip()
    while len(text) >= 2 and text[0] in QUOTES and text[-1] in QUOTES:
        text = text[1:-1].strip()
    return text


def casefold(name: str) -> str:
    """The key a name is found by: spaces, case and surrounding quotes do not count."""
    return " ".join(unquote(name).split()).casefold()


def fold(text: str) -> str:
    """Text for searching: case and accents folded, spaces removed ("München" -> "munchen")."""
    decomposed = unicodedata.normalize("NFKD", "".join((text or "").split()))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def fold_words(text: str) -> str:
    """Words for matching place names: accents and case folded, "ß" as "ss", punctuation as
    spaces ("Frankfurt (Oder)" -> "frankfurt oder")."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("ß", "ss")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def fold_alnum(text: str) -> str:
    """Letters and digits only, case and accents folded ("Baden-Württemberg" ->
    "badenwurttemberg"): region names and codes compared whatever their punctuation."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum())


def clean_field(
    value: Any, field_name: str, limit: int, label: str | None = None, required: bool = True
) -> str:
    """One line of a form field: spaces collapsed, NULs gone, length and presence checked."""
    text = " ".join(str(value or "").replace("\x00", "").split())
    label = label or field_name.capitalize()
    if required and not text:
        raise DomainError(f"{label} is required.", field=field_name)
    if len(text) > limit:
        raise DomainError(f"{label} is too long ({len(text)} > {limit} characters).", field_name)
    return text
