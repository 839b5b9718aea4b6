"""DCSA event subscriptions: signed pushes to a real callback receiver on loopback, retries, dead letters,
and nothing lost or sent twice across a hub restart."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from hub.app import create_app
from hub.auth.models import OrgType
from hub.state import HubState
from tests.conftest import Party, World
from tests.dcsa_spec import errors, events_response_validator
from tests.fixtures import DCSA, EDIFACT, read
from tests.servers import free_port

SECRET = base64.b64encode(b"k" * 40).decode()


class Receiver:
    """A subscriber's callback endpoint: records what arrives, can be told to fail."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[dict[str, Any]] = []
        self.fail_next = 0
        self.lock = threading.Lock()
        app = Starlette(routes=[Route("/callback", self.callback, methods=["POST"])])
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None, lifespan="off")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    async def callback(self, request: Request) -> Response:
        body = await request.body()
        with self.lock:
            if self.fail_next > 0:
                self.fail_next -= 1
                return Response(status_code=503)
            self.received.append({"body": body, "headers": dict(request.headers), "path": str(request.url)})
        return Response(status_code=204)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/callback"

    def events(self) -> list[dict[str, Any]]:
        import json

        with self.lock:
            return [e for r in self.received for e in json.loads(r["body"])]

    def __enter__(self) -> Receiver:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def _app(state: HubState, **settings: Any) -> TestClient:
    state.settings = state.settings.model_copy(
        update={
            "callback_allow_private_networks": True,
            "push_backoff_seconds": 0.05,
            "anchor_in_process": False,
            **settings,
        }
    )
    return TestClient(create_app(state.settings, state))


def _subscribe(client: TestClient, party: Party, url: str, **filters: Any) -> str:
    answer = client.post(
        "/v2/event-subscriptions",
        json={"callbackUrl": url, "secret": SECRET, **filters},
        headers=party.headers,
    )
    assert answer.status_code == 201, answer.text
    assert "secret" not in answer.json()
    return answer.json()["subscriptionID"]  # type: ignore[no-any-return]


