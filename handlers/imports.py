"""`/numbers import` and the App Home's Import CSV button: a CSV file uploaded in a modal
is imported as `numbers-bot import FILE.csv` does (the services' ``import_csv``): each bad
line reported, the good ones kept, a summary.

The view submission carries the uploaded file in ``view.state.values`` (a ``file_input``
element's ``files``); the bot asks ``files.info`` for it and downloads
``url_private_download`` with its own token. Size, type and encoding are checked before
the form closes (inline errors); the import itself runs after the acknowledgement (a big
file takes longer than Slack's 3 s), and its summary replaces the form and arrives as a
direct message.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from bot.core.errors import DomainError
from bot.core.services import ImportResult
from handlers import blocks as B
from handlers import ids, permissions
from handlers.interactions import form_errors, on_action
from handlers.mrkdwn import Mrkdwn, md
from handlers.router import APOLOGY, Call, OpenModal, subcommand
from handlers.views.numbers import number_line, result_modal

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
MAX_MB = MAX_BYTES // (1024 * 1024)
FILE_BLOCK = "file"
DOWNLOAD_TIMEOUT = 2.0  # seconds: the form's answer is due within Slack's 3 s
MAX_LINES_SHOWN = 25


def import_modal() -> dict:
    element = {
        "type": "file_input",
        "action_id": "csv_file",
        "filetypes": ["csv"],
        "max_files": 1,
    }
    return B.modal(
        ids.IMPORT_FORM,
        "Import numbers",
        [
            B.section(
                "A CSV with a header row and the columns `number, address, label, groups` "
                "(groups separated by `;`), as `numbers-bot import` reads it. Each bad line "
                "is reported with its line number; the good ones are kept."
            ),
            B.input_block(
                FILE_BLOCK,
                "CSV file",
                element,
                hint=f"One .csv file of at most {MAX_MB} MB, saved as UTF-8.",
            ),
        ],
        submit="Import",
    )


@subcommand(
    "import",
    "import",
    "import",
    "add numbers from a CSV file you upload (managers)",
)
def import_command(call: Call) -> OpenModal:
    return OpenModal(import_modal())


def chosen_file(view: dict) -> dict:
    """The uploaded file of the form's file_input, as Slack sent it."""
    for element in ((view.get("state") or {}).get("values", {}).get(FILE_BLOCK) or {}).values():
        files = element.get("files") or []
        if files:
            return files[0]
    raise DomainError("Choose a CSV file.", field=FILE_BLOCK)


def _trusted(url: str, client) -> bool:
    """The bot's token goes only to Slack (or the Web API host it is configured with)."""
    host = (urlsplit(url).hostname or "").casefold()
    api_host = (urlsplit(getattr(client, "base_url", "") or "").hostname or "").casefold()
    return urlsplit(url).scheme in ("https", "http") and (
        host == "files.slack.com" or host.endswith(".slack.com") or host == api_host
    )


