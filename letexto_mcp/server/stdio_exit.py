"""A stdio client that quits while an answer is on its way is a normal end, not a crash.

Desktop clients close the pipe when the user quits them, sometimes while the server is writing.
The SDK's stdio transport then raises BrokenPipeError (inside an exception group) and Python
prints two tracebacks into the client's log. `run_stdio` ends quietly instead, and anything
else still raises.
"""

from __future__ import annotations

import os
import sys
from typing import Any

CLIENT_GONE = (BrokenPipeError, ConnectionResetError)


def client_went_away(error: BaseException) -> bool:
    """True when `error` is, or only groups, the client closing its end of the pipe."""
    inner = getattr(error, "exceptions", None)
    if isinstance(inner, tuple) and inner:
        return all(client_went_away(e) for e in inner)
    return isinstance(error, CLIENT_GONE)


def run_stdio(server: Any) -> int:
    """Serve over stdio until the client leaves; 0 when it left, even mid-answer."""
    try:
        server.run()
    except BaseException as error:
        if not client_went_away(error):
            raise
        # Nobody reads stdout any more: point it at /dev/null so the flush at exit stays quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 0
