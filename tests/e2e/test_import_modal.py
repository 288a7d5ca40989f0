"""End to end: importing a CSV from Slack (issue 12 item 7). `/numbers import` (or App
Home's Import CSV) opens a modal with a file_input; on submission the bot asks files.info
for the file, downloads url_private_download with its token and imports it as
`numbers-bot import` does: per-line errors, good lines kept, a summary."""

from __future__ import annotations

import time

import pytest

from bot.core.model import Actor
from tests.conftest import MANAGER, READER
from tests.e2e.test_numbers import address_fields, buttons, texts

CSV = (
    "number,address,label,groups\n"
    "+49 89 1234567,HQ Munich,Front desk,Sales DE\n"
    "+49 89 7654321,,,Sales DE;Support\n"
    "hello,,,\n"
    "+49 30 1234567,Nowhere,,\n"
    "+49 89 1234567,,,\n"
)


@pytest.fixture(autouse=True)
def _no_violations(bot):
    yield
    assert bot.fake.violations == []


def import_form(bot, user: str = MANAGER):
    before = len(bot.fake.calls_to("views.open"))
    r = bot.command("import", user=user)
    assert r.status == 200 and not r.body_text.strip(), r.body_text
    modal = bot.fake.modal(index=before)
    assert modal.callback_id == "import_form"
    element = modal.element("CSV file")
    assert element["type"] == "file_input"
    assert element["filetypes"] == ["csv"] and element["max_files"] == 1
    return modal


def dm_to(bot, user: str, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for call in bot.fake.calls_to("chat.postMessage"):
            if call.ok and call.body["channel"] == user:
                return texts(call.body)
        time.sleep(0.05)
    raise AssertionError(f"no DM to {user}")


def test_an_uploaded_csv_is_imported_with_a_summary(bot):
    bot.inventory().addresses.create(
        Actor(MANAGER, True), address_fields("HQ Munich", "München", "80331")
    )
    modal = import_form(bot)
    file = bot.fake.add_file(CSV.encode("utf-8-sig"), "numbers.csv")
    r = modal.fill("CSV file", [file]).submit(bot.sender)
    assert r.json["response_action"] == "update", r.json
    assert "Importing *numbers.csv*" in texts(r.json["view"])

    summary = dm_to(bot, MANAGER)
    assert "*numbers.csv*: imported 2 numbers" in summary
    assert "1 skipped, 2 lines with errors" in summary
    assert 'line 4: "hello" is not a phone number' in summary
    assert "line 5: There is no address called “Nowhere”" in summary
    assert "line 6: skipped: +49 89 1234567 is already in the inventory" in summary
    updated = bot.fake.wait_for("views.update")[-1]
    assert updated.ok and "imported 2 numbers" in texts(updated.body["view"])

    info = {i.e164: i for i in bot.inventory().number_list()}
    assert set(info) == {"+49891234567", "+49897654321"}
    assert info["+49891234567"].address.name == "HQ Munich"
    assert info["+49891234567"].number.source == "import"
    assert {g.name for g in bot.inventory().group_list()} == {"Sales DE", "Support"}
    (download,) = bot.fake.calls_to("file.download")
    assert download.status == 200  # fetched with the bot's token
    assert bot.fake.calls_to("files.info")[-1].body["file"] == file["id"]


@pytest.mark.parametrize(
    ("content", "name", "filetype", "size", "error"),
    [
        (b"%PDF-1.4", "scan.pdf", "pdf", None, "scan.pdf is not a CSV file"),
        (CSV.encode(), "big.csv", "csv", 6 * 1024 * 1024, "big.csv is 6.0 MB; at most 5 MB"),
        (
            "number\n+49 89 1234567 München\n".encode("latin-1"),
            "l1.csv",
            "csv",
            None,
            "l1.csv is not UTF-8 text",
        ),
        (b"+49 89 1234567\n", "bare.csv", "csv", None, "needs a header row"),
        (b"number\n\x00\x01\x02", "bin.csv", "csv", None, "is not a text file"),
    ],
)
def test_wrong_files_are_refused_inline(bot, content, name, filetype, size, error):
    modal = import_form(bot)
    file = bot.fake.add_file(content, name, filetype, size=size)
    r = modal.fill("CSV file", [file]).submit(bot.sender)
    assert r.json["response_action"] == "errors", r.json
    assert error in r.json["errors"]["file"]
    assert bot.inventory().number_list() == []


def test_no_file_members_help_and_app_home(bot):
    modal = import_form(bot)
    r = modal.submit(bot.sender)
    assert "Choose a CSV file" in r.json["errors"]["file"]

    refused = bot.command("import", user=READER).json
    assert "Only managers can import numbers" in texts(refused)
    assert "`/numbers import`" in texts(bot.command("help").json)

    bot.sender.app_home_opened(MANAGER)
    view = bot.fake.wait_for("views.publish")[-1].body["view"]
    n = len(bot.fake.calls_to("views.open"))
    bot.sender.block_action("open_import", view=view)
    assert bot.fake.modal(index=n).callback_id == "import_form"
    assert "open_import" in buttons(view["blocks"])
