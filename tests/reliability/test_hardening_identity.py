"""Who and which workspace a request is for (issue #11, item 7): the team id must match
whole (no trailing newline), an empty team id never falls back to the enterprise id,
admin/owner status of a user of another workspace does not count, and ``Settings``
never shows its secrets when printed.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from bot.config import load_settings
from tests.conftest import MANAGER
from tests.e2e.test_numbers import MUNICH, seed, texts
from tests.fakeslack import APP_ID, TEAM_ID, VERIFICATION_TOKEN


def command_body(text: str, team_id: str, user: str = MANAGER, **extra: str) -> str:
    return urlencode(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id,
            "channel_id": "C1",
            "user_id": user,
            "command": "/numbers",
            "text": text,
            "api_app_id": APP_ID,
            "response_url": "http://127.0.0.1:9/respond/x",
            "trigger_id": "1.2.3",
            **extra,
        }
    )


def data_files(bot) -> list[str]:
    return sorted(p.name for p in bot.data_dir.iterdir()) if bot.data_dir.exists() else []


def test_a_team_id_with_a_trailing_newline_is_not_a_workspace(bot):
    seed(bot, [MUNICH])
    before = data_files(bot)
    r = bot.sender.send(command_body("add +49 30 1234567", "T1\n"))
    assert r.status == 200
    assert "Added" not in (r.json or {}).get("text", r.body_text)
    assert data_files(bot) == before
    assert not [n for n in data_files(bot) if "\n" in n]


def test_an_empty_team_id_with_an_enterprise_id_is_refused_and_writes_nothing(bot):
    seed(bot, [MUNICH])
    before = data_files(bot)
    r = bot.sender.send(command_body("add +49 30 1234567", "", enterprise_id="E1"))
    assert r.status == 200
    reply = r.json["text"] if r.json else r.body_text
    assert "workspace" in reply.lower(), reply
    assert data_files(bot) == before
    assert not [n for n in data_files(bot) if "E1" in n]
    assert "+49301234567" not in {i.e164 for i in bot.inventory().number_list()}


def test_an_empty_team_in_a_payload_takes_the_users_workspace(bot):
    seed(bot, [MUNICH])
    before = data_files(bot)
    payload = {
        "type": "block_suggestion",
        "user": {"id": MANAGER, "username": "manager", "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "action_id": "numbers_search",
        "block_id": "numbers",
        "value": "+4989",
        "team": {"id": "", "domain": ""},
        "enterprise": {"id": "E1", "name": "Org"},
        "is_enterprise_install": True,
    }
    r = bot.sender.send(urlencode({"payload": json.dumps(payload)}))
    assert r.status == 200
    assert "+49 89" in texts(r.json)
    assert data_files(bot) == before


def test_admin_status_counts_only_in_the_users_own_workspace(bot):
    bot.fake.add_user("UFOREIGN", name="foreign admin", is_admin=True, team_id="T2")
    bot.fake.add_user("UHOMEADMIN", name="home admin", is_admin=True, team_id=TEAM_ID)
    r = bot.sender.command("add +49 89 1234567", user="UFOREIGN")
    assert "Added" not in r.json["text"]
    assert bot.inventory().number_list() == []
    r = bot.sender.command("add +49 89 1234567", user="UHOMEADMIN")
    assert "Added 1 number" in r.json["text"]


def test_settings_repr_and_str_hide_the_secrets():
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-very-secret-bot-token",
            "SLACK_SIGNING_SECRET": "very-secret-signing-secret",
            "SLACK_APP_TOKEN": "xapp-very-secret-app-token",
        }
    )
    for shown in (repr(settings), str(settings), f"{settings}", f"{settings!r}"):
        assert "very-secret" not in shown, shown
        assert "Settings(" in shown
    assert settings.bot_token == "xoxb-very-secret-bot-token"  # still there to use
