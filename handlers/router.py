"""The `/numbers` command: splitting the text, finding the subcommand, answering.

Each domain module marks its subcommands with ``@subcommand`` (which only describes
the function) and adds them to the app's ``Commands`` in its ``register``: the table
belongs to one Bolt app, not to the process. A subcommand returns
a ``Reply`` (answered in the ack, ephemeral), an ``OpenModal`` (ack first, then
views.open with the trigger_id at once) or a ``Later`` (ack with a note, the slow
work after it, answered through response_url).
"""

from __future__ import annotations

import difflib
import logging
import re
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.core.errors import DomainError
from handlers import blocks as B
from handlers import permissions
from handlers.mrkdwn import md, mention_user, unescape
from handlers.session import Session

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on our side. The error was logged; please try again."
FORM_FAILED = "Sorry, Slack did not open the form in time. Please run the command again."
MAX_TEXT = 4000  # longer command text is refused before it is split
ACK_DEADLINE = 2.5  # seconds: Slack gives up on an ack after 3

_NUMBER_START = re.compile(r"^\+?[\d(]")
_NUMBER_PART = re.compile(r"^[\d()\-./]+$")
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'"})


def refusal(exc: DomainError) -> str:
    """What the person is told of a refusal; server paths in it go only to the log."""
    public = exc.public
    if public != exc.message:
        log.warning("refused: %s", exc.message)
    return public


@dataclass
class Reply:
    text: str
    blocks: list[dict] | None = None
    in_channel: bool = False

    def payload(self) -> dict:
        blocks = self.blocks or [B.section(self.text)]
        body = B.message(blocks, self.text)
        body["response_type"] = "in_channel" if self.in_channel else "ephemeral"
        return body


@dataclass
class OpenModal:
    view: dict


@dataclass
class Later:
    note: str
    work: Callable[[], Reply | None]


@dataclass
class Call:
    """One `/numbers` invocation, as the subcommand sees it."""

    words: list[str]  # after the subcommand word, unescaped; mentions as user ids
    session: Session
    body: dict
    client: Any
    commands: Commands | None = None  # the app's table (help lists it)

    @property
    def inventory(self):
        return self.session.inventory

    @property
    def actor(self):
        return self.session.actor

    @property
    def channel_id(self) -> str:
        return self.body.get("channel_id", "")

    def options(self) -> tuple[list[str], dict[str, str]]:
        """Positional words and key=value options (keys lower-cased).

        A number written with spaces after a key (``to=+49 89 1234567``) stays one value.
        """
        positional, named = [], {}
        last_key = None
        for word in self.words:
            key, sep, value = word.partition("=")
            if sep and key.isidentifier():
                last_key = key.casefold()
                named[last_key] = value
            elif last_key and _NUMBER_START.match(named[last_key]) and _NUMBER_PART.match(word):
                named[last_key] += " " + word
            else:
                last_key = None
                positional.append(word)
        return positional, named

    def page(self, named: dict[str, str]) -> int:
        text = named.get("page", "1")
        if not text.isdigit() or int(text) < 1:
            raise DomainError("page= takes a page number like 2.")
        return int(text)


@dataclass
class Subcommand:
    name: str
    usage: str
    example: str
    summary: str
    run: Callable[[Call], Reply | OpenModal | Later]
    aliases: tuple[str, ...] = field(default_factory=tuple)


HELP_ORDER = (
    "",
    "help",
    "list",
    "show",
    "add",
    "remove",
    "address",
    "link",
    "unlink",
    "confirm",
    "group",
    "campaign",
    "agent",
    "callerid",
    "buy",
    "mandate",
    "requests",
    "digest",
    "access",
    "audit",
    "import",
    "export",
)


def subcommand(name: str, usage: str, example: str, summary: str, aliases: tuple[str, ...] = ()):
    """Describe fn as the subcommand ``name``; ``Commands.add`` puts it in an app's table."""

    def describe(fn: Callable[[Call], Reply | OpenModal | Later]):
        fn.subcommand = Subcommand(name, usage, example, summary, fn, aliases)
        return fn

    return describe


class Commands:
    """One app's `/numbers` subcommands: word (or alias) → entry, in the order added."""

    def __init__(self) -> None:
        self.by_word: dict[str, Subcommand] = {}
        self.order: list[str] = []

    def add(self, *fns: Callable[[Call], Reply | OpenModal | Later]) -> None:
        for fn in fns:
            entry: Subcommand = fn.subcommand
            for word in (entry.name, *entry.aliases):
                if word in self.by_word:
                    raise ValueError(f"/numbers {word!r} is added twice")
                self.by_word[word] = entry
            self.order.append(entry.name)

    def get(self, word: str) -> Subcommand | None:
        return self.by_word.get(word)

    def usage(self, name: str) -> str:
        entry = self.by_word.get(name)
        if entry is None:
            return ""
        return f"`/numbers {entry.usage}` — for example `/numbers {entry.example}`"


class UsageError(DomainError):
    """The words do not fit the subcommand; the reply adds its usage line (``Commands``)."""

    def __init__(self, name: str, message: str = "") -> None:
        super().__init__(message)
        self.name = name

    def with_usage(self, commands: Commands) -> DomainError:
        usage = commands.usage(self.name)
        return DomainError(f"{self.message} Usage: {usage}".strip(), self.field)