def fetch_csv(client, file_id: str) -> tuple[str, str]:
    """(file name, text) of an uploaded CSV, or a DomainError on the form's file field."""
    try:
        info = client.files_info(file=file_id)["file"]
    except Exception:
        log.warning("files.info failed for %s", file_id, exc_info=True)
        raise DomainError(
            "Slack did not give me the file; please upload it again.", FILE_BLOCK
        ) from None
    name = str(info.get("name") or "the file")[:100]
    filetype = str(info.get("filetype") or "").casefold()
    if filetype != "csv" and not name.casefold().endswith(".csv"):
        what = info.get("pretty_type") or filetype or "another kind of file"
        raise DomainError(f"{name} is not a CSV file ({what}): choose a .csv file.", FILE_BLOCK)
    size = int(info.get("size") or 0)
    if size > MAX_BYTES:
        raise DomainError(
            f"{name} is {size / 1024 / 1024:.1f} MB; at most {MAX_MB} MB can be imported "
            "at once: split it into smaller files.",
            FILE_BLOCK,
        )
    url = info.get("url_private_download") or info.get("url_private") or ""
    if not url or not _trusted(url, client):
        log.warning("refused to download %s from %r", file_id, url[:200])
        raise DomainError(
            "Slack did not give me the file; please upload it again.", FILE_BLOCK
        ) from None
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {client.token}"})
    try:
        with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response:  # noqa: S310
            data = response.read(MAX_BYTES + 1)
    except (urllib.error.URLError, OSError):
        log.warning("downloading %s failed", file_id, exc_info=True)
        raise DomainError(
            f"I could not download {name} from Slack; please try again.", FILE_BLOCK
        ) from None
    if len(data) > MAX_BYTES:
        raise DomainError(f"{name} is larger than {MAX_MB} MB: split it.", FILE_BLOCK)
    if b"\x00" in data:
        raise DomainError(f"{name} is not a text file: export it as CSV (UTF-8).", FILE_BLOCK)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DomainError(
            f"{name} is not UTF-8 text (byte {exc.start}): save it as “CSV UTF-8” and upload "
            "it again.",
            FILE_BLOCK,
        ) from None
    first = text.lstrip().split("\n", 1)[0].casefold()
    if "number" not in first:
        raise DomainError(
            f"{name} needs a header row with a “number” column (then address, label, groups).",
            FILE_BLOCK,
        )
    return name, text


def summary_lines(name: str, result: ImportResult) -> list[str]:
    attention = [i for i in result.added if not i.verdict.ok]
    lines = [
        md("*{}*: imported {}", name, Mrkdwn(B.plural(len(result.added), "number")))
        + (f" ({len(attention)} need attention)" if attention else "")
        + f", {len(result.skipped)} skipped, "
        + B.plural(len(result.errors), "line")
        + " with errors."
    ]
    for info in attention[:10]:
        lines.append(f"• {number_line(info)}")
    if len(attention) > 10:
        lines.append(f"… and {len(attention) - 10} more (`/numbers list attention`).")
    problems = [(n, md("{}", why)) for n, why in result.errors] + [
        (n, md("skipped: {}", why)) for n, why in result.skipped
    ]
    problems.sort()
    for line, why in problems[:MAX_LINES_SHOWN]:
        lines.append(f"• line {line}: {why}")
    if len(problems) > MAX_LINES_SHOWN:
        lines.append(f"… and {len(problems) - MAX_LINES_SHOWN} more lines.")
    return lines


def register(app, registry) -> None:
    registry.commands.add(import_command)

    @on_action(app, ids.OPEN_IMPORT)
    def _open(session, action, body, client, respond):
        client.views_open(trigger_id=body["trigger_id"], view=import_modal())

    @app.view(ids.IMPORT_FORM)
    def _submit(ack, body, view, client, context):
        session = context["session"]
        try:
            permissions.check(session, permissions.VIEW, ids.IMPORT_FORM)
            name, text = fetch_csv(client, str(chosen_file(view).get("id", "")))
        except DomainError as exc:
            ack(response_action="errors", errors=form_errors(exc, view))
            return
        except Exception:
            log.exception("import form failed")
            ack(response_action="errors", errors=form_errors(DomainError(APOLOGY), view))
            return
        note = md("Importing *{}*… The summary comes here and as a direct message.", name)
        ack(response_action="update", view=result_modal("Importing", [B.section(note)]))
        try:  # after the ack: a big file takes longer than Slack waits
            lines = summary_lines(name, session.inventory.csv.import_csv(session.actor, text))
        except DomainError as exc:
            lines = [md(":warning: {}: {}", name, exc.message)]
        except Exception:
            log.exception("import of an uploaded CSV failed")
            lines = [APOLOGY]
        blocks = B.sections(lines)
        try:
            client.views_update(view_id=view["id"], view=result_modal("Import done", blocks))
        except Exception:  # the person closed the form meanwhile: the DM still tells
            log.info("could not update the import form", exc_info=True)
        try:
            client.chat_postMessage(channel=session.user_id, text=lines[0], blocks=blocks[:50])
        except Exception:
            log.warning("could not send the import summary", exc_info=True)
