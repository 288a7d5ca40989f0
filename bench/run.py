"""Run the benchmark: ``python -m bench.run [--sizes 1000,10000,50000] [--requests 200]``.

For each N: build a workspace of N numbers through the core (timing the bulk
import), measure the storage floor, start the bot as its HTTP server in a
subprocess against a fake Slack Web API on localhost, time the cold start, then
send signed requests as Slack does and time each operation. Writes
bench/results.json and prints a table (``--report`` prints the tables of an
existing results file, ``--markdown`` in the README's form).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.build import Built, build
from bot.bootstrap import Workspaces
from bot.config import load_settings
from bot.core.phone import format_number
from storage.database import AtomicJSONStorage
from tests.fakeslack import BOT_TOKEN, TEAM_ID, FakeSlack, Modal, SlackSender

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results.json"
SECRET = "bench-signing-secret"
MANAGER = "UMANAGER"
CHANNEL = "C0BENCH01"
WAIT = 60.0  # seconds to wait for a Web API call after the ack

READ, CHANGE, FLOOR = "read", "change", "floor"


class BenchError(Exception):
    """An operation did not do what it should: the figures would be meaningless."""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def stats(values: list[float]) -> dict:
    return {
        "p50": round(percentile(values, 50), 2),
        "p95": round(percentile(values, 95), 2),
        "p99": round(percentile(values, 99), 2),
        "n": len(values),
    }


# ----------------------------------------------------------------------------- the bot
def _env(fake: FakeSlack, data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NUMBERS_"))}
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.url,
        NUMBERS_DATA_DIR=str(data_dir),
        NUMBERS_MANAGERS=MANAGER,
        NUMBERS_DEFAULT_REGION="DE",
        NUMBERS_NOTIFY_CHANNEL=CHANNEL,
        PYTHONPATH=str(ROOT),
    )
    return env


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    cold_start_s: float
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def peak_rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(fake: FakeSlack, data_dir: Path, log: Path) -> Server:
    """Process start → /healthz 200, timed."""
    started = time.monotonic()
    with open(log, "wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.server"],
            cwd=ROOT,
            env=_env(fake, data_dir),
            stdout=subprocess.PIPE,
            stderr=err,
        )
    line = process.stdout.readline().decode().strip()
    if not line.isdigit():
        process.kill()
        raise BenchError(f"the bot did not start: {log.read_text()[-2000:]}")
    port = int(line)
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() - started > 60:
            process.kill()
            raise BenchError("the bot did not answer /healthz within 60 s")
        time.sleep(0.005)
    return Server(process, port, time.monotonic() - started, log)


# ----------------------------------------------------------------------------- operations
@dataclass
class Bench:
    fake: FakeSlack
    sender: SlackSender
    built: Built
    link_view: dict = field(default_factory=dict)
    campaign_view: dict = field(default_factory=dict)
    turn: int = 0

    def number(self, i: int) -> str:
        numbers = self.built.numbers
        return numbers[(i * 7919) % len(numbers)]

    def command(self, text: str, **kwargs) -> dict:
        resp = self.sender.command(text, user=MANAGER, **kwargs)
        if resp.status != 200:
            raise BenchError(f"/numbers {text}: HTTP {resp.status} {resp.body_text[:300]}")
        return resp.json or {}

    def after_ack(self, method: str, count: int = 1) -> float:
        """When the fake received the ``count``-th call to ``method`` (monotonic)."""
        calls = self.fake.wait_for(method, count=count, timeout=WAIT)
        call = calls[count - 1]
        if method != "response_url" and not call.ok:
            raise BenchError(f"{method} failed: {call.response}")
        return call.at


def _reply(body: dict, starts: str, what: str) -> None:
    text = body.get("text", "")
    if not text.startswith(starts) or not body.get("blocks"):
        raise BenchError(f"{what}: unexpected reply {text[:300]!r}")


def op_noop(b: Bench, i: int) -> None:
    resp = b.sender.command("", user=MANAGER, command="/bench-noop")
    if resp.status != 200:
        raise BenchError(f"/bench-noop: HTTP {resp.status}")


def op_list_attention(b: Bench, i: int) -> None:
    _reply(b.command("list attention"), "Numbers needing attention", "list attention")


def op_show(b: Bench, i: int) -> None:
    e164 = b.number(i)
    _reply(b.command(f"show {e164}"), format_number(e164), "show")


def op_address_list(b: Bench, i: int) -> None:
    _reply(b.command("address list"), "Addresses", "address list")


def op_link_form_open(b: Bench, i: int) -> float:
    b.command("link")
    return b.after_ack("views.open")


def op_options_search(b: Bench, i: int) -> None:
    resp = b.sender.options("numbers_search", "+4989", user=MANAGER, view=b.link_view)
    options = (resp.json or {}).get("options") or []
    if resp.status != 200 or not options:
        raise BenchError(f"options numbers_search: HTTP {resp.status}, {len(options)} options")


def op_app_home(b: Bench, i: int) -> float:
    resp = b.sender.app_home_opened(user=MANAGER)
    if resp.status != 200:
        raise BenchError(f"app_home_opened: HTTP {resp.status}")
    return b.after_ack("views.publish")


def op_link_submit(b: Bench, i: int) -> None:
    """Link one number to an address other than its current one (so it really changes)."""
    e164 = b.number(i)
    addresses = b.built.addresses
    current = b.built.address_of.get(e164)
    target = addresses[i % len(addresses)]
    if target.id == current:
        target = addresses[(i + 1) % len(addresses)]
    modal = Modal(b.link_view)
    modal.fill("Numbers", [(e164, format_number(e164))]).fill("Address", (target.id, target.name))
    resp = modal.submit(b.sender, user=MANAGER)
    body = resp.json or {}
    if resp.status != 200 or body.get("response_action") != "update":
        raise BenchError(f"link form: HTTP {resp.status} {resp.body_text[:300]}")
    b.built.address_of[e164] = target.id


def op_campaign_submit(b: Bench, i: int) -> None:
    resp = Modal(b.campaign_view).submit(b.sender, user=MANAGER)
    body = resp.json or {}
    if resp.status != 200 or body.get("response_action") != "update":
        raise BenchError(f"campaign form: HTTP {resp.status} {resp.body_text[:300]}")


def op_digest(b: Bench, i: int) -> float:
    b.command("digest")
    posted = b.after_ack("chat.postMessage")
    end = b.after_ack("response_url")
    answer = b.fake.calls_to("response_url")[0].body.get("text", "")
    # The notification worker, woken by the queued digest, may post it before the
    # command's own delivery does; the reply then says "queued" (the post still happened).
    if "Digest posted" not in answer and "digest is queued" not in answer:
        raise BenchError(f"digest: {answer[:300]!r}")
    return max(posted, end)


# name, kind, function, what the figure is
OPERATIONS: list[tuple[str, str, Callable[[Bench, int], float | None], str]] = [
    ("noop", FLOOR, op_noop, "floor (a): /bench-noop, only acks"),
    ("list_attention", READ, op_list_attention, "/numbers list attention (first page)"),
    ("show", READ, op_show, "/numbers show NUMBER"),
    ("address_list", READ, op_address_list, "/numbers address list"),
    ("link_form_open", READ, op_link_form_open, "/numbers link → views.open"),
    ("options_search", READ, op_options_search, "options numbers_search “+4989”"),
    ("app_home", READ, op_app_home, "app_home_opened → views.publish"),
    ("link_submit", CHANGE, op_link_submit, "link form submitted (one number)"),
    ("campaign_submit", CHANGE, op_campaign_submit, "campaign edit form submitted"),
    ("digest", CHANGE, op_digest, "/numbers digest → chat.postMessage → reply"),
]


def measure(b: Bench, fn, requests: int, warmup: int) -> dict:
    acks, ends = [], []
    for i in range(warmup + requests):
        b.fake.reset()
        started = time.monotonic()
        end = fn(b, b.turn)
        acked = time.monotonic()
        b.turn += 1
        if i >= warmup:
            acks.append((acked - started) * 1000)
            ends.append(((end if end else acked) - started) * 1000)
            if end:
                ends[-1] = max(ends[-1], acks[-1])
    result = stats(ends)
    result["ack"] = stats(acks)
    return result


def disk_bytes(team_file: Path) -> int:
    """The database on disk: the main file and its journal."""
    journal = team_file.with_name(team_file.name + ".journal")
    return team_file.stat().st_size + (journal.stat().st_size if journal.exists() else 0)


def write_floor(team_file: Path, repeats: int) -> dict:
    """Floor (b): serialise and durably write the loaded database once (on a copy)."""
    folder = team_file.parent / "floor"
    folder.mkdir(exist_ok=True)
    copy = folder / team_file.name
    shutil.copyfile(team_file, copy)
    audit = team_file.with_name(team_file.stem + ".audit.jsonl")
    if audit.exists():  # the main file records its length: a copy without it does not open
        shutil.copyfile(audit, folder / audit.name)
    times = []
    for _ in range(repeats):
        storage = AtomicJSONStorage(copy)  # a fresh one: nothing encoded before
        storage.read()
        started = time.monotonic()
        storage.compact()
        times.append((time.monotonic() - started) * 1000)
    shutil.rmtree(folder)
    return stats(times)


def run_size(n: int, requests: int, warmup: int, log=print) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"numbers-bench-{n}-") as tmp:
        data_dir = Path(tmp) / "data"
        settings = load_settings(
            {
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "NUMBERS_DATA_DIR": str(data_dir),
                "NUMBERS_DEFAULT_REGION": "DE",
            },
            dotenv=False,
        )
        inventory = Workspaces(settings).inventory(TEAM_ID)
        log(f"N={n:,}: building the workspace…")
        built = build(inventory, n)
        if built.import_errors:
            raise BenchError(f"{built.import_errors} generated numbers were refused")
        team_file = Path(inventory.repo.database.path)
        del inventory
        db_bytes = disk_bytes(team_file)
        floor_b = write_floor(team_file, repeats=10)
        result: dict = {
            "n": n,
            "import_per_s": round(built.import_per_second),
            "import_s": round(built.import_seconds, 3),
            "db_bytes": db_bytes,
            "floor_write": floor_b,
        }
        log(
            f"N={n:,}: import {built.import_per_second:,.0f}/s, db {db_bytes / 1e6:.1f} MB, "
            f"write floor p50 {floor_b['p50']} ms"
        )
        with FakeSlack() as fake:
            fake.add_user(MANAGER, name="manager")
            server = start_server(fake, data_dir, Path(tmp) / "server.log")
            try:
                sender = SlackSender(server.url, SECRET, fake, timeout=120)
                b = Bench(fake, sender, built)
                started = time.monotonic()
                op_list_attention(b, 0)
                result["cold_start_s"] = round(server.cold_start_s, 3)
                result["first_answer_s"] = round(time.monotonic() - started, 3)
                fake.reset()
                b.command("link")
                b.link_view = fake.modal().view
                fake.reset()
                b.command('campaign edit "Campaign 000"')
                b.campaign_view = fake.modal().view
                if Modal(b.campaign_view).callback_id != "campaign_form":
                    raise BenchError("the campaign edit form did not open")
                ops = {}
                for name, kind, fn, what in OPERATIONS:
                    figures = measure(b, fn, requests, warmup)
                    figures.update(kind=kind, what=what)
                    ops[name] = figures
                    log(
                        f"N={n:,}: {name:16} p50 {figures['p50']:8.1f}  p95 "
                        f"{figures['p95']:8.1f}  p99 {figures['p99']:8.1f} ms"
                    )
                if fake.violations:
                    raise BenchError(f"Slack would have rejected: {fake.violations[:3]}")
                result["peak_rss_mb"] = round(server.peak_rss_mb(), 1)
            finally:
                server.stop()
        result["db_bytes_after"] = disk_bytes(team_file)
        a = ops["noop"]["p50"]
        for figures in ops.values():
            if figures["kind"] == READ:
                figures["floor"] = "a"
                figures["x_floor"] = round(figures["p50"] / a, 2)
            elif figures["kind"] == CHANGE:
                figures["floor"] = "a+b"
                figures["x_floor"] = round(figures["p50"] / (a + floor_b["p50"]), 2)
        result["ops"] = ops
        return result


# ----------------------------------------------------------------------------- targets
def targets(sizes: dict) -> list[dict]:
    out = []

    def check(what: str, value: float, limit: float, unit: str, below: bool = True) -> None:
        met = value <= limit if below else value >= limit
        out.append({"target": what, "value": value, "limit": limit, "unit": unit, "met": bool(met)})

    ten, fifty = sizes.get("10000"), sizes.get("50000")
    if ten:
        for name, f in ten["ops"].items():
            if f["kind"] == READ:
                check(f"10k {name} p99 < 50 ms", f["p99"], 50, "ms")
                check(f"10k {name} p50 ≤ 3× floor a", f["x_floor"], 3, "×")
            elif f["kind"] == CHANGE:
                check(f"10k {name} p99 < 100 ms", f["p99"], 100, "ms")
                check(f"10k {name} p50 ≤ 2× floor a+b", f["x_floor"], 2, "×")
        check("10k cold start < 2 s", ten["cold_start_s"], 2, "s")
    if fifty:
        for name, f in fifty["ops"].items():
            if f["kind"] != FLOOR:
                check(f"50k {name} p99 < 300 ms", f["p99"], 300, "ms")
        check("50k peak memory < 200 MB", fifty["peak_rss_mb"], 200, "MB")
    if ten and fifty:
        for name, f in fifty["ops"].items():
            growth = f["p50"] / ten["ops"][name]["p50"]
            check(f"growth 10k→50k {name} ≤ 5× (linear)", round(growth, 2), 5, "×")
    for key in ("10000", "50000"):
        if key in sizes:
            check(
                f"{int(key) // 1000}k import ≥ 5,000/s",
                sizes[key]["import_per_s"],
                5000,
                "/s",
                below=False,
            )
    return out


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": model or platform.processor(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


# ----------------------------------------------------------------------------- output
def table(results: dict, markdown: bool = False) -> str:
    sizes = results["sizes"]
    keys = list(sizes)
    lines = []
    head = ["operation", "kind"] + [f"N={int(k):,} p50 / p95 / p99 ms (× floor)" for k in keys]
    if "10000" in sizes and "50000" in sizes:
        head.append("growth 10k→50k")
    rows = []
    for name, kind, _fn, what in OPERATIONS:
        row = [what if markdown else name, kind]
        for k in keys:
            f = sizes[k]["ops"][name]
            cell = f"{f['p50']:.1f} / {f['p95']:.1f} / {f['p99']:.1f}"
            if "x_floor" in f:
                cell += f" ({f['x_floor']:.1f}×)"
            row.append(cell)
        if len(head) > len(row):
            grown = sizes["50000"]["ops"][name]["p50"] / sizes["10000"]["ops"][name]["p50"]
            row.append(f"{grown:.1f}×")
        rows.append(row)
    extra = [
        ("floor (b): write the database once", lambda s: f"{s['floor_write']['p50']:.1f} ms"),
        ("bulk import (numbers/s)", lambda s: f"{s['import_per_s']:,}"),
        ("cold start → /healthz (s)", lambda s: f"{s['cold_start_s']:.2f}"),
        ("first answer after start (s)", lambda s: f"{s['first_answer_s']:.2f}"),
        ("database on disk (MB)", lambda s: f"{s['db_bytes'] / 1e6:.1f}"),
        ("peak RSS of the server (MB)", lambda s: f"{s['peak_rss_mb']:.0f}"),
    ]
    for label, fmt in extra:
        row = [label, ""] + [fmt(sizes[k]) for k in keys]
        if len(head) > len(row):
            row.append("")
        rows.append(row)
    if markdown:
        lines.append("| " + " | ".join(head) + " |")
        lines.append("|" + "---|" * len(head))
        lines += ["| " + " | ".join(r) + " |" for r in rows]
    else:
        widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
        for r in [head, *rows]:
            lines.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))
    missed = [t for t in results.get("targets", []) if not t["met"]]
    met = [t for t in results.get("targets", []) if t["met"]]
    lines.append("")
    lines.append(f"Targets met: {len(met)}, missed: {len(missed)}")
    for t in missed:
        lines.append(f"{'- ' if markdown else '  '}missed: {t['target']}: {t['value']} {t['unit']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--report", action="store_true", help="print the tables of --out")
    parser.add_argument("--markdown", action="store_true", help="with --report: README form")
    args = parser.parse_args(argv)
    if args.report:
        print(table(json.loads(args.out.read_text()), markdown=args.markdown))
        return 0
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    results = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "requests": args.requests,
        "warmup": args.warmup,
        "sizes": {},
    }
    for n in sizes:
        results["sizes"][str(n)] = run_size(n, args.requests, args.warmup)
    results["targets"] = targets(results["sizes"])
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print()
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
