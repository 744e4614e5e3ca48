"""Several replicas behind one address, for real: the replica tests and the `replicas` benchmark share it.

Real processes on loopback only: the simulator (`letexto-mcp sandbox`), N replicas (`letexto-mcp
serve --transport http`) on one PostgreSQL schema with the same state secret, client keys and
approver keys, and HAProxy running the committed `docs/deploy/haproxy.cfg` in the foreground, its
addresses given through the environment the file names (HAProxy expands them itself, so what runs
is the file as committed).

Ports are reserved before anything starts (`bench.procs.reserved_port`): HAProxy's file names each
replica's address, and a replica killed and started again must come back on the same one.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx

from bench.procs import (
    PROJECT_ROOT,
    clean_env,
    listening_port,
    listening_ports,
    ours_command,
    reserved_port,
    spawn,
    stop,
)
from letexto_mcp.sandbox import SANDBOX_API_KEY

HAPROXY_CONFIG = PROJECT_ROOT / "docs" / "deploy" / "haproxy.cfg"
HAPROXY_PATHS = ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy")
STATE_SECRET = "replicas-shared-state-secret-5e1f0c2d9a7b"
CLIENT_KEYS = ("replica-client-key-one-7c41e9d2b8", "replica-client-key-two-3f9a06c5e1")
APPROVER_KEY = "replica-approver-key-awa-2d7e4b9c1f"
ADMIN_HEADERS = {"Authorization": f"Bearer {SANDBOX_API_KEY}"}
START_SECONDS = 60.0


def haproxy_binary() -> str | None:
    """Where HAProxy is installed (Debian's package: /usr/sbin/haproxy), or None."""
    found = shutil.which("haproxy")
    if found:
        return found
    return next((path for path in HAPROXY_PATHS if os.access(path, os.X_OK)), None)


def _end(process: subprocess.Popen[bytes] | None, grace: float = 10.0) -> None:
    """Terminate a process this module started (if any), then kill it if it lingers."""
    if process is not None:
        stop(process, grace)


def _wait_listening(process: subprocess.Popen[bytes], port: int, limit: float = START_SECONDS) -> None:
    """Until `process` listens on `port` (a server listens once its start-up is done)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process {process.pid} exited with {process.returncode} before listening")
        if port in listening_ports(process.pid):
            return
        time.sleep(0.05)
    raise TimeoutError(f"process {process.pid} did not listen on {port} within {limit:.0f} s")


@dataclass
class Simulator:
    """`letexto-mcp sandbox` on a loopback port, read and faulted through its admin API."""

    process: subprocess.Popen[bytes]
    url: str

    async def admin(self, method: str, path: str, body: Any = None) -> Any:
        async with httpx.AsyncClient(base_url=self.url, headers=ADMIN_HEADERS, timeout=30) as http:
            answer = await http.request(method, f"/_sandbox{path}", json=body)
            answer.raise_for_status()
            return answer.json()

    async def state(self) -> dict[str, Any]:
        return dict(await self.admin("GET", "/state"))


@dataclass
class Replica:
    """One `letexto-mcp serve --transport http` process on a fixed loopback port."""

    name: str
    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} is not running"
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, **overrides: str) -> None:
        """Start it (again) on its port, with its environment changed by `overrides`; returns once
        it listens (after connecting to and migrating the state database)."""
        assert not self.running(), f"{self.name} is already running"
        env = {**self.env, **overrides}
        command = ours_command(
            "serve", "--transport", "http", "--host", "127.0.0.1", "--port", str(self.port)
        )
        self.process = spawn(command, env, self.log)
        try:
            _wait_listening(self.process, self.port)
        except (RuntimeError, TimeoutError) as error:
            tail = "\n".join(self.log_text().splitlines()[-15:])
            raise RuntimeError(f"replica {self.name} did not start: {error}; its log ends:\n{tail}") from None

    def kill(self) -> None:
        """SIGKILL, as a crash would: no shutdown, nothing flushed."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        _end(self.process)

    async def restart(self, **overrides: str) -> None:
        """Start it again without blocking the event loop (clients keep running meanwhile)."""
        await anyio.to_thread.run_sync(lambda: self.start(**overrides))

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class LoadBalancer:
    """HAProxy running the committed configuration in the foreground."""

    binary: str
    port: int
    stats_port: int
    backends: list[str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def environment(self) -> dict[str, str]:
        """What the committed file reads: where to listen, and each replica's address."""
        env = clean_env(self.log.parent)
        env["LETEXTO_LB_BIND"] = f"127.0.0.1:{self.port}"
        env["LETEXTO_LB_STATS_BIND"] = f"127.0.0.1:{self.stats_port}"
        for number, backend in enumerate(self.backends, start=1):
            env[f"LETEXTO_REPLICA_{number}"] = backend
        return env

    def start(self) -> None:
        check = subprocess.run(
            [self.binary, "-c", "-q", "-f", str(HAPROXY_CONFIG)],
            env=self.environment(),
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode != 0:
            raise RuntimeError(f"haproxy refused {HAPROXY_CONFIG}: {check.stdout}{check.stderr}")
        self.process = spawn([self.binary, "-db", "-f", str(HAPROXY_CONFIG)], self.environment(), self.log)
        _wait_listening(self.process, self.port, 20.0)

    def stop(self) -> None:
        _end(self.process)

    async def servers(self) -> dict[str, str]:
        """Each primary server's check status (`UP`, `DOWN`, `UP 1/2`…) in the replicas backend."""
        async with httpx.AsyncClient(timeout=10) as http:
            answer = await http.get(f"http://127.0.0.1:{self.stats_port}/stats;csv")
        answer.raise_for_status()
        rows = csv.DictReader(io.StringIO(answer.text.lstrip("# ")))
        return {
            row["svname"]: row["status"]
            for row in rows
            if row["pxname"] == "letexto_replicas"
            and row["svname"] not in ("FRONTEND", "BACKEND")
            and not row["svname"].endswith("-open")
        }

    async def wait_for(self, expected: Mapping[str, str], limit: float = 30.0) -> None:
        """Poll the statistics until each named server has the expected status."""
        seen: dict[str, str] = {}
        with anyio.move_on_after(limit):
            while True:
                seen = await self.servers()
                if all(seen.get(name) == status for name, status in expected.items()):
                    return
                await anyio.sleep(0.1)
        raise TimeoutError(f"haproxy servers did not reach {dict(expected)} in {limit:.0f} s: {seen}")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Cluster:
    """The simulator, the replicas, and HAProxy in front of them."""

    simulator: Simulator
    replicas: list[Replica]
    lb: LoadBalancer
    state_url: str

    @property
    def url(self) -> str:
        """The one address clients use."""
        return self.lb.url

    def replica(self, name: str) -> Replica:
        return next(r for r in self.replicas if r.name == name)


def replica_env(
    home: Path, simulator_url: str, state_url: str, public_url: str | None, policy: str, **extra: str
) -> dict[str, str]:
    """One replica's environment: the same on every replica (each gets its port on the command line).

    `public_url` (HAProxy's address) turns delivery reports on: LeTexto posts them there, and
    whichever replica HAProxy picks records them.
    """
    if public_url is not None:
        extra = {"LETEXTO_PUBLIC_URL": public_url, **extra}
    return clean_env(
        home,
        LETEXTO_BASE_URL=simulator_url,
        LETEXTO_API_TOKEN=SANDBOX_API_KEY,
        LETEXTO_DEFAULT_SENDER="SMS INFO",
        LETEXTO_STATE_URL=state_url,
        LETEXTO_MCP_STATE_SECRET=STATE_SECRET,
        LETEXTO_MCP_API_KEYS=",".join(CLIENT_KEYS),
        LETEXTO_APPROVER_KEYS=f"awa:{APPROVER_KEY}",
        LETEXTO_SEND_POLICY=policy,
        **extra,
    )


@contextmanager
def run_cluster(
    workdir: Path,
    state_url: str,
    *,
    policy: str = "approve",
    replicas: int = 2,
    backends: list[int] | None = None,
    reports: bool = True,
    haproxy: str | None = None,
    **extra_env: str,
) -> Iterator[Cluster]:
    """Start the simulator, `replicas` replicas on `state_url` and HAProxy; stop them all at the end.

    `reports`: LETEXTO_PUBLIC_URL is HAProxy's address, so delivery reports come back through it.

    `backends` lists which replica (by index) each of the configuration's two server lines points
    at: `[0, 1]` by default, `[0, 0]` puts one replica behind the same HAProxy.
    """
    binary = haproxy or haproxy_binary()
    if binary is None:
        raise RuntimeError("haproxy is not installed (make lb)")
    workdir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        lb_port = stack.enter_context(reserved_port())
        stats_port = stack.enter_context(reserved_port())
        ports = [stack.enter_context(reserved_port()) for _ in range(replicas)]
        started: list[Replica] = []
        lb: LoadBalancer | None = None
        sim_process = spawn(
            [sys.executable, "-m", "bench.simulator", "--host", "127.0.0.1", "--port", "0"],
            clean_env(workdir),
            workdir / "sandbox.log",
        )
        try:
            simulator = Simulator(sim_process, f"http://127.0.0.1:{listening_port(sim_process)}")
            public_url = f"http://127.0.0.1:{lb_port}" if reports else None
            env = replica_env(workdir, simulator.url, state_url, public_url, policy, **extra_env)
            for number, port in enumerate(ports, start=1):
                replica = Replica(f"r{number}", port, env, workdir / f"replica-{number}.log")
                replica.start()
                started.append(replica)
            chosen = backends if backends is not None else [0, 1]
            lb = LoadBalancer(
                binary, lb_port, stats_port, [started[i].address for i in chosen], workdir / "haproxy.log"
            )
            lb.start()
            yield Cluster(simulator, started, lb, state_url)
        finally:
            if lb is not None:
                lb.stop()
            for replica in started:
                replica.stop()
            _end(sim_process)


@contextmanager
def another_load_balancer(cluster: Cluster, backends: list[int], name: str) -> Iterator[LoadBalancer]:
    """A second HAProxy on the same configuration whose two server lines point at `backends`
    (replica indices): `[0, 0]` is one replica behind HAProxy, beside the cluster's two."""
    with reserved_port() as port, reserved_port() as stats_port:
        lb = LoadBalancer(
            cluster.lb.binary,
            port,
            stats_port,
            [cluster.replicas[i].address for i in backends],
            cluster.lb.log.parent / f"haproxy-{name}.log",
        )
        lb.start()
        try:
            yield lb
        finally:
            lb.stop()
