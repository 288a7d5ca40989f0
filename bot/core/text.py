"""Text keys: how names are matched and searched (one place for folding)."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from typing import Any, Literal

from bot.core.errors import DomainError

QUOTES = "\"'“”„«»‘’‚‹›"


def unquote(text: str) -> str:
    """The text without quotes around it ("“Office B”" -> "Office B")."""
    text = (text or "").strip()
    while len(text) >= 2 and text[0] in QUOTES and text[-1] in QUOTES:
        text = text[1:-1].strip()
    return text


def casefold(name: str) -> str:
    """The key a name is found by: spaces, case and surrounding quotes do not count.

    Use it for the identity of names (groups, campaigns, addresses, agents, regions typed
    by name): "“HQ  Munich”" and "hq munich" are one name, "München" and "Munchen" two."""
    return " ".join(unquote(name).split()).casefold()


# Letters NFKD does not take apart, spelled in ASCII for area matching ("Ærøskøbing").
_ASCII = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)
_NON_ASCII_WORD = re.compile(r"[^0-9a-z]+")
Keep = Literal["punctuation", "words", "alnum", "ascii"]


def fold(text: str, *, keep: Keep = "punctuation") -> str:
    """Text for loose matching: case and accents folded ("München" -> "munchen"; umlauts
    become the bare vowel, "ß" becomes "ss"). Use it to search and suggest, and to match
    places; use ``casefold`` for the identity of a name. ``keep`` says what else stays:

    - "punctuation": spaces removed, punctuation kept ("Frankfurt a.M." -> "frankfurta.m."):
      names searched as typed, for suggestions;
    - "words": punctuation as spaces, words single-spaced ("Bolzano/Bozen" ->
      "bolzano bozen"): place names of addresses and requests;
    - "alnum": letters and digits only ("Baden-Württemberg" -> "badenwurttemberg"):
      region names and codes whatever their punctuation;
    - "ascii": ASCII words single-spaced, "ø", "æ", "ł", "þ"... spelled out and other
      letters dropped ("Ærøskøbing" -> "aeroskobing"): compliance's area matching.
    """
    text = text or ""
    if keep == "punctuation":
        decomposed = unicodedata.normalize("NFKD", "".join(text.split()))
        return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    if keep == "words":
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
        return " ".join(re.sub(r"[^\w]+", " ", text.replace("ß", "ss")).split())
    if keep == "alnum":
        return "".join(ch for ch in unicodedata.normalize("NFKD", text.casefold()) if ch.isalnum())
    if keep == "ascii":
        decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_ASCII))
        stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
        return " ".join(w for w in _NON_ASCII_WORD.split(stripped.translate(_ASCII)) if w)
    raise ValueError(f"keep={keep!r}: punctuation, words, alnum or ascii")


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


MAX_NAME = 75  # a name must fit a Slack option's text
MAX_FIELD = 200
MAX_LABEL = 75


def closest_names(wanted: str, names: Iterable[str], limit: int = 3) -> list[str]:
    """The names a person probably meant: those starting with or containing what was typed
    (case, accents and spaces folded: "oktoberfest" finds "Oktoberfest 2025"), then the
    closest by spelling ("HQ Munchen" finds "HQ Munich")."""
    key = fold(unquote(wanted))
    if not key:
        return []
    by_fold: dict[str, str] = {}
    for name in names:
        by_fold.setdefault(fold(name), name)
    found = [by_fold[f] for f in sorted(by_fold) if f.startswith(key)]
    found += [by_fold[f] for f in sorted(by_fold) if key in f and by_fold[f] not in found]
    close = difflib.get_close_matches(key, list(by_fold), n=limit, cutoff=0.6)
    found += [by_fold[f] for f in close if by_fold[f] not in found]
    return found[:limit]


def did_you_mean(wanted: str, names: Iterable[str]) -> str:
    """ " Did you mean “Oktoberfest 2025”?" for a name that was not found ("" if none is close)."""
    found = closest_names(wanted, names)
    if not found:
        return ""
    quoted = [f"“{n}”" for n in found]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f" Did you mean {listed}?"


NAME_QUOTES = '"“”„«»'


def refuse_quotes(name: str, field_name: str = "name") -> None:
    """A new name may not hold a double quote: quotes are how a name with spaces is typed
    in a command, so one inside a name could never be typed back."""
    if any(ch in NAME_QUOTES for ch in name or ""):
        raise DomainError(
            f"A name cannot contain quotes (“{name[:MAX_NAME]}”): quotes are how names with "
            "spaces are typed in commands. Leave them out.",
            field=field_name,
        )


def unique_name(kind: str, name: str, lookup: dict, current_id: str | None) -> str:
    """A new or changed name of a group or campaign, cleaned; refused when another of
    ``lookup`` (casefolded name -> item) holds it."""
    name = clean_field(unquote(str(name or "")), "name", MAX_NAME, label="Name")
    current = next((item for item in lookup.values() if item.id == current_id), None)
    if current is None or name != current.name:
        refuse_quotes(name)
    other = lookup.get(casefold(name))
    if other and other.id != current_id:
        raise DomainError(f"A {kind} called “{other.name}” exists already.", field="name")
    return name
