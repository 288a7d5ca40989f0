"""The real bot as a subprocess (`python -m bot`) against a FakeSlack in the test process.

with FakeSlack() as fake:
    proc = BotProcess(fake, data_dir).start()   # waits for GET /healthz
    proc.sender.command("add +49 89 1234567")
    proc.kill()                                  # SIGKILL, no goodbye
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import MANAGER, SIGNING_SECRET
from tests.fakeslack import BOT_TOKEN, FakeSlack, SlackSender

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BotProcess:
    def __init__(self, fake: FakeSlack, data_dir: Path, log_path: Path | None = None, **env):
        self.fake = fake
        self.data_dir = Path(data_dir)
        self.log_path = log_path or self.data_dir.parent / "bot-process.log"
        self.extra_env = env
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.sender: SlackSender | None = None

    def start(self, timeout: float = 30) -> BotProcess:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NUMBERS_"))}
        env.update(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=self.fake.url,
            NUMBERS_DATA_DIR=str(self.data_dir),
            NUMBERS_MANAGERS=MANAGER,
            NUMBERS_DEFAULT_REGION="DE",
            PORT=str(self.port),
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps it open
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"the bot exited with {self.proc.returncode}: {self.log_path.read_text()}"
                )
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"the bot did not start: {self.log_path.read_text()}")
            time.sleep(0.05)
        self.sender = SlackSender(base, SIGNING_SECRET, self.fake, timeout=10)
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None
