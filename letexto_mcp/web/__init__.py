"""Pages for people: the approval page, where a person holding an approver key sees exactly what will
leave and presses Approve or Decline (the human side of policy `approve`).

Imported only by a transport that serves the pages; Jinja2 itself loads with the first page rendered.
"""

from letexto_mcp.web.context import ApprovalWebContext
from letexto_mcp.web.routes import approval_routes
from letexto_mcp.web.signin import SignInLinks

__all__ = ["ApprovalWebContext", "SignInLinks", "approval_routes"]
