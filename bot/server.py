"""Running the bot: Socket Mode with SLACK_APP_TOKEN, else HTTP under waitress."""

from __future__ import annotations

import logging

from bot.config import ConfigError, Settings

log = logging.getLogger("numbers-bot")


def wsgi_app(app):
    """Slack's requests at POST /slack/events; GET /healthz answers 200 when ready."""
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    slack = SlackRequestHandler(app, path="/slack/events")

    def application(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        stamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
        if stamp is not None and not stamp.strip().isdigit():
            # slack_sdk's verifier raises ValueError on it (a 500): it is a bad signature.
            start_response("401 Unauthorized", [("Content-Type", "text/plain")])
            return [b"invalid request\n"]
        return slack(environ, start_response)

    return application


def make_server(settings: Settings, host: str = "0.0.0.0", port: int | None = None):
    """The HTTP server (waitress), not yet serving; ``.effective_port`` tells the port."""
    from waitress import create_server

    from bot.app import build_app

    app = build_app(settings)
    port = settings.port if port is None else port
    return create_server(wsgi_app(app), host=host, port=port, threads=8, ident="numbers-bot")


def run(settings: Settings) -> int:
    settings.require_slack()
    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        from bot.app import build_app

        app = build_app(settings)
        log.info("numbers-bot: Socket Mode, data in %s", settings.data_dir)
        SocketModeHandler(app, settings.app_token).start()
        return 0
    try:
        server = make_server(settings)
    except OSError as exc:
        raise ConfigError(
            f"PORT {settings.port} cannot be used ({exc.strerror}); choose another PORT."
        ) from None
    log.info(
        "numbers-bot: HTTP on port %s at /slack/events, data in %s",
        server.effective_port,
        settings.data_dir,
    )
    server.run()
    return 0
