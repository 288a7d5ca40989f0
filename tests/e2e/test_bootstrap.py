"""The composition root: one ``build_runtime`` wires settings, storage, roles, the Bolt
app and its worker; two runtimes built in one process share nothing."""

from __future__ import annotations

import json

import pytest

import handlers.router as router
from bot.bootstrap import build_runtime
from handlers.router import Call, Commands, Reply, subcommand
from tests.conftest import MANAGER, bot_settings
from tests.e2e.test_requests import addresses, request_buy


@subcommand("extra", "extra", "extra", "only in one app")
def _extra(call: Call) -> Reply:
    return Reply("extra")


def test_importing_the_surfaces_registers_nothing():
    import handlers.numbers  # noqa: F401 - imported for the check

    assert not hasattr(router, "SUBCOMMANDS")
    assert Commands().by_word == {}


def test_two_runtimes_in_one_process_share_nothing(fake, tmp_path):
    one = build_runtime(bot_settings(fake, tmp_path / "one"))
    two = build_runtime(bot_settings(fake, tmp_path / "two"))
    try:
        assert one.app is not two.app and one.registry is not two.registry
        words = one.registry.commands.by_word
        assert {"", "help", "list", "add", "digest", "access", "requests"} <= words.keys()
        assert words.keys() == two.registry.commands.by_word.keys()
        # One App Home section each (the requests waiting), not one per app built.
        assert len(one.registry.home_sections) == len(two.registry.home_sections) == 1
        two.registry.commands.add(_extra)
        assert "extra" in two.registry.commands.by_word and "extra" not in words
        with pytest.raises(ValueError):
            two.registry.commands.add(_extra)

        assert len(one.workers) == len(two.workers) == 1 and one.workers[0] is not two.workers[0]
        assert not any(w.running for w in one.workers + two.workers)  # built, not started
        one.start()
        two.start()
        assert all(w.running for w in one.workers + two.workers)
        one.stop()
        assert not any(w.running for w in one.workers)
        assert all(w.running for w in two.workers)
    finally:
        one.stop()
        two.stop()
    assert not any(w.running for w in two.workers)


def test_app_home_shows_the_waiting_requests_once_after_a_second_app_is_built(bot, fake):
    build_runtime(bot.settings)  # another app in this process, never started
    request_buy(bot, addresses(bot)["munich"])
    published = len(fake.calls_to("views.publish"))
    assert bot.sender.app_home_opened(MANAGER).status == 200
    view = fake.wait_for("views.publish", published + 1)[-1].body["view"]
    shown = json.dumps(view["blocks"])
    assert shown.count("for a decision") == 1, shown


def test_help_lists_what_the_app_registered(bot):
    text = json.dumps(bot.command("help").json)
    assert "/numbers digest" in text and "/numbers access" in text
    assert "/numbers extra" not in text
