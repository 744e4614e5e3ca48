"""manifest.json (MCP Bundle 0.4) lists exactly the server's tools and passes secrets by environment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import letexto_mcp

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.json"


def _manifest() -> dict[str, Any]:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


@pytest.mark.anyio
async def test_manifest_lists_the_same_tools_as_the_server(mcp: Any) -> None:
    served = {t.name for t in (await mcp.list_tools()).tools}
    listed = {t["name"] for t in _manifest()["tools"]}
    assert listed == served
    assert all(set(t) == {"name", "description"} and t["description"] for t in _manifest()["tools"])


def test_manifest_version_matches_the_package() -> None:
    manifest = _manifest()
    assert manifest["manifest_version"] == "0.4"
    assert manifest["version"] == letexto_mcp.__version__


def test_the_key_is_a_sensitive_setting_passed_by_environment_only() -> None:
    manifest = _manifest()
    assert manifest["user_config"]["api_token"]["sensitive"] is True
    config = manifest["server"]["mcp_config"]
    assert config["env"]["LETEXTO_API_TOKEN"] == "${user_config.api_token}"
    assert not any("api_token" in arg for arg in config["args"])
