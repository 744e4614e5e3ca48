"""`letexto-mcp demo`: what a user does, scripted, against the simulator through a real MCP client.

The server runs as a subprocess over stdio exactly as Claude Desktop starts it (`letexto-mcp serve
--sandbox`); this process is the client. Nothing leaves the machine.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from typing import Any

import anyio

FRENCH_TEXT = (
    "Bonjour Awa, la réunion de l’équipe est à 15h. N’oubliez pas vos idées, on fêtera la clôture du projet !"
)
CONTACTS = [
    {"phone": "07 07 12 34 56", "prenom": "Awa", "heure": "15h"},
    {"phone": "+225 05 05 12 34 56", "prenom": "Koffi", "heure": "16h"},
    {"phone": "0101123456", "prenom": "Fatou", "heure": "17h"},
    {"phone": "07071234", "prenom": "Ancien", "heure": "9h"},
]


class Transcript:
    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def step(self, title: str) -> None:
        if not self.quiet:
            print(f"\n=== {title}")

    def say(self, text: str) -> None:
        if not self.quiet:
            print(textwrap.indent(text, "  "))

    def call(self, tool: str, args: dict[str, Any]) -> None:
        shown = {k: (v if not isinstance(v, str) or len(v) < 90 else v[:87] + "…") for k, v in args.items()}
        self.say(f"→ {tool}({json.dumps(shown, ensure_ascii=False)})")


async def _call(
    client: Any, out: Transcript, tool: str, args: dict[str, Any] | None = None
) -> dict[str, Any]:
    out.call(tool, args or {})
    result = await client.call_tool(tool, args or {})
    if result.is_error:
        raise RuntimeError(f"{tool} failed: {result.content[0].text}")
    return result.structured_content or {}


def _approver(out: Transcript) -> Any:
    """The user of the demo: shown the question, says yes."""

    async def approve(context: Any, params: Any) -> Any:
        import mcp_types as types

        out.say(f"[the client asks the user]\n{params.message}\n[the user approves]")
        return types.ElicitResult(action="accept", content={"approve": True})

    return approve


def _server_params(**settings: str) -> Any:
    from mcp import StdioServerParameters

    env = {k: v for k, v in os.environ.items() if not k.startswith("LETEXTO_")}
    env.update({"LETEXTO_SANDBOX": "1", "LETEXTO_STATE_URL": "memory://", "LETEXTO_LOG_LEVEL": "WARNING"})
    env.update(settings)
    return StdioServerParameters(
        command=sys.executable, args=["-m", "letexto_mcp", "serve", "--sandbox"], env=env
    )


async def _demo(quiet: bool) -> None:
    from mcp import Client

    out = Transcript(quiet)
    out.step("Start `letexto-mcp serve --sandbox` over stdio and list its tools")
    async with Client(_server_params(), elicitation_callback=_approver(out), mode="legacy") as client:
        tools = (await client.list_tools()).tools
        out.say("\n".join(f"- {t.name}: {t.title}" for t in tools))

        out.step("Preview a French SMS: the price before paying")
        preview = await _call(client, out, "preview_sms", {"to": "07 07 12 34 56", "content": FRENCH_TEXT})
        text = preview["text"]
        culprits = " ".join(c["character"] for c in text["non_gsm_characters"])
        out.say(
            f"{text['encoding']}, {text['parts']} parts; characters forcing UCS-2: {culprits}\n"
            f"GSM-7 rewrite ({text['gsm7_rewrite_parts']} part): {text['gsm7_rewrite']}\n"
            f"cost {preview['cost']['credits']:g} credits, balance {preview['cost']['balance']:g} → "
            f"{preview['cost']['balance_after']:g}"
        )

        out.step("Send the cheaper rewrite to Awa: the client asks the user to approve")
        sent = await _call(client, out, "send_sms", {"to": "07 07 12 34 56", "content": text["gsm7_rewrite"]})
        out.say(f"status {sent['status']}, message_id {sent['message_id']}, {sent['parts']} part")
        if sent["status"] != "submitted":
            raise RuntimeError(f"send did not go through: {sent['message']}")

        out.step("Follow the delivery")
        seen: list[str] = []
        with anyio.fail_after(20):
            while True:
                status = await client.call_tool("get_message_status", {"message_id": sent["message_id"]})
                value = status.structured_content["status"]
                if not seen or seen[-1] != value:
                    seen.append(value)
                    out.say(f"{value}: {status.structured_content['meaning']}")
                if status.structured_content["final"]:
                    break
                await anyio.sleep(0.5)

        out.step("Check the balance")
        balance = await _call(client, out, "get_balance")
        out.say(f"{balance['balance']:g} credits left")

        out.step("The same from a client with no dialog (Claude Desktop): a person approves on the page")
        await _page_flow(out)

        out.step(
            "A small personalised campaign, the way an automation with its own human step does it "
            "(LETEXTO_SEND_POLICY=confirm: no dialog, the caller approves with a token)"
        )
        args = {
            "label": "Rappel RDV",
            "content": "Bonjour {{prenom}}, RDV demain à {{heure}}.",
            "contacts": CONTACTS,
        }
        async with Client(_server_params(LETEXTO_SEND_POLICY="confirm"), mode="auto") as automation:
            first = await _call(automation, out, "create_sms_campaign", args)
            summary = first["preview"]["summary"]
            out.say(f"status {first['status']}: {summary}")
            rejected = first["preview"]["recipients"]["rejected"]
            out.say("rejected: " + "; ".join(f"row {r['row']} {r['value']}: {r['reason']}" for r in rejected))
            out.say("[the user approves the preview]")
            done = await _call(
                automation,
                out,
                "create_sms_campaign",
                {**args, "confirmation_token": first["confirmation_token"]},
            )
            out.say(
                f"status {done['status']}, campaign {done['campaign_id']}, {done['recipients']} recipients, "
                f"{done['parts']} parts"
            )
            again = await _call(
                automation,
                out,
                "create_sms_campaign",
                {**args, "confirmation_token": first["confirmation_token"]},
            )
            out.say(f"the same call retried: status {again['status']} — nothing sent twice")
            campaign = await _call(
                automation, out, "get_campaign_status", {"campaign_id": done["campaign_id"]}
            )
            out.say(f"campaign {campaign['status']}: {campaign['meaning']}")
    print("\ndemo finished: every step ran against the simulator; nothing left this machine.")


DEMO_APPROVER_KEY = "demo-approver-key-0b7e5c3a9d1f"  # only this demo's own server knows it
PAGE_TEXT = "Rappel : la reunion est a 15h en salle B."


async def _page_flow(out: Transcript) -> None:
    """Policy `approve` without a dialog: the call answers with the page; a person decides there."""
    from mcp import Client

    params = _server_params(
        LETEXTO_APPROVAL_BROWSER="0", LETEXTO_APPROVER_KEYS=f"awa:{DEMO_APPROVER_KEY}"
    )  # (a real desktop server opens the user's browser itself, signed in; here the demo plays the person)
    args = {"to": "05 05 12 34 56", "content": PAGE_TEXT}
    async with Client(params, mode="auto") as desktop:
        first = await _call(desktop, out, "send_sms", args)
        out.say(f"status {first['status']}: {first['message']}")
        token = first["confirmation_token"]
        again = await _call(desktop, out, "send_sms", {**args, "confirmation_token": token})
        out.say(f"the assistant insists with the token alone: status {again['status']} — nothing sent")
        how = await _person_approves(first["approval_url"])
        out.say(f"[a person approves on {first['approval_url']} — {how}]")
        done = await _call(desktop, out, "send_sms", {**args, "confirmation_token": token})
        out.say(f"status {done['status']}, message_id {done['message_id']}")


async def _person_approves(url: str) -> str:
    """Approve in headless Chromium when it is here (sign in, press Approve), else as a chat-ops bot."""
    import importlib.util
    from pathlib import Path

    if importlib.util.find_spec("playwright") is not None and Path("/usr/bin/chromium").exists():
        from playwright.async_api import async_playwright

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                ],
            )
            page = await browser.new_page()
            await page.goto(url)
            await page.get_by_label("Approver key").fill(DEMO_APPROVER_KEY)
            await page.get_by_role("button", name="Sign in").click()
            await page.get_by_role("button", name="Approve").click()
            await page.get_by_role("button", name="Approve").wait_for(state="detached")
            await browser.close()
        return "in headless Chromium: signed in with an approver key, pressed Approve"
    import httpx

    async with httpx.AsyncClient() as http:
        answer = await http.post(f"{url}/approve", headers={"Authorization": f"Bearer {DEMO_APPROVER_KEY}"})
    answer.raise_for_status()
    return f"as a chat-ops bot would: POST {url}/approve with its approver key → {answer.json()}"


def run_demo(quiet: bool = False) -> int:
    try:
        anyio.run(_demo, quiet)
    except Exception as error:
        print(f"demo failed: {error}", file=sys.stderr)
        return 1
    return 0
