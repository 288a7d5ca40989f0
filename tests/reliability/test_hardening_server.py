"""The HTTP server's defences (issue #11, items 1 and 7): bodies over the limit are
refused 413 before they are read, a failed signature is one log line without the
body, odd timestamps and non-UTF-8 bodies get 400/401 (never a 500), and a signed
request sent a second time within Slack's five-minute window gets 401.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import threading
import time
from urllib.parse import urlencode

import pytest

from tests.bot_process import BotProcess
from tests.conftest import MANAGER, SIGNING_SECRET
from tests.fakeslack import TEAM_ID, VERIFICATION_TOKEN, FakeSlack

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
MIB = 1 << 20


def command_body(text: str, **extra: str) -> str:
    return urlencode(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": TEAM_ID,
            "channel_id": "C1",
            "user_id": MANAGER,
            "command": "/numbers",
            "text": text,
            "response_url": "http://127.0.0.1:9/respond/x",
            "trigger_id": "1.2.3",
            **extra,
        }
    )


def sign_bytes(body: bytes, timestamp: int | None = None) -> dict:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + digest}


def peak_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def stream_post(
    port: int, headers: dict, body_size: int, chunked: bool = False, body: bytes | None = None
) -> tuple:
    """POST ``body`` or ``body_size`` bytes of "a" (streamed, never held whole) and return
    (status line, seconds until the status line arrived, bytes the client managed to send).
    A server refusing a large body closes the connection early: sending then fails."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    if body is not None:
        body_size = len(body)
    head = "POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += "Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {body_size}\r\n"
    sent = [0]
    start = time.monotonic()
    sock.sendall((head + "\r\n").encode())

    def pump() -> None:
        piece = b"a" * 65536
        try:
            while sent[0] < body_size:
                if body is not None:
                    data = body[sent[0] : sent[0] + 65536]
                else:
                    data = piece[: body_size - sent[0]]
                if chunked:
                    sock.sendall(b"%x\r\n%s\r\n" % (len(data), data))
                else:
                    sock.sendall(data)
                sent[0] += len(data)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server closed the connection: what a refusal looks like

    sender = threading.Thread(target=pump, daemon=True)
    sender.start()
    received = b""
    try:
        while b"\r\n" not in received:
            data = sock.recv(4096)
            if not data:
                break
            received += data
    except OSError as exc:
        received += f"<{exc}>".encode()
    elapsed = time.monotonic() - start
    sock.close()
    sender.join(10)
    return received.split(b"\r\n")[0].decode(errors="replace"), elapsed, sent[0]


@pytest.fixture
def bot_process(tmp_path):
    with FakeSlack() as fake:
        fake.add_user(MANAGER, name="manager")
        proc = BotProcess(fake, tmp_path / "data", log_path=tmp_path / "bot.log").start()
        try:
            yield proc
        finally:
            proc.stop()


def test_a_64_mib_unsigned_post_is_refused_413_before_it_is_read(bot_process):
    proc = bot_process
    before = peak_rss_kib(proc.proc.pid)
    headers = {**FORM, "X-Slack-Signature": "v0=" + "0" * 64}
    headers["X-Slack-Request-Timestamp"] = str(int(time.time()))
    status, elapsed, sent = stream_post(proc.port, headers, 64 * MIB)
    assert " 413 " in status, status
    assert elapsed < 2.0, elapsed
    assert sent < 64 * MIB  # the server stopped listening long before the end
    grown = peak_rss_kib(proc.proc.pid) - before
    assert grown < 16 * 1024, f"peak RSS grew by {grown} KiB"
    # Without a Content-Length (chunked), the same.
    status, elapsed, sent = stream_post(proc.port, headers, 64 * MIB, chunked=True)
    assert " 413 " in status, status
    assert elapsed < 5.0, elapsed
    # The bot is still fine, and its log holds no body.
    assert proc.sender.command("list").status == 200
    log = (proc.log_path).read_text()
    assert "aaaaaaaaaaaaaaaa" not in log
    assert len(log) < 20_000, len(log)


def test_a_signed_request_one_byte_over_a_mib_is_refused_413(bot):
    from bot.server import MAX_BODY_BYTES

    assert MAX_BODY_BYTES == MIB
    base = command_body("list", pad="")
    at_limit = base + "x" * (MIB - len(base))
    assert len(at_limit) == MIB
    r = bot.sender.send(at_limit)
    assert r.status == 200, r.status
    over = (at_limit + "x").encode()
    headers = {**FORM, **sign_bytes(over)}
    status, _, _ = stream_post(bot.server.effective_port, headers, 0, body=over)
    assert " 413 " in status, status
    assert [c.method for c in bot.fake.calls if c.method != "auth.test"] == []


@pytest.fixture
def records():
    kept: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            kept.append(record)

    root = logging.getLogger()
    handler, level = Keep(logging.DEBUG), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    levels = {n: logging.getLogger(n).level for n in ("slack_bolt", "numbers-bot", "bot")}
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield kept
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)


def test_a_failed_signature_is_logged_as_one_line_without_the_body(bot, records):
    marker = "SECRET-BODY-MARKER-" + "q" * 200
    body = command_body("add +49 89 1234567", note=marker)
    r = bot.sender.raw(
        body, {**FORM, **bot.sender.sign(body, int(time.time())), "X-Slack-Signature": "v0=00"}
    )
    assert r.status == 401
    texts = [rec.getMessage() for rec in records]
    assert not [t for t in texts if "q" * 50 in t or "SECRET-BODY" in t], texts
    about = [t for t in texts if "signature" in t.lower()]
    assert len(about) == 1 and "\n" not in about[0], about