def _wait(condition: Any, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_matching_events_are_pushed_signed_and_valid(
    state: HubState, world: World, receiver: Receiver
) -> None:
    terminal = world.party(OrgType.TERMINAL)
    with _app(state) as client:
        sub = _subscribe(
            client, terminal, receiver.url, equipmentEventTypeCode=["LOAD"], eventType=["EQUIPMENT"]
        )
        client.post(
            "/ingest/edifact", content=read(EDIFACT / "COARRI_D95B_genoa_cosco.edi"), headers=terminal.headers
        )
        _wait(lambda: len(receiver.events()) == 19)
    events = receiver.events()
    assert {e["equipmentEventTypeCode"] for e in events} == {"LOAD"} and len(
        {e["eventID"] for e in events}
    ) == 19
    assert errors(events_response_validator(), events) == []
    for request in receiver.received:
        expected = "sha256=" + hmac.new(base64.b64decode(SECRET), request["body"], hashlib.sha256).hexdigest()
        assert request["headers"]["notification-signature"] == expected
        assert request["headers"]["subscription-id"] == sub and request["headers"]["api-version"] == "2.2.0"


def test_failures_are_retried_and_then_kept_as_dead_letters(
    state: HubState, world: World, receiver: Receiver
) -> None:
    from sqlmodel import Session, select

    from hub.tracking.push import EventDelivery

    terminal = world.party(OrgType.TERMINAL)
    receiver.fail_next = 2  # the subscriber is down for two attempts
    with _app(state, push_max_attempts=3) as client:
        _subscribe(client, terminal, receiver.url, equipmentReference="TESI1120274")
        client.post(
            "/ingest/edifact", content=read(EDIFACT / "CODECO_D95B_huelva.edi"), headers=terminal.headers
        )
        _wait(lambda: len(receiver.events()) == 1)
        dead_url = f"http://127.0.0.1:{free_port()}/nobody-listens"
        _subscribe(client, terminal, dead_url, equipmentReference="FCIU9908030")
        client.post(
            "/ingest/edifact", content=read(EDIFACT / "COARRI_D95B_genoa_cosco.edi"), headers=terminal.headers
        )

        def dead() -> bool:
            with Session(state.engine) as session:
                return [
                    d.state
                    for d in session.exec(select(EventDelivery).where(EventDelivery.state != "DELIVERED"))
                ] == ["DEAD"]

        _wait(dead)
    with Session(state.engine) as session:
        rows = list(session.exec(select(EventDelivery)))
    delivered = [d for d in rows if d.state == "DELIVERED"]
    assert len(delivered) == 1 and delivered[0].attempts == 2  # two failures, then through
    [letter] = [d for d in rows if d.state == "DEAD"]
    assert letter.attempts == 3 and "ConnectError" in (letter.last_error or "")
    assert len(receiver.events()) == 1


def test_nothing_is_lost_or_sent_twice_across_a_restart(
    state: HubState, world: World, receiver: Receiver
) -> None:
    terminal = world.party(OrgType.TERMINAL)
    with _app(state, push_in_process=False) as client:  # the hub stores and owes, but does not send yet
        _subscribe(client, terminal, receiver.url)
        client.post(
            "/ingest/edifact", content=read(EDIFACT / "COARRI_D95B_genoa_cosco.edi"), headers=terminal.headers
        )
    assert receiver.events() == []
    with _app(state, push_in_process=True) as client:  # restarted: it delivers what it owed
        _wait(lambda: len(receiver.events()) == 25)
        client.post(
            "/ingest/edifact", content=read(EDIFACT / "CODECO_D95B_huelva.edi"), headers=terminal.headers
        )
        _wait(lambda: len(receiver.events()) == 26)
    with _app(state, push_in_process=True):  # and once more: nothing is sent again
        time.sleep(0.5)
    ids = [e["eventID"] for e in receiver.events()]
    assert len(ids) == 26 == len(set(ids))


def test_subscriptions_are_private_and_callbacks_into_the_network_refused(
    state: HubState, world: World
) -> None:
    terminal, other = world.party(OrgType.TERMINAL), world.party(OrgType.CARRIER)
    state.settings = state.settings.model_copy(update={"anchor_in_process": False, "push_in_process": False})
    with TestClient(create_app(state.settings, state)) as client:
        refused = client.post(
            "/v2/event-subscriptions",
            json={"callbackUrl": "http://127.0.0.1:9/x", "secret": SECRET},
            headers=terminal.headers,
        )
        assert refused.status_code == 422 and refused.json()["field"] == "callbackUrl"
        weak = client.post(
            "/v2/event-subscriptions",
            json={"callbackUrl": "https://example.com/x", "secret": "c2hvcnQ="},
            headers=terminal.headers,
        )
        assert weak.status_code == 422 and weak.json()["field"] == "secret"
        for url in ("https://[::1/x", "https://example.com:99999/x", f"https://{'a' * 70}.example/x"):
            broken = client.post(
                "/v2/event-subscriptions",
                json={"callbackUrl": url, "secret": SECRET},
                headers=terminal.headers,
            )
            assert broken.status_code == 422 and broken.json()["field"] == "callbackUrl", url
    with _app(state) as client:
        sub = _subscribe(client, terminal, "http://127.0.0.1:9/cb")
        assert client.get(f"/v2/event-subscriptions/{sub}", headers=other.headers).status_code == 404
        assert client.get("/v2/event-subscriptions", headers=other.headers).json() == []
        assert (
            client.put(
                f"/v2/event-subscriptions/{sub}/secret", json={"secret": SECRET}, headers=terminal.headers
            ).status_code
            == 204
        )
        assert client.delete(f"/v2/event-subscriptions/{sub}", headers=terminal.headers).status_code == 204
        assert client.get(f"/v2/event-subscriptions/{sub}", headers=terminal.headers).status_code == 404


def test_a_30_subscriber_is_sent_post_events_requests_with_what_22_cannot_carry(
    state: HubState, world: World, receiver: Receiver
) -> None:
    from tests.dcsa_spec import post_events_v3_validator

    carrier = world.party(OrgType.CARRIER)
    with _app(state) as client:
        refused = client.post(
            "/v2/event-subscriptions",
            json={"callbackUrl": receiver.url, "secret": SECRET, "apiVersion": "4.0.0"},
            headers=carrier.headers,
        )
        assert refused.status_code == 422 and refused.json()["field"] == "apiVersion"
        v3 = client.post(
            "/v2/event-subscriptions",
            json={"callbackUrl": receiver.url + "?v=3", "secret": SECRET, "apiVersion": "3.0.0"},
            headers=carrier.headers,
        )
        assert v3.status_code == 201 and v3.json()["apiVersion"] == "3.0.0"
        _subscribe(client, carrier, receiver.url + "?v=2")
        sent = client.post(
            "/ingest/dcsa", content=read(DCSA / "tnt-300-request-iot.json"), headers=carrier.headers
        )
        assert sent.status_code == 200 and sent.json()["stored"] >= 1

        def bodies(version: str) -> list[Any]:
            import json

            with receiver.lock:
                return [
                    json.loads(r["body"]) for r in receiver.received if r["path"].endswith(f"v={version}")
                ]

        _wait(lambda: len([e for b in bodies("3") for e in b["events"]]) == sent.json()["stored"])
    for request in [r for r in receiver.received if r["path"].endswith("v=3")]:
        assert request["headers"]["api-version"] == "3.0.0"
        expected = "sha256=" + hmac.new(base64.b64decode(SECRET), request["body"], hashlib.sha256).hexdigest()
        assert request["headers"]["notification-signature"] == expected
    for body in bodies("3"):
        assert errors(post_events_v3_validator(), body) == []
        assert {e["eventClassification"]["eventTypeCode"] for e in body["events"]} == {"IOT"}
    # IoT events have no 2.2 form: the 2.2 subscriber is sent none of them.
    assert bodies("2") == []
