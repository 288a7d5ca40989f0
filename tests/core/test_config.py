"""Settings: every malformed value stops start-up with one line naming the variable."""

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

GOOD = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


def test_defaults():
    s = load_settings(dict(GOOD))
    assert s.port == 3000
    assert s.data_dir == Path("data")
    assert s.default_region == "FI"
    assert s.digest_time == (8, 0)
    assert s.notify_channel is None
    assert not s.socket_mode
    s.require_slack()


def test_values_are_read():
    s = load_settings(
        dict(
            GOOD,
            PORT="8080",
            NUMBERS_MANAGERS="U1ABC, U2DEF",
            NUMBERS_NOTIFY_CHANNEL="C0123",
            NUMBERS_DIGEST_TIME="17:45",
            NUMBERS_DEFAULT_REGION="de",
            SLACK_API_URL="http://127.0.0.1:1234/api",
            SLACK_APP_TOKEN="xapp-1",
        )
    )
    assert s.port == 8080
    assert s.managers == frozenset({"U1ABC", "U2DEF"})
    assert s.notify_channel == "C0123"
    assert s.digest_time == (17, 45)
    assert s.default_region == "DE"
    assert s.api_url == "http://127.0.0.1:1234/api/"
    assert s.socket_mode


@pytest.mark.parametrize(
    "env, named",
    [
        ({"PORT": "http"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"NUMBERS_MANAGERS": "maria"}, "NUMBERS_MANAGERS"),
        ({"NUMBERS_NOTIFY_CHANNEL": "#general"}, "NUMBERS_NOTIFY_CHANNEL"),
        ({"NUMBERS_DIGEST_TIME": "8am"}, "NUMBERS_DIGEST_TIME"),
        ({"NUMBERS_DIGEST_TIME": "24:00"}, "NUMBERS_DIGEST_TIME"),
        ({"NUMBERS_DEFAULT_REGION": "XX"}, "NUMBERS_DEFAULT_REGION"),
        ({"SLACK_API_URL": "slack.local"}, "SLACK_API_URL"),
        ({"NUMBERS_RULES_FILE": "/nonexistent/rules.toml"}, "NUMBERS_RULES_FILE"),
    ],
)
def test_malformed_setting_is_named(env, named):
    with pytest.raises(ConfigError) as info:
        load_settings(dict(GOOD, **env))
    message = str(info.value)
    assert message.startswith(named)
    assert "\n" not in message


def test_malformed_rules_file_names_the_line(tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text("[defaults]\nlocal = \n")
    with pytest.raises(ConfigError) as info:
        load_settings(dict(GOOD, NUMBERS_RULES_FILE=str(rules)))
    assert "NUMBERS_RULES_FILE" in str(info.value)
    assert "line 2" in str(info.value)


@pytest.mark.parametrize(
    "env, named",
    [
        ({}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxp-user"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, "SLACK_APP_TOKEN"),
    ],
)
def test_running_needs_slack_settings(env, named):
    with pytest.raises(ConfigError) as info:
        load_settings(env).require_slack()
    assert named in str(info.value)
    assert "README" in str(info.value) or "xapp-" in str(info.value) or "xoxb-" in str(info.value)
