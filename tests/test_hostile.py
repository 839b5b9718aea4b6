"""Hostile callers (issue 26): one request must not take the hub down, reach past its role, or answer 500.

Each case here was seen to fail: a 100,000-deep JSON body killed the process (the chain libraries had
raised Python's recursion limit so far that the C stack overflowed first); six inputs answered 500; viewer
keys and regulators wrote webhook subscriptions; callbacks reached shared, multicast and, by DNS
rebinding, loopback addresses; EDIFACT errors named the wrong segment.
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import sqlite3
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from hub.app import create_app
from hub.auth.models import KeyRole, OrgType
from hub.state import HubState
from seeds import commerce as demo
from tests.conftest import Party, World, data, gql
from tests.fixtures import EDIFACT, read
from tests.servers import HubServer

DEEP = 100_000
SECRET = base64.b64encode(b"k" * 40).decode()


def deep_body(levels: int = DEEP) -> bytes:
    """A GraphQL request whose variables nest ``levels`` arrays deep, as the attacker sent it."""
    return b'{"query":"{__typename}","variables":{"a":' + b"[" * levels + b"]" * levels + b"}}"


def _caller(world: World, path: str) -> Party:
    """Someone allowed to post to ``path``, so that the body is read rather than the caller refused."""
    if path in ("/ingest/ceb", "/ingest/orders"):
        return world.party(OrgType.SELLER, customs_code=demo.SELLER_CODE)
    if path == "/ingest/customs":
        return world.party(OrgType.CUSTOMS, customs_code="0900")
    if path.startswith("/ingest/jit"):
        return world.party(OrgType.PORT_OPERATOR, port_locode="CNDLC")
    return world.party(OrgType.TERMINAL)


def _writes(client: TestClient) -> list[tuple[str, str]]:
    """Every POST and PUT route of the hub, from its own OpenAPI document: a new one is covered at once."""
    routes = []
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        concrete = path.replace("{kind}", "port-call").replace("{subscription_id}", str(uuid.uuid4()))
        routes += [(method, concrete) for method in operations if method in ("post", "put")]
    return routes


def test_a_body_nested_100k_deep_is_refused_on_every_route_and_the_hub_lives(
    client: TestClient, world: World
) -> None:
    routes = _writes(client)
    assert ("post", "/graphql") in routes and ("post", "/ingest/dcsa") in routes and len(routes) >= 10
    callers: dict[str, Party] = {}
    for method, path in routes:
        kind = "ceb" if path in ("/ingest/ceb", "/ingest/orders") else path
        if kind not in callers:  # one seller for both seller routes: its customs code is unique
            callers[kind] = _caller(world, path)
        caller = callers[kind]
        for body in (deep_body(), b"[" * DEEP + b"]" * DEEP, b'{"a":' * DEEP + b"1" + b"}" * DEEP):
            answer = client.request(
                method, path, content=body, headers={**caller.headers, "Content-Type": "application/json"}
            )
            assert 400 <= answer.status_code < 500, (path, answer.status_code, answer.text[:300])
    # Without a key too: the GraphQL body is read before anything else.
    answer = client.post("/graphql", content=deep_body(), headers={"Content-Type": "application/json"})
    assert answer.status_code == 413 and "nest deeper than 1024" in answer.text
    assert client.get("/health").status_code == 200


def test_a_deep_body_to_a_real_server_leaves_it_serving(state: HubState, world: World) -> None:
    """The server as it runs (uvicorn, its own threads and their stacks), not the test client."""
    terminal = world.party(OrgType.TERMINAL)
    with HubServer(create_app(state.settings, state)) as server:
        for path in ("/graphql", "/ingest/dcsa", "/v2/event-subscriptions"):
            answer = httpx.post(
                server.url + path,
                content=deep_body(),
                headers={**terminal.headers, "Content-Type": "application/json"},
                timeout=30,
            )
            assert answer.status_code == 413, (path, answer.text[:200])
        assert httpx.get(server.url + "/health", timeout=10).status_code == 200
        # 1,000 levels is within the limit: read, then refused for what it says (a variable nobody declared).
        answer = httpx.post(
            server.url + "/graphql",
            content=deep_body(1000),
            headers={**terminal.headers, "Content-Type": "application/json"},
            timeout=30,
        )
        assert answer.status_code == 200 and answer.json()["data"] == {"__typename": "Query"}


def test_the_chain_libraries_do_not_leave_the_recursion_limit_at_100k() -> None:
    import eth_account  # noqa: F401  (what raised it)

    import ledger.chain

    assert sys.getrecursionlimit() == ledger.chain.RECURSION_LIMIT <= 20_000


def _graphql(client: TestClient, party: Party | None, body: bytes) -> httpx.Response:
    headers = {"Content-Type": "application/json", **(party.headers if party else {})}
    return client.post("/graphql", content=body, headers=headers)  # type: ignore[return-value]


def test_graphql_bodies_that_are_not_requests_answer_4xx_naming_the_place(
    client: TestClient, world: World
) -> None:
    seller = world.party(OrgType.SELLER)
    for body, said in (
        (b'"hello"', "not a string"),
        (b"[1, 2]", "not an array"),
        (b"null", "not null"),
        (b"\xff\xfe{}", "read as UTF-16"),
        (b'{"query": "{ me { organisation { name } } }"\xff}', "byte"),
    ):
        answer = _graphql(client, seller, body)
        assert answer.status_code == 422, (body, answer.status_code, answer.text)
        assert said in answer.text, (body, answer.text)
    # A lone surrogate in a variable: refused where it is, before any service tries to store it.
    answer = _graphql(
        client,
        seller,
        b'{"query": "mutation($t: String!) { createDocument(input: {kind: OTHER, reference: \\"R\\", '
        b'title: $t, issuedOn: \\"2026-01-01\\"}) { errors { code } } }", "variables": {"t": "\\ud800x"}}',
    )
    assert answer.status_code == 422 and "\\ud800 at line 1" in answer.text, answer.text
    # null for a variable that may not be null is the query's fault, not an unexpected error.
    body = gql(client, seller.token, "query($n: String!) { container(number: $n) { number } }", {"n": None})
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", body
    assert (
        "must not be null" in body["errors"][0]["message"] or "not to be None" in body["errors"][0]["message"]
    )


def test_requests_graphql_cannot_read_are_refused_in_json_naming_the_place(
    client: TestClient, world: World
) -> None:
    """Found by tests/test_fuzz.py: strawberry refused these in plain text, which a client that reads the
    hub's JSON refusals could not parse."""
    seller = world.party(OrgType.SELLER)
    for headers, body, status, place in (
        ({}, b"", 400, "Content-Type"),
        ({"Content-Type": "text/csv"}, b"a,b", 400, "Content-Type"),
        ({"Content-Type": "application/json"}, b'{"variables": {}}', 400, "body"),
        ({"Content-Type": "multipart/form-data; boundary=x"}, b"--x\r\n", 400, "Content-Type"),
    ):
        answer = client.post("/graphql", content=body, headers={**seller.headers, **headers})
        assert answer.status_code == status, (headers, body, answer.text)
        refusal = answer.json()
        assert refusal["code"] == "BAD_REQUEST" and refusal["field"] == place and refusal["message"], refusal
    answer = client.put("/graphql", content=b"{}", headers=seller.headers)
    assert answer.status_code == 405 and answer.json()["code"] == "METHOD_NOT_ALLOWED", answer.text


