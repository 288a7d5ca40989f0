"""The campaign form's two settings end to end: the bot as a real HTTP server, the fake
Slack opening and submitting its modals, the result read back from disk."""

from __future__ import annotations

from tests.e2e.test_groups_campaigns import add_numbers, blocks_text, open_form
from tests.fakeslack import assert_within_limits

BERLIN = "+49 30 1234567"
ORIGIN = "Calls enter the phone network in"


def initial(modal, label: str) -> str | None:
    option = modal.element(label).get("initial_option")
    return option["value"] if option else None


def test_campaign_form_sets_and_edit_prefills_origin_and_purpose(bot):
    add_numbers(bot, BERLIN)
    modal = open_form(bot, "campaign new Spring")
    assert modal.labels()[:3] == ["Name", ORIGIN, "Purpose"]
    # Defaults: each number's own country first, and sales.
    assert (initial(modal, ORIGIN), initial(modal, "Purpose")) == ("own", "sales")
    groups = modal.element(ORIGIN)["option_groups"]
    assert groups[0]["options"][0]["text"]["text"] == "Each number's own country"
    assert len(groups) <= 100 and all(len(g["options"]) <= 100 for g in groups)
    assert sum(len(g["options"]) for g in groups) > 200  # every country, grouped

    r = (
        modal.fill("Numbers", ["+49301234567"])
        .fill(ORIGIN, "Finland (FI)")
        .fill("Purpose", "service")
        .submit(bot.sender)
    )
    assert r.status == 200 and r.json["response_action"] == "update", r.body_text
    campaign = bot.inventory().campaign("Spring")
    assert (campaign.origin, campaign.purpose, campaign.numbers) == (
        "FI",
        "service",
        ["+49301234567"],
    )

    # `campaign show` names both settings in one line.
    r = bot.command("campaign show Spring")
    shown = blocks_text(r.json["blocks"])
    assert "Calls enter the phone network in *Finland* · purpose *service*" in shown

    # `campaign edit` opens the form prefilled; saved unchanged, both settings stay.
    modal = open_form(bot, "campaign edit Spring")
    assert_within_limits(view=modal.view)
    assert (initial(modal, ORIGIN), initial(modal, "Purpose")) == ("FI", "service")
    r = modal.submit(bot.sender)
    assert r.json["response_action"] == "update", r.body_text
    campaign = bot.inventory().campaign("Spring")
    assert (campaign.origin, campaign.purpose) == ("FI", "service")

    # Back to a local carrier per country, for sales.
    r = (
        open_form(bot, "campaign edit Spring")
        .fill(ORIGIN, "own")
        .fill("Purpose", "Sales")
        .submit(bot.sender)
    )
    assert r.json["response_action"] == "update", r.body_text
    campaign = bot.inventory().campaign("Spring")
    assert (campaign.origin, campaign.purpose) == (None, "sales")
    r = bot.command("campaign show Spring")
    assert (
        "Calls enter the phone network in *each number's own country* · purpose *sales*"
        in blocks_text(r.json["blocks"])
    )
    # The verdict follows the setting: from Finland the Berlin number was blocked.
    assert bot.inventory().presentation(BERLIN, "Spring").status == "deliverable"


def test_a_tampered_setting_is_an_inline_error_and_nothing_is_saved(bot):
    add_numbers(bot, BERLIN)
    modal = open_form(bot, "campaign new Spring").fill("Numbers", ["+49301234567"])
    # Slack only sends options the form offered; a forged submission is refused all the same.
    modal.fill(ORIGIN, {"text": {"type": "plain_text", "text": "Narnia"}, "value": "Narnia"})
    r = modal.submit(bot.sender)
    assert r.json["response_action"] == "errors", r.body_text
    assert "“Narnia” is not a country" in r.json["errors"]["origin"]
    modal.fill(ORIGIN, "own")
    modal.fill("Purpose", {"text": {"type": "plain_text", "text": "Spam"}, "value": "spam"})
    r = modal.submit(bot.sender)
    assert r.json["response_action"] == "errors", r.body_text
    assert "“spam” is not a purpose" in r.json["errors"]["purpose"]
    assert bot.inventory().campaign_list() == []
