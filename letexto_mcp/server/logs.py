"""Log redaction for the HTTP server: no key, Bearer credential, `token=` value, report URL or sign-in
link in a log line.

Uvicorn's access log prints each request line; a client that puts a key in a query string, or
LeTexto calling `/dlr/<signed token>`, would otherwise write a credential to the log. The filter
sits on the handlers, so it sees every record whichever logger emitted it, and it rewrites the
arguments in place (the access formatter needs them as a tuple).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from letexto_mcp.letexto.redact import MASK, RedactingFilter, redact, redact_url

_REPORT_PATH = re.compile(r"(/dlr/|/approvals/signin/)[^\s?#\"']+")
_WATCHED_LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access")


class SecretLogFilter(logging.Filter):
    """Masks the given secrets, Bearer credentials, `token=` values, `/dlr/<token>` and sign-in paths."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)
        self._open_clients = RedactingFilter()

    def clean(self, text: str) -> str:
        return _REPORT_PATH.sub(r"\1" + MASK, redact_url(redact(text, self._secrets)))

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = self.clean(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(self.clean(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: self.clean(v) if isinstance(v, str) else v for k, v in record.args.items()}
        if record.name == "uvicorn.access":
            return True  # its formatter unpacks the argument tuple: keep it a tuple
        # Keys of the LeTexto clients open in this process (per-tenant keys in multi-tenant mode).
        return self._open_clients.filter(record)


def install_log_filter(secrets: Iterable[str]) -> SecretLogFilter:
    """Attach one filter to every handler of the root and uvicorn loggers (after uvicorn set them up)."""
    log_filter = SecretLogFilter(secrets)
    for name in _WATCHED_LOGGERS:
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, SecretLogFilter) for f in handler.filters):
                handler.addFilter(log_filter)
    return log_filter
