"""`python -m bench.simulator --port 0`: `letexto-mcp sandbox` with a balance a load cannot spend.

The command's simulator starts with 1,000 credits, which a minute of sends through two replicas
would exhaust (every later send then fails at "LeTexto", which is not what a load test measures).
Everything else is the simulator as `letexto-mcp sandbox` serves it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from letexto_mcp.sandbox import SandboxConfig
from letexto_mcp.sandbox.serve import run_sandbox

LOAD_BALANCE = 1e9


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.simulator", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--balance", type=float, default=LOAD_BALANCE, help="starting credits")
    parser.add_argument("--request-log", type=int, default=100_000, help="API requests the admin state keeps")
    args = parser.parse_args(argv)
    config = SandboxConfig(
        sender_approval_delay=0.0, initial_balance=args.balance, request_log_limit=args.request_log
    )
    run_sandbox(args.host, args.port, config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