def test_ceb_xml_in_gbk_is_read_and_bad_gbk_bytes_are_named(client: TestClient, world: World) -> None:
    from tests.test_commerce import Cast, ok, post

    cast = Cast(world)
    xml = demo.orders_xml([demo.parcel(1)]).decode("utf-8")
    assert "encoding='UTF-8'" in xml
    gbk = xml.replace("encoding='UTF-8'", 'encoding="GBK"').replace("Buyer 1<", "张三<").encode("gbk")
    report = ok(post(client, cast.seller, "/ingest/ceb", gbk))
    assert report["stored"] == 1, report
    nodes = data(gql(client, cast.seller.token, "{ commerceOrders { nodes { orderNo buyerName } } }"))
    assert nodes["commerceOrders"]["nodes"] == [{"orderNo": "HNL00000001", "buyerName": "张三"}]
    # Bytes that are not GBK: refused, naming the line, and nothing stored.
    broken = gbk.replace("张三".encode("gbk"), b"\x81\x20")
    answer = post(client, cast.seller, "/ingest/ceb", broken)
    assert answer.status_code == 422, answer.text
    line = broken[: broken.index(b"\x81\x20")].count(b"\n") + 1
    assert answer.json()["field"] == f"line {line}" and "GBK" in answer.json()["message"]
    unknown = xml.replace("encoding='UTF-8'", 'encoding="X-NOBODY"').encode()
    answer = post(client, cast.seller, "/ingest/ceb", unknown)
    assert answer.status_code == 422 and answer.json()["field"] == "line 1"


def test_edifact_faults_name_the_segment_that_is_wrong(client: TestClient, world: World) -> None:
    terminal = world.party(OrgType.TERMINAL)
    codeco = read(EDIFACT / "CODECO_D95B_huelva.edi")
    cases = {
        b"UNA:+": "UNA",
        codeco.replace(b"UNB+", b"+NB+", 1): "segment 1 (no tag)",  # CorruptUnb
        codeco.replace(b"UNH+", b"U:H+", 1): "segment 2 (U:H)",  # CorruptUnh
        b"\x00" + codeco: "segment 1",
    }
    for body, place in cases.items():
        answer = client.post("/ingest/edifact", content=body, headers=terminal.headers)
        assert answer.status_code == 422, (body[:40], answer.text)
        assert answer.json()["field"] == place, (body[:40], answer.json())
        assert answer.json()["message"].startswith(place)


