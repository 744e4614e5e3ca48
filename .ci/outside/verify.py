"""Small checks for .ci/outside-checks.sh: what the official tools printed, the baseline, the bundle.

Standard library only (runs under the project's venv or any Python 3.10+). Each command prints one
short line and exits 0 when the check holds, 1 (with the reason) when it does not.
"""

from __future__ import annotations

import json
import re
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

SERVER_INFO_META = "io.modelcontextprotocol/serverInfo"
USER_CONFIG_REF = re.compile(r"\$\{user_config\.([A-Za-z0-9_]+)\}")
BUNDLE_FORBIDDEN = (".venv", "node_modules", ".cache", "__pycache__", ".git", ".pytest_cache")
BUNDLE_MAX_BYTES = 5 * 1024 * 1024


class CheckFailed(Exception):
    pass


def _load_envelope(path: str) -> dict[str, Any]:
    """The Inspector CLI's `--format json` output: {"result": ...} (or {"error": ...})."""
    text = Path(path).read_text(encoding="utf-8").strip()
    if not text:
        raise CheckFailed(f"{path} is empty")
    try:
        envelope = json.loads(text)
    except json.JSONDecodeError as error:
        raise CheckFailed(f"{path} is not the Inspector's JSON: {error}") from None
    if "result" not in envelope:
        raise CheckFailed(f"no result in {path}: {text[:300]}")
    return envelope


def _manifest_tools(manifest: str) -> list[str]:
    return sorted(tool["name"] for tool in json.loads(Path(manifest).read_text(encoding="utf-8"))["tools"])


def cmd_free_port() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return str(sock.getsockname()[1])


def cmd_wait_http(url: str, seconds: str = "30") -> str:
    deadline = time.monotonic() + float(seconds)
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
                if response.status == 200:
                    return f"{url} answered 200"
                last = f"HTTP {response.status}"
        except OSError as error:
            last = str(error)
        time.sleep(0.2)
    raise CheckFailed(f"{url} not ready after {seconds}s: {last}")


def cmd_tools_list(path: str, manifest: str, stderr_path: str) -> str:
    """tools/list --strict: no portability finding at all, and exactly the manifest's tools."""
    envelope = _load_envelope(path)
    findings = envelope.get("schemaFindings") or []
    stderr = Path(stderr_path).read_text(encoding="utf-8", errors="replace")
    if findings or "Schema portability" in stderr or re.search(r"^(Error|Warning): tool ", stderr, re.M):
        detail = json.dumps(findings)[:1500] if findings else stderr[:1500]
        raise CheckFailed(f"schema portability findings: {detail}")
    tools = envelope["result"].get("tools") or []
    names = sorted(tool["name"] for tool in tools)
    if names != _manifest_tools(manifest):
        raise CheckFailed(f"tools {names} differ from manifest.json's {_manifest_tools(manifest)}")
    for tool in tools:
        if not tool.get("description") or tool.get("inputSchema", {}).get("type") != "object":
            raise CheckFailed(f"tool {tool['name']} lacks a description or an object inputSchema")
    return f"{len(names)} tools, no portability finding"


def _era_of(result: dict[str, Any]) -> str:
    # A 2026-07-28 server stamps its identity on every result; a 2025 session learnt it at initialize.
    return "modern" if SERVER_INFO_META in (result.get("_meta") or {}) else "legacy"


def cmd_tool_result(path: str, tool: str, era: str) -> str:
    """A successful read-tool result, in the era that was asked for."""
    result = _load_envelope(path)["result"]
    if result.get("isError"):
        raise CheckFailed(f"{tool} returned isError: {json.dumps(result)[:500]}")
    if _era_of(result) != era:
        raise CheckFailed(f"asked for the {era} era, the result looks {_era_of(result)}")
    data = result.get("structuredContent") or {}
    if tool == "get_balance":
        if not isinstance(data.get("balance"), (int, float)):
            raise CheckFailed(f"get_balance without a numeric balance: {data}")
        return f"balance {data['balance']} {data.get('unit', '')}".strip()
    if tool == "preview_sms":
        text, cost = data.get("text") or {}, data.get("cost") or {}
        if text.get("encoding") != "GSM-7" or text.get("parts") != 1 or cost.get("credits") != 1:
            raise CheckFailed(f"unexpected preview: text={text} cost={cost}")
        return f"preview {text['encoding']}, {text['parts']} part, {cost['credits']} credit"
    raise CheckFailed(f"no expectation written for {tool}")


