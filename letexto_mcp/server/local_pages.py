"""The approval page of a stdio server: a loopback-only listener, started the first time it is needed.

A desktop client (Claude Desktop, Cursor…) runs this server over stdio and often shows no dialog at
all. When a send needs a person, this starts a small HTTP listener on 127.0.0.1 (port
LETEXTO_APPROVAL_PORT, 0 = any free one) serving the same approval page as the HTTP app, and opens
the user's browser at a one-time sign-in link: the page is signed in for the desktop user, who
presses Approve or Decline. The link's secret travels only to the browser — never in a tool result,
an MCP message or a log line (the listener keeps no access log). With LETEXTO_APPROVAL_BROWSER=0
nothing is opened and a person signs in with an approver key.

The browser is opened by a short-lived child process (Python's `webbrowser`, which honours
`BROWSER`) whose output goes nowhere: a browser writing to this process's stdout would corrupt the
MCP stream.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import anyio
from anyio.abc import TaskGroup

from letexto_mcp.config import Settings
from letexto_mcp.guard.approvals import ApprovalDesk
from letexto_mcp.server.pages import APPROVALS_PATH
from letexto_mcp.store.base import ApprovalRecord

logger = logging.getLogger("letexto_mcp.server.local_pages")

DESKTOP_APPROVER = "desktop"
_OPENER = "import sys, webbrowser; sys.exit(0 if webbrowser.open(sys.argv[1]) else 1)"


class LocalPages:
    """The approval pages of one stdio server (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        desk: ApprovalDesk,
        session_secret: Callable[[], Awaitable[bytes]],
        task_group: TaskGroup,
    ) -> None:
        self._settings = settings
        self._desk = desk
        self._session_secret = session_secret
        self._task_group = task_group
        self._lock = anyio.Lock()
        self._port: int | None = None
        self._server: Any = None
        self._links: Any = None

    def reachable(self) -> bool:
        return self._settings.approval_browser or bool(self._settings.approver_keys)

    def opens_itself(self) -> bool:
        return self._settings.approval_browser

    async def url_for(self, approval_id: str, request_base: str | None) -> str:
        return f"{await self._base()}{APPROVALS_PATH}/{approval_id}"

    async def present(self, record: ApprovalRecord, url: str) -> bool:
        """Open the user's browser at a one-time sign-in link for this record's page."""
        if not self._settings.approval_browser:
            return False
        link = f"{await self._base()}{self._links.issue(record.id)}"
        opener = await anyio.to_thread.run_sync(_open_browser, link)
        if not opener:
            logger.warning("could not open a browser for the approval page; the page is at %s", url)
        return opener

    async def _base(self) -> str:
        """The listener's address, starting it the first time."""
        async with self._lock:
            if self._port is None:
                await self._start()
        return f"http://127.0.0.1:{self._port}"

    async def _start(self) -> None:
        import uvicorn
        from starlette.applications import Starlette

        from letexto_mcp.web import ApprovalWebContext, SignInLinks, approval_routes

        self._links = SignInLinks(DESKTOP_APPROVER, ttl=self._desk.ttl)
        refused = [key.get_secret_value() for key in self._settings.mcp_api_keys]
        if self._settings.api_token is not None:
            refused.append(self._settings.api_token.get_secret_value())
        context = ApprovalWebContext(
            desk=self._desk,
            approvers=list(self._settings.approver_keys),
            refused_keys=refused,
            session_secret=await self._session_secret(),
            sign_in_links=self._links,
        )
        app = Starlette(routes=approval_routes(lambda: context))
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._settings.approval_port))
        sock.listen(64)
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self._server = _QuietServer(config)
        self._task_group.start_soon(self._serve, sock)
        logger.info("approval page listening on 127.0.0.1:%s", self._port)

    async def _serve(self, sock: socket.socket) -> None:
        try:
            await self._server.serve(sockets=[sock])
        finally:
            sock.close()

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.should_exit = True


def _quiet_server_class() -> type:
    import uvicorn

    class QuietServer(uvicorn.Server):
        """A uvicorn server that leaves the process's signals alone (they belong to the stdio server)."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return QuietServer


def _QuietServer(config: Any) -> Any:
    return _quiet_server_class()(config)


def _open_browser(url: str) -> bool:
    """Open `url` in the user's browser from a child process whose output cannot reach our stdout."""
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter, a fixed program, the URL as argument
            [sys.executable, "-c", _OPENER, url],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0
