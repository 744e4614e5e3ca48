#!/usr/bin/env bash
# Outside checks: letexto-mcp judged by tools nobody on this team wrote.
#
#   1. the official MCP Inspector CLI: tools/list --strict (schema portability) and read-tool calls,
#      over stdio, Streamable HTTP (Bearer key) and SSE, in both protocol eras, plus the exit codes
#      for "auth required" (3) and "tool returned isError" (5);
#   2. the official conformance suite against the HTTP server: 0.1.x (2025-11-25 handshake) and
#      0.2.0-alpha (--requirements 2025-11-25 and 2026-07-28, the stateless era), with the committed
#      baseline .ci/conformance-baseline.yml of fixture-only checks;
#   3. the MCP Bundle tools: `mcpb validate manifest.json`, `mcpb pack` of the tracked files into a
#      temp dir, and the unpacked bundle started the way a desktop host starts it (uv + mcp_config);
#   4. Claude Code itself: the README's `claude mcp add` lines (stdio, HTTP with a Bearer key, SSE)
#      and `claude mcp list`, which connects to each server (no Anthropic login needed for that);
#   5. OAuth (remote connectors): the Inspector CLI calling tools with an OAuth access token from the
#      built-in authorization server (obtained through its consent page's form, no browser), a
#      read-only token refused on send_sms, and the conformance suite's authorization-server scenarios
#      (0.2.0-alpha: metadata endpoint and the authorization-code grant, the consent allowed by
#      verify.py playing the person).
#
# Installs what it needs (Node 22 and the npm tools at the exact versions below, uv from PyPI) under
# .cache/outside-checks (or $LETEXTO_OUTSIDE_CACHE) and reuses it on the next run. Runs every check,
# prints one line each and a summary, and exits non-zero when any check fails. A failed download
# stops the script at once with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

NODE_VERSION=22.23.3
INSPECTOR_VERSION=2.12.0           # @modelcontextprotocol/inspector
CONFORMANCE_VERSION=0.1.16         # @modelcontextprotocol/conformance (2025-11-25 handshake)
CONFORMANCE_NEXT_VERSION=0.2.0-alpha.12  # the same package, 2026-07-28 requirements
MCPB_VERSION=2.1.2                 # @anthropic-ai/mcpb
CLAUDE_CODE_VERSION=2.1.332        # @anthropic-ai/claude-code
UV_VERSION=0.13.9                  # runs the bundle as a host would (server.type "uv")
# The npm versions are pinned in .ci/outside/package.json (and package-lock.json for the rest).

CACHE=${LETEXTO_OUTSIDE_CACHE:-$ROOT/.cache/outside-checks}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/letexto-outside.XXXXXX")
STARTED=$SECONDS
API_KEY="outside-checks-$RANDOM$RANDOM-key"
PIDS=()
SUMMARY=()
FAILURES=0

# A developer's own settings must not leak into the servers under test.
while read -r name; do unset "$name"; done < <(compgen -e | grep '^LETEXTO_' || true)
export NO_COLOR=1 FORCE_COLOR=0 NO_UPDATE_NOTIFIER=1
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

say() { printf '%s\n' "$*"; }
die() {
    say "outside-checks: FAILED: $*" >&2
    exit 1
}

cleanup() {
    local status=$?
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if ((status == 0)); then
        rm -rf "$WORK"
    else
        say "outside-checks: logs kept in $WORK" >&2
    fi
}
trap cleanup EXIT

record() { # record STATUS NAME DETAIL
    local line
    line=$(printf '%-4s %-36s %s' "$1" "$2" "$3")
    SUMMARY+=("$line")
    say "$line"
    [[ $1 == ok ]] || FAILURES=$((FAILURES + 1))
}

show_logs() { # show_logs NAME: the end of a failed check's output
    local file
    for file in "$WORK/logs/$1.out" "$WORK/logs/$1.err"; do
        [[ -s $file ]] || continue
        say "     --- ${file#"$WORK"/} (last lines)"
        tail -n 25 "$file" | sed 's/^/     | /'
    done
}

