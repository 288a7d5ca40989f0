"""`/numbers agent`: an agent's own caller ID; `/numbers callerid`: which number a call shows."""

from __future__ import annotations

import re

from bot.core.agents import Agents, AgentView
from bot.core.callerid import Resolution
from bot.core.errors import DomainError
from bot.core.model import Agent
from handlers import blocks as B
from handlers import ids
from handlers.interactions import on_action
from handlers.mrkdwn import Mrkdwn, md, mention_user, user
from handlers.router import Call, Reply, UsageError, subcommand
from handlers.views.numbers import verdict_label

PER_PAGE = 20
MAX_LEFT_OUT = 20
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")


def agent_name(agent: Agent) -> Mrkdwn:
    """The agent for mrkdwn: a mention when it is a Slack user, else its escaped name."""
    return user(agent.slack_user) if agent.slack_user else md("*{}*", agent.name)


def _mentioned(call: Call, word: str) -> str | None:
    """The user id when ``word`` came from a mention in the command text, else None."""
    if _USER_ID.fullmatch(word) and f"<@{word}" in (call.body.get("text") or ""):
        return word
    return None


def agent_line(view: AgentView) -> str:
    agent = view.agent
    if not agent.caller_id:
        return f"• {agent_name(agent)} · no own caller ID (the campaign's pool decides)"
    if view.info is None:
        return md("• {} · :warning: {}", agent_name(agent), view.reason)
    label = verdict_label(view.info.verdict.status) if view.usable else ":no_entry: Not usable"
    line = f"• {agent_name(agent)} · *{view.info.display}* · {label}"
    line += md("\n    _{}_", view.reason)
    return line + "".join(f"\n    {b}" for b in blocked_lines(view))


BLOCKED_SHOWN = 3


def blocked_lines(view: AgentView) -> list[str]:
    """The campaigns whose calls showing the agent's own caller ID would be blocked."""
    lines = [
        md(":no_entry: Would be blocked in *{}*: {}", c.name, p.reason)
        for c, p in view.blocked_in[:BLOCKED_SHOWN]
    ]
    extra = len(view.blocked_in) - BLOCKED_SHOWN
    if extra > 0:
        lines.append(f"… and in {B.plural(extra, 'more campaign')}.")
    return lines


def agent_card(call: Call, agent: Agent, agents: Agents) -> list[dict]:
    """One agent with a Delete button for managers."""
    blocks = [B.section(agent_line(agents.view(agent)))]
    if call.actor.is_manager:
        ask = B.confirm("Delete this agent?", f"“{agent.name}” will be deleted.")
        delete = B.button("Delete", ids.DELETE_AGENT, agent.id, "danger", ask)
        blocks.append(B.actions(delete, block_id="agent_actions"))
    return blocks


def register(app, registry) -> None:
    registry.commands.add(agent, caller_id)

    @on_action(app, ids.DELETE_AGENT)
    def _delete(session, action, body, client, respond):
        agents = Agents(session.inventory)
        found = next((v.agent for v in agents.all() if v.agent.id == action.get("value")), None)
        if found is None:
            respond(replace_original=True, text="That agent no longer exists. Nothing changed.")
            return
        agents.delete(session.actor, found.slack_user or found.name)
        respond(replace_original=True, text=f"Agent {agent_name(found)} deleted.")


def _list(call: Call, named: dict[str, str]) -> Reply:
    unknown = set(named) - {"page"}
    if unknown:
        raise UsageError("agent", f"I don't know the option {sorted(unknown)[0]}=.")
    views = Agents(call.inventory).all()
    lines = [agent_line(v) for v in views]
    blocks, text = B.paged("Agents and their caller IDs", lines, call.page(named), PER_PAGE)
    return Reply(text, blocks)


