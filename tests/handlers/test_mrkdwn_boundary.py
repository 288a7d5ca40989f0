"""handlers/mrkdwn.py's ``md``: the one way typed text goes into mrkdwn, escaped."""

from __future__ import annotations

import re
from pathlib import Path

from handlers.mrkdwn import Mrkdwn, escape, join, md, user

EVIL = "<!channel> <@U0123ABCD> <https://example.com|click> & co"
SAFE = "&lt;!channel&gt; &lt;@U0123ABCD&gt; &lt;https://example.com|click&gt; &amp; co"
HANDLERS = Path(__file__).resolve().parents[2] / "handlers"


def test_md_escapes_every_argument_and_keeps_the_template():
    assert md("*{}* is in {}", EVIL, "München") == f"*{SAFE}* is in München"
    assert md("{name}: {n:,} numbers", name=EVIL, n=12345) == f"{SAFE}: 12,345 numbers"
    assert isinstance(md("x"), Mrkdwn)


def test_mrkdwn_goes_in_as_it_is_so_nothing_is_escaped_twice():
    inner = md("*{}*", EVIL)
    assert md("{} by {}", inner, user("U0MARIA")) == f"*{SAFE}* by <@U0MARIA>"
    assert escape(escape(EVIL)) == SAFE
    assert user("not an id <!here>") == "not an id &lt;!here&gt;"


def test_join_and_adding_keep_the_mark_only_when_both_sides_are_mrkdwn():
    joined = join(", ", [EVIL, user("U0MARIA")])
    assert joined == f"{SAFE}, <@U0MARIA>" and isinstance(joined, Mrkdwn)
    assert isinstance(md("a") + md("b"), Mrkdwn)
    assert not isinstance(md("a") + EVIL, Mrkdwn)  # typed text added raw is not marked
    assert md("{}", md("a") + EVIL) == f"a{SAFE}"


def test_no_escape_calls_outside_mrkdwn():
    """Handlers write md(...) (or pass Mrkdwn through): escape( is left to
    handlers/mrkdwn.py alone."""
    calls = sum(
        len(re.findall(r"\bescape\(", path.read_text(encoding="utf-8")))
        for path in HANDLERS.rglob("*.py")
        if path.name != "mrkdwn.py"
    )
    assert calls == 0
