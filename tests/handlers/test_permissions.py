"""Permissions declared once (``handlers.permissions``): every button and form is
either manager only or open to everyone, and a reader is refused each manager-only
listener before it runs, with the declared text."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

import handlers
from bot.core.auditing import require_manager
from bot.core.errors import PermissionDenied
from bot.core.model import Actor
from handlers.mrkdwn import escape
from handlers.permissions import ACTION, COMMAND, EVERYONE, MANAGER_ONLY, VIEW, Rule, key_name
from tests.conftest import READER, RunningBot, bot_settings, start_bot, stop_bot

CHANNEL = "C0NOTIFY"


class RecordingApp:
    """Stands in for Bolt's App: records what each surface registers."""

    def __init__(self) -> None:
        self.listeners: set[tuple[str, str]] = set()

    def _record(self, kind: str, name):
        self.listeners.add((kind, key_name(name)))
        return lambda fn: fn

    def command(self, name):
        return self._record(COMMAND, name)

    def action(self, name):
        return self._record(ACTION, name)

    def view(self, name):
        return self._record(VIEW, name)

    def options(self, name):
        return self._record("options", name)

    def event(self, name):
        return self._record("event", name)

    def use(self, middleware) -> None:
        pass


def registered():
    app = RecordingApp()
    registry = handlers.register(app, None, None, SimpleNamespace(notify_channel=None))
    return app.listeners, registry.commands


def declared_text(rule: Rule) -> str:
    """The one refusal text of the action: the service's wording with the declared doing."""
    with pytest.raises(PermissionDenied) as refused:
        require_manager(Actor(READER, False), rule.doing)
    return refused.value.message


def test_every_button_and_form_is_declared_once():
    listeners, commands = registered()
    interactive = {(k, n) for k, n in listeners if k in (ACTION, VIEW)}
    manager_only = {key for key in MANAGER_ONLY if key[0] != COMMAND}
    assert not manager_only & EVERYONE
    assert interactive - manager_only - EVERYONE == set(), "declare who may use these"
    assert (manager_only | EVERYONE) - interactive == set(), "declared but not registered"
    for kind, name in MANAGER_ONLY:
        if kind == COMMAND:
            assert commands.get(name.split()[0]) is not None, name


def test_no_surface_checks_the_role_itself():
    """The table is the one place: no handler writes a refusal of its own."""
    import pathlib

    root = pathlib.Path(handlers.__file__).parent
    found = [
        p.name
        for p in root.rglob("*.py")
        if "require_manager(" in p.read_text() and p.name not in ("permissions.py", "session.py")
    ]
    assert found == []


@pytest.fixture(scope="module")
def cbot(tmp_path_factory):
    from tests.fakeslack import FakeSlack

    with FakeSlack() as fake:
        fake.add_user(READER, name="reader")
        data = tmp_path_factory.mktemp("perm") / "data"
        settings = bot_settings(fake, data, NUMBERS_NOTIFY_CHANNEL=CHANNEL)
        server, sender = start_bot(fake, settings)
        try:
            yield RunningBot(fake, sender, settings, server, data)
        finally:
            stop_bot(server)


COMMAND_TEXT = {
    "add": "add +49 89 1234567",
    "remove": "remove +49 89 1234567",
    "link": 'link +49 89 1234567 to "HQ"',
    "unlink": "unlink +49 89 1234567",
    "agent delete": "agent delete maria",
    "access grant": "access grant <@UREADER>",
    "access revoke": "access revoke <@UREADER>",
}


def _example(name: str) -> str:
    return COMMAND_TEXT.get(name, f"{name} Something")


@pytest.mark.parametrize(
    "kind,name", sorted(MANAGER_ONLY), ids=lambda x: re.sub(r"\W+", "_", str(x)).strip("_")
)
def test_a_reader_is_refused_before_the_listener_runs(cbot, kind, name):
    fake, sender = cbot.fake, cbot.sender
    expected = escape(declared_text(MANAGER_ONLY[(kind, name)]))
    opened = len(fake.calls_to("views.open"))
    if kind == COMMAND:
        r = sender.command(_example(name), user=READER)
        assert r.status == 200
        assert r.json["text"] == f":warning: {expected}"
    elif kind == ACTION:
        replies = len(fake.calls_to("response_url"))
        action_id = "open_address_edit" if name.startswith("^") else name
        assert sender.block_action(action_id, value="x", user=READER).status == 200
        told = fake.wait_for("response_url", replies + 1)[replies:]
        assert [c.body["text"] for c in told] == [f":warning: {expected}"]
    else:
        view = {
            "type": "modal",
            "callback_id": name,
            "title": {"type": "plain_text", "text": "x"},
            "blocks": [
                {
                    "type": "input",
                    "block_id": "field",
                    "label": {"type": "plain_text", "text": "Field"},
                    "element": {"type": "plain_text_input", "action_id": "field"},
                }
            ],
        }
        r = sender.view_submission(view, {"field": {"field": {"value": "x"}}}, user=READER)
        assert r.status == 200
        assert r.json == {"response_action": "errors", "errors": {"field": expected}}
    assert len(fake.calls_to("views.open")) == opened  # no form opened for the reader


def test_the_digest_is_manager_only_with_a_channel_only(bot):
    r = bot.command("digest", user=READER)
    assert "Only managers" not in r.json["text"]  # no channel: the reader's own digest