def cmd_baseline(path: str, out: str) -> str:
    """Every entry justified on its own line; write the scenario-level list for conformance 0.1.x."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    entries: list[str] = []
    in_server = False
    for number, line in enumerate(lines, 1):
        if re.match(r"^server:\s*$", line):
            in_server = True
            continue
        if re.match(r"^\S", line) and not line.startswith("#"):
            in_server = False
        match = re.match(r"^\s+-\s+([^\s#]+)\s*(#\s*(.*))?$", line)
        if in_server and match:
            if not (match.group(3) or "").strip():
                raise CheckFailed(f"{path}:{number}: entry {match.group(1)} has no justification comment")
            entries.append(match.group(1))
    if not entries:
        raise CheckFailed(f"no server entries in {path}")
    if len(set(entries)) != len(entries):
        raise CheckFailed(f"duplicate entries in {path}")
    scenarios = sorted({entry.split(":", 1)[0] for entry in entries})
    Path(out).write_text("server:\n" + "".join(f"  - {name}\n" for name in scenarios), encoding="utf-8")
    return f"{len(entries)} justified entries ({len(scenarios)} scenarios)"


def cmd_manifest(manifest: str, pyproject: str) -> str:
    """What the schema validator cannot see: versions, paths, and where the secrets go."""
    data = json.loads(Path(manifest).read_text(encoding="utf-8"))
    project = _project_table(Path(pyproject).read_text(encoding="utf-8"))
    root = Path(manifest).parent
    problems = []
    if data.get("manifest_version") != "0.4" or data["server"].get("type") != "uv":
        problems.append("expected manifest_version 0.4 and server.type uv")
    if data["version"] != project["version"]:
        problems.append(f"version {data['version']} != pyproject's {project['version']}")
    if not (root / data["server"]["entry_point"]).is_file():
        problems.append(f"entry_point {data['server']['entry_point']} does not exist")
    config = data["server"]["mcp_config"]
    user_config = data.get("user_config") or {}
    used = set()
    for where, values in (("args", config.get("args") or []), ("env", (config.get("env") or {}).values())):
        for value in values:
            for name in USER_CONFIG_REF.findall(value):
                used.add(name)
                if name not in user_config:
                    problems.append(f"mcp_config.{where} uses undefined user_config.{name}")
                elif where == "args" and user_config[name].get("sensitive"):
                    problems.append(f"sensitive user_config.{name} is passed in args (visible in ps)")
    for name, option in user_config.items():
        if name not in used:
            problems.append(f"user_config.{name} is never passed to the server")
        if option.get("sensitive") and option.get("type") != "string":
            problems.append(f"user_config.{name} is sensitive but not a string")
    if not any(option.get("sensitive") for option in user_config.values()):
        problems.append("no sensitive user_config entry for the API key")
    if problems:
        raise CheckFailed("; ".join(problems))
    return f"{data['name']} {data['version']}: versions, entry point and user_config wiring agree"


def _project_table(text: str) -> dict[str, Any]:
    try:
        import tomllib
    except ImportError:  # Python 3.10: only the version is needed
        match = re.search(r'^\[project\][^\[]*?^version\s*=\s*"([^"]+)"', text, re.M | re.S)
        return {"version": match.group(1) if match else None}
    return tomllib.loads(text)["project"]


def cmd_bundle_contents(directory: str, manifest: str) -> str:
    root = Path(directory)
    data = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    problems = []
    if data != json.loads(Path(manifest).read_text(encoding="utf-8")):
        problems.append("the bundled manifest.json differs from the repository's")
    for needed in ("pyproject.toml", data["server"]["entry_point"], "letexto_mcp/__init__.py"):
        if not (root / needed).is_file():
            problems.append(f"{needed} missing from the bundle")
    size = 0
    for path in root.rglob("*"):
        if any(part in BUNDLE_FORBIDDEN for part in path.relative_to(root).parts):
            problems.append(f"{path.relative_to(root)} should not be in the bundle")
            break
        if path.is_file():
            size += path.stat().st_size
    if size > BUNDLE_MAX_BYTES:
        problems.append(f"unpacked size {size} bytes is over {BUNDLE_MAX_BYTES}")
    if problems:
        raise CheckFailed("; ".join(problems))
    return f"{sum(1 for p in root.rglob('*') if p.is_file())} files, {size // 1024} KiB unpacked"


def cmd_bundle_launch(directory: str, out: str) -> str:
    """The Inspector arguments that start the unpacked bundle the way a host would: the manifest's
    mcp_config with ${__dirname} and ${user_config.*} substituted (sandbox on, no key)."""
    data = json.loads((Path(directory) / "manifest.json").read_text(encoding="utf-8"))
    config = data["server"]["mcp_config"]
    values = {name: option.get("default", "") for name, option in (data.get("user_config") or {}).items()}
    values.update({"sandbox": True, "api_token": ""})

    def substitute(text: str) -> str:
        text = text.replace("${__dirname}", str(Path(directory).resolve()))
        return USER_CONFIG_REF.sub(lambda m: _config_text(values.get(m.group(1), "")), text)

    argv: list[str] = []
    for key, value in (config.get("env") or {}).items():
        if substitute(value):  # the Inspector cannot pass an empty value; the server reads blank as unset
            argv += ["-e", f"{key}={substitute(value)}"]
    argv += ["--", config["command"], *(substitute(arg) for arg in config.get("args") or [])]
    Path(out).write_bytes(b"\0".join(arg.encode() for arg in argv) + b"\0")
    return " ".join(argv)


def _config_text(value: object) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def cmd_contains(path: str, text: str) -> str:
    if text not in Path(path).read_text(encoding="utf-8", errors="replace"):
        raise CheckFailed(f"no {text!r} in the output")
    return f"said {text!r}"


def cmd_conformance(path: str) -> str:
    """The suite's verdict on the baseline, with its totals."""
    output = re.sub(r"\x1b\[[0-9;]*m", "", Path(path).read_text(encoding="utf-8", errors="replace"))
    if "Baseline check passed" not in output:
        sections = []
        for title in ("Unexpected failures", "Stale baseline entries"):
            found = re.search(title + r"[^\n]*:\n((?:  [~✓✗] .*\n?)*)", output)
            if found and found.group(1).strip():
                names = [line[4:].strip() for line in found.group(1).splitlines()]
                sections.append(f"{title.lower()}: {', '.join(names)}")
        raise CheckFailed("; ".join(sections) or "the suite did not say 'Baseline check passed'")
    totals = re.search(r"Total: (\d+) passed, (\d+) failed", output)
    expected = re.search(r"Expected failures \(in baseline\):\n((?:  ~ .*\n?)*)", output)
    met = len(expected.group(1).splitlines()) if expected else 0
    scenarios = len(re.findall(r"^=== Running scenario: ", output, re.M))
    return (
        f"{scenarios} scenarios, {totals.group(1)} checks passed, "
        f"{met} baseline entries met (fixtures), nothing unexpected"
        if totals
        else f"baseline passed, {met} entries met"
    )


