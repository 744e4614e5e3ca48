"""`letexto://messages/{message_id}`: one SMS's status as a resource, so a client can watch it.

The HTTP server publishes a resource-updated event for this URI when a delivery report arrives
(see `server.dlr`); the resource answers exactly what `get_message_status` would.
"""

from __future__ import annotations

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError

from letexto_mcp.server.extras import require_read
from letexto_mcp.tools.registry import services_of
from letexto_mcp.tools.status import message_status
from letexto_mcp.tools.tenancy import tenant_of


def register_message_resource(server: MCPServer) -> None:
    """Add the message-status resource template to `server`."""

    @server.resource(
        "letexto://messages/{message_id}",
        name="message_status",
        title="One SMS's delivery status",
        description="The status of one SMS by the message_id send_sms returned, from a delivery report "
        "when one arrived, else from LeTexto. Watch it (subscriptions/listen) to hear when a report lands.",
        mime_type="application/json",
    )
    async def message(message_id: str, ctx: Context) -> str:
        require_read(ctx)
        services = services_of(ctx)
        try:
            result = await message_status(services, tenant_of(ctx), message_id)
        except ToolError as error:
            raise ResourceError(str(error)) from None
        except ValueError as error:
            raise ResourceError(f"not a message id: {services.redact(str(error))}") from None
        return result.model_dump_json(indent=2, exclude_none=True)