@subcommand(
    "agent",
    "agent NAME callerid NUMBER|none | agent list | agent delete NAME",
    'agent @maria callerid "+49 89 1234567"',
    "an agent's own caller ID (managers); `agent list` shows every agent's; "
    "`agent delete NAME` removes one (managers)",
    aliases=("agents",),
)
def agent(call: Call) -> Reply:
    positional, named = call.options()
    if not call.words or (len(positional) == 1 and positional[0].casefold() == "list"):
        return _list(call, named)
    if not positional and set(named) == {"page"}:
        return _list(call, named)
    lowered = [w.casefold() for w in call.words]
    if lowered[0] == "delete" and len(call.words) > 1 and "callerid" not in lowered:
        agents = Agents(call.inventory)
        name = " ".join(call.words[1:])
        found = agents.agent(_mentioned(call, name) or name)
        text = f"Delete the agent {agent_name(found)}? Its own caller ID goes with it."
        return Reply(text, B.delete_prompt(text, "agent", found.name, found.id))
    if "callerid" not in lowered[1:]:
        agents = Agents(call.inventory)
        name = " ".join(call.words)
        found = agents.agent(_mentioned(call, name) or name)
        return Reply(agent_line(agents.view(found)), agent_card(call, found, agents))
    at = lowered.index("callerid", 1)
    name_words, number_words = call.words[:at], call.words[at + 1 :]
    if not number_words:
        raise UsageError("agent", "Give a number, or none to clear it.")
    slack_user = _mentioned(call, name_words[0]) if len(name_words) == 1 else None
    name = " ".join(name_words)
    number = " ".join(number_words)
    clear = number.casefold() in ("none", "-", "clear")
    agents = Agents(call.inventory)
    change = agents.set_caller_id(call.actor, name, None if clear else number, slack_user)
    view = change.view
    who = agent_name(view.agent)
    if clear:
        text = f"{who} has no own caller ID now: the campaign's pool decides."
        if not change.changed:
            text = f"{who} had no own caller ID."
        return Reply(text)
    shown = f"*{view.info.display}*" if view.info else "that number"
    if not change.changed:
        text = f"{who} already presents {shown}."
    elif change.created:
        text = f"New agent {who} presents {shown} as own caller ID."
    else:
        text = f"{who} now presents {shown} as own caller ID."
    if view.usable:
        text += md("\n:white_check_mark: {}", view.reason)
        lines = blocked_lines(view)
        if lines:
            text += "\n" + "\n".join(lines)
            text += "\nCalls of those campaigns fall back to the campaign's pool."
    else:
        text += md(
            "\n:warning: It is not compliant yet, so calls fall back to the campaign's pool: {}",
            view.reason,
        )
    return Reply(text)


def resolution_lines(campaign: str, resolution: Resolution, agent: Agent | None) -> list[str]:
    def shown(text: str) -> str:
        text = md("{}", text)
        if agent is not None and agent.slack_user:
            text = text.replace(f"Agent {agent.name}", f"Agent {user(agent.slack_user)}")
        return text

    lines = [md("*Caller ID for campaign “{}”*", campaign)]
    chosen = resolution.chosen
    if chosen is None:
        lines.append(":no_entry: No number can be presented: the campaign has no usable number.")
    else:
        area = md(" ({})", chosen.number.area) if chosen.number.area else ""
        lines.append(
            f":telephone_receiver: *{chosen.display}*{area} — chosen by: {shown(resolution.rule)}"
        )
    lines.append("*How*")
    lines += [f"{n}. {shown(step)}" for n, step in enumerate(resolution.steps, start=1)]
    left_out = resolution.left_out
    if left_out:
        lines.append(f"*Left out ({len(left_out)})*")
        lines += [f"• *{i.display}* — {shown(why)}" for i, why in left_out[:MAX_LEFT_OUT]]
        if len(left_out) > MAX_LEFT_OUT:
            lines.append(f"… and {len(left_out) - MAX_LEFT_OUT} more.")
    return lines


@subcommand(
    "callerid",
    "callerid CAMPAIGN [agent=NAME] [to=NUMBER]",
    'callerid Sales agent=@maria to="+49 89 7654321"',
    "which number a call shows, and why",
)
def caller_id(call: Call) -> Reply:
    positional, named = call.options()
    unknown = set(named) - {"agent", "to"}
    if unknown:
        raise UsageError("callerid", f"I don't know the option {sorted(unknown)[0]}=.")
    if not positional:
        raise UsageError("callerid", "Which campaign?")
    campaign = " ".join(positional)
    agent_text = named.get("agent", "").strip()
    agent_text = mention_user(agent_text) or agent_text.lstrip("@")
    if "agent" in named and not agent_text:
        raise UsageError("callerid", "agent= takes an agent's name.")
    to = named.get("to", "").strip()
    if "to" in named and not to:
        raise UsageError("callerid", "to= takes the called number.")
    if to:
        try:
            call.inventory.number_key(to)
        except DomainError as exc:  # say whose number it was read as, and how to write it
            told = exc.message if exc.message.startswith(to) else f"{to[:40]}: {exc.message}"
            raise DomainError(f"The called number {told}") from None
    agents = Agents(call.inventory)
    resolution, agent = agents.resolve(campaign, agent_text or None, to or None)
    name = call.inventory.campaign(campaign).name
    lines = resolution_lines(name, resolution, agent)
    return Reply(lines[1], B.sections(lines))