def cmd_conformance_clean(path: str) -> str:
    """A run without a baseline: every scenario passed, none failed."""
    output = re.sub(r"\x1b\[[0-9;]*m", "", Path(path).read_text(encoding="utf-8", errors="replace"))
    totals = re.search(r"Total: (\d+) passed, (\d+) failed", output)
    if totals is None or totals.group(2) != "0" or totals.group(1) == "0":
        failed = re.findall(r"^✗ (\S+)", output, re.M)
        raise CheckFailed(f"failed: {', '.join(failed) or 'no totals in the output'}")
    passed = re.findall(r"^✓ ([^:]+):", output, re.M)
    return f"{totals.group(1)} checks passed: {', '.join(passed)}"


def cmd_claude_mcp_list(path: str, *expectations: str) -> str:
    """`claude mcp list`: each `name=connected` server is ✔ Connected, each `name=failed` is ✘."""
    lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    status: dict[str, str] = {}
    for line in lines:
        name, _, rest = line.partition(": ")
        if "✔ Connected" in rest:
            status[name.strip()] = "connected"
        elif "✘" in rest:
            status[name.strip()] = "failed"
    wrong = []
    for expectation in expectations:
        name, _, want = expectation.partition("=")
        if status.get(name) != want:
            wrong.append(f"{name} is {status.get(name, 'not listed')}, expected {want}")
    if wrong:
        raise CheckFailed("; ".join(wrong))
    return ", ".join(f"{name} {state}" for name, state in sorted(status.items()))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the flow reads each Location itself


