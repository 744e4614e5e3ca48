"""Facts about the simulator that other parts may import without loading the simulator itself."""

SANDBOX_API_KEY = "lt_sandbox_0f1e2d3c4b5a69788796a5b4"
"""The seeded account's key. Public on purpose: it only ever opens the simulator."""

SANDBOX_APPROVED_SENDER = "SMS INFO"
SANDBOX_BASE_URL_IN_PROCESS = "http://letexto-sandbox.invalid"
"""Base URL used with httpx.ASGITransport when the simulator runs inside this process."""

SANDBOX_SUBACCOUNT_KEY = "lt_sandbox_sub_7a6b5c4d3e2f1a0b"
"""A seeded sub-account of the sandbox account, for allAccounts listings and multi-tenant tests."""