# check NAME WANT_EXIT [VERIFY-ARGS...] -- COMMAND...: run COMMAND (stdout and stderr in
# $WORK/logs/NAME.out/.err), expect exit WANT_EXIT, then run `verify.py VERIFY-ARGS` (with {out} and
# {err} standing for those files), whose one line becomes the detail. Never stops the script.
check() {
    local name=$1 want=$2 rc=0 detail arg
    shift 2
    local verify=()
    while [[ $1 != -- ]]; do
        arg=${1//\{out\}/$WORK/logs/$name.out}
        verify+=("${arg//\{err\}/$WORK/logs/$name.err}")
        shift
    done
    shift
    mkdir -p "$(dirname "$WORK/logs/$name")"
    timeout 300 "$@" >"$WORK/logs/$name.out" 2>"$WORK/logs/$name.err" || rc=$?
    if ((rc != want)); then
        detail=""
        if ((${#verify[@]})) && ! detail=$("$PY" "$ROOT/.ci/outside/verify.py" "${verify[@]}"); then
            detail=" (${detail#FAILED: })"
        else
            detail=""
        fi
        record FAIL "$name" "exit $rc, expected $want$detail"
        show_logs "$name"
    elif ((${#verify[@]} == 0)); then
        record ok "$name" "exit $rc as expected"
    elif detail=$("$PY" "$ROOT/.ci/outside/verify.py" "${verify[@]}"); then
        record ok "$name" "$detail"
    else
        record FAIL "$name" "${detail#FAILED: }"
        show_logs "$name"
    fi
}

# ---------------------------------------------------------------- installs (fail loudly)

say "== installing (cache: $CACHE)"
make --no-print-directory install >/dev/null || die "make install failed"
PY=$ROOT/.venv/bin/python
[[ -x $PY && -x $ROOT/.venv/bin/letexto-mcp ]] || die "make install did not produce .venv/bin/letexto-mcp"
command -v npm >/dev/null || die "npm is not installed (it is needed to fetch Node 22 and the MCP tools)"
mkdir -p "$CACHE"

NODE_DIR=$CACHE/node-$NODE_VERSION
NODE=$NODE_DIR/node_modules/node/bin/node
if [[ ! -x $NODE || $("$NODE" --version 2>/dev/null) != "v$NODE_VERSION" ]]; then
    rm -rf "$NODE_DIR"
    mkdir -p "$NODE_DIR"
    printf '{"private": true, "dependencies": {"node": "%s"}}\n' "$NODE_VERSION" >"$NODE_DIR/package.json"
    (cd "$NODE_DIR" && npm install --no-audit --no-fund --loglevel=error) ||
        die "npm install node@$NODE_VERSION failed (the npm registry must be reachable)"
    [[ $("$NODE" --version 2>/dev/null) == "v$NODE_VERSION" ]] || die "node@$NODE_VERSION did not install a working node"
fi
export PATH="$NODE_DIR/node_modules/node/bin:$PATH"
say "node $(node --version) (npm $(npm --version))"

TOOLS=$CACHE/tools
STAMP=$(cat .ci/outside/package.json .ci/outside/package-lock.json | sha256sum | cut -c1-16)
if [[ $(cat "$TOOLS/.stamp" 2>/dev/null) != "$STAMP" || ! -d $TOOLS/node_modules ]]; then
    rm -rf "$TOOLS"
    mkdir -p "$TOOLS"
    cp .ci/outside/package.json .ci/outside/package-lock.json "$TOOLS/"
    (cd "$TOOLS" && npm ci --no-audit --no-fund --loglevel=error) ||
        die "npm ci of the MCP tools failed (see .ci/outside/package.json)"
    echo "$STAMP" >"$TOOLS/.stamp"
fi
installed() { "$NODE" -p "require('$TOOLS/node_modules/$1/package.json').version" 2>/dev/null || echo missing; }
for pin in "@modelcontextprotocol/inspector=$INSPECTOR_VERSION" "@modelcontextprotocol/conformance=$CONFORMANCE_VERSION" \
    "conformance-next=$CONFORMANCE_NEXT_VERSION" "@anthropic-ai/mcpb=$MCPB_VERSION" \
    "@anthropic-ai/claude-code=$CLAUDE_CODE_VERSION"; do
    [[ $(installed "${pin%=*}") == "${pin#*=}" ]] || die "${pin%=*} is $(installed "${pin%=*}"), expected ${pin#*=}"
done
say "inspector $INSPECTOR_VERSION, conformance $CONFORMANCE_VERSION + $CONFORMANCE_NEXT_VERSION, mcpb $MCPB_VERSION, claude code $CLAUDE_CODE_VERSION"

UV_DIR=$CACHE/uv-$UV_VERSION
if [[ $("$UV_DIR/bin/uv" --version 2>/dev/null) != "uv $UV_VERSION"* ]]; then
    rm -rf "$UV_DIR"
    python3 -m venv "$UV_DIR" || die "python3 -m venv failed"
    "$UV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION" ||
        die "pip install uv==$UV_VERSION failed (PyPI must be reachable)"
fi
say "$("$UV_DIR/bin/uv" --version)"

# Wrappers (executables, so that `timeout` and `env` can run them).
mkdir -p "$WORK/bin" "$WORK/home" "$WORK/logs"
wrapper() { # wrapper NAME SCRIPT-AND-ARGS...
    printf '#!/usr/bin/env bash\nexec %s "$@"\n' "$2" >"$WORK/bin/$1"
    chmod +x "$WORK/bin/$1"
}
wrapper inspector "env HOME='$WORK/home' MCP_INSPECTOR_SECRET_STORE=memory '$NODE' '$TOOLS/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js' --cli"
wrapper conformance "'$NODE' '$TOOLS/node_modules/@modelcontextprotocol/conformance/dist/index.js'"
wrapper conformance-next "'$NODE' '$TOOLS/node_modules/conformance-next/dist/index.js'"
wrapper mcpb "'$NODE' '$TOOLS/node_modules/@anthropic-ai/mcpb/dist/cli/cli.js'"
# Claude Code keeps its configuration under HOME and per project (the working folder): its own of each.
mkdir -p "$WORK/claude-home" "$WORK/claude-project"
printf '#!/usr/bin/env bash\ncd %q || exit 1\nexec env HOME=%q DISABLE_AUTOUPDATER=1 %q "$@"\n' \
    "$WORK/claude-project" "$WORK/claude-home" "$TOOLS/node_modules/.bin/claude" >"$WORK/bin/claude"
chmod +x "$WORK/bin/claude"
export PATH="$WORK/bin:$PATH"
say "== installed in $((SECONDS - STARTED))s"

# ---------------------------------------------------------------- servers under test

start_http() { # start_http NAME PORT [ENV=VALUE...]: a sandboxed HTTP server on loopback
    local name=$1 port=$2
    shift 2
    env LETEXTO_STATE_URL=memory:// "$@" "$ROOT/.venv/bin/letexto-mcp" serve --transport http --sandbox \
        --host 127.0.0.1 --port "$port" >"$WORK/logs/server-$name.log" 2>&1 &
    PIDS+=($!)
    "$PY" .ci/outside/verify.py wait-http "http://127.0.0.1:$port/healthz" 30 >/dev/null || {
        tail -n 30 "$WORK/logs/server-$name.log" >&2
        die "the $name HTTP server did not answer /healthz"
    }
}
AUTH_PORT=$("$PY" .ci/outside/verify.py free-port)
start_http auth "$AUTH_PORT" LETEXTO_MCP_API_KEYS="$API_KEY"
OPEN_PORT=$("$PY" .ci/outside/verify.py free-port)
# Loopback without keys (what the DNS-rebinding scenario is about); no rate limit: the suite is busy.
start_http open "$OPEN_PORT" LETEXTO_MCP_RATE_LIMIT=0
OAUTH_PORT=$("$PY" .ci/outside/verify.py free-port)
CONNECT_KEY="outside-connect-$RANDOM$RANDOM-key"
start_http oauth "$OAUTH_PORT" LETEXTO_PUBLIC_URL="http://127.0.0.1:$OAUTH_PORT" \
    LETEXTO_CONNECT_KEYS="ci:$CONNECT_KEY" LETEXTO_MCP_RATE_LIMIT=0
AUTH_URL=http://127.0.0.1:$AUTH_PORT
OPEN_URL=http://127.0.0.1:$OPEN_PORT
OAUTH_URL=http://127.0.0.1:$OAUTH_PORT

# ---------------------------------------------------------------- 1. MCP Inspector CLI

say "== MCP Inspector CLI $INSPECTOR_VERSION"
STDIO=(-e LETEXTO_STATE_URL=memory:// -- "$ROOT/.venv/bin/letexto-mcp" serve --sandbox)
BEARER=(--header "Authorization: Bearer $API_KEY" --stored-auth-only) # --header takes several: end it
PREVIEW_ARGS='{"content": "Bonjour Awa, la réunion est à 15h.", "to": ["+225 07 01 02 03 04"]}'
for era in legacy modern; do
    check "stdio/$era/tools-list" 0 tools-list '{out}' manifest.json '{err}' -- \
        inspector --protocol-era "$era" --method tools/list --strict --format json "${STDIO[@]}"
    check "stdio/$era/get_balance" 0 tool-result '{out}' get_balance "$era" -- \
        inspector --protocol-era "$era" --method tools/call --tool-name get_balance --format json "${STDIO[@]}"
    check "stdio/$era/preview_sms" 0 tool-result '{out}' preview_sms "$era" -- \
        inspector --protocol-era "$era" --method tools/call --tool-name preview_sms \
        --tool-args-json "$PREVIEW_ARGS" --format json "${STDIO[@]}"
    check "http/$era/tools-list" 0 tools-list '{out}' manifest.json '{err}' -- \
        inspector --protocol-era "$era" --method tools/list --strict --format json "${BEARER[@]}" "$AUTH_URL/mcp"
    check "http/$era/get_balance" 0 tool-result '{out}' get_balance "$era" -- \
        inspector --protocol-era "$era" --method tools/call --tool-name get_balance --format json \
        "${BEARER[@]}" "$AUTH_URL/mcp"
    check "http/$era/preview_sms" 0 tool-result '{out}' preview_sms "$era" -- \
        inspector --protocol-era "$era" --method tools/call --tool-name preview_sms \
        --tool-args-json "$PREVIEW_ARGS" --format json "${BEARER[@]}" "$AUTH_URL/mcp"
    check "http/$era/no-key-is-auth-required" 3 -- \
        inspector --protocol-era "$era" --method tools/list --stored-auth-only "$AUTH_URL/mcp"
    check "http/$era/wrong-key-is-auth-required" 3 -- \
        inspector --protocol-era "$era" --method tools/list --header "Authorization: Bearer not-$API_KEY" \
        --stored-auth-only "$AUTH_URL/mcp"
done
check "sse/legacy/get_balance" 0 tool-result '{out}' get_balance legacy -- \
    inspector --protocol-era legacy --transport sse --method tools/call --tool-name get_balance --format json \
    "${BEARER[@]}" "$AUTH_URL/sse"
check "stdio/legacy/isError-exit-5" 5 -- \
    inspector --protocol-era legacy --method tools/call --tool-name preview_sms --tool-args-json '{"content": ""}' \
    "${STDIO[@]}"

# ---------------------------------------------------------------- 2. conformance suite

say "== MCP conformance suite $CONFORMANCE_VERSION and $CONFORMANCE_NEXT_VERSION (baseline .ci/conformance-baseline.yml)"
if detail=$("$PY" .ci/outside/verify.py baseline .ci/conformance-baseline.yml "$WORK/baseline-scenarios.yml"); then
    record ok "conformance/baseline" "$detail"
    # 0.1.x knows whole scenarios only: it gets the scenario names of the baseline's entries.
    check "conformance/2025-11-25@$CONFORMANCE_VERSION" 0 conformance '{out}' -- \
        conformance server --url "$OPEN_URL/mcp" --expected-failures "$WORK/baseline-scenarios.yml" \
        -o "$WORK/conformance-0.1"
    for revision in 2025-11-25 2026-07-28; do
        check "conformance/$revision@$CONFORMANCE_NEXT_VERSION" 0 conformance '{out}' -- \
            conformance-next server --url "$OPEN_URL/mcp" --requirements "$revision" \
            --expected-failures .ci/conformance-baseline.yml -o "$WORK/conformance-$revision"
    done
else
    record FAIL "conformance/baseline" "${detail#FAILED: }"
fi

# ---------------------------------------------------------------- 3. MCP Bundle

say "== MCP Bundle tools (mcpb $MCPB_VERSION)"
check "mcpb/validate" 0 contains '{out}' 'Manifest schema validation passes' -- mcpb validate manifest.json
if detail=$("$PY" .ci/outside/verify.py manifest manifest.json pyproject.toml); then
    record ok "mcpb/manifest-wiring" "$detail"
else
    record FAIL "mcpb/manifest-wiring" "${detail#FAILED: }"
fi
# Pack what a clone holds (tracked files plus new untracked ones, nothing ignored): no .venv, no caches.
mkdir -p "$WORK/stage" "$WORK/bundle"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' file; do
    if [[ -e $file ]]; then printf '%s\0' "$file"; fi
done | tar --null -T - -cf - | tar -C "$WORK/stage" -xf - || die "could not stage the tracked files"
check "mcpb/pack" 0 -- mcpb pack "$WORK/stage" "$WORK/bundle/letexto-mcp.mcpb"
check "mcpb/info" 0 -- mcpb info "$WORK/bundle/letexto-mcp.mcpb"
check "mcpb/unpack" 0 bundle-contents "$WORK/unpacked" manifest.json -- \
    mcpb unpack "$WORK/bundle/letexto-mcp.mcpb" "$WORK/unpacked"
if [[ -f $WORK/unpacked/manifest.json ]]; then
    "$PY" .ci/outside/verify.py bundle-launch "$WORK/unpacked" "$WORK/bundle-argv" >/dev/null
    mapfile -d '' BUNDLE <"$WORK/bundle-argv"
    # uv fetches the bundle's dependencies from PyPI into its cache, as on a user's machine; the
    # Inspector gives its stdio server a bare environment, so the host's TLS and proxy settings
    # (if any) are handed on explicitly.
    HOST_ENV=(-e "UV_CACHE_DIR=$CACHE/uv-cache" -e UV_PYTHON_DOWNLOADS=never -e "PATH=$UV_DIR/bin:$PATH")
    for name in SSL_CERT_FILE SSL_CERT_DIR UV_INDEX_URL UV_DEFAULT_INDEX UV_EXTRA_INDEX_URL UV_NATIVE_TLS \
        HTTPS_PROXY HTTP_PROXY NO_PROXY https_proxy http_proxy no_proxy; do
        if [[ -n ${!name:-} ]]; then HOST_ENV+=(-e "$name=${!name}"); fi
    done
    check "mcpb/bundle-starts-with-uv" 0 tools-list '{out}' manifest.json '{err}' -- \
        env PATH="$UV_DIR/bin:$PATH" inspector --protocol-era legacy --method tools/list --strict --format json \
        --connect-timeout 240000 "${HOST_ENV[@]}" "${BUNDLE[@]}"
fi

# ---------------------------------------------------------------- 4. Claude Code

say "== Claude Code $CLAUDE_CODE_VERSION (claude mcp add / list, as in the README)"
# The README's line, with the sandbox so that no real key is needed.
check "claude/add-stdio" 0 -- claude mcp add letexto --env LETEXTO_SANDBOX=1 \
    --env LETEXTO_STATE_URL=memory:// -- "$ROOT/.venv/bin/letexto-mcp"
check "claude/add-http" 0 -- claude mcp add --transport http letexto-http "$AUTH_URL/mcp" \
    --header "Authorization: Bearer $API_KEY"
check "claude/add-sse" 0 -- claude mcp add --transport sse letexto-sse "$AUTH_URL/sse" \
    --header "Authorization: Bearer $API_KEY"
check "claude/add-wrong-key" 0 -- claude mcp add --transport http wrong-key "$AUTH_URL/mcp" \
    --header "Authorization: Bearer not-$API_KEY"
check "claude/mcp-list" 0 claude-mcp-list '{out}' letexto=connected letexto-http=connected \
    letexto-sse=connected wrong-key=failed -- claude mcp list

# ---------------------------------------------------------------- 5. OAuth (remote connectors)

say "== OAuth: the Inspector CLI with access tokens, the conformance suite's authorization scenarios"
check "oauth/token" 0 -- "$PY" .ci/outside/verify.py oauth-token "$OAUTH_URL" "$CONNECT_KEY" \
    "letexto.read letexto.send" "$WORK/oauth-token"
check "oauth/read-only-token" 0 -- "$PY" .ci/outside/verify.py oauth-token "$OAUTH_URL" "$CONNECT_KEY" \
    letexto.read "$WORK/oauth-read-token"
if [[ -s $WORK/oauth-token && -s $WORK/oauth-read-token ]]; then
    TOKEN=$(cat "$WORK/oauth-token")
    READ_TOKEN=$(cat "$WORK/oauth-read-token")
    for era in legacy modern; do
        check "oauth/$era/get_balance" 0 tool-result '{out}' get_balance "$era" -- \
            inspector --protocol-era "$era" --method tools/call --tool-name get_balance --format json \
            --header "Authorization: Bearer $TOKEN" --stored-auth-only "$OAUTH_URL/mcp"
        check "oauth/$era/preview_sms" 0 tool-result '{out}' preview_sms "$era" -- \
            inspector --protocol-era "$era" --method tools/call --tool-name preview_sms \
            --tool-args-json "$PREVIEW_ARGS" --format json --header "Authorization: Bearer $TOKEN" \
            --stored-auth-only "$OAUTH_URL/mcp"
    done
    check "oauth/read-only-send-isError-5" 5 -- \
        inspector --protocol-era modern --method tools/call --tool-name send_sms \
        --tool-args-json '{"to": "07 07 12 34 56", "content": "Bonjour"}' \
        --header "Authorization: Bearer $READ_TOKEN" --stored-auth-only "$OAUTH_URL/mcp"
    check "oauth/no-token-is-auth-required" 3 -- \
        inspector --protocol-era modern --method tools/list --stored-auth-only "$OAUTH_URL/mcp"
fi
# The authorization-server scenarios wait for a person at a browser: verify.py reads the URL the suite
# prints, allows on the consent page with the connect key, and delivers the redirect to its callback.
CALLBACK_PORT=$("$PY" .ci/outside/verify.py free-port)
if CLIENT_ID=$("$PY" .ci/outside/verify.py oauth-register "$OAUTH_URL" "http://127.0.0.1:$CALLBACK_PORT/callback"); then
    check "conformance/authorization@$CONFORMANCE_NEXT_VERSION" 0 conformance-clean '{out}' -- \
        bash -c 'conformance-next authorization --url "$1" --client-id "$2" --resource "$1/mcp" -p "$3" \
            -o "$4" | tee "$4.log" & suite=$!
            "$5" .ci/outside/verify.py oauth-consent "$4.log" "$6" >&2; wait "$suite"' _ \
        "$OAUTH_URL" "$CLIENT_ID" "$CALLBACK_PORT" "$WORK/conformance-authorization" "$PY" "$CONNECT_KEY"
else
    record FAIL "conformance/authorization" "could not register a client: $CLIENT_ID"
fi

# ---------------------------------------------------------------- summary

say ""
say "== outside checks: $((${#SUMMARY[@]} - FAILURES)) ok, $FAILURES failed, $((SECONDS - STARTED))s"
printf '%s\n' "${SUMMARY[@]}"
say "outside-checks: $((${#SUMMARY[@]} - FAILURES)) passed, $FAILURES failed"
((FAILURES == 0)) || exit 1