def _http(
    method: str, url: str, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, str]:
    """(status, headers, body) of one request, redirects not followed."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)  # noqa: S310 - loopback
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=30) as answer:
            return answer.status, answer.headers, answer.read().decode("utf-8")
    except urllib.error.HTTPError as answer:
        return answer.code, answer.headers, answer.read().decode("utf-8")


def _consent(authorization_url: str, connect_key: str) -> str:
    """Follow /authorize to the consent page and allow with `connect_key`: where the browser goes next."""
    import html
    from urllib.parse import urlencode, urlsplit

    status, headers, text = _http("GET", authorization_url)
    if status != 302:
        raise CheckFailed(f"/authorize answered {status}: {text[:200]}")
    consent_url = headers["Location"]
    status, _, page = _http("GET", consent_url)
    found = {name: re.search(rf'name="{name}" value="([^"]*)"', page) for name in ("request", "csrf")}
    if status != 200 or not all(found.values()):
        raise CheckFailed(f"the consent page answered {status}")
    fields = {name: html.unescape(match.group(1)) for name, match in found.items() if match}
    form = urlencode({**fields, "key": connect_key, "action": "allow"}).encode()
    parts = urlsplit(consent_url)
    status, headers, _ = _http(
        "POST",
        f"{parts.scheme}://{parts.netloc}/oauth/consent",
        form,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 303:
        raise CheckFailed(f"the consent page answered {status} to Allow")
    return str(headers["Location"])


def cmd_oauth_register(base: str, redirect_uri: str) -> str:
    """Register a public client (dynamic registration) and print its client_id."""
    body = json.dumps(
        {
            "client_name": "MCP conformance suite",
            "redirect_uris": [redirect_uri],
            "token_endpoint_auth_method": "none",
        }
    ).encode()
    status, _, text = _http("POST", base + "/register", body, {"Content-Type": "application/json"})
    if status != 201:
        raise CheckFailed(f"/register answered {status}: {text[:200]}")
    return str(json.loads(text)["client_id"])


def cmd_oauth_consent(log: str, connect_key: str, seconds: str = "60") -> str:
    """Play the person for a tool waiting on a browser: read the authorization URL it printed to `log`,
    allow on the consent page with `connect_key`, and deliver the redirect to the tool's callback."""
    deadline = time.monotonic() + float(seconds)
    url = None
    while url is None:
        text = Path(log).read_text(encoding="utf-8") if Path(log).exists() else ""
        match = re.search(r"^(https?://\S+/authorize\?\S+)$", text, re.M)
        if match:
            url = match.group(1)
        elif time.monotonic() > deadline:
            raise CheckFailed(f"no authorization URL in {log}")
        else:
            time.sleep(0.2)
    callback = _consent(url, connect_key)
    for _ in range(50):  # the tool's callback server may still be starting
        try:
            status, _, _ = _http("GET", callback)
            return f"allowed; the callback answered {status}"
        except OSError:
            time.sleep(0.2)
    raise CheckFailed("the callback server did not answer")


def cmd_oauth_token(base: str, connect_key: str, scope: str, out: str) -> str:
    """An OAuth access token from the server's own authorization server, obtained as a person's browser
    would (register, /authorize, the consent page's form with a connect key, /token), written to `out`."""
    import base64
    import hashlib
    import html
    import secrets
    from urllib.parse import parse_qs, urlencode, urlsplit

    callback = "http://127.0.0.1:9/callback"
    body = json.dumps(
        {
            "client_name": "MCP Inspector (outside checks)",
            "redirect_uris": [callback],
            "token_endpoint_auth_method": "none",
        }
    ).encode()
    status, _, text = _http("POST", base + "/register", body, {"Content-Type": "application/json"})
    if status != 201:
        raise CheckFailed(f"/register answered {status}: {text[:200]}")
    client_id = json.loads(text)["client_id"]
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": callback,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": "outside",
            "scope": scope,
            "resource": base + "/mcp",
        }
    )
    status, headers, text = _http("GET", f"{base}/authorize?{query}")
    if status != 302:
        raise CheckFailed(f"/authorize answered {status}: {text[:200]}")
    status, _, page = _http("GET", headers["Location"])
    fields = {
        name: html.unescape(re.search(rf'name="{name}" value="([^"]*)"', page).group(1))  # type: ignore[union-attr]
        for name in ("request", "csrf")
    }
    form = urlencode({**fields, "key": connect_key, "action": "allow"}).encode()
    status, headers, text = _http(
        "POST", base + "/oauth/consent", form, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    if status != 303:
        raise CheckFailed(f"the consent page answered {status}")
    code = parse_qs(urlsplit(headers["Location"]).query)["code"][0]
    form = urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": callback,
            "client_id": client_id,
            "code_verifier": verifier,
            "resource": base + "/mcp",
        }
    ).encode()
    status, _, text = _http(
        "POST", base + "/token", form, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    if status != 200:
        raise CheckFailed(f"/token answered {status}: {text[:200]}")
    tokens = json.loads(text)
    Path(out).write_text(tokens["access_token"], encoding="utf-8")
    return f"an access token for {tokens['scope']!r}, {tokens['expires_in']} s"


COMMANDS = {
    "free-port": cmd_free_port,
    "wait-http": cmd_wait_http,
    "tools-list": cmd_tools_list,
    "tool-result": cmd_tool_result,
    "baseline": cmd_baseline,
    "manifest": cmd_manifest,
    "bundle-contents": cmd_bundle_contents,
    "bundle-launch": cmd_bundle_launch,
    "contains": cmd_contains,
    "conformance": cmd_conformance,
    "claude-mcp-list": cmd_claude_mcp_list,
    "oauth-token": cmd_oauth_token,
    "conformance-clean": cmd_conformance_clean,
    "oauth-register": cmd_oauth_register,
    "oauth-consent": cmd_oauth_consent,
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: verify.py {{{'|'.join(COMMANDS)}}} ...", file=sys.stderr)
        return 2
    try:
        print(COMMANDS[argv[0]](*argv[1:]))
    except CheckFailed as failure:
        print(f"FAILED: {failure}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
