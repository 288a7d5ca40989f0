"""Use cases for agents (their own caller ID) and caller-ID resolution with today's use.

Built on an :class:`~bot.core.services.Inventory` and its repository: the same roles,
audit and transactions as every other change.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.core import callerid
from bot.core.auditing import require_manager
from bot.core.callerid import Resolution
from bot.core.compliance import Presentation
from bot.core.errors import DomainError, NotFound
from bot.core.model import Actor, Agent, Campaign, new_id
from bot.core.phone import format_number
from bot.core.ports import Repository
from bot.core.readmodel import NumberInfo
from bot.core.services import Inventory
from bot.core.text import MAX_NAME, casefold, did_you_mean, refuse_quotes

USAGE_KEY = "callerid.usage"


@dataclass(frozen=True)
class AgentView:
    """An agent with its own caller ID as the inventory sees it now."""

    agent: Agent
    info: NumberInfo | None  # None: no own caller ID, or no longer in the inventory
    usable: bool
    reason: str  # why it is (not) usable, for a person
    # the campaigns whose calls showing it would be blocked, with the verdict (today)
    blocked_in: list[tuple[Campaign, Presentation]] = field(default_factory=list)


@dataclass(frozen=True)
class AgentChange:
    view: AgentView
    created: bool
    changed: bool  # False when the caller ID was already that


class Agents:
    """One workspace's agents; the campaign pool resolution with today's use counts."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self.repo: Repository = inventory.repo

    # ------------------------------------------------------------------ reading
    def all(self) -> list[AgentView]:
        agents = sorted(self.repo.agents.all(), key=lambda a: (casefold(a.name), a.id))
        return [self.view(a) for a in agents]

    def find(self, name: str) -> Agent | None:
        """The agent called ``name`` or linked to the Slack user id ``name``."""
        if not name:
            return None
        by_user = self.repo.agents.where("slack_user", name)
        return by_user[0] if by_user else self.repo.agents.named(name)

    def _closest(self, name: str) -> str:
        return did_you_mean(name, [a.name for a in self.repo.agents.all()])

    def agent(self, name: str) -> Agent:
        agent = self.find(name)
        if agent is None:
            raise NotFound(f"There is no agent called “{name[:MAX_NAME]}”.{self._closest(name)}")
        return agent

    def view(self, agent: Agent) -> AgentView:
        if not agent.caller_id:
            return AgentView(agent, None, False, "no own caller ID: the campaign's pool decides")
        info = self.inventory.views().infos.get(agent.caller_id)
        if info is None:
            shown = format_number(agent.caller_id)
            return AgentView(agent, None, False, f"{shown} is no longer in the inventory")
        ok, why = callerid.usable_as_caller_id(info, self.inventory.rules)
        blocked = self.inventory.blocked_in_campaigns(info) if ok else []
        return AgentView(agent, info, ok, info.verdict.reason if ok else why, blocked)

    # ------------------------------------------------------------------ changing
    def set_caller_id(
        self,
        actor: Actor,
        name: str,
        number: str | None,
        slack_user: str | None = None,
    ) -> AgentChange:
        """Set (``number``) or clear (None) an agent's own caller ID.

        An unknown agent is created when a number is set; with ``slack_user`` the
        agent is that Slack user and is named by its id. The number must be in the
        inventory and of a kind that can be caller ID in its country; a number whose
        verdict is not OK is accepted (an address may still be linked) and reported.
        """
        require_manager(actor, "set an agent's caller ID")
        name = " ".join((name or "").split())
        if slack_user:
            name = slack_user
        if not name:
            raise DomainError("Name the agent.", field="name")
        if len(name) > MAX_NAME:
            raise DomainError(
                f"An agent's name is at most {MAX_NAME} characters ({len(name)} given).",
                field="name",
            )
        # The lookup decides create or update: it runs in the write's transaction, or two
        # concurrent calls both create the agent.
        with self.repo.transaction():
            current = self.find(name)
            e164 = None
            if number is not None:
                info = self.inventory.info(number)  # NotFound when not in the inventory
                allowed, why = self.inventory.rules.can_be_caller_id(
                    info.number.country, info.number.kind
                )
                if not allowed:
                    raise DomainError(f"{info.display} cannot be an agent's caller ID: {why}.")
                e164 = info.e164
            elif current is None:
                raise NotFound(
                    f"There is no agent called “{name[:MAX_NAME]}”.{self._closest(name)}"
                )
            if current is not None and current.caller_id == e164:
                return AgentChange(self.view(current), created=False, changed=False)
            if current is None:
                refuse_quotes(name)
                agent = Agent(id=new_id(), name=name, slack_user=slack_user, caller_id=e164)
            else:
                agent = replace(current, caller_id=e164)
                if slack_user and not agent.slack_user:
                    agent = replace(agent, slack_user=slack_user)
            self.repo.agents.save(agent)
            action = "agent.create" if current is None else "agent.callerid"
            self.inventory.audit_change(actor, action, agent.id, current, agent)
            return AgentChange(self.view(agent), created=current is None, changed=True)

    def delete(self, actor: Actor, name: str) -> Agent:
        """Remove an agent (its own caller ID goes with it; the numbers stay)."""
        require_manager(actor, "delete agents")
        with self.repo.transaction():
            agent = self.agent(name)  # read again under the lock
            self.repo.agents.delete(agent.id)
            self.inventory.audit_change(actor, "agent.delete", agent.id, before=agent)
        return agent

    # ------------------------------------------------------------------ caller ID
    def today(self) -> str:
        return self.inventory.clock()[:10]

    def usage_today(self) -> dict[str, int]:
        return callerid.usage_on(self.repo.get_value(USAGE_KEY), self.today())

    def record_use(self, e164: str) -> int:
        """Count one call presenting ``e164`` today; returns today's count for it."""
        with self.repo.transaction():
            counts = callerid.record_use(self.repo.get_value(USAGE_KEY), self.today(), e164)
            self.repo.set_value(USAGE_KEY, counts)
        return counts["counts"][e164]

    def resolve(
        self, campaign: str, agent_name: str | None = None, to: str | None = None
    ) -> tuple[Resolution, Agent | None]:
        """Which number a call of ``campaign`` (by ``agent_name``, to ``to``) presents.

        Reading only: resolving does not count as a use (see :meth:`record_use`).
        """
        pool = self.inventory.pool(campaign)
        agent = self.agent(agent_name) if agent_name else None
        called = self.inventory.parse(to) if to else None
        agent_number = None
        verdicts = dict(pool.presentations)
        if agent is not None and agent.caller_id:
            agent_number = self.inventory.views().infos.get(agent.caller_id)
            if agent_number is not None and agent_number.e164 not in verdicts:
                verdicts[agent_number.e164] = self.inventory.judge(agent_number, pool.campaign)
        resolution = callerid.resolve(
            pool.usable,
            rules=self.inventory.rules,
            left_out=pool.warnings,
            agent=agent,
            agent_number=agent_number,
            to=called,
            usage_today=self.usage_today(),
            presentations=verdicts,
        )
        return resolution, agent
