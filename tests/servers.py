"""Real processes for tests: the hub on a loopback port, ``hub demo`` as a user starts it, and a Redis
server we can stop and start."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import redis
import uvicorn
from fastapi import FastAPI


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class HubServer:
    """A hub app served by uvicorn in a background thread."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(
                app, host="127.0.0.1", port=self.port, log_config=None, ws="websockets-sansio", lifespan="on"
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def __enter__(self) -> HubServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the hub did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


class RedisServer:
    """A private redis-server on a free port, stoppable and restartable on the same port."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.binary = binary
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                if redis.Redis(port=self.port, socket_connect_timeout=0.2).ping():
                    return
            except redis.RedisError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


ROOT = Path(__file__).resolve().parent.parent
ANVIL = ROOT / "node_modules" / ".bin" / "anvil"


class Anvil:
    """A real anvil JSON-RPC node on a free loopback port, stoppable and restartable with its state."""

    def __init__(self, workdir: Path, *, free_gas: bool = True, keep_state: bool = False) -> None:
        if not ANVIL.exists():
            raise RuntimeError("node_modules/.bin/anvil is missing: run scripts/setup.sh")
        self.port = free_port()
        self.workdir = workdir
        self.free_gas = free_gas
        self.state_file = workdir / "anvil-state.json" if keep_state else None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Anvil:
        args = [str(ANVIL), "--host", "127.0.0.1", "--port", str(self.port), "--silent"]
        if self.free_gas:  # like the hub's Besu network: zero base fee and zero gas price
            args += ["--base-fee", "0", "--gas-price", "0"]
        if self.state_file is not None:
            args += ["--state", str(self.state_file)]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        import httpx

        while True:
            try:
                answer = httpx.post(
                    self.url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
                )
                if answer.status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("anvil did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop gracefully (anvil writes its --state file on the way out)."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None


HUB = [sys.executable, "-m", "hub.cli"]


def start_demo(tmp_path: Path) -> tuple[subprocess.Popen[str], dict[str, str], str, dict[str, str]]:
    """`hub demo` in an empty folder with no HUB_* settings, as a new user starts it: the process, the key
    it printed per organisation, its address and the environment it ran with."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update({"HUB_LOG_JSON": "false", "PYTHONPATH": str(Path.cwd())})
    process = subprocess.Popen(
        [*HUB, "demo", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "demo.log").open("w"),  # a file: a pipe nobody reads would stall the server
        text=True,
    )
    keys: dict[str, str] = {}
    deadline = time.monotonic() + 60
    assert process.stdout is not None
    while len(keys) < 11 and time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.rstrip().split(" ")[-1].startswith("hub_"):
            keys[line[:30].strip()] = line.rstrip().split(" ")[-1]
    assert len(keys) == 11, keys
    base = f"http://127.0.0.1:{port}"
    while True:
        try:
            if httpx.get(f"{base}/health").status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the demo hub never answered"
        time.sleep(0.1)
    return process, keys, base, env
