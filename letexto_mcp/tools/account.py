"""`get_balance`: the credits left on the LeTexto account."""

from __future__ import annotations

from letexto_mcp.schemas.inputs import GetBalanceInput
from letexto_mcp.schemas.outputs import BalanceResult
from letexto_mcp.services import Services
from letexto_mcp.tools.annotations import READ
from letexto_mcp.tools.caller import Caller
from letexto_mcp.tools.errors import letexto_call
from letexto_mcp.tools.registry import ToolSpec

LOW_BALANCE = 50.0  # credits under which get_balance says `low`


async def balance_of(services: Services, tenant: str) -> BalanceResult:
    """The tenant's balance (the tool and the `letexto://account/balance` resource both read it here)."""
    client = await services.letexto(tenant)
    async with letexto_call(key_setting=services.key_setting(tenant)):
        balance = await client.get_balance()
    return BalanceResult(
        balance=balance.balance,
        unit=balance.unit or "credits (1 credit = 1 SMS part)",
        low=balance.balance < LOW_BALANCE,
    )


async def get_balance(services: Services, args: GetBalanceInput, caller: Caller) -> BalanceResult:
    return await balance_of(services, caller.tenant)


SPECS = [
    ToolSpec(
        name="get_balance",
        title="LeTexto balance",
        description=(
            "Read the credits left on the LeTexto account (one SMS part costs one credit). Use it "
            "when the user "
            "asks how much is left, or before a large campaign; preview_sms already includes the balance, so "
            "there is no need to call both. Read-only; returns {balance, unit, low}."
        ),
        input_model=GetBalanceInput,
        output_model=BalanceResult,
        handler=get_balance,
        annotations=READ,
    )
]
