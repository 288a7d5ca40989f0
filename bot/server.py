"""Running the bot: Socket Mode with SLACK_APP_TOKEN, else HTTP under waitress.

In HTTP mode every POST to /slack/events passes ``SlackGate`` before Bolt sees it: a
body over ``MAX_BODY_BYTES`` is refused 413 unread (waitress refuses it too, before
buffering it), a timestamp that is not a number or a body that is not UTF-8 gets
401/400 instead of a traceback, a bad signature is logged as one line without the body,
and a signature already accepted within Slack's five-minute window (a replay) gets 401
(options loads excepted: they change nothing, and carry no trigger id that would tell
two identical ones apart).
"""

from __future__ import annotations

import heapq
import io
import json
import logging
import re
import signal
import threading
import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from slack_sdk.signature import SignatureVerifier

from bot.config import ConfigError, Settings

if TYPE_CHECKING:
    from bot.bootstrap import Runtime

log = logging.getLogger("numbers-bot")

# Slack's payloads are a few KB (a view submission at most ~250 KB): a larger body is
# refused before it is read.
MAX_BODY_BYTES = 1 << 20
_READ_CHUNK = 65536
# Slack's window: a request whose timestamp is further off is a replay (Bolt says 401).
REPLAY_WINDOW_SECONDS = 300
# Signatures remembered at most (about 100 bytes each); Slack sends far fewer in 5 min.
SEEN_LIMIT = 100_000
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def limited_body(environ: dict) -> bytes | None:
    """The request body, or None when it is over MAX_BODY_BYTES. A Content-Length over
    the limit is refused without reading; without one (chunked) at most the limit plus
    one byte is read."""
    length = (environ.get("CONTENT_LENGTH") or "").strip()
    stream = environ.get("wsgi.input")
    if length:
        if not length.isascii() or not length.isdigit() or int(length) > MAX_BODY_BYTES:
            return None
        want = int(length)
    else:
        want = MAX_BODY_BYTES + 1
    if stream is None or want == 0:
        return b""
    parts, got = [], 0
    while got < want:
        piece = stream.read(min(_READ_CHUNK, want - got))
        if not piece:
            break
        parts.append(piece)
        got += len(piece)
    body = b"".join(parts)
    return None if len(body) > MAX_BODY_BYTES else body


class SeenSignatures:
    """Signatures accepted while their timestamp is inside Slack's window, so that the
    same signed request sent again is refused. Bounded: past ``limit`` the entries that
    leave the window soonest are forgotten first."""

    def __init__(
        self, limit: int = SEEN_LIMIT, window: int = REPLAY_WINDOW_SECONDS, clock=time.time
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._expiry: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._expiry)

    def first_time(self, signature: str, timestamp: int) -> bool:
        """True (and remembered) the first time ``signature`` is seen in the window."""
        expires = timestamp + self.window + 1
        with self._lock:
            now = self.clock()
            while self._heap and (self._heap[0][0] < now or len(self._expiry) >= self.limit):
                _, old = heapq.heappop(self._heap)
                self._expiry.pop(old, None)
            if signature in self._expiry:
                return False
            if expires >= now:
                self._expiry[signature] = expires
                heapq.heappush(self._heap, (expires, signature))
            return True


def _options_load(body: str) -> bool:
    """Whether the body is an options load (block_suggestion). It has no trigger id, so a
    person typing the same search twice within a second sends the same signed request
    twice; it changes nothing, so answering it again is harmless."""
    try:
        payload = json.loads(parse_qs(body).get("payload", [""])[0] or "null")
    except ValueError:
        return False
    return isinstance(payload, dict) and payload.get("type") == "block_suggestion"


