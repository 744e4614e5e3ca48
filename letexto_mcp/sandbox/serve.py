"""Serve the simulator over HTTP with uvicorn, logging to stderr only (stdout stays clean)."""

from __future__ import annotations

import copy
import logging
import re
import sys

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from letexto_mcp.sandbox.app import create_app
from letexto_mcp.sandbox.config import SandboxConfig
from letexto_mcp.sandbox.constants import SANDBOX_API_KEY

_TOKEN = re.compile(r"(token=)[^&\s]+", re.IGNORECASE)


class RedactTokenFilter(logging.Filter):
    """Mask `?token=` keys in uvicorn's access lines: a key in a URL must never reach a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_TOKEN.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        record.msg = _TOKEN.sub(r"\1***", str(record.msg))
        return True


def _stderr_logging() -> dict[str, object]:
    config = copy.deepcopy(LOGGING_CONFIG)
    for handler in config["handlers"].values():
        handler["stream"] = "ext://sys.stderr"
    return config


def make_server(
    host: str = "127.0.0.1", port: int = 8787, config: SandboxConfig | None = None
) -> uvicorn.Server:
    """A uvicorn server for a fresh out-of-process simulator (resets close the connection)."""
    app = create_app(config, in_process=False)
    server_config = uvicorn.Config(
        app, host=host, port=port, log_config=_stderr_logging(), lifespan="on", access_log=True
    )
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactTokenFilter) for f in access.filters):
        access.addFilter(RedactTokenFilter())
    return uvicorn.Server(server_config)


def run_sandbox(host: str = "127.0.0.1", port: int = 8787, config: SandboxConfig | None = None) -> None:
    """Serve the simulator until interrupted. The sandbox key is public: it only opens this simulator."""
    print(
        f"LeTexto sandbox on http://{host}:{port}  (API key: {SANDBOX_API_KEY}; admin: /_sandbox/state)",
        file=sys.stderr,
    )
    make_server(host, port, config).run()
