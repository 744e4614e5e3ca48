"""`letexto-mcp doctor`: what is configured, and whether LeTexto answers with this key."""

from __future__ import annotations

import sys

import anyio

from letexto_mcp.config import ConfigError, Settings, mask_secret
from letexto_mcp.letexto import errors as lx
from letexto_mcp.state_url import mask_state_url
from letexto_mcp.store.base import StoreError


def _line(label: str, value: object) -> None:
    print(f"  {label:<26} {value}")


async def _check(settings: Settings) -> int:
    from letexto_mcp.services import open_services
    from letexto_mcp.store.factory import schema_version

    problems: list[str] = []
    async with open_services(settings) as services:
        effective = services.settings
        print("letexto-mcp doctor")
        _line("mode", "sandbox (embedded simulator)" if effective.sandbox else "LeTexto API")
        _line("LETEXTO_BASE_URL", "(in process)" if effective.sandbox else effective.base_url)
        _line("LETEXTO_API_TOKEN", "(sandbox key)" if effective.sandbox else mask_secret(effective.api_token))
        _line("LETEXTO_SEND_POLICY", effective.send_policy)
        _line("LETEXTO_DEFAULT_SENDER", effective.default_sender or "(not set)")
        _line("LETEXTO_STATE_URL", mask_state_url(effective.state_url))
        version = await schema_version(services.store)
        _line("state schema", "(none: kept in memory)" if version is None else f"version {version}")
        days = effective.state_retention_days
        _line("LETEXTO_STATE_RETENTION_DAYS", f"{days} days" if days else "0 (keep everything)")
        _line("LETEXTO_MAX_RECIPIENTS", effective.max_recipients)
        _line("LETEXTO_DAILY_BUDGET_PARTS", effective.daily_budget_parts or "(no budget)")
        allowed = len(effective.allowed_recipients)
        _line("LETEXTO_ALLOWED_RECIPIENTS", f"{allowed} number(s)" if allowed else "(anyone)")
        _line("LETEXTO_MCP_API_KEYS", f"{len(effective.mcp_api_keys)} key(s)")
        client = services.client
        try:
            balance = await client.get_balance()
            _line("balance", f"{balance.balance:g} {balance.unit or 'credits'}")
        except lx.LetextoError as error:
            problems.append(f"balance: {services.redact(str(error))}")
        try:
            senders = await client.list_senders()
            approved = [s.name for s in senders if s.is_approved]
            pending = [f"{s.name} ({s.status})" for s in senders if not s.is_approved]
            _line("approved senders", ", ".join(approved) or "(none)")
            _line("other senders", ", ".join(pending) or "(none)")
            if effective.default_sender and effective.default_sender not in approved:
                problems.append(
                    f"LETEXTO_DEFAULT_SENDER {effective.default_sender!r} is not an approved sender "
                    f"(approved: {', '.join(approved) or 'none'})"
                )
        except lx.LetextoError as error:
            problems.append(f"senders: {services.redact(str(error))}")
    if problems:
        print("\nProblems:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print("\nEverything answered: ready to serve.")
    return 0


def run_doctor(settings: Settings) -> int:
    """Print the report; exit status 0 when LeTexto answered and the configuration is usable."""
    if not settings.sandbox and settings.api_token is None:
        print("letexto-mcp doctor: LETEXTO_API_TOKEN is not set (or use --sandbox).", file=sys.stderr)
        return 2
    try:
        return anyio.run(_check, settings)
    except (ConfigError, ValueError, StoreError) as error:
        print(f"letexto-mcp doctor: {error}", file=sys.stderr)
        return 2
