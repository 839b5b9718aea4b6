"""A small HTTP/1.1 keep-alive load generator on raw asyncio sockets (light enough not to be the bottleneck)."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Result:
    """What one load run measured."""

    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

    def line(self, label: str) -> str:
        return (
            f"{label:<44} {self.rps:8.0f} req/s   p50 {self.pct(0.5):6.2f} ms   p99 {self.pct(0.99):6.2f} ms"
            f"   ({self.requests} requests, {self.errors} errors, median {statistics.median(self.latencies_ms or [0]):.2f} ms)"
        )


def scratch(prefix: str) -> Path:
    """A new folder for one bench run's databases and keys, removed when the bench exits (a run of
    bench/commerce leaves over 300 MB)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def build_request(method: str, path: str, host: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    """The bytes of one HTTP/1.1 request."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    """Send one request on a kept-alive connection; its status and body."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return int(head.split(b" ", 2)[1]), await reader.readexactly(length)


async def _worker(host: str, port: int, request: bytes, stop_at: float, result: Result, check: bytes) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            status, body = await exchange(reader, writer, request)
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            if status != 200 or check not in body:
                result.errors += 1
            result.requests += 1
    finally:
        writer.close()


async def run(
    host: str, port: int, request: bytes, *, seconds: float, concurrency: int, check: bytes = b""
) -> Result:
    """Send ``request`` over ``concurrency`` connections for ``seconds``."""
    result = Result(0, 0, 0.0, [])
    started = time.perf_counter()
    stop_at = started + seconds
    await asyncio.gather(*(_worker(host, port, request, stop_at, result, check) for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result


def start_hub(
    script: str, root: str, env: dict[str, str], *, timeout: float = 60, extra: tuple[str, ...] = ()
) -> tuple[subprocess.Popen[bytes], int]:
    """Run ``script`` (which serves a hub app on argv[1], with the project root in argv[2] and ``extra``
    after it) in its own process; return it and its port once /health answers."""
    import httpx

    from tests.servers import free_port

    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", script, str(port), root, *extra], env=env)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                return server, port
        except httpx.TransportError:
            time.sleep(0.1)
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            raise SystemExit("the hub under test did not start")


HUB_SERVER = r"""
import sys, uvicorn
sys.path.insert(0, sys.argv[2])
from hub import collector
from hub.app import SERVER_OPTIONS, create_app
from hub.settings import Settings
app = create_app(Settings(log_level="WARNING"))
collector.tune()  # as `hub serve` does
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False, **SERVER_OPTIONS)
"""


def serve_hub(url: str, workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    """The hub on database ``url`` in one uvicorn worker of its own, without the in-process anchoring worker."""
    env = {
        **os.environ,
        "HUB_DATABASE_URL": url,
        "HUB_LOG_LEVEL": "WARNING",
        "HUB_CHAIN_DATA_DIR": str(workdir / "chain"),
        "HUB_ANCHOR_IN_PROCESS": "false",
    }
    return start_hub(HUB_SERVER, str(Path(__file__).resolve().parent.parent), env)


@contextlib.contextmanager
def databases(workdir: Path, *, postgres: bool) -> Iterator[list[tuple[str, str]]]:
    """A fresh SQLite file and, when asked and PostgreSQL answers, a throwaway PostgreSQL database, as
    (name, url) pairs; the PostgreSQL one is dropped afterwards."""
    from tests.backends import PgDatabase, postgres_available

    targets = [("sqlite", f"sqlite:///{workdir / 'hub.db'}")]
    pg = PgDatabase.create() if postgres and postgres_available() else None
    if pg is not None:
        targets.append(("postgresql", pg.url))
    try:
        yield targets
    finally:
        if pg is not None:
            pg.drop()