def test_a_csv_field_over_128_kib_is_refused_naming_the_row(client: TestClient, world: World) -> None:
    seller = world.party(OrgType.SELLER, customs_code=demo.SELLER_CODE)
    body = "orderNo,goodsValue\nA1,10\nA2," + "9" * 200_000 + "\n"
    answer = client.post(
        "/ingest/orders", content=body.encode(), headers={**seller.headers, "Content-Type": "text/csv"}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "row 3" and "longer than" in answer.json()["message"]


def _app(state: HubState, **settings: Any) -> TestClient:
    state.settings = state.settings.model_copy(update={"anchor_in_process": False, **settings})
    return TestClient(create_app(state.settings, state))


def test_viewer_keys_and_regulators_do_not_write_subscriptions(state: HubState, world: World) -> None:
    terminal = world.party(OrgType.TERMINAL, "Subscribing terminal")
    viewer = {"Authorization": f"Bearer {world.key(terminal, KeyRole.VIEWER)}"}
    regulator = world.party(OrgType.REGULATOR).headers
    body = {"callbackUrl": "https://93.184.215.14/events", "secret": SECRET}  # a global address: no lookup
    with _app(state, callback_allow_private_networks=True) as client:
        made = client.post("/v2/event-subscriptions", json=body, headers=terminal.headers)
        assert made.status_code == 201, made.text
        sub = made.json()["subscriptionID"]
        for headers in (viewer, regulator):
            refused = client.post("/v2/event-subscriptions", json=body, headers=headers)
            assert refused.status_code == 403, refused.text
        # The viewer reads its organisation's subscription, and may neither re-key nor delete it.
        assert client.get(f"/v2/event-subscriptions/{sub}", headers=viewer).status_code == 200
        rekey = client.put(f"/v2/event-subscriptions/{sub}/secret", json={"secret": SECRET}, headers=viewer)
        assert rekey.status_code == 403, rekey.text
        assert client.delete(f"/v2/event-subscriptions/{sub}", headers=viewer).status_code == 403
        assert client.get(f"/v2/event-subscriptions/{sub}", headers=terminal.headers).status_code == 200
        # Its admin still may.
        assert client.delete(f"/v2/event-subscriptions/{sub}", headers=terminal.headers).status_code == 204


@pytest.mark.parametrize(
    "url",
    [
        "http://100.64.0.1/hook",  # shared address space (carrier-grade NAT)
        "http://224.0.0.1/hook",  # multicast
        "http://127.0.0.1:8000/hook",
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",  # the cloud metadata service
        "http://[::ffff:127.0.0.1]/hook",  # loopback inside IPv6
        "http://[2002:7f00:1::]/hook",  # 6to4 of 127.0.0.1
        "http://[fd00::1]/hook",
        "http://0.0.0.0/hook",
        "http://192.0.2.10/hook",  # documentation
    ],
)
def test_callbacks_into_non_global_networks_are_refused(state: HubState, world: World, url: str) -> None:
    terminal = world.party(OrgType.TERMINAL)
    with _app(state) as client:
        answer = client.post(
            "/v2/event-subscriptions", json={"callbackUrl": url, "secret": SECRET}, headers=terminal.headers
        )
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "callbackUrl" and "does not call" in answer.json()["message"]


def test_a_name_that_rebinds_to_loopback_is_not_delivered_to(
    state: HubState, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Public when subscribed, loopback when the event is delivered: the delivery's own lookup refuses it,
    and a listener on loopback receives nothing."""
    from hub.tracking.push import EventDelivery

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.1)
    port = listener.getsockname()[1]
    answers = {"now": "93.184.215.14"}  # a global address while the subscription is made
    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "hooks.rebind.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers["now"], port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    terminal = world.party(OrgType.TERMINAL)
    try:
        with _app(state, push_max_attempts=2, push_backoff_seconds=0.05) as client:
            made = client.post(
                "/v2/event-subscriptions",
                json={"callbackUrl": f"http://hooks.rebind.example:{port}/cb", "secret": SECRET},
                headers=terminal.headers,
            )
            assert made.status_code == 201, made.text
            answers["now"] = "127.0.0.1"  # the attacker's DNS answers otherwise from now on
            sent = client.post(
                "/ingest/edifact", content=read(EDIFACT / "CODECO_D95B_huelva.edi"), headers=terminal.headers
            )
            assert sent.status_code == 200
            deadline = time.monotonic() + 20
            while True:
                with Session(state.engine) as session:
                    states = [d for d in session.exec(select(EventDelivery))]
                if states and all(d.state == "DEAD" for d in states):
                    break
                assert time.monotonic() < deadline, [(d.state, d.last_error) for d in states]
                time.sleep(0.05)
        assert all("refused" in (d.last_error or "") and "127.0.0.1" in (d.last_error or "") for d in states)
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody connected to the loopback listener
    finally:
        listener.close()


def test_json_bodies_with_a_lone_surrogate_are_refused_on_rest_routes(
    client: TestClient, world: World
) -> None:
    terminal = world.party(OrgType.TERMINAL)
    answer = client.post(
        "/ingest/dcsa",
        content=b'[{"eventID": "\\udc00"}]',
        headers={**terminal.headers, "Content-Type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    assert "surrogate" in answer.json()["message"]
    assert json.loads(client.get("/health").text)["status"] == "ok"


@contextlib.contextmanager
def _database_held(url: str) -> Iterator[None]:
    """Another client holds the database: on SQLite the write lock (every writer waits for it), on
    PostgreSQL the events table, exclusively (its writers and readers wait)."""
    if url.startswith("sqlite"):
        holder = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    else:
        import psycopg

        holder = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))  # type: ignore[assignment]
        holder.execute("LOCK TABLE tracking_event IN ACCESS EXCLUSIVE MODE")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


def test_health_and_other_requests_answer_while_a_request_waits_on_the_database(
    state: HubState, world: World
) -> None:
    """Issue 26, 7: the ingest routes ran their parsing and database work on the server's event loop, and
    so did every GraphQL resolver: one request waiting on a lock stalled /health and every other request."""
    terminal = world.party(OrgType.TERMINAL)
    state.settings = state.settings.model_copy(update={"anchor_in_process": False, "push_in_process": False})
    answers: dict[str, httpx.Response] = {}
    with HubServer(create_app(state.settings, state)) as server:
        httpx.get(server.url + "/health", timeout=10)  # the key is used once before the lock (last-used time)
        httpx.post(server.url + "/graphql", json={"query": "{ me { role } }"}, headers=terminal.headers)
        with _database_held(state.settings.database_url):

            def ingest() -> None:
                answers["ingest"] = httpx.post(
                    server.url + "/ingest/edifact",
                    content=read(EDIFACT / "CODECO_D95B_huelva.edi"),
                    headers=terminal.headers,
                    timeout=60,
                )

            waiting = threading.Thread(target=ingest)
            waiting.start()
            time.sleep(0.5)  # the ingest is now waiting for the database
            for _ in range(5):
                started = time.monotonic()
                health = httpx.get(server.url + "/health", timeout=5)
                assert health.status_code == 200 and time.monotonic() - started < 1.0
                started = time.monotonic()
                typename = httpx.post(server.url + "/graphql", json={"query": "{ __typename }"}, timeout=5)
                assert typename.json() == {"data": {"__typename": "Query"}}
                assert time.monotonic() - started < 1.0
            assert waiting.is_alive(), "the ingest did not wait for the database: the test proves nothing"
        waiting.join(timeout=60)
    assert answers["ingest"].status_code == 200, answers["ingest"].text
    assert answers["ingest"].json()["stored"] > 0


def test_a_write_that_waits_out_sqlites_lock_is_refused_503_to_retry(
    state: HubState, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many writers in one SQLite process can wait out its busy timeout: that answered 500, as if the hub
    were broken; it is a 503 with Retry-After, and nothing of the message is stored."""
    if not state.settings.database_url.startswith("sqlite"):
        return  # PostgreSQL writers wait on row locks, not on one database lock: no such timeout
    from hub import db

    real = db._sqlite_pragmas

    def impatient(connection: Any, record: Any) -> None:
        real(connection, record)
        connection.execute("PRAGMA busy_timeout=200")

    engine = db.make_engine(state.settings.database_url)
    db.event.remove(engine, "connect", db._sqlite_pragmas)
    db.event.listen(engine, "connect", impatient)
    state.engine = engine
    terminal = world.party(OrgType.TERMINAL)
    with TestClient(create_app(state.settings, state)) as client:
        headers = terminal.headers
        assert client.post("/graphql", json={"query": "{ me { role } }"}, headers=headers).status_code == 200
        with _database_held(state.settings.database_url):
            answer = client.post(
                "/ingest/edifact", content=read(EDIFACT / "CODECO_D95B_huelva.edi"), headers=headers
            )
        assert answer.status_code == 503, answer.text
        assert answer.json()["code"] == "UNAVAILABLE" and answer.headers["retry-after"] == "1"
        events = data(gql(client, terminal.token, "{ trackingEvents { nodes { id } } }"))
        assert events["trackingEvents"]["nodes"] == []
