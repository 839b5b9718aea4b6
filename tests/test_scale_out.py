"""Several `hub serve` processes on one database, one Redis and one chain node, as production runs them."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import stdnum.iso6346
import websockets

from hub.auth.models import OrgType
from hub.settings import Settings
from hub.state import HubState
from tests.conftest import World
from tests.servers import HUB, Anvil, RedisServer, free_port

FEED = "subscription($n: String!) { containerEvents(number: $n) { typeCode eventDateTime } }"


def _serve(env: dict[str, str], workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = (workdir / f"hub-{port}.log").open("wb")
    process = subprocess.Popen(
        [*HUB, "serve", "--port", str(port)], env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT
    )
    return process, f"http://127.0.0.1:{port}"


def _ready(process: subprocess.Popen[bytes], base: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the hub at {base} exited"
        try:
            if httpx.get(f"{base}/ready", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{base}/ready never answered 200")


def _event(box: str, i: int) -> dict[str, Any]:
    when = (datetime(2026, 8, 1, tzinfo=UTC) + timedelta(hours=i)).isoformat().replace("+00:00", "Z")
    return {
        "eventID": str(uuid.uuid4()),
        "eventType": "EQUIPMENT",
        "eventClassifierCode": "ACT",
        "eventDateTime": when,
        "eventCreatedDateTime": when,
        "equipmentEventTypeCode": ("GTIN", "LOAD", "DISC", "GTOT")[i % 4],
        "equipmentReference": box,
        "emptyIndicatorCode": "LADEN",
        "eventLocation": {"UNLocationCode": "CNDLC"},
        "transportCall": {"transportCallID": "DLC-9", "modeOfTransport": "VESSEL", "UNLocationCode": "CNDLC"},
    }


async def _subscribe(base: str, token: str, box: str) -> Any:
    ws = await websockets.connect(
        base.replace("http", "ws") + "/graphql", subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
    )
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "connection_ack"
    await ws.send(
        json.dumps({"id": "1", "type": "subscribe", "payload": {"query": FEED, "variables": {"n": box}}})
    )
    return ws


async def _collect(ws: Any, want: int, quiet: float) -> list[str]:
    """Frames until ``want`` have come, then any more within ``quiet`` seconds."""
    got: list[str] = []
    deadline = time.monotonic() + 60
    while True:
        wait = quiet if len(got) >= want else deadline - time.monotonic()
        try:
            raw = await asyncio.wait_for(ws.recv(), max(0.1, wait))
        except TimeoutError:
            return got
        message = json.loads(raw)
        assert message["type"] == "next", message
        got.append(message["payload"]["data"]["containerEvents"]["eventDateTime"])


async def test_four_hub_processes_deliver_every_subscription_message_once(
    settings: Settings, world: World, tmp_path: Path
) -> None:
    terminal = world.party(OrgType.TERMINAL)
    regulator = world.party(OrgType.REGULATOR)
    stem = f"SCLU{uuid.uuid4().int % 10**6:06d}"
    box = stem + stdnum.iso6346.calc_check_digit(stem)
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    anvil = Anvil(tmp_path).start()
    env = {
        **os.environ,
        "HUB_DATABASE_URL": settings.database_url,
        "HUB_REDIS_URL": redis_server.url,
        "HUB_CHAIN_URL": anvil.url,
        "HUB_KEY_PEPPER": settings.key_pepper.get_secret_value(),
        "HUB_ANCHOR_MAX_WAIT_SECONDS": "0.05",
        "HUB_LOG_JSON": "false",
        "PYTHONPATH": str(Path.cwd()),
    }
    hubs: list[tuple[subprocess.Popen[bytes], str]] = []
    sockets: list[Any] = []
    try:
        # The first deploys the registries on the node; the other three find them in the database.
        hubs.append(_serve(env, tmp_path))
        await asyncio.to_thread(_ready, *hubs[0])
        hubs += [_serve(env, tmp_path) for _ in range(3)]
        for process, base in hubs[1:]:
            await asyncio.to_thread(_ready, process, base)
        for _, base in hubs:  # two subscribers on each process: the owner and a regulator
            sockets.append(await _subscribe(base, terminal.token, box))
            sockets.append(await _subscribe(base, regulator.token, box))
        await asyncio.sleep(1.0)  # every subscription registered with its process's bus

        posted = []
        for i in range(12):  # each process in turn takes an ingest
            event = _event(box, i)
            answer = await asyncio.to_thread(
                httpx.post,
                f"{hubs[i % 4][1]}/ingest/dcsa",
                content=json.dumps([event]),
                headers={**terminal.headers, "Content-Type": "application/json"},
                timeout=30,
            )
            assert answer.status_code == 200 and answer.json()["stored"] == 1, answer.text
            posted.append(event["eventDateTime"])

        received = await asyncio.gather(*(_collect(ws, len(posted), quiet=2.0) for ws in sockets))
        for frames in received:
            # Every message once, on every process, whichever process took the ingest.
            assert sorted(f.replace("+00:00", "Z") for f in frames) == sorted(posted)
    finally:
        for ws in sockets:
            await ws.close()
        for process, _ in hubs:
            process.terminate()
        for process, _ in hubs:
            process.wait(timeout=30)
        anvil.stop()
        redis_server.stop()


def test_a_second_process_on_the_embedded_chain_says_so_in_one_line(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
        "HUB_LOG_JSON": "false",
        "PYTHONPATH": str(Path.cwd()),
    }
    env.pop("HUB_CHAIN_URL", None)
    assert subprocess.run([*HUB, "db", "upgrade"], env=env, cwd=tmp_path, capture_output=True).returncode == 0
    first, base = _serve(env, tmp_path)
    try:
        _ready(first, base)
        second = subprocess.run(
            [*HUB, "serve", "--port", str(free_port())],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1
        lines = [line for line in second.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, second.stderr
        assert "in use by another process" in lines[0] and "HUB_CHAIN_URL" in lines[0]
        assert httpx.get(f"{base}/health").status_code == 200  # the first goes on serving
    finally:
        first.terminate()
        first.wait(timeout=30)


def test_two_transactions_registering_the_same_new_container_agree_on_its_id(state: HubState) -> None:
    """Two processes ingesting the first events of one box at once: before, the later COPY failed on the
    unique number and its whole request with it (seen in bench/scale.py)."""
    import threading

    from hub.tracking.service import ensure_containers

    stem = f"RACU{uuid.uuid4().int % 10**6:06d}"
    number = stem + stdnum.iso6346.calc_check_digit(stem)
    first = state.session()
    ids_first, new_first = ensure_containers(first, {number: (True, "45G1")})
    answer: dict[str, Any] = {}

    def second() -> None:
        with state.session() as session:
            answer["ids"], answer["new"] = ensure_containers(session, {number: (True, "45G1")})
            session.commit()

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.5)  # the second waits on the first's uncommitted row (or on SQLite's write lock)
    first.commit()
    first.close()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert new_first == 1 and answer["new"] == 0
    assert answer["ids"][number] == ids_first[number]
