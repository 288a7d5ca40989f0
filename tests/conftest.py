"""Shared fixtures: the bot running as a real HTTP server against a fake Slack."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.bootstrap import build_runtime
from bot.config import Settings, load_settings
from bot.server import make_server
from tests.fakeslack import BOT_TOKEN, TEAM_ID, FakeSlack, SlackSender

SIGNING_SECRET = "test-signing-secret"
MANAGER = "UMANAGER"
READER = "UREADER"


@dataclass
class RunningBot:
    fake: FakeSlack
    sender: SlackSender
    settings: Settings
    server: object
    data_dir: Path

    def inventory(self, team: str = TEAM_ID):
        """A fresh view of what is on disk (a separate process would see the same)."""
        from bot.bootstrap import Workspaces

        return Workspaces(self.settings).inventory(team)

    def command(self, text: str, user: str = MANAGER, **kwargs):
        return self.sender.command(text, user=user, **kwargs)


def bot_settings(fake: FakeSlack, data_dir: Path, **env) -> Settings:
    base = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.url,
        "NUMBERS_DATA_DIR": str(data_dir),
        "NUMBERS_MANAGERS": MANAGER,
        "NUMBERS_DEFAULT_REGION": "DE",
    }
    base.update(env)
    return load_settings(base)


def _serve(server) -> None:
    # The loop ends on a closed socket when the test stops the server.
    with contextlib.suppress(OSError, ValueError):
        server.run()


def start_bot(fake: FakeSlack, settings: Settings):
    """The bot as production runs it (``build_runtime``, its workers started, waitress),
    on a free port; ``server.runtime`` is the running bot."""
    runtime = build_runtime(settings).start()
    server = make_server(runtime, host="127.0.0.1", port=0)
    thread = threading.Thread(target=_serve, args=(server,), daemon=True)
    thread.start()
    sender = SlackSender(f"http://127.0.0.1:{server.effective_port}", SIGNING_SECRET, fake)
    return server, sender


def stop_bot(server, settings: Settings | None = None) -> None:
    """Stop the bot's background notification worker and the HTTP server."""
    server.runtime.stop()
    server.close()


@pytest.fixture
def fake():
    with FakeSlack() as fake:
        fake.add_user(MANAGER, name="manager")
        fake.add_user(READER, name="reader")
        yield fake


@pytest.fixture
def bot(fake, tmp_path) -> RunningBot:
    settings = bot_settings(fake, tmp_path / "data")
    server, sender = start_bot(fake, settings)
    try:
        yield RunningBot(fake, sender, settings, server, tmp_path / "data")
    finally:
        stop_bot(server, settings)
