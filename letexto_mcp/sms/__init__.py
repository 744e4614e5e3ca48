"""SMS know-how as pure functions: phone numbers, GSM-7/UCS-2 parts, templates, contacts. No I/O, no MCP."""
