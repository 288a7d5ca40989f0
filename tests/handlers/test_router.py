"""The /numbers text: splitting like a shell, Slack's escapes, mentions, key=value options."""

import pytest

from bot.core.errors import DomainError
from handlers.router import Call, split


@pytest.mark.parametrize(
    "text, words",
    [
        ('link +49 89 1 to "HQ Munich"', ["link", "+49", "89", "1", "to", "HQ Munich"]),
        ("link 1 to “HQ Munich”", ["link", "1", "to", "HQ Munich"]),
        ("address show „HQ Wien“", ["address", "show", "HQ Wien"]),
        ("address show Smith &amp; Co", ["address", "show", "Smith", "&", "Co"]),
        ("address show &lt;!channel&gt;", ["address", "show", "<!channel>"]),
        ("access grant <@U0123ABC|maria>", ["access", "grant", "U0123ABC"]),
        ("access grant <@W0123ABC>", ["access", "grant", "W0123ABC"]),
        ("  list \x00 attention ", ["list", "attention"]),
        ("", []),
    ],
)
def test_split(text, words):
    assert split(text) == words


def test_unclosed_quote_is_explained():
    with pytest.raises(DomainError, match="quote"):
        split('address show "HQ Munich')


def test_overlong_text_is_refused():
    with pytest.raises(DomainError, match="too long"):
        split("x" * 5000)


@pytest.mark.parametrize(
    "words, positional, named",
    [
        (["attention", "country=DE", "page=2"], ["attention"], {"country": "DE", "page": "2"}),
        (["Sales", "to=+49", "89", "1234567"], ["Sales"], {"to": "+49 89 1234567"}),
        (["Sales", "to=+49", "89", "agent=maria"], ["Sales"], {"to": "+49 89", "agent": "maria"}),
        (["Sales", "agent=maria", "Smith"], ["Sales", "Smith"], {"agent": "maria"}),
        (["A=B=C"], [], {"a": "B=C"}),
    ],
)
def test_options(words, positional, named):
    call = Call(words=words, session=None, body={}, client=None)
    assert call.options() == (positional, named)
