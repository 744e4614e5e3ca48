"""The approval pages of the HTTP app: where a person holding an approver key approves a send."""

from __future__ import annotations

from letexto_mcp.config import Settings
from letexto_mcp.store.base import ApprovalRecord

APPROVALS_PATH = "/approvals"


class HttpPages:
    """Pages served by this HTTP app at `/approvals/{id}`; a person signs in with an approver key.

    The address is LETEXTO_PUBLIC_URL when set (behind a proxy, what people reach), else the one the
    calling client reached this server at.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def reachable(self) -> bool:
        settings = self._settings  # connect-key holders and (multi-tenant) key owners decide their own
        oauth_people = settings.oauth_mode() == "builtin" and (settings.connect_keys or settings.multi_tenant)
        return bool(settings.approver_keys or oauth_people)

    def opens_itself(self) -> bool:
        return False

    async def url_for(self, approval_id: str, request_base: str | None) -> str:
        base = self._settings.public_url or request_base or "http://127.0.0.1"
        return f"{base.rstrip('/')}{APPROVALS_PATH}/{approval_id}"

    async def present(self, record: ApprovalRecord, url: str) -> bool:
        return False