def split(text: str) -> list[str]:
    """Split like a shell; typographic quotes count as straight ones; Slack's escapes undone."""
    text = (text or "").replace("\x00", "").translate(_QUOTES).strip()
    if len(text) > MAX_TEXT:
        raise DomainError(f"That is too long for a command ({len(text)} characters).")
    try:
        words = shlex.split(text)
    except ValueError:
        raise DomainError("A quote is not closed: put names with spaces in “quotes”.") from None
    return [mention_user(w) or unescape(w) for w in words]


def help_reply(commands: Commands, hint: str | None = None) -> Reply:
    lines = [md("*{}*\n", hint) if hint else "", "*`/numbers` — what you can do*"]
    seen = []
    # The order of PRODUCT.md's grammar (a team lead's work flow); others after it.
    ordered = [n for n in HELP_ORDER if n in commands.by_word] + [
        n for n in commands.order if n not in HELP_ORDER
    ]
    for name in ordered:
        entry = commands.by_word[name]
        if entry in seen:
            continue
        seen.append(entry)
        if not entry.name:
            lines.append(f"• `/numbers` — {entry.summary}")
            continue
        lines.append(
            f"• `/numbers {entry.usage}` — {entry.summary} (e.g. `/numbers {entry.example}`)"
        )
    text = "\n".join(line for line in lines if line)
    chunks, current = [], ""
    for line in text.split("\n"):
        if len(current) + len(line) + 1 > 2900:
            chunks.append(current)
            current = ""
        current += line + "\n"
    chunks.append(current)
    return Reply(text="/numbers help", blocks=[B.section(c) for c in chunks if c.strip()])


def near_miss_reply(hint: str, entry: Subcommand, rest: list[str]) -> Reply:
    """A typo of a subcommand: the command it probably was and that one's usage, not the
    whole help."""
    meant = " ".join([entry.name, *(f'"{w}"' if " " in w else w for w in rest)])[:200]
    text = (
        md("{} Did you mean `/numbers {}`?\n", hint, meant)
        + f"`/numbers {entry.usage}` — {entry.summary}, for example "
        f"`/numbers {entry.example}`.\n`/numbers help` lists everything."
    )
    return Reply(text)


def dispatch(commands: Commands, call_words: list[str], session: Session, body: dict, client: Any):
    if not call_words:
        return commands.by_word[""].run(Call([], session, body, client, commands))
    word = call_words[0].casefold()
    entry = commands.get(word)
    if entry is None:
        hint = f"I don't know “{call_words[0][:40]}”."
        close = difflib.get_close_matches(word, [w for w in commands.by_word if w], n=1)
        if close:
            return near_miss_reply(hint, commands.by_word[close[0]], call_words[1:])
        return help_reply(commands, f"{hint} Here is what I know:")
    # Refused here, before the subcommand runs, when the table says "managers only".
    permissions.check_command(session, entry.name, call_words[1:])
    return entry.run(Call(call_words[1:], session, body, client, commands))


def numbers_command(commands: Commands):
    """The `/numbers` listener of one app, answering from that app's table."""

    def warning(exc: DomainError) -> Reply:
        if isinstance(exc, UsageError):
            exc = exc.with_usage(commands)
        return Reply(md(":warning: {}", refusal(exc)))

    def listener(ack, body, client, context, respond):
        session: Session = context["session"]
        started = time.monotonic()

        def answer(reply: Reply) -> None:
            ack(**reply.payload())
            if time.monotonic() - started > ACK_DEADLINE:
                # Slack stopped waiting for the ack (a change that waited for the database):
                # the answer goes through response_url instead, so the person still gets it.
                respond(**reply.payload())

        try:
            result = dispatch(commands, split(body.get("text", "")), session, body, client)
        except DomainError as exc:
            answer(warning(exc))
            return
        except Exception:
            log.exception("/numbers %r failed", (body.get("text") or "")[:100])
            answer(Reply(APOLOGY))
            return
        if isinstance(result, Reply):
            answer(result)
        elif isinstance(result, OpenModal):
            ack()
            try:
                client.views_open(trigger_id=body["trigger_id"], view=result.view)
            except Exception:
                log.exception("/numbers %r: the form did not open", (body.get("text") or "")[:100])
                respond(**Reply(FORM_FAILED).payload())
        elif isinstance(result, Later):
            ack(**Reply(result.note).payload())
            try:
                reply = result.work()
            except DomainError as exc:
                reply = warning(exc)
            except Exception:
                log.exception("/numbers %r failed after ack", (body.get("text") or "")[:100])
                reply = Reply(APOLOGY)
            if reply:
                respond(**reply.payload())

    listener.__name__ = listener.__qualname__ = "numbers_command"
    return listener


@subcommand("help", "help", "help", "every subcommand with an example")
def _help(call: Call) -> Reply:
    return help_reply(call.commands or Commands())


def register(app, registry) -> None:
    registry.commands.add(_help)
    app.command("/numbers")(numbers_command(registry.commands))
