"""Who a REST request is, and how a person approves its sends: a `Caller`, as MCP calls have.

The tenant comes from the identity the authentication middleware attached (exactly as for MCP:
`tools.tenancy.tenant_for_token`). A REST caller has no dialog to show, so approval goes through
the approval page: the send answers `confirmation_required` with `approval_url`, a person approves
there, and the caller repeats the request with its `confirmation_token`.
"""

from __future__ import annotations

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from starlette.requests import Request

from letexto_mcp.guard.approval import ApprovalAnswer, ApprovalRequest, PageAnswer, PageShown
from letexto_mcp.services import ApprovalPages, Services
from letexto_mcp.store.base import ApprovalRecord
from letexto_mcp.tools.caller import Caller
from letexto_mcp.tools.tenancy import tenant_for_token


def request_base(request: Request) -> str:
    """Where this request reached the server (scheme, host, root path), without a trailing slash."""
    return str(request.base_url).rstrip("/")


class RestApprover:
    """Never a dialog; the approval page when this server serves one a person can sign in to.

    The page is never opened by the server (the caller is remote): its URL is returned as
    `approval_url` for the caller to show or forward.
    """

    def __init__(self, pages: ApprovalPages | None, base: str) -> None:
        self._pages = pages
        self._base = base

    def can_ask(self) -> bool:
        return False

    async def ask(self, request: ApprovalRequest) -> ApprovalAnswer:
        raise RuntimeError("a REST caller has no dialog; check can_ask() first")

    def can_show_page(self) -> bool:
        return self._pages is not None and self._pages.reachable()

    async def show_page(self, record: ApprovalRecord) -> PageAnswer:
        url = await self.page_url(record)
        if url is None:
            raise RuntimeError("no approval page; check can_show_page() first")
        return PageShown(url)

    async def page_url(self, record: ApprovalRecord) -> str | None:
        if self._pages is None:
            return None
        return await self._pages.url_for(record.id, self._base)

    def resumed_approval(self) -> str | None:
        return None  # only the token the caller repeats names a record


def rest_caller(request: Request, services: Services) -> Caller:
    """The tenant of this request (from the authenticated user the middleware attached) and its approver."""
    user = request.scope.get("user")
    token = user.access_token if isinstance(user, AuthenticatedUser) else None
    return Caller(tenant_for_token(token), RestApprover(services.pages, request_base(request)))
