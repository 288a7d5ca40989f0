"""Text folding pinned on tricky inputs: umlauts, ß, accents, punctuation, slashes,
quotes and spaces. Each key is what one kind of caller compares by."""

from __future__ import annotations

from functools import partial

import pytest

from bot.core.text import casefold, fold, unquote

fold_words = partial(fold, keep="words")
fold_alnum = partial(fold, keep="alnum")


def place_words(text: str) -> tuple[str, ...]:
    return tuple(fold(text, keep="ascii").split())


# (text, unquote, casefold, fold, fold_words, fold_alnum, place words)
CASES = [
    ("München", "München", "münchen", "munchen", "munchen", "munchen", ("munchen",)),
    ("MÜNCHEN", "MÜNCHEN", "münchen", "munchen", "munchen", "munchen", ("munchen",)),
    ("Muenchen", "Muenchen", "muenchen", "muenchen", "muenchen", "muenchen", ("muenchen",)),
    ("Straße", "Straße", "strasse", "strasse", "strasse", "strasse", ("strasse",)),
    ("STRASSE", "STRASSE", "strasse", "strasse", "strasse", "strasse", ("strasse",)),
    ("Zürich", "Zürich", "zürich", "zurich", "zurich", "zurich", ("zurich",)),
    (
        "Ærøskøbing",
        "Ærøskøbing",
        "ærøskøbing",
        "ærøskøbing",
        "ærøskøbing",
        "ærøskøbing",
        ("aeroskobing",),
    ),
    ("Łódź", "Łódź", "łódź", "łodz", "łodz", "łodz", ("lodz",)),
    ("Þórshöfn", "Þórshöfn", "þórshöfn", "þorshofn", "þorshofn", "þorshofn", ("thorshofn",)),
    ("São Paulo", "São Paulo", "são paulo", "saopaulo", "sao paulo", "saopaulo", ("sao", "paulo")),
    ("A Coruña", "A Coruña", "a coruña", "acoruna", "a coruna", "acoruna", ("a", "coruna")),
    ("İstanbul", "İstanbul", "i̇stanbul", "istanbul", "istanbul", "istanbul", ("istanbul",)),
    (
        "Frankfurt (Oder)",
        "Frankfurt (Oder)",
        "frankfurt (oder)",
        "frankfurt(oder)",
        "frankfurt oder",
        "frankfurtoder",
        ("frankfurt", "oder"),
    ),
    (
        "Frankfurt a.M.",
        "Frankfurt a.M.",
        "frankfurt a.m.",
        "frankfurta.m.",
        "frankfurt a m",
        "frankfurtam",
        ("frankfurt", "a", "m"),
    ),
    (
        "Bolzano/Bozen",
        "Bolzano/Bozen",
        "bolzano/bozen",
        "bolzano/bozen",
        "bolzano bozen",
        "bolzanobozen",
        ("bolzano", "bozen"),
    ),
    (
        "San Francisco, CA",
        "San Francisco, CA",
        "san francisco, ca",
        "sanfrancisco,ca",
        "san francisco ca",
        "sanfranciscoca",
        ("san", "francisco", "ca"),
    ),
    (
        "Saint-Denis",
        "Saint-Denis",
        "saint-denis",
        "saint-denis",
        "saint denis",
        "saintdenis",
        ("saint", "denis"),
    ),
    (
        "Baden-Württemberg",
        "Baden-Württemberg",
        "baden-württemberg",
        "baden-wurttemberg",
        "baden wurttemberg",
        "badenwurttemberg",
        ("baden", "wurttemberg"),
    ),
    ("l'Aquila", "l'Aquila", "l'aquila", "l'aquila", "l aquila", "laquila", ("l", "aquila")),
    ("“Office B”", "Office B", "office b", "“officeb”", "office b", "officeb", ("office", "b")),
    (
        "\"'HQ  Munich'\"",
        "HQ  Munich",
        "hq munich",
        "\"'hqmunich'\"",
        "hq munich",
        "hqmunich",
        ("hq", "munich"),
    ),
    (
        "  Off\tice  B ",
        "Off\tice  B",
        "off ice b",
        "officeb",
        "off ice b",
        "officeb",
        ("off", "ice", "b"),
    ),
    (
        "snake_case 12",
        "snake_case 12",
        "snake_case 12",
        "snake_case12",
        "snake_case 12",
        "snakecase12",
        ("snake", "case", "12"),
    ),
    ("Москва", "Москва", "москва", "москва", "москва", "москва", ()),
    ("", "", "", "", "", "", ()),
]


@pytest.mark.parametrize(("text", "unq", "cf", "fo", "fw", "fa", "pw"), CASES)
def test_each_key_of_a_text(text, unq, cf, fo, fw, fa, pw):
    assert unquote(text) == unq
    assert casefold(text) == cf
    assert fold(text) == fo
    assert fold_words(text) == fw
    assert fold_alnum(text) == fa
    assert place_words(text) == pw


def test_none_is_empty():
    assert unquote(None) == casefold(None) == fold(None) == fold_words(None) == ""


def test_quotes_only_come_off_in_pairs_around_the_whole_text():
    assert unquote("«“Office B”»") == "Office B"
    assert unquote("“Office B") == "“Office B"
    assert unquote("Bob's 'desk'") == "Bob's 'desk'"
    assert unquote("  ' spaced '  ") == "spaced"


def test_umlauts_fold_to_the_bare_vowel_not_to_e_spellings():
    # München/Muenchen is the area matcher's job (it adds the -e spelling as a form).
    assert fold("Müller") != fold("Mueller")
    assert place_words("Müller") == ("muller",)


def test_an_unknown_keep_is_refused():
    with pytest.raises(ValueError, match="keep="):
        fold("x", keep="spaces")  # type: ignore[arg-type]
