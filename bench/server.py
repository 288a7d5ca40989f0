"""The bot as its HTTP server, for the benchmark: ``python -m bench.server``.

Exactly ``bot.server.make_server`` over ``bot.bootstrap.build_runtime`` (waitress, the
real Bolt app and its worker, settings from the environment) plus one extra command,
``/bench-noop``, whose handler only acks: the floor of what Bolt and the server cost per
request. It exists only here, not in
the production app. Prints the port on the first line of stdout, then serves.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys

from bot.bootstrap import build_runtime
from bot.config import load_settings
from bot.server import make_server


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    settings = load_settings(dict(os.environ), dotenv=False)
    runtime = build_runtime(settings)

    @runtime.app.command("/bench-noop")
    def _noop(ack):
        ack()

    server = make_server(runtime, host="127.0.0.1", port=0)
    print(server.effective_port, flush=True)
    runtime.start()
    try:
        with contextlib.suppress(OSError, ValueError, KeyboardInterrupt):
            server.run()
    finally:
        runtime.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
