"""`/numbers agent …` and `/numbers callerid …` end to end through the running bot.

Numbers, addresses and campaigns are set up through the services on the bot's own
data directory (as another process would); the subcommands under test go through
signed HTTP requests to the running bot.
"""

from __future__ import annotations

from bot.core.agents import Agents
from bot.core.model import Actor
from tests.conftest import MANAGER, READER
from tests.fakeslack import assert_within_limits

BOSS = Actor(MANAGER, is_manager=True)
MUC1, MUC2 = "+498912345678", "+498923456789"
BER_BARE = "+493012345678"  # no address: needs one in Berlin
HAM = "+494012345678"  # Hamburg, no address: needs one
BE_NATIONAL = "+3278102345"  # Belgian national: never caller ID
NOT_IN_INVENTORY = "+49 40 87654321"
CALLED_MUNICH = "+49 89 98765432"


def seed(bot, campaign_numbers=(MUC1, MUC2, BER_BARE, BE_NATIONAL)) -> None:
    inventory = bot.inventory()
    inventory.addresses.create(
        BOSS,
        {
            "name": "HQ Munich",
            "customer_name": "ACME GmbH",
            "street": "Marienplatz 1",
            "postal_code": "80331",
            "city": "München",
            "country": "DE",
            "confirmed": True,
        },
    )
    inventory.numbers.add(BOSS, [MUC1, MUC2], address_name="HQ Munich")
    inventory.numbers.add(BOSS, [BER_BARE, HAM, BE_NATIONAL])
    inventory.campaigns.save(BOSS, "Sales", numbers=list(campaign_numbers))


def reply_text(r) -> str:
    assert r.status == 200, r.body_text
    payload = r.json
    assert_within_limits(text=payload.get("text"), blocks=payload.get("blocks"))
    texts = [payload.get("text", "")]
    for block in payload.get("blocks") or []:
        if "text" in block and isinstance(block["text"], dict):
            texts.append(block["text"]["text"])
        for element in block.get("elements", []):
            if isinstance(element, dict) and "text" in element:
                texts.append(element["text"] if isinstance(element["text"], str) else "")
    return "\n".join(texts)


def test_agent_set_list_clear_with_audit(bot):
    seed(bot)
    text = reply_text(bot.command("agent Maria callerid +49 89 12345678"))
    assert "New agent *Maria* presents *+49 89 12345678*" in text
    assert ":white_check_mark:" in text and "HQ Munich" in text
    agent = Agents(bot.inventory()).agent("maria")
    assert agent.caller_id == MUC1 and agent.slack_user is None

    # A number needing an address is accepted, with a warning.
    text = reply_text(bot.command('agent Maria callerid "+49 30 12345678"'))
    assert "*Maria* now presents *+49 30 12345678*" in text
    assert ":warning:" in text and "not compliant" in text and "Berlin" in text

    text = reply_text(bot.command("agent Maria callerid +49 30 12345678"))
    assert "already presents" in text

    reply_text(bot.command('agent "Jo Doe" callerid 089 23456789'))  # national form, DE
    text = reply_text(bot.command("agents"))
    assert "Agents and their caller IDs: 2" in text
    assert "*Jo Doe* · *+49 89 23456789* · :white_check_mark: OK" in text
    assert "*Maria* · *+49 30 12345678* · :no_entry: Not usable" in text
    assert text.index("Jo Doe") < text.index("Maria")
    assert reply_text(bot.command("agent list")) == text

    text = reply_text(bot.command("agent maria callerid none"))
    assert "*Maria* has no own caller ID now" in text
    assert Agents(bot.inventory()).agent("Maria").caller_id is None
    assert "no own caller ID" in reply_text(bot.command("agent Maria"))
    assert "had no own caller ID" in reply_text(bot.command("agent Maria callerid none"))

    inventory = bot.inventory()
    entries = inventory.repo.audit_entries({agent.id})
    assert [e.action for e in entries] == ["agent.callerid", "agent.callerid", "agent.create"]
    assert entries[0].before["caller_id"] == BER_BARE and entries[0].after["caller_id"] is None
    assert all(e.who == MANAGER for e in entries)


def test_agent_by_mention(bot, fake):
    seed(bot)
    fake.add_user("U0MARIA", name="maria")
    text = reply_text(bot.command("agent <@U0MARIA|maria> callerid +49 89 12345678"))
    assert "<@U0MARIA>" in text
    agent = Agents(bot.inventory()).agent("U0MARIA")
    assert agent.slack_user == "U0MARIA" and agent.caller_id == MUC1
    assert "<@U0MARIA> · *+49 89 12345678*" in reply_text(bot.command("agents"))

    # Her own compliant caller ID wins over the pool's local number.
    text = reply_text(bot.command(f'callerid Sales agent=<@U0MARIA|maria> to="{CALLED_MUNICH}"'))
    assert ":telephone_receiver: *+49 89 12345678* (Munich) — chosen by: the agent's own" in text
    assert "1. Agent <@U0MARIA>'s own caller ID" in text

    # A typed name that merely looks like a user id is a name, not a mention.
    reply_text(bot.command("agent UBER callerid +49 89 23456789"))
    uber = Agents(bot.inventory()).agent("UBER")
    assert uber.slack_user is None and uber.name == "UBER"


