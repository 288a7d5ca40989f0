"""The bot as its HTTP server, for the benchmark: ``python -m bench.server``.

Exactly ``bot.server.make_server`` (waitress, the real Bolt app, settings from the
environment) plus one extra command, ``/bench-noop``, whose handler only acks: the
floor of what Bolt and the server cost per request. It exists only here, not in
the production app. Prints the port on the first line of stdout, then serves.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys

import bot.app
from bot.config import load_settings
from bot.server import make_server


def _with_noop(build_app):
    def build(settings, workspaces=None):
        app = build_app(settings, workspaces)

        @app.command("/bench-noop")
        def _noop(ack):
            ack()

        return app

    return build


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    settings = load_settings(dict(os.environ), dotenv=False)
    bot.app.build_app = _with_noop(bot.app.build_app)  # make_server imports it at call time
    server = make_server(settings, host="127.0.0.1", port=0)
    print(server.effective_port, flush=True)
    with contextlib.suppress(OSError, ValueError, KeyboardInterrupt):
        server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