class SlackGate:
    """Checks a POST to /slack/events before Bolt parses it; returns a refusal
    (status, text) or None after putting the checked body back for Bolt to read."""

    def __init__(self, signing_secret: str, seen: SeenSignatures | None = None) -> None:
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self.seen = seen or SeenSignatures()

    def refuse(self, environ: dict) -> tuple[str, bytes] | None:
        body = limited_body(environ)
        if body is None:
            log.warning("refused a request to /slack/events: body over %d bytes", MAX_BODY_BYTES)
            return "413 Payload Too Large", b"request body too large\n"
        stamp = (environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "").strip()
        signature = (environ.get("HTTP_X_SLACK_SIGNATURE") or "").strip()
        if not _TIMESTAMP.fullmatch(stamp) or not signature.isascii():
            log.warning("refused a request to /slack/events: invalid signature headers")
            return "401 Unauthorized", b"invalid request\n"
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            log.warning("refused a request to /slack/events: the body is not UTF-8")
            return "400 Bad Request", b"the body is not UTF-8\n"
        if self.verifier is not None:
            if not self.verifier.is_valid(text, stamp, signature):
                log.warning(
                    "refused a request to /slack/events: invalid or expired signature "
                    "(timestamp %s, %d bytes)",
                    stamp,
                    len(body),
                )
                return "401 Unauthorized", b"invalid request\n"
            if not self.seen.first_time(signature, int(stamp)) and not _options_load(text):
                log.warning(
                    "refused a request to /slack/events: a replay of a request already "
                    "received (timestamp %s)",
                    stamp,
                )
                return "401 Unauthorized", b"invalid request\n"
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return None


def wsgi_app(app, signing_secret: str | None = None):
    """Slack's requests at POST /slack/events; GET /healthz answers 200 when ready."""
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    slack = SlackRequestHandler(app, path="/slack/events")
    secret = signing_secret if signing_secret is not None else getattr(app, "_signing_secret", "")
    gate = SlackGate(secret or "")

    def application(environ, start_response):
        path = environ.get("PATH_INFO")
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        if environ.get("REQUEST_METHOD") == "POST" and path == "/slack/events":
            refused = gate.refuse(environ)
            if refused is not None:
                status, text = refused
                start_response(status, [("Content-Type", "text/plain")])
                return [text]
        return slack(environ, start_response)

    return application


class HttpServer:
    """waitress serving one Runtime's app; ``run()`` serves until ``close()``."""

    def __init__(self, runtime: Runtime, waitress_server) -> None:
        self.runtime = runtime
        self._server = waitress_server

    @property
    def effective_port(self) -> int:
        return self._server.effective_port

    def run(self) -> None:
        self._server.run()

    def close(self) -> None:
        self._server.close()


def make_server(runtime: Runtime, host: str = "0.0.0.0", port: int | None = None) -> HttpServer:
    """The HTTP server (waitress) of a runtime, not yet serving; ``.effective_port`` tells
    the port. Starting and stopping the runtime's workers is the caller's."""
    from waitress import create_server

    settings = runtime.settings
    port = settings.port if port is None else port
    waitress_server = create_server(
        wsgi_app(runtime.app, settings.signing_secret or ""),
        host=host,
        port=port,
        threads=8,
        ident="numbers-bot",
        # waitress answers 413 itself, before buffering the body (it refuses >= this).
        max_request_body_size=MAX_BODY_BYTES + 1,
    )
    return HttpServer(runtime, waitress_server)


def run(settings: Settings) -> int:
    from bot.bootstrap import build_runtime

    settings.require_slack()
    runtime = build_runtime(settings)
    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        log.info("numbers-bot: Socket Mode, data in %s", settings.data_dir)
        signal.signal(signal.SIGTERM, _stop_on_sigterm)
        runtime.start()
        try:
            SocketModeHandler(runtime.app, settings.app_token).start()
        finally:
            _stop_gracefully(runtime)
        return 0
    try:
        server = make_server(runtime)
    except OSError as exc:
        raise ConfigError(
            f"PORT {settings.port} cannot be used ({exc.strerror}); choose another PORT."
        ) from None
    log.info(
        "numbers-bot: HTTP on port %s at /slack/events, data in %s",
        server.effective_port,
        settings.data_dir,
    )
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    runtime.start()
    try:
        server.run()  # returns on SIGTERM or Ctrl-C (waitress closes its connections)
    finally:
        _stop_gracefully(runtime)
    return 0


def _stop_on_sigterm(signum, frame) -> None:
    raise SystemExit(0)


def _stop_gracefully(runtime: Runtime) -> None:
    """A stopping bot gives back the notification it was posting (the next start posts
    it at once rather than after its lease)."""
    log.info("numbers-bot: stopping")
    runtime.stop()
