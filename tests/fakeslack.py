"""Test helpers: a fake Slack Web API, a client that sends requests as Slack does,
and a ``Modal`` that fills and submits a view the bot opened like a person would.

    with FakeSlack() as fake:
        client = WebClient(base_url=fake.url, token="xoxb-test")
        ...                                   # start the bot against fake.url
        sender = SlackSender(bot_url, SIGNING_SECRET, fake)
        assert sender.command("add").status == 200
        modal = fake.modal()                  # waits for views.open
        modal.fill("Country", "DE").submit(sender)

See /work/shared/design/SLACK.md, "Testing without Slack".
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from slack_sdk.signature import SignatureVerifier

from tests.slack_payloads import message_problems, view_problems

BOT_TOKEN = "xoxb-test"
TEAM_ID = "T1"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
APP_ID = "A1"
VERIFICATION_TOKEN = "verification-token"

# Form fields that slack_sdk / Slack send as JSON strings.
_JSON_FIELDS = ("blocks", "view", "attachments", "files", "metadata", "users")
_VIEW_METHODS = ("views.open", "views.push", "views.update", "views.publish")
_MESSAGE_METHODS = ("chat.postMessage", "chat.postEphemeral", "chat.update")


@dataclass
class Call:
    """One request the fake received. ``status``/``response`` are what it answered."""

    method: str
    body: dict
    headers: dict
    status: int = 200
    response: Any = None
    at: float = field(default_factory=time.monotonic)

    @property
    def ok(self) -> bool:
        return (
            self.status == 200 and isinstance(self.response, dict) and bool(self.response.get("ok"))
        )


@dataclass
class _Fault:
    status: int | None
    error: str | None
    retry_after: int
    delay: float
    times: int


class FakeSlack:
    """Slack's Web API on 127.0.0.1:<random port>, recording and validating every call."""

    def __init__(
        self, token: str = BOT_TOKEN, *, trigger_ttl: float = 3.0, strict_triggers: bool = True
    ) -> None:
        self.token = token
        self.trigger_ttl = trigger_ttl  # Slack: a trigger_id expires 3 s after the action
        self.strict_triggers = strict_triggers  # False: accept trigger_ids the fake never issued
        self.calls: list[Call] = []
        self.violations: list[tuple[str, list[str]]] = []  # (method, problems)
        self.uploads: dict[str, bytes] = {}
        self.users: dict[str, dict] = {}
        self._cond = threading.Condition()
        self._faults: dict[str, list[_Fault]] = {}
        self._triggers: dict[str, float] = {}  # trigger_id -> issued at (monotonic)
        self._used_triggers: set[str] = set()
        self._response_url_uses: dict[str, int] = {}
        self._files: dict[str, dict] = {}
        # Files people uploaded (a modal's file_input): id -> (file object, content).
        self.shared_files: dict[str, tuple[dict, bytes]] = {}
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------
    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:  # noqa: N802
                fake._handle(self)

            def do_POST(self) -> None:  # noqa: N802
                fake._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def root(self) -> str:
        assert self._server is not None, "FakeSlack not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    @property
    def url(self) -> str:
        """Base URL for ``WebClient(base_url=fake.url)``."""
        return self.root + "api/"

    # -- configuration ----------------------------------------------------------
    def add_user(
        self,
        user_id: str,
        *,
        is_admin: bool = False,
        is_owner: bool = False,
        name: str | None = None,
        team_id: str = TEAM_ID,
        is_bot: bool = False,
        deleted: bool = False,
        tz: str = "Europe/Berlin",
    ) -> dict:
        name = name or user_id.lower()
        user = {
            "id": user_id,
            "team_id": team_id,
            "name": name,
            "real_name": name,
            "deleted": deleted,
            "is_admin": is_admin,
            "is_owner": is_owner,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "tz": tz,
            "profile": {"real_name": name, "display_name": name},
        }
        self.users[user_id] = user
        return user

    def add_file(
        self,
        content: bytes,
        name: str = "numbers.csv",
        filetype: str = "csv",
        user: str = "UMANAGER",
        size: int | None = None,
    ) -> dict:
        """A file a person uploaded through a modal's file_input: the file object as Slack
        puts it into ``view.state.values[block][action]["files"]`` (and answers in
        files.info), served at its ``url_private_download`` to the bot's token only."""
        file_id = f"F{next(self._ids):08d}"
        url = f"{self.root}files-pri/{TEAM_ID}-{file_id}/"
        mimetypes = {"csv": "text/csv", "pdf": "application/pdf", "text": "text/plain"}
        file = {
            "id": file_id,
            "created": int(time.time()),
            "timestamp": int(time.time()),
            "name": name,
            "title": name,
            "mimetype": mimetypes.get(filetype, "application/octet-stream"),
            "filetype": filetype,
            "pretty_type": filetype.upper(),
            "user": user,
            "user_team": TEAM_ID,
            "editable": False,
            "size": len(content) if size is None else size,
            "mode": "hosted",
            "is_external": False,
            "is_public": False,
            "url_private": url + name,
            "url_private_download": url + "download/" + name,
            "permalink": f"https://fake.slack.com/files/{user}/{file_id}/{name}",
            "channels": [],
            "groups": [],
            "ims": [],
        }
        with self._cond:
            self.shared_files[file_id] = (file, content)
        return file

    def fail(
        self,
        method: str,
        status: int | None = None,
        *,
        error: str | None = None,
        retry_after: int = 1,
        delay: float = 2.0,
        times: int = 1,
    ) -> None:
        """The next ``times`` calls to ``method`` fail, then it answers normally again.

        - ``status=500`` (any 5xx/4xx): that HTTP status, ``{"ok": false, "error": "fatal_error"}``
        - ``status=429``: HTTP 429 with ``Retry-After: retry_after``, error ``ratelimited``
        - ``error="ratelimited"`` (or any error code): HTTP 200 ``{"ok": false, "error": ...}``
        - ``error="timeout"``: sleeps ``delay`` seconds (longer than the client's timeout)
          before answering normally, as when Slack did the work but the client gave up.
        """
        if status is None and error is None:
            raise ValueError("fail() needs status= or error=")
        with self._cond:
            self._faults.setdefault(method, []).append(
                _Fault(status, error, retry_after, delay, times)
            )

    def response_url(self, name: str = "default") -> str:
        return f"{self.root}respond/{name}"

    def new_trigger_id(self) -> str:
        """A trigger_id Slack would put in a request; valid once, for ``trigger_ttl`` s."""
        trigger = f"{next(self._ids)}.{int(time.time())}.{hashlib.md5(str(time.time_ns()).encode()).hexdigest()[:12]}"  # noqa: E501
        with self._cond:
            self._triggers[trigger] = time.monotonic()
        return trigger

    def reset(self) -> None:
        with self._cond:
            self.calls.clear()
            self.violations.clear()
            self.uploads.clear()
            self._faults.clear()
            self._response_url_uses.clear()

    # -- inspection -------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 15) -> list[Call]:
        """Block until ``count`` calls to ``method`` arrived; returns all calls to it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self.calls if c.method == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self.calls]
                    raise AssertionError(
                        f"expected {count} call(s) to {method} within {timeout}s, "
                        f"got {len(found)}; calls seen: {seen}; violations: {self.violations}"
                    )
                self._cond.wait(left)

    def modal(self, method: str = "views.open", index: int = -1, timeout: float = 15) -> Modal:
        """The view the bot sent with ``method`` (as Slack echoed it: with id, hash, block_ids)."""
        calls = self.wait_for(method, count=1 if index < 0 else index + 1, timeout=timeout)
        call = calls[index]
        view = call.response.get("view") if isinstance(call.response, dict) else None
        if not view:
            raise AssertionError(f"{method} was rejected: {call.response}")
        return Modal(view)

    # -- request handling ---------------------------------------------------------
    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(req.path)
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length) if length else b""
        headers = {k: v for k, v in req.headers.items()}
        path = parts.path
        if path.startswith("/files-pri/"):
            self._download(req, path, headers)
        elif path.startswith("/upload/"):
            self._upload(req, path.removeprefix("/upload/"), raw, headers)
        elif path.startswith("/respond/"):
            self._respond(req, path.removeprefix("/respond/"), raw, headers)
        elif path.startswith("/api/"):
            body = dict(parse_qsl(parts.query, keep_blank_values=True))
            body.update(_parse_body(raw, req.headers.get("Content-Type", "")))
            self._api(req, path.removeprefix("/api/"), body, headers)
        else:
            _reply(req, 404, "not found", "text/plain")

    def _record(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    def _take_fault(self, method: str) -> _Fault | None:
        with self._cond:
            queue = self._faults.get(method)
            if not queue:
                return None
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return fault

    def _api(self, req: BaseHTTPRequestHandler, method: str, body: dict, headers: dict) -> None:
        status, payload, extra = 200, None, {}
        delay = 0.0
        fault = self._take_fault(method)
        auth = _header(headers, "Authorization") or ""
        token = auth.removeprefix("Bearer ").strip() if auth else body.get("token")
        if not token:
            payload = {"ok": False, "error": "not_authed"}
        elif token != self.token:
            payload = {"ok": False, "error": "invalid_auth"}
        elif fault is not None and fault.error == "timeout":
            delay = fault.delay
        elif fault is not None and fault.status is not None:
            status = fault.status
            if status == 429:
                payload = {"ok": False, "error": "ratelimited"}
                extra = {"Retry-After": str(fault.retry_after)}
            else:
                payload = {"ok": False, "error": "fatal_error"}
        elif fault is not None:
            payload = {"ok": False, "error": fault.error}
        if payload is None:
            payload = self._answer(method, body)
        call = Call(method, body, headers, status=status, response=payload)
        self._record(call)
        if delay:
            time.sleep(delay)
        _reply(req, status, json.dumps(payload), "application/json; charset=utf-8", extra)

    def _reject(self, method: str, problems: list[str]) -> dict:
        with self._cond:
            self.violations.append((method, problems))
        return {"ok": False, "error": "invalid_blocks", "errors": problems}

    def _answer(self, method: str, body: dict) -> dict:
        """What Slack answers to a well-authenticated call."""
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.com/",
                "team": "Fake Team",
                "user": "numbers-bot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "users.info":
            user = self.users.get(body.get("user", ""))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": user}
        if method in _VIEW_METHODS:
            return self._view(method, body)
        if method in _MESSAGE_METHODS:
            return self._message(method, body)
        if method == "conversations.open":
            users = body.get("users")
            if isinstance(users, list):
                users = ",".join(users)
            if not users and not body.get("channel"):
                return {"ok": False, "error": "users_list_not_supplied"}
            first = (users or "").split(",")[0]
            channel_id = body.get("channel") or "D" + first
            return {"ok": True, "channel": {"id": channel_id, "is_im": True, "user": first}}
        if method == "files.info":
            with self._cond:
                found = self.shared_files.get(body.get("file", ""))
            if found is None:
                return {"ok": False, "error": "file_not_found"}
            return {"ok": True, "file": found[0], "comments": [], "response_metadata": {}}
        if method == "files.getUploadURLExternal":
            if not body.get("filename") or not body.get("length"):
                return {"ok": False, "error": "invalid_arguments"}
            file_id = f"F{next(self._ids):08d}"
            with self._cond:
                self._files[file_id] = {"id": file_id, "name": body.get("filename")}
            return {"ok": True, "upload_url": f"{self.root}upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = body.get("files")
            if not isinstance(files, list) or not files:
                return {"ok": False, "error": "invalid_arguments"}
            out = []
            for f in files:
                if f.get("id") not in self.uploads:
                    return {"ok": False, "error": "file_not_found"}
                out.append({**self._files.get(f["id"], {}), "id": f["id"], "title": f.get("title")})
            return {"ok": True, "files": out}
        return {"ok": True}

    def _view(self, method: str, body: dict) -> dict:
        view = body.get("view")
        if not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        if method in ("views.open", "views.push"):
            trigger = body.get("trigger_id")
            if not trigger:
                return {"ok": False, "error": "invalid_arguments"}
            with self._cond:
                issued = self._triggers.get(trigger)
                if issued is None and self.strict_triggers:
                    return {"ok": False, "error": "invalid_trigger_id"}
                if trigger in self._used_triggers:
                    return {"ok": False, "error": "exchanged_trigger_id"}
                if issued is not None and time.monotonic() - issued > self.trigger_ttl:
                    return {"ok": False, "error": "expired_trigger_id"}
                self._used_triggers.add(trigger)
        if method == "views.publish" and not body.get("user_id"):
            return {"ok": False, "error": "invalid_arguments"}
        if method == "views.update" and not (body.get("view_id") or body.get("external_id")):
            return {"ok": False, "error": "invalid_arguments"}
        problems = view_problems(view)
        if problems:
            return self._reject(method, problems)
        echoed = json.loads(json.dumps(view))
        for i, block in enumerate(echoed.get("blocks", [])):
            block.setdefault("block_id", f"b{i}")  # Slack assigns ids to blocks without one
            element = block.get("element") or block.get("accessory")
            if isinstance(element, dict):
                element.setdefault("action_id", f"a{i}")
        view_id = body.get("view_id") or f"V{next(self._ids):08d}"
        echoed.update(
            {
                "id": view_id,
                "team_id": TEAM_ID,
                "app_id": APP_ID,
                "bot_id": BOT_ID,
                "hash": f"{int(time.time())}.{next(self._ids):08d}",
                "state": {"values": {}},
                "private_metadata": view.get("private_metadata", ""),
                "callback_id": view.get("callback_id", ""),
            }
        )
        return {"ok": True, "view": echoed}

    def _message(self, method: str, body: dict) -> dict:
        channel = body.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if method == "chat.postEphemeral" and not body.get("user"):
            return {"ok": False, "error": "user_not_found"}
        if method == "chat.update" and not body.get("ts"):
            return {"ok": False, "error": "message_not_found"}
        problems = message_problems(body.get("text"), body.get("blocks"))
        if problems:
            if problems == ["message: message needs text or blocks (no_text)"]:
                return {"ok": False, "error": "no_text"}
            return self._reject(method, problems)
        ts = body.get("ts") or f"{int(time.time())}.{next(self._ids):06d}"
        message = {
            "type": "message",
            "text": body.get("text", ""),
            "blocks": body.get("blocks", []),
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "ts": ts,
        }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _upload(self, req: BaseHTTPRequestHandler, file_id: str, raw: bytes, headers: dict):
        with self._cond:
            known = file_id in self._files
            if known:
                self.uploads[file_id] = raw
        self._record(
            Call(
                "upload",
                {"file_id": file_id, "bytes": len(raw)},
                headers,
                status=200 if known else 404,
            )
        )
        if known:
            _reply(req, 200, f"OK - {len(raw)}", "text/plain")
        else:
            _reply(req, 404, "file not found", "text/plain")

    def _download(self, req: BaseHTTPRequestHandler, path: str, headers: dict) -> None:
        """GET url_private(_download): the content, with the bot token only (Slack answers
        a login page without it; here a 403)."""
        file_id = path.removeprefix("/files-pri/").split("/")[0].split("-")[-1]
        auth = (_header(headers, "Authorization") or "").removeprefix("Bearer ").strip()
        with self._cond:
            found = self.shared_files.get(file_id)
        status = 200 if found and auth == self.token else 404 if not found else 403
        self._record(Call("file.download", {"file_id": file_id}, headers, status=status))
        if status != 200:
            _reply(req, status, "no", "text/plain")
            return
        data = found[1]
        try:
            req.send_response(200)
            req.send_header("Content-Type", found[0]["mimetype"])
            req.send_header("Content-Length", str(len(data)))
            req.end_headers()
            req.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _respond(self, req: BaseHTTPRequestHandler, name: str, raw: bytes, headers: dict):
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        body.setdefault("_name", name)
        with self._cond:
            uses = self._response_url_uses[name] = self._response_url_uses.get(name, 0) + 1
        status, text = 200, "ok"
        if uses > 5:
            status, text = 404, "used_url"
        elif not body.get("delete_original"):
            problems = message_problems(body.get("text"), body.get("blocks"))
            if problems:
                with self._cond:
                    self.violations.append(("response_url", problems))
                status, text = 400, "invalid_blocks"
        self._record(Call("response_url", body, headers, status=status, response=text))
        _reply(req, status, text, "text/plain")


def _header(headers: dict, name: str) -> str | None:
    for k, v in headers.items():
        if k.lower() == name.lower():
            return v
    return None


def _parse_body(raw: bytes, content_type: str) -> dict:
    if not raw:
        return {}
    text = raw.decode("utf-8")
    if "json" in content_type:
        data = json.loads(text)
        return data if isinstance(data, dict) else {"_json": data}
    body: dict[str, Any] = dict(parse_qsl(text, keep_blank_values=True))
    for key in _JSON_FIELDS:
        value = body.get(key)
        if isinstance(value, str) and value[:1] in "[{":
            with contextlib.suppress(ValueError):
                body[key] = json.loads(value)
    return body


def _reply(
    req: BaseHTTPRequestHandler,
    status: int,
    text: str,
    content_type: str,
    headers: dict | None = None,
) -> None:
    data = text.encode("utf-8")
    try:
        req.send_response(status)
        req.send_header("Content-Type", content_type)
        req.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            req.send_header(k, v)
        req.end_headers()
        req.wfile.write(data)
    except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
        pass


# ----------------------------------------------------------------------------------
# Requests as Slack sends them
# ----------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    body_text: str
    json: Any = None
    headers: dict = field(default_factory=dict)


class SlackSender:
    """Sends signed requests to the bot's ``POST {base_url}/slack/events`` as Slack does."""

    def __init__(
        self,
        base_url: str,
        signing_secret: str,
        fake: FakeSlack | None = None,
        *,
        path: str = "/slack/events",
        timeout: float = 10,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + path
        self.signing_secret = signing_secret
        self.fake = fake
        self.timeout = timeout
        self._verifier = SignatureVerifier(signing_secret)
        self._n = itertools.count(1)

    # -- plumbing -----------------------------------------------------------------
    def sign(self, body: str, timestamp: int | str | None = None) -> dict:
        """The X-Slack-* headers Slack sends for ``body``."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        return {
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": self._verifier.generate_signature(timestamp=ts, body=body),
        }

    def send(
        self,
        body: str,
        content_type: str = "application/x-www-form-urlencoded",
        headers: dict | None = None,
    ) -> Response:
        """Sign and post ``body`` (extra ``headers``, e.g. X-Slack-Retry-Num, are added)."""
        all_headers = {"Content-Type": content_type, **self.sign(body), **(headers or {})}
        return self.raw(body, all_headers)

    def raw(self, body: str | bytes, headers: dict | None = None) -> Response:
        """Post ``body`` with exactly ``headers`` (no signing): for security tests."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        hdrs = {"User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)", **(headers or {})}
        req = urllib.request.Request(self.url, data=data, headers=hdrs, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                status, text, rh = resp.status, resp.read().decode("utf-8"), dict(resp.headers)
        except urllib.error.HTTPError as e:
            status, text, rh = e.code, e.read().decode("utf-8"), dict(e.headers)
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return Response(status, text, parsed, rh)

    def _payload(self, payload: dict) -> Response:
        return self.send(urlencode({"payload": json.dumps(payload)}))

    def trigger_id(self) -> str:
        if self.fake is not None:
            return self.fake.new_trigger_id()
        return f"{next(self._n)}.{int(time.time())}.trigger"

    def _response_url(self, name: str) -> str:
        if self.fake is not None:
            return self.fake.response_url(name)
        return f"http://127.0.0.1:9/respond/{name}"

    @staticmethod
    def _user(user: str, team: str) -> dict:
        return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team}

    @staticmethod
    def _team(team: str) -> dict:
        return {"id": team, "domain": team.lower()}

    # -- requests -----------------------------------------------------------------
    def command(
        self,
        text: str = "",
        user: str = "UMANAGER",
        team: str = TEAM_ID,
        channel: str = "C1",
        command: str = "/numbers",
        *,
        response_url: str | None = None,
    ) -> Response:
        n = next(self._n)
        body = {
            "token": VERIFICATION_TOKEN,
            "team_id": team,
            "team_domain": team.lower(),
            "channel_id": channel,
            "channel_name": "directmessage" if channel.startswith("D") else channel.lower(),
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url or self._response_url(f"command-{n}"),
            "trigger_id": self.trigger_id(),
        }
        return self.send(urlencode(body))

    def block_action(
        self,
        action_id: str,
        value: str | None = None,
        user: str = "UMANAGER",
        team: str = TEAM_ID,
        view: dict | Modal | None = None,
        block_id: str | None = None,
        selected_option: dict | str | None = None,
        message: dict | None = None,
        *,
        channel: str = "C1",
        action_type: str | None = None,
        trigger_id: str | None = None,
    ) -> Response:
        """A block_actions payload: from ``view`` (a modal/home) or else from ``message``."""
        state_values: dict = {}
        if isinstance(view, Modal):
            state_values = view.values
            view = view.view
        source_blocks = (view or message or {}).get("blocks", [])
        element = _find_element(source_blocks, action_id, block_id)
        if block_id is None:
            block_id = element[0] if element else "block"
        el = element[1] if element else {}
        if isinstance(selected_option, str):
            selected_option = _find_option(el, selected_option) or _option(selected_option)
        kind = action_type or el.get("type") or ("static_select" if selected_option else "button")
        action: dict[str, Any] = {
            "type": kind,
            "action_id": action_id,
            "block_id": block_id,
            "action_ts": f"{time.time():.6f}",
        }
        if kind == "button":
            action["value"] = value if value is not None else el.get("value")
            if "text" in el:
                action["text"] = el["text"]
        elif value is not None:
            action["value"] = value
        if selected_option is not None:
            action["selected_option"] = selected_option
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user, team),
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "trigger_id": trigger_id or self.trigger_id(),
            "team": self._team(team),
            "enterprise": None,
            "is_enterprise_install": False,
            "actions": [action],
        }
        if view is not None:
            view_payload = _view_payload(view, state_values, team)
            payload["container"] = {"type": "view", "view_id": view_payload["id"]}
            payload["view"] = view_payload
        else:
            n = next(self._n)
            message = message or {
                "type": "message",
                "ts": f"{int(time.time())}.000100",
                "text": "",
                "blocks": [],
            }
            payload["container"] = {
                "type": "message",
                "message_ts": message.get("ts"),
                "channel_id": channel,
                "is_ephemeral": False,
            }
            payload["channel"] = {"id": channel, "name": channel.lower()}
            payload["message"] = message
            payload["state"] = {"values": {}}
            payload["response_url"] = self._response_url(f"action-{n}")
        return self._payload(payload)

    def view_submission(
        self,
        view: dict | Modal,
        values: dict | None = None,
        user: str = "UMANAGER",
        team: str = TEAM_ID,
    ) -> Response:
        if isinstance(view, Modal):
            values = view.values if values is None else values
            view = view.view
        payload = {
            "type": "view_submission",
            "team": self._team(team),
            "user": self._user(user, team),
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "trigger_id": self.trigger_id(),
            "view": _view_payload(view, values or {}, team),
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return self._payload(payload)

    def view_closed(self, view: dict | Modal, user: str = "UMANAGER", team: str = TEAM_ID):
        values = {}
        if isinstance(view, Modal):
            values, view = view.values, view.view
        payload = {
            "type": "view_closed",
            "team": self._team(team),
            "user": self._user(user, team),
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "view": _view_payload(view, values, team),
            "is_cleared": False,
            "is_enterprise_install": False,
        }
        return self._payload(payload)

    def options(
        self,
        action_id: str,
        value: str = "",
        user: str = "UMANAGER",
        team: str = TEAM_ID,
        block_id: str | None = None,
        view: dict | Modal | None = None,
    ) -> Response:
        """A block_suggestion (options load) request for an external_select."""
        state_values: dict = {}
        if isinstance(view, Modal):
            state_values, view = view.values, view.view
        if block_id is None:
            found = _find_element((view or {}).get("blocks", []), action_id, None)
            block_id = found[0] if found else "block"
        payload: dict[str, Any] = {
            "type": "block_suggestion",
            "user": self._user(user, team),
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "action_id": action_id,
            "block_id": block_id,
            "value": value,
            "team": self._team(team),
            "enterprise": None,
            "is_enterprise_install": False,
        }
        if view is not None:
            view_payload = _view_payload(view, state_values, team)
            payload["container"] = {"type": "view", "view_id": view_payload["id"]}
            payload["view"] = view_payload
        else:
            payload["container"] = {
                "type": "message",
                "message_ts": "1.000100",
                "channel_id": "C1",
                "is_ephemeral": False,
            }
        return self._payload(payload)

    def event(self, event: dict, team: str = TEAM_ID, *, retry_num: int | None = None):
        """An Events API ``event_callback`` envelope (JSON)."""
        now = time.time()
        event = {"event_ts": f"{now:.6f}", **event}
        envelope = {
            "token": VERIFICATION_TOKEN,
            "team_id": team,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{next(self._n):010d}",
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.send(json.dumps(envelope), "application/json", headers)

    def app_home_opened(self, user: str = "UMANAGER", team: str = TEAM_ID) -> Response:
        return self.event(
            {"type": "app_home_opened", "user": user, "channel": "D" + user, "tab": "home"},
            team=team,
        )

    def url_verification(self, challenge: str = "challenge-token") -> Response:
        body = {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
        return self.send(json.dumps(body), "application/json")


def _view_payload(view: dict, values: dict, team: str = TEAM_ID) -> dict:
    """The ``view`` object Slack puts in interaction payloads (from workspace ``team``)."""
    view_id = (
        view.get("id")
        or "V" + hashlib.md5(json.dumps(view, sort_keys=True).encode()).hexdigest()[:10].upper()
    )
    return {
        "id": view_id,
        "team_id": view.get("team_id", TEAM_ID),
        "type": view.get("type", "modal"),
        "blocks": view.get("blocks", []),
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "state": {"values": values},
        "hash": view.get("hash", f"{int(time.time())}.hash"),
        "title": view.get("title"),
        "clear_on_close": view.get("clear_on_close", False),
        "notify_on_close": view.get("notify_on_close", False),
        "close": view.get("close"),
        "submit": view.get("submit"),
        "previous_view_id": view.get("previous_view_id"),
        "root_view_id": view.get("root_view_id", view_id),
        "app_id": APP_ID,
        "external_id": view.get("external_id", ""),
        "app_installed_team_id": team,  # Bolt takes the team from here first
        "bot_id": BOT_ID,
    }


def _find_element(blocks: list, action_id: str, block_id: str | None):
    """(block_id, element) of the element with ``action_id`` in ``blocks``, or None."""
    for i, block in enumerate(blocks or []):
        bid = block.get("block_id", f"b{i}")
        if block_id is not None and bid != block_id:
            continue
        candidates = list(block.get("elements") or [])
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                candidates.append(block[key])
        for el in candidates:
            if isinstance(el, dict) and el.get("action_id") == action_id:
                return bid, el
    return None


def _option(value: str, text: str | None = None) -> dict:
    return {"text": {"type": "plain_text", "text": text or value, "emoji": True}, "value": value}


def _all_options(element: dict) -> list[dict]:
    opts = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        opts.extend(group.get("options") or [])
    return opts


def _find_option(element: dict, wanted: Any) -> dict | None:
    if isinstance(wanted, dict):
        return wanted
    for opt in _all_options(element):
        if opt.get("value") == wanted:
            return opt
    for opt in _all_options(element):
        if (opt.get("text") or {}).get("text") == wanted:
            return opt
    return None


# ----------------------------------------------------------------------------------
# Modals, filled like a person would
# ----------------------------------------------------------------------------------

# element type -> (state key, initial key, empty value)
_STATE_KEYS: dict[str, tuple[str, str, Any]] = {
    "plain_text_input": ("value", "initial_value", None),
    "email_text_input": ("value", "initial_value", None),
    "url_text_input": ("value", "initial_value", None),
    "number_input": ("value", "initial_value", None),
    "static_select": ("selected_option", "initial_option", None),
    "external_select": ("selected_option", "initial_option", None),
    "radio_buttons": ("selected_option", "initial_option", None),
    "multi_static_select": ("selected_options", "initial_options", []),
    "multi_external_select": ("selected_options", "initial_options", []),
    "checkboxes": ("selected_options", "initial_options", []),
    "datepicker": ("selected_date", "initial_date", None),
    "timepicker": ("selected_time", "initial_time", None),
    "datetimepicker": ("selected_date_time", "initial_date_time", None),
    "users_select": ("selected_user", "initial_user", None),
    "multi_users_select": ("selected_users", "initial_users", []),
    "conversations_select": ("selected_conversation", "initial_conversation", None),
    "multi_conversations_select": ("selected_conversations", "initial_conversations", []),
    "channels_select": ("selected_channel", "initial_channel", None),
    "file_input": ("files", "", []),  # fill with fake.add_file(...) objects
    "multi_channels_select": ("selected_channels", "initial_channels", []),
}


class Modal:
    """A view the bot opened, filled by input labels and submitted as Slack would."""

    def __init__(self, view: dict) -> None:
        if hasattr(view, "to_dict"):
            view = view.to_dict()
        self.view = json.loads(json.dumps(view))
        for i, block in enumerate(self.view.get("blocks", [])):
            block.setdefault("block_id", f"b{i}")
            element = block.get("element") or block.get("accessory")
            if isinstance(element, dict):
                element.setdefault("action_id", f"a{i}")
        self._filled: dict[tuple[str, str], dict] = {}

    def __repr__(self) -> str:
        return f"Modal({self.callback_id!r}, labels={self.labels()})"

    @property
    def callback_id(self) -> str:
        return self.view.get("callback_id", "")

    @property
    def private_metadata(self) -> str:
        return self.view.get("private_metadata", "")

    @property
    def title(self) -> str:
        return (self.view.get("title") or {}).get("text", "")

    @property
    def blocks(self) -> list[dict]:
        return self.view.get("blocks", [])

    def _inputs(self) -> list[dict]:
        return [b for b in self.blocks if b.get("type") == "input"]

    def labels(self) -> list[str]:
        return [(b.get("label") or {}).get("text", "") for b in self._inputs()]

    def input_block(self, label: str) -> dict:
        """The input block labelled ``label`` (exact, else case-insensitive)."""
        inputs = self._inputs()
        found = [b for b in inputs if (b.get("label") or {}).get("text") == label]
        if not found:
            key = label.strip().casefold()
            found = [
                b
                for b in inputs
                if (b.get("label") or {}).get("text", "").strip().casefold() == key
            ]
        if not found:
            raise AssertionError(
                f"no input labelled {label!r} in the modal; labels: {self.labels()}"
            )
        if len(found) > 1:
            raise AssertionError(f"{len(found)} inputs labelled {label!r}")
        return found[0]

    def element(self, label: str) -> dict:
        return self.input_block(label)["element"]

    def block_id(self, label: str) -> str:
        return self.input_block(label)["block_id"]

    def fill(self, label: str, value: Any) -> Modal:
        """Set the input labelled ``label`` as a person would; returns self for chaining.

        ``value`` is a string for text inputs and single selects (an option's value or
        its text), a list for multi selects/checkboxes, a date or "YYYY-MM-DD" for a
        datepicker, a number or string for number_input. ``None`` clears the input.
        """
        block = self.input_block(label)
        element = block["element"]
        self._filled[(block["block_id"], element["action_id"])] = _state_for(element, value, label)
        return self

    @property
    def values(self) -> dict:
        """``view.state.values`` as Slack sends it: every stateful element of the view."""
        values: dict[str, dict] = {}
        for block in self.blocks:
            elements = []
            if isinstance(block.get("element"), dict):
                elements.append(block["element"])
            if isinstance(block.get("accessory"), dict):
                elements.append(block["accessory"])
            if block.get("type") == "actions":
                elements.extend(e for e in block.get("elements") or [] if isinstance(e, dict))
            for el in elements:
                if el.get("type") not in _STATE_KEYS or not el.get("action_id"):
                    continue
                key = (block["block_id"], el["action_id"])
                state = self._filled.get(key) or _initial_state(el)
                values.setdefault(block["block_id"], {})[el["action_id"]] = state
        return values

    def submit(self, sender: SlackSender, user: str = "UMANAGER", team: str = TEAM_ID):
        return sender.view_submission(self.view, self.values, user=user, team=team)


def _initial_state(element: dict) -> dict:
    kind = element["type"]
    state_key, initial_key, empty = _STATE_KEYS[kind]
    initial = element.get(initial_key)
    return {"type": kind, state_key: initial if initial is not None else empty}


def _state_for(element: dict, value: Any, label: str) -> dict:
    kind = element.get("type")
    if kind not in _STATE_KEYS:
        raise AssertionError(f"input {label!r} has an element of unsupported type {kind!r}")
    state_key, _initial, empty = _STATE_KEYS[kind]
    if value is None:
        return {"type": kind, state_key: empty}
    if state_key == "value":
        return {"type": kind, "value": str(value)}
    if state_key == "selected_option":
        return {"type": kind, state_key: _pick(element, value, label)}
    if state_key == "selected_options":
        items = value if isinstance(value, list | tuple | set) else [value]
        return {"type": kind, state_key: [_pick(element, v, label) for v in items]}
    if state_key == "selected_date":
        if isinstance(value, dt.date):
            value = value.isoformat()
        dt.date.fromisoformat(value)  # raises on a malformed date
        return {"type": kind, state_key: value}
    if state_key == "selected_time" and isinstance(value, dt.time):
        value = value.strftime("%H:%M")
    if state_key == "selected_date_time" and isinstance(value, dt.datetime):
        value = int(value.timestamp())
    if state_key.endswith("s") and not isinstance(value, list):
        value = [value]
    return {"type": kind, state_key: value}


def _pick(element: dict, wanted: Any, label: str) -> dict:
    if isinstance(wanted, dict):
        return wanted
    if element["type"] in ("external_select", "multi_external_select"):
        if isinstance(wanted, tuple):  # (value, text)
            return _option(*wanted)
        return _option(str(wanted))
    opt = _find_option(element, wanted)
    if opt is None:
        choices = [o.get("value") for o in _all_options(element)]
        raise AssertionError(f"{label!r} has no option {wanted!r}; values: {choices}")
    return opt


def assert_within_limits(
    view: dict | None = None, text: str | None = None, blocks: list[dict] | None = None
) -> None:
    """Fail with every violated Slack limit of ``view`` and/or the message text/blocks."""
    problems: list[str] = []
    if view is not None:
        problems += [f"view {p}" for p in view_problems(view)]
    if text is not None or blocks is not None:
        problems += [f"message {p}" for p in message_problems(text, blocks)]
    if problems:
        raise AssertionError("Slack would reject this payload:\n  " + "\n  ".join(problems))
