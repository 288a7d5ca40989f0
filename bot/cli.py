"""`numbers-bot`: run the bot, or work on the data without Slack."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings
from bot.core.errors import DomainError
from bot.core.model import Actor

log = logging.getLogger("numbers-bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="numbers-bot",
        description="Slack bot that keeps caller-ID numbers legal and organised. "
        "Without a command it runs the bot (Socket Mode with SLACK_APP_TOKEN, else HTTP).",
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (the default)")
    digest = sub.add_parser("digest", help="post the needing-attention digest once (for cron)")
    digest.add_argument("--team", help="workspace (team id); default: every workspace")
    imp = sub.add_parser("import", help="add numbers from a CSV: number, address, label, groups")
    imp.add_argument("file", type=Path)
    imp.add_argument("--team", help="workspace (team id), needed when there are several")
    exp = sub.add_parser("export", help="write the numbers as CSV (to FILE or standard output)")
    exp.add_argument("file", nargs="?", type=Path)
    exp.add_argument("--team", help="workspace (team id), needed when there are several")
    rep = sub.add_parser("report", help="print the numbers needing attention, by verdict")
    rep.add_argument("--team", help="workspace (team id), needed when there are several")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = load_settings()
        command = args.command or "run"
        if command == "run":
            from bot.server import run

            return run(settings)
        if command == "digest":
            settings.require_slack()
            return post_digests(settings, args.team)
        return _offline(command, args, settings)
    except (ConfigError, DomainError) as exc:
        print(f"numbers-bot: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `numbers-bot report | head`
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - no second error at exit
        return 0


def _digest_counts(data: dict) -> str:
    """ "3 numbers need attention, 2 blocked in a campaign" (what the digest says)."""
    count = data["count"]
    parts = [
        f"{count} number{'' if count == 1 else 's'} {'needs' if count == 1 else 'need'} attention"
    ]
    if data.get("blocked"):
        parts.append(f"{data['blocked']} blocked in a campaign")
    if data.get("restricted"):
        parts.append(f"{data['restricted']} restricted")
    return ", ".join(parts)


def post_digests(settings: Settings, team: str | None) -> int:
    """`numbers-bot digest`: queue and post the digest of one or every workspace now.

    Also posts whatever else is waiting in the outbox. Exit code 0 when everything
    was posted, 1 when something is left for the bot to retry, 2 without a channel.
    """
    from bot.app import web_client
    from bot.bootstrap import Workspaces
    from bot.notify import Notifier, deliver
    from handlers.notifications import slack_sender

    if not settings.notify_channel:
        print(
            "numbers-bot: NUMBERS_NOTIFY_CHANNEL is not set: there is no channel to post to.",
            file=sys.stderr,
        )
        return 2
    send = slack_sender(web_client(settings))
    workspaces = Workspaces(settings)
    teams = [team.upper()] if team else workspaces.team_ids()
    notifier = Notifier(settings.notify_channel)
    today = datetime.now(UTC).date().isoformat()
    code = 0
    for team_id in teams:
        inventory = workspaces.inventory(team_id)
        entry_id, data = notifier.queue_digest(inventory, today, force=True)
        delivery = deliver(inventory.repo, send, backoff=1.0)
        if data is None:
            print(f"{team_id}: nothing needs attention, no digest posted.")
        elif entry_id in delivery.sent:
            print(f"{team_id}: digest posted ({_digest_counts(data)}).")
        if delivery.failed:
            print(
                f"{team_id}: {len(delivery.failed)} notifications could not be posted; "
                "the running bot retries them.",
                file=sys.stderr,
            )
            code = 1
    return code


def _team(workspaces, team: str | None, create: bool) -> str:
    if team:
        return team.upper()
    teams = workspaces.team_ids()
    if len(teams) == 1:
        return teams[0]
    if not teams:
        if create:
            raise ConfigError("No workspace has data yet: name one with --team TEAM_ID.")
        raise ConfigError(f"No workspace has data in {workspaces.settings.data_dir}.")
    raise ConfigError(f"Several workspaces have data ({', '.join(teams)}): choose one with --team.")


def _offline(command: str, args: argparse.Namespace, settings: Settings) -> int:
    from bot.bootstrap import Workspaces

    if command == "import":  # read the file first: a typo must not create a workspace
        try:
            text = args.file.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise ConfigError(f"cannot read {args.file}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(
                f"{args.file} is not UTF-8 text (byte {exc.start}): save the CSV as UTF-8."
            ) from None
    workspaces = Workspaces(settings)
    inventory = workspaces.inventory(_team(workspaces, args.team, create=command == "import"))
    if command == "import":
        actor = Actor(user_id=f"cli:{getpass.getuser()}", is_manager=True)
        result = inventory.csv.import_csv(actor, text)
        for line, reason in result.errors:
            print(f"{args.file}:{line}: {reason}", file=sys.stderr)
        for line, why in result.skipped:
            print(f"{args.file}:{line}: skipped: {why}", file=sys.stderr)
        attention = sum(1 for i in result.added if not i.verdict.ok)
        print(
            f"Imported {len(result.added)} numbers ({attention} need attention), "
            f"{len(result.skipped)} skipped, {len(result.errors)} lines with errors."
        )
        return 1 if result.errors else 0
    if command == "export":
        text = inventory.csv.export_csv()
        if args.file:
            args.file.write_text(text, encoding="utf-8")
            print(f"Wrote {text.count(chr(10)) - 1} numbers to {args.file}.")
        else:
            sys.stdout.write(text)
        return 0
    if command == "report":
        from bot.core.compliance import STATUS_LABELS

        infos = inventory.number_list("attention")
        summary = inventory.summary()
        print(f"{summary.total} numbers, {len(infos)} need attention.")
        for status, label in STATUS_LABELS.items():
            group = [i for i in infos if i.verdict.status == status]
            if group:
                print(f"\n{label} ({len(group)}):")
                for info in group:
                    print(f"  {info.display}  {info.verdict.reason}")
        return 0
    raise AssertionError(command)
