"""letexto-mcp: a safe MCP server for the LeTexto SMS and email-campaign API."""

__version__ = "0.1.0"