def test_non_manager_is_refused_but_may_read(bot):
    seed(bot)
    reply_text(bot.command("agent Maria callerid +49 89 12345678"))
    text = reply_text(bot.command("agent Maria callerid none", user=READER))
    assert "Only managers can set an agent's caller ID" in text
    text = reply_text(bot.command("agent Nina callerid +49 89 12345678", user=READER))
    assert "Only managers" in text
    agents = bot.inventory().repo.agents.all()
    assert [(a.name, a.caller_id) for a in agents] == [("Maria", MUC1)]
    assert "*Maria*" in reply_text(bot.command("agents", user=READER))
    assert "chosen by" in reply_text(bot.command("callerid Sales", user=READER))


def test_agent_errors(bot):
    seed(bot)
    text = reply_text(bot.command(f"agent Maria callerid {NOT_IN_INVENTORY}"))
    assert "+49 40 87654321 is not in the inventory" in text
    text = reply_text(bot.command("agent Maria callerid +32 78 10 23 45"))
    assert "cannot be an agent's caller ID" in text and "Belgium" in text
    text = reply_text(bot.command("agent Maria callerid 12"))
    assert ":warning:" in text
    assert "There is no agent called “Nobody”" in reply_text(
        bot.command("agent Nobody callerid none")
    )
    assert "There is no agent called" in reply_text(bot.command("agent Nobody"))
    assert "Usage:" in reply_text(bot.command("agent Maria callerid"))
    assert bot.inventory().repo.agents.all() == []


def test_callerid_answers_with_rule_steps_and_left_out(bot):
    seed(bot)
    text = reply_text(bot.command(f'callerid Sales to="{CALLED_MUNICH}"'))
    assert "*Caller ID for campaign “Sales”*" in text
    assert "*+49 89 12345678* (Munich) — chosen by: same area prefix (89)" in text
    assert "has area prefix 89" in text and "2 numbers; the least used today" in text
    assert "*Left out (2)*" in text
    assert "*+49 30 12345678* — +49 30 12345678 needs an address in Berlin" in text
    assert "*+32 78 10 23 45* — national numbers in Belgium cannot be shown as caller ID" in text

    # Without a called number: any non-toll-free number.
    text = reply_text(bot.command("callerid sales"))
    assert "chosen by: any number that is not toll-free" in text
    assert "No called number given" in text

    # Called from Berlin: the Berlin number is left out, Munich is the same country.
    text = reply_text(bot.command("callerid Sales to=030-98765432"))
    assert "chosen by: same country (Germany)" in text


def test_least_used_today_and_resolving_is_not_a_use(bot):
    seed(bot)
    agents = Agents(bot.inventory())
    assert agents.record_use(MUC1) == 1
    assert agents.record_use(MUC1) == 2
    agents.record_use(MUC2)
    text = reply_text(bot.command(f'callerid Sales to="{CALLED_MUNICH}"'))
    assert "*+49 89 23456789* (Munich) — chosen by: same area prefix" in text
    assert "(used 1× today)" in text
    for _ in range(3):
        reply_text(bot.command(f'callerid Sales to="{CALLED_MUNICH}"'))
    assert Agents(bot.inventory()).usage_today() == {MUC1: 2, MUC2: 1}


def test_callerid_empty_pool_and_errors(bot):
    seed(bot, campaign_numbers=(BER_BARE, BE_NATIONAL))
    text = reply_text(bot.command("callerid Sales"))
    assert ":no_entry: No number can be presented" in text
    assert "no usable number (2 left out, below)" in text and "*Left out (2)*" in text

    assert "There is no campaign called “Winter”" in reply_text(bot.command("callerid Winter"))
    assert "There is no agent called “Ghost”" in reply_text(
        bot.command("callerid Sales agent=Ghost")
    )
    assert "+49 12 is too short" in reply_text(bot.command("callerid Sales to=+4912"))
    assert "Which campaign?" in reply_text(bot.command("callerid"))
    assert "option colour=" in reply_text(bot.command("callerid Sales colour=red"))


def test_names_escaped_and_answer_bounded(bot):
    inventory = bot.inventory()
    many = [f"+49 89 {4000000 + i}" for i in range(60)]  # none has an address
    inventory.numbers.add(BOSS, many)
    inventory.campaigns.save(BOSS, "<!channel> & co", numbers=many)
    text = reply_text(bot.command("callerid &lt;!channel&gt; &amp; co"))
    assert "“&lt;!channel&gt; &amp; co”" in text and "<!channel>" not in text
    assert "*Left out (60)*" in text and "… and 40 more." in text

    text = reply_text(bot.command('agent "<b>*x*</b> & y" callerid +49 89 4000000'))
    assert "&lt;b&gt;*x*&lt;/b&gt; &amp; y" in text and "<b>" not in text
