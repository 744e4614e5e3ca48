"""Replicas behind HAProxy: end-to-end sends per second through one replica and through two.

Real processes on loopback, as `tests/test_replicas_*.py` run them (bench/cluster.py): the
simulator, two `letexto-mcp serve --transport http` replicas, HAProxy running the committed
docs/deploy/haproxy.cfg, and a PostgreSQL cluster of the run's own (bench/postgres_server.py: the
machine's binaries, default settings, so every process of it is ours to measure). Policy `allow`,
one tenant, every send distinct (its own recipient, text and idempotency key), the HTTP and send
rate limits off, no delivery reports. Each send is a whole guarded send: HAProxy, the replica's
MCP handling, the guard's store statements in PostgreSQL, the request to the simulator.

"One replica" is a second HAProxy on the same file whose two server lines both name replica 1;
"two" is the cluster's HAProxy over both. Windows alternate one, two, one, two… in the same run,
so the shared machine's noise hits both alike.

The load generator is deliberately thin: 32 coroutines posting 2026-07-28 `tools/call` requests
as raw JSON-RPC (one POST each, no session), so that its own CPU stays small next to the servers'.

Measured per window:
- sends per second and latency (client side);
- CPU time per process group from /proc (utime + stime): the replicas, PostgreSQL (the postmaster
  and all its children: backends, WAL writer, checkpointer), the simulator, HAProxy, and the load
  generator itself. On a 2-core machine the split is the honest figure: two replicas cannot double
  throughput when the other processes already need a share of the same two cores;
- time waiting on locks: a thread samples `pg_stat_activity` every ~10 ms (the replicas'
  connections, application_name letexto-mcp, state active or idle in transaction) and counts
  each backend seen waiting with wait_event_type 'Lock' (row, transaction and advisory locks, the
  kind the guard's per-tenant and per-fingerprint locks are). Lock time ≈ lock samples × sampling
  interval; its share of request time = that / the sum of the clients' request latencies.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio
import httpx

from bench.cluster import (
    CLIENT_KEYS,
    Cluster,
    LoadBalancer,
    another_load_balancer,
    haproxy_binary,
    run_cluster,
)
from bench.config import BenchConfig
from bench.postgres_server import PrivatePostgres, postgres_bindir, private_postgres
from bench.procs import cpu_seconds
from bench.report import Figure
from bench.stats import Latency, ratio

SECTION = "replicas behind HAProxy (end-to-end sends on PostgreSQL, policy allow)"
KEY = CLIENT_KEYS[0]
PROTOCOL = "2026-07-28"
SAMPLE_SECONDS = 0.01
GROUPS = ("replicas", "PostgreSQL", "simulator", "HAProxy", "load generator")
_WAITS = (
    "SELECT state, coalesce(wait_event_type, 'CPU'), coalesce(wait_event, '') FROM pg_stat_activity"
    " WHERE application_name = 'letexto-mcp' AND state IN ('active', 'idle in transaction')"
    " AND pid <> pg_backend_pid()"
)


@dataclass
class Window:
    """What one timed window measured."""

    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)
    waits: Counter[str] = field(default_factory=Counter)
    samples: int = 0
    sampled_seconds: float = 0.0

    def merge(self, other: Window) -> Window:
        cpu = {name: self.cpu.get(name, 0.0) + other.cpu.get(name, 0.0) for name in {*self.cpu, *other.cpu}}
        return Window(
            self.seconds + other.seconds,
            self.latencies + other.latencies,
            self.errors + other.errors,
            cpu,
            self.waits + other.waits,
            self.samples + other.samples,
            self.sampled_seconds + other.sampled_seconds,
        )

    @property
    def sends_per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def lock_seconds(self) -> float:
        """Backend-seconds spent waiting on heavyweight locks (samples x the sampling interval)."""
        if not self.samples:
            return 0.0
        interval = self.sampled_seconds / self.samples
        return sum(n for key, n in self.waits.items() if key.startswith("Lock:")) * interval


class Sender:
    """A thin 2026-07-28 client: one POST per `send_sms`, each with its own recipient, text and key."""

    def __init__(self, run: str) -> None:
        self.run = run
        self.count = 0
        self.headers = {
            "Authorization": f"Bearer {KEY}",
            "Accept": "application/json, text/event-stream",
            "Content-Type": "application/json",
            "Mcp-Protocol-Version": PROTOCOL,
            "Mcp-Method": "tools/call",
            "Mcp-Name": "send_sms",
        }
        self.meta = {
            "io.modelcontextprotocol/protocolVersion": PROTOCOL,
            "io.modelcontextprotocol/clientInfo": {"name": "letexto-bench", "version": "0"},
            "io.modelcontextprotocol/clientCapabilities": {},
        }

    def body(self) -> bytes:
        self.count += 1
        n = self.count
        arguments = {
            "to": f"07{n:08d}",
            "content": f"Votre code {self.run}-{n}",
            "idempotency_key": f"bench-{self.run}-{n}",
        }
        request = {
            "jsonrpc": "2.0",
            "id": n,
            "method": "tools/call",
            "params": {"name": "send_sms", "arguments": arguments, "_meta": self.meta},
        }
        return json.dumps(request).encode()

    async def send(self, http: httpx.AsyncClient, url: str) -> str | None:
        """One send; None when it was submitted, else what went wrong."""
        answer = await http.post(url, content=self.body(), headers=self.headers)
        if answer.status_code != 200:
            return f"HTTP {answer.status_code}: {answer.text[:200]}"
        text = answer.text
        if answer.headers.get("content-type", "").startswith("text/event-stream"):
            text = next((line[5:] for line in text.splitlines() if line.startswith("data:")), "{}")
        result = json.loads(text).get("result") or {}
        status = (result.get("structuredContent") or {}).get("status")
        return None if status == "submitted" else f"status {status}: {str(result)[:200]}"


def _cpu(pids: list[int]) -> dict[int, float]:
    found = {}
    for pid in pids:
        try:
            found[pid] = cpu_seconds(pid)
        except OSError:  # gone meanwhile
            continue
    return found


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system


def _groups(cluster: Cluster, lbs: list[LoadBalancer], db: PrivatePostgres) -> dict[str, list[int]]:
    return {
        "replicas": [r.pid for r in cluster.replicas],
        "PostgreSQL": db.pids(),
        "simulator": [cluster.simulator.process.pid],
        "HAProxy": [lb.pid for lb in lbs],
    }


def _sample_waits(url: str, stop: threading.Event, window: Window) -> None:
    """Until `stop`: what the replicas' busy backends wait on, counted by 'type:event'."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        while not stop.is_set():
            for state, kind, event in conn.execute(_WAITS).fetchall():
                window.waits[f"{kind}:{event}" if state == "active" else "idle in transaction:"] += 1
            window.samples += 1
            time.sleep(SAMPLE_SECONDS)
        window.sampled_seconds = time.perf_counter() - started


