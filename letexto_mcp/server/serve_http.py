"""`letexto-mcp serve --transport http`: the HTTP app under uvicorn, logging to stderr, keys masked."""

from __future__ import annotations

import copy
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from letexto_mcp.config import Settings
from letexto_mcp.server.http import build_http_app
from letexto_mcp.server.logs import install_log_filter

GRACEFUL_SHUTDOWN_SECONDS = 5
# An idle client connection is kept longer than balancers keep theirs (HAProxy, nginx and cloud
# balancers: 60 s or less), so it is the balancer that closes it: a replica closing first races a
# request the balancer writes at that moment, which is then lost (uvicorn's default is 5 s).
KEEP_ALIVE_SECONDS = 75


def _stderr_logging() -> dict[str, Any]:
    config = copy.deepcopy(LOGGING_CONFIG)
    for handler in config["handlers"].values():
        handler["stream"] = "ext://sys.stderr"
    return config


def make_http_server(
    settings: Settings, host: str, port: int, *, simulator: Any | None = None
) -> uvicorn.Server:
    """A uvicorn server for the HTTP app (not started)."""
    app = build_http_app(settings, simulator=simulator, host=host)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=_stderr_logging(),
        lifespan="on",
        access_log=True,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
    secrets = [s.get_secret_value() for s in [settings.api_token, *settings.mcp_api_keys] if s]
    secrets += [s.decode() for s in settings.state_secrets()]
    secrets += [person.key.get_secret_value() for person in [*settings.approver_keys, *settings.connect_keys]]
    install_log_filter(secrets)
    return uvicorn.Server(config)


def serve_http(settings: Settings, host: str, port: int) -> None:
    """Serve until interrupted."""
    make_http_server(settings, host, port).run()
