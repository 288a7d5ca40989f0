"""End to end: `/numbers agent delete NAME` and the Delete button on the agent's card
(issue 12 item 6): managers only, asked once more, audited."""

from __future__ import annotations

from bot.core.agents import Agents
from tests.conftest import READER
from tests.e2e.test_agents import MUC1, reply_text, seed
from tests.e2e.test_numbers import buttons, texts


def test_agent_delete_command_asks_then_deletes_and_is_audited(bot):
    seed(bot)
    reply_text(bot.command("agent Maria callerid +49 89 12345678"))
    agent = Agents(bot.inventory()).agent("Maria")

    refused = reply_text(bot.command("agent delete Maria", user=READER))
    assert "Only managers can delete agents" in refused

    prompt = bot.command("agent delete maria").json
    assert "Delete the agent *Maria*?" in texts(prompt)
    button = buttons(prompt["blocks"])["delete_agent"]
    assert button["confirm"]  # asked once more
    assert Agents(bot.inventory()).find("Maria") is not None

    bot.sender.block_action("delete_agent", agent.id, message=prompt)
    said = bot.fake.wait_for("response_url")[-1].body
    assert said["replace_original"] is True and "Agent *Maria* deleted." in said["text"]
    assert Agents(bot.inventory()).find("Maria") is None
    assert bot.inventory().info(MUC1)  # the number stays
    assert "<@UMANAGER> deleted the agent *Maria*" in texts(bot.command("audit").json)
    assert "There is no agent" in reply_text(bot.command("agent delete Maria"))


def test_agent_card_has_a_delete_button_for_managers_only(bot):
    seed(bot)
    reply_text(bot.command("agent Jo callerid +49 89 12345678"))
    card = bot.command("agent Jo").json
    assert "delete_agent" in buttons(card["blocks"])
    assert "delete_agent" not in buttons(bot.command("agent Jo", user=READER).json["blocks"])
    bot.sender.block_action("delete_agent", Agents(bot.inventory()).agent("Jo").id, message=card)
    assert "deleted" in bot.fake.wait_for("response_url")[-1].body["text"]
    assert Agents(bot.inventory()).find("Jo") is None