async def load_window(
    url: str,
    sender: Sender,
    clients: int,
    seconds: float,
    groups: Callable[[], dict[str, list[int]]],
    db_url: str,
) -> Window:
    """`clients` senders for `seconds` against `url`, with CPU and lock waits measured meanwhile."""
    window = Window(seconds)
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_waits, args=(db_url, stop, window), daemon=True)
    before = {name: _cpu(pids) for name, pids in groups().items()}
    own_before = _own_cpu()
    deadline = time.monotonic() + seconds
    sampler.start()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:

        async def worker() -> None:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    problem = await sender.send(http, url)
                except httpx.HTTPError as error:
                    problem = f"{type(error).__name__}: {error}"
                if problem is None:
                    window.latencies.append(time.perf_counter() - started)
                else:
                    window.errors.append(problem[:300])

        with anyio.fail_after(seconds + 120):
            async with anyio.create_task_group() as group:
                for _ in range(clients):
                    group.start_soon(worker)
    window.seconds = max(seconds, time.monotonic() - deadline + seconds)  # the last calls' tail
    stop.set()
    sampler.join(10)
    after = {name: _cpu(pids) for name, pids in groups().items()}
    for name, now in after.items():
        window.cpu[name] = sum(cpu - before[name].get(pid, 0.0) for pid, cpu in now.items())
    window.cpu["load generator"] = _own_cpu() - own_before
    return window