@pytest.mark.parametrize("stamp", ["²", "12a", "", " ", "-5", "1e9"])
def test_an_odd_timestamp_gets_401_never_a_500(bot, records, stamp):
    body = command_body("list")
    headers = {**FORM, **bot.sender.sign(body)}
    headers["X-Slack-Request-Timestamp"] = stamp
    r = bot.sender.raw(body, {k: v for k, v in headers.items()})
    assert r.status == 401, (stamp, r.status, r.body_text)
    assert not [rec for rec in records if rec.levelno >= logging.ERROR or rec.exc_info]


def test_a_body_that_is_not_utf8_gets_400_never_a_500(bot, records):
    body = command_body("list").encode() + b"&x=\xff\xfe\xc3"
    r = bot.sender.raw(body, {**FORM, **sign_bytes(body)})
    assert r.status == 400, (r.status, r.body_text)
    r = bot.sender.raw(
        body, {**FORM, "X-Slack-Signature": "v0=00", "X-Slack-Request-Timestamp": "1"}
    )
    assert r.status in (400, 401)
    assert not [rec for rec in records if rec.levelno >= logging.ERROR or rec.exc_info]


def test_the_same_signed_request_sent_again_is_refused_401(bot):
    body = command_body("add +49 89 7000001")
    headers = {**FORM, **bot.sender.sign(body)}
    r = bot.sender.raw(body, headers)
    assert r.status == 200 and "Added 1 number" in r.json["text"]
    from bot.core.model import Actor

    bot.inventory().numbers.remove(Actor(MANAGER, True), "+49897000001")
    again = bot.sender.raw(body, headers)
    assert again.status == 401
    assert "+49897000001" not in {i.e164 for i in bot.inventory().number_list()}
    # Slack's own retry carries a fresh timestamp (so a fresh signature): accepted.
    time.sleep(1.1)
    retry = bot.sender.send(
        body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert retry.status == 200


def test_replay_memory_is_bounded(monkeypatch):
    from bot.server import SeenSignatures

    seen = SeenSignatures(limit=100)
    now = time.time()
    for i in range(1000):
        assert seen.first_time(f"v0={i:064x}", int(now))
    assert len(seen) <= 100
    assert not seen.first_time(f"v0={999:064x}", int(now))
    # Entries leave once their timestamp is out of the window.
    old = SeenSignatures(limit=100)
    old.first_time("v0=old", int(now) - 400)
    old.first_time("v0=new", int(now))
    assert len(old) == 1


def test_the_limit_is_checked_before_the_body_is_read():
    """The WSGI app itself (whatever the server) refuses a large Content-Length unread."""
    from bot.server import MAX_BODY_BYTES, limited_body

    class Exploding:
        def read(self, n=-1):
            raise AssertionError("the body was read")

    environ = {"CONTENT_LENGTH": str(64 * MIB), "wsgi.input": Exploding()}
    assert limited_body(environ) is None

    class Endless:
        def __init__(self):
            self.read_bytes = 0

        def read(self, n=-1):
            assert n > 0, "an unbounded read"
            self.read_bytes += n
            return b"a" * n

    endless = Endless()
    assert limited_body({"wsgi.input": endless}) is None  # no Content-Length (chunked)
    assert endless.read_bytes <= MAX_BODY_BYTES + 1 + 65536


def test_bolts_own_signature_check_never_logs_the_body(fake, tmp_path, records):
    """Behind the gate Bolt checks the signature again (a request can cross the window's
    edge between the two): its refusal is logged without the body too."""
    from slack_bolt.request import BoltRequest

    from bot.bootstrap import build_runtime
    from tests.conftest import bot_settings

    runtime = build_runtime(bot_settings(fake, tmp_path / "data"))
    app = runtime.app
    try:
        marker = "BOLT-BODY-MARKER-" + "z" * 100
        body = command_body("list", note=marker)
        headers = {"x-slack-request-timestamp": str(int(time.time())), "x-slack-signature": "v0=1"}
        response = app.dispatch(BoltRequest(body=body, headers=headers))
        assert response.status == 401
        texts = [rec.getMessage() for rec in records]
        assert not [t for t in texts if "z" * 50 in t or "BOLT-BODY" in t], texts
        assert [t for t in texts if "signature" in t.lower()]
    finally:
        runtime.stop()


def test_a_signature_that_is_not_ascii_gets_401_never_a_500(bot, records):
    body = command_body("list")
    headers = {**FORM, **bot.sender.sign(body), "X-Slack-Signature": "v0=²"}
    assert bot.sender.raw(body, headers).status == 401
    assert not [rec for rec in records if rec.levelno >= logging.ERROR or rec.exc_info]


def test_the_same_options_load_twice_in_a_second_is_answered_both_times(bot):
    """An options load has no trigger id: typing the same search again within a second
    sends the very same signed request. It changes nothing, so it is not refused."""
    from tests.e2e.test_numbers import MUNICH, seed

    seed(bot, [MUNICH])
    payload = {
        "type": "block_suggestion",
        "user": {"id": MANAGER, "team_id": TEAM_ID},
        "team": {"id": TEAM_ID},
        "action_id": "numbers_search",
        "block_id": "numbers",
        "value": "+4989",
        "api_app_id": "A1",
    }
    body = urlencode({"payload": json.dumps(payload)})
    headers = {**FORM, **bot.sender.sign(body)}
    first, second = bot.sender.raw(body, headers), bot.sender.raw(body, headers)
    assert first.status == second.status == 200
    assert first.json == second.json and first.json["options"]