def _split(window: Window) -> str:
    total = sum(window.cpu.values()) or 1.0
    return ", ".join(f"{name} {window.cpu.get(name, 0.0) / total:.0%}" for name in GROUPS)


def _waits_note(window: Window) -> str:
    """Where the busy backends were: each wait type's share of the samples, and the locks by kind."""
    busy = sum(window.waits.values()) or 1
    kinds: Counter[str] = Counter()
    for key, n in window.waits.items():
        kinds[key.split(":", 1)[0]] += n
    note = ", ".join(f"{kind} {n / busy:.0%}" for kind, n in kinds.most_common(5))
    locks = [f"{key[5:]} {n}" for key, n in window.waits.most_common() if key.startswith("Lock:")]
    return note + (f" (Lock samples: {', '.join(locks)})" if locks else "")


def _ceiling(window: Window, replicas: int, cores: int) -> float:
    """Sends/s the measured CPU per send allows on `cores` cores with nothing else running: each
    replica is one Python process (one core at most), and all the processes share the cores."""
    sends = len(window.latencies)
    if not sends:
        return 0.0
    per_send = {name: seconds / sends for name, seconds in window.cpu.items()}
    total = sum(per_send.values())
    replica = per_send.get("replicas", 0.0)
    limits = [cores / total if total else 0.0]
    if replica:
        limits.append(min(replicas, cores) / replica)
    return min(limits)


def _figures(results: dict[str, Window], clients: int, checked: str) -> list[Figure]:
    one, two = results["one"], results["two"]
    cores = os.cpu_count() or 1
    ceilings = (_ceiling(one, 1, cores), _ceiling(two, 2, cores))
    figures: list[Figure] = []
    for name, window, reference in (("one replica", one, None), ("two replicas", two, one)):
        lat = Latency.of(window.latencies)
        figures.append(
            Figure(
                SECTION,
                f"{name} behind HAProxy: sends/s ({clients} clients)",
                window.sends_per_second,
                "sends/s",
                reference=reference.sends_per_second if reference else None,
                reference_name="one replica" if reference else "",
                ratio=ratio(window.sends_per_second, reference.sends_per_second) if reference else None,
                note=f"p50 {lat.p50:.0f} ms, p99 {lat.p99:.0f} ms, {len(window.errors)} errors"
                + (f" (first: {window.errors[0]})" if window.errors else "")
                + f", {window.seconds:.0f} s"
                + (
                    f"; {checked}; the CPU per send measured allows {ceilings[0]:.0f} and "
                    f"{ceilings[1]:.0f} sends/s on {cores} free cores "
                    f"({ratio(ceilings[1], ceilings[0]):.2f}x)"
                    if reference
                    else ""
                ),
                details={
                    "latency": lat.as_dict(),
                    "errors": window.errors[:5],
                    "cpu_ceiling_sends_per_s": ceilings[1 if reference else 0],
                },
            )
        )
    for name, window in (("one replica", one), ("two replicas", two)):
        sends = max(1, len(window.latencies))
        total = sum(window.cpu.values())
        figures.append(
            Figure(
                SECTION,
                f"{name}: CPU used (2 cores = 2.0)",
                total / window.seconds,
                "cores",
                note=f"{_split(window)}; replica CPU per send "
                f"{window.cpu.get('replicas', 0.0) / sends * 1000:.1f} ms",
                details={
                    "cpu_seconds": window.cpu,
                    "cpu_ms_per_send": {k: v / sends * 1000 for k, v in window.cpu.items()},
                },
            )
        )
    for name, window in (("one replica", one), ("two replicas", two)):
        request_seconds = sum(window.latencies) or 1.0
        share = window.lock_seconds() / request_seconds * 100
        figures.append(
            Figure(
                SECTION,
                f"{name}: request time waiting on PostgreSQL locks",
                share,
                "%",
                note=f"pg_stat_activity sampled {window.samples} times; busy backends: {_waits_note(window)}",
                details={"waits": dict(window.waits.most_common(12)), "samples": window.samples},
            )
        )
    return figures


async def _measure(
    cluster: Cluster, one: LoadBalancer, db: PrivatePostgres, cfg: BenchConfig
) -> tuple[dict[str, Window], int, list[str]]:
    """The merged windows of each configuration, how many sends were made, and the warm-up's errors."""
    await cluster.lb.wait_for({"r1": "UP", "r2": "UP"})
    await one.wait_for({"r1": "UP", "r2": "UP"})
    clients = cfg.pick(32, 8)
    sender = Sender(str(int(time.time())))
    urls = {"one": f"{one.url}/mcp", "two": f"{cluster.url}/mcp"}

    def groups() -> dict[str, list[int]]:
        return _groups(cluster, [cluster.lb, one], db)

    warm_errors: list[str] = []
    for url in urls.values():  # pools filled, modules loaded, caches warm
        warm_errors += (await load_window(url, sender, clients, cfg.pickf(3.0, 1.0), groups, db.url)).errors
    merged: dict[str, Window] = {}
    for _ in range(cfg.pick(3, 1)):
        for name, url in urls.items():
            window = await load_window(url, sender, clients, cfg.pickf(10.0, 2.0), groups, db.url)
            merged[name] = merged[name].merge(window) if name in merged else window
    return merged, sender.count, warm_errors


def _check_once(cluster: Cluster, made: int, failed: int) -> str:
    """Every send reached the simulator once and has its audit entry: the figures count real sends."""
    import psycopg

    state = anyio.run(cluster.simulator.state)
    with psycopg.connect(cluster.state_url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM audit WHERE entry LIKE %s", ('%"outcome":"submitted"%',))
        audited = int(next(iter(row.fetchone() or (0,))))
    messages = len(state["messages"])
    if messages != audited or messages > made or (not failed and messages != made):
        raise RuntimeError(f"{made} sends made, {messages} at the simulator, {audited} audited as submitted")
    return f"{messages} sends in the run, each once at the simulator and in the audit log"


def run(cfg: BenchConfig) -> list[Figure]:
    binary = haproxy_binary()
    if binary is None:
        return [Figure.skipped(SECTION, "sends/s", "haproxy is not installed (make lb)")]
    bindir = postgres_bindir()
    if bindir is None:
        return [Figure.skipped(SECTION, "sends/s", "PostgreSQL's initdb and pg_ctl are not installed")]
    clients = cfg.pick(32, 8)
    with (
        private_postgres(bindir) as db,
        run_cluster(
            cfg.workdir / "replicas",
            db.url,
            policy="allow",
            reports=False,
            haproxy=binary,
            LETEXTO_MCP_RATE_LIMIT="0",
            LETEXTO_SENDS_PER_MINUTE="100000000",
        ) as cluster,
        another_load_balancer(cluster, [0, 0], "one") as one,
    ):
        results, made, warm_errors = anyio.run(_measure, cluster, one, db, cfg)
        failed = len(warm_errors) + sum(len(w.errors) for w in results.values())
        checked = _check_once(cluster, made, failed)
    if warm_errors:
        checked += f"; {len(warm_errors)} errors while warming up (first: {warm_errors[0][:200]})"
    return _figures(results, clients, checked)
