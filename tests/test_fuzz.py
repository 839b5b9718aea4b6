"""The standing fuzz defence of issue 26: generated requests to every endpoint never answer 5xx.

Three sources of requests, each run against the whole app (authentication, limits, readers, services,
database) on every backend:
- the GraphQL schema (``graphql/schema.graphql``): schemathesis builds queries and mutations for every root
  field with arguments of their declared types, sent by a caller drawn from the demo's organisations, a
  viewer, a regulator, an outsider and nobody;
- the official DCSA OpenAPI documents: Track & Trace 2.2 for ``/v2/events`` and the event subscriptions
  (values that fit the schema and values that do not), Track & Trace 3.0 for ``/v3/events``, and the
  Track & Trace 3.0 event schema for the
  bodies posted to ``/ingest/dcsa``;
- the hub's own OpenAPI document: every POST and PUT route gets bytes, JSON values, and real messages
  with bytes edited, under each content type it might be sent with.

Every answer must be below 500, a refusal must say what was wrong (and, for 422, where), GraphQL must
never answer ``INTERNAL_SERVER_ERROR``, and the hub must still answer ``/health`` at the end. The inputs
that once failed are fixed cases in tests/test_hostile.py and tests/test_adapter_robustness.py.

The budget is bounded for CI: ``HUB_FUZZ_EXAMPLES`` examples per operation (default 8) from a fixed seed,
so that a run is repeatable; set ``HUB_FUZZ_RANDOM=1`` for fresh examples and a larger
``HUB_FUZZ_EXAMPLES`` to search longer, e.g. ``HUB_FUZZ_EXAMPLES=200 HUB_FUZZ_RANDOM=1 scripts/test.sh
tests/test_fuzz.py``.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation.modes import GenerationMode
from schemathesis.graphql import nodes
from starlette.testclient import TestClient

from hub.auth import service as auth
from hub.auth.models import KeyRole, Organisation, OrgType
from hub.db import session_scope
from hub.state import HubState, ceb_signer
from seeds import commerce as demo
from seeds import loader
from tests.conftest import PEPPER, Party, World
from tests.fixtures import CEB, DCSA, EDIFACT, jit_payload, read

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "hub" / "specs" / "dcsa"
BUDGET = settings(
    max_examples=int(os.environ.get("HUB_FUZZ_EXAMPLES", "8")),
    derandomize=not os.environ.get("HUB_FUZZ_RANDOM"),
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# Decimal is the hub's own scalar (amounts, weights, rates): numbers as strings, and strings that are not.
schemathesis.graphql.scalar(
    "Decimal",
    (
        st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str)
        | st.sampled_from(["NaN", "-Infinity", "1e999999", "-0", "", "1,5", "0x10"])
        | st.text(max_size=8)
    ).map(nodes.String),
)
GRAPHQL = schemathesis.graphql.from_path(ROOT / "graphql" / "schema.graphql")
TNT22 = schemathesis.openapi.from_path(SPECS / "TNT_v2.2.0-resolved.yaml")
TNT30 = schemathesis.openapi.from_path(SPECS / "TNT_v3.0.0.yaml")

Failures = list[str]
SECRET = base64.b64encode(b"k" * 32).decode()


def _operations(schema: Any) -> list[Any]:
    return [result.ok() for result in schema.get_all_operations()]


def _send(client: TestClient, case: Any, token: str | None, base_url: str = "http://testserver") -> Any:
    """Send a schemathesis case through the test client, as ``token``'s holder (or nobody)."""
    kwargs = case.as_transport_kwargs(base_url=base_url)
    kwargs.pop("cookies", None)  # none are generated; the test client refuses them per request
    if isinstance(kwargs.get("data"), bytes | str):
        kwargs["content"] = kwargs.pop("data")  # raw bytes go as content to the test client
    headers = {k: v for k, v in kwargs.pop("headers", {}).items() if k.lower() != "authorization"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.request(headers=headers, **kwargs)


def _check_answer(response: Any) -> str | None:
    """What is wrong with an answer, or None: a 5xx, or a refusal that does not say what or where."""
    if response.status_code >= 500:
        return f"answered {response.status_code}: {response.text[:300]}"
    if response.status_code >= 400:
        try:
            body = response.json()
        except ValueError:
            return f"refused {response.status_code} without a JSON body: {response.text[:200]}"
        if not isinstance(body, dict) or not (body.get("code") and body.get("message")):
            return f"refused {response.status_code} without saying why: {response.text[:200]}"
        if response.status_code == 422 and "code" in body and body.get("field") is None:
            return f"refused 422 without naming the place: {response.text[:200]}"
        if response.url.path.startswith(("/v3/envelopes", "/v3/receiver-validation")):
            if not body.get("errors"):  # eBL PINT's ErrorResponse form
                return f"refused {response.status_code} on DCSA PINT without errors: {response.text[:200]}"
        elif response.url.path.startswith("/v3/") and not body.get("feedbackElements"):
            return (
                f"refused {response.status_code} on DCSA 3.0 without feedbackElements: {response.text[:200]}"
            )
    return None


def _answered_well(response: Any, request: str) -> None:
    wrong = _check_answer(response)
    assert wrong is None, f"{request}: {wrong}"


def _run(label: str, failures: Failures, test: Callable[[], None]) -> None:
    """Run one operation's Hypothesis test; keep its failure (the shrunk example) and go on to the next."""
    try:
        test()
    except AssertionError as failed:
        failures.append(f"{label}: {failed}")


def _healthy(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200, response.text


def _key(state: HubState, org: Organisation, role: KeyRole) -> str:
    with state.session() as session:
        issued = auth.issue_key(session, org, pepper=PEPPER, role=role)
        session.commit()
    return issued.token


@pytest.fixture
def demo_world(client: TestClient, state: HubState) -> dict[str, Organisation]:
    """The demo's organisations and records, so that generated queries find something."""
    with session_scope(state.engine) as session:
        orgs = loader.load(session)
        loader.commerce(session, orgs, ceb_signer(state.settings))
        for org in orgs.values():
            session.expunge(org)
    return orgs


def _graphql_probe(client: TestClient, operation: Any, callers: list[str | None]) -> Callable[[], None]:
    @BUDGET
    @given(case=operation.as_strategy(), token=st.sampled_from(callers))
    def probe(case: Any, token: str | None) -> None:
        response = _send(client, case, token, base_url="http://testserver/graphql")
        _answered_well(response, str(case.body))
        for error in response.json().get("errors") or []:
            code = (error.get("extensions") or {}).get("code")
            assert code != "INTERNAL_SERVER_ERROR", f"{case.body} -> {error}"
            assert code, f"{case.body}: an error without a code: {error}"

    return probe  # type: ignore[no-any-return]


def test_generated_graphql_operations_never_fail_inside(
    client: TestClient, state: HubState, world: World, demo_world: dict[str, Organisation]
) -> None:
    callers: list[str | None] = [_key(state, org, KeyRole.ADMIN) for org in demo_world.values()]
    forwarder = next(org for org in demo_world.values() if org.type is OrgType.FORWARDER)
    callers += [
        _key(state, forwarder, KeyRole.VIEWER),
        world.party(OrgType.REGULATOR).token,
        world.party(OrgType.SELLER, "Outsider").token,
        None,
    ]
    failures: Failures = []
    operations = _operations(GRAPHQL)
    assert len(operations) > 50, "the schema's root fields were not read"
    for operation in operations:
        _run(operation.label, failures, _graphql_probe(client, operation, callers))
    _healthy(client)
    assert not failures, "\n".join(failures)


@pytest.fixture
def resolvable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every callback host resolves to one public address, so that generated subscriptions get made (this
    machine resolves nothing outside); address literals stay themselves, so the private-range checks run."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return real(host, port, *args, flags=socket.AI_NUMERICHOST)
        except (socket.gaierror, UnicodeError, ValueError, TypeError):
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("93.184.215.14", 443))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def _known_ids(client: TestClient, terminal: Party) -> dict[str, list[str]]:
    """An event and a subscription that exist, so that generated paths sometimes name a real record."""
    stored = client.post(
        "/ingest/dcsa", content=read(DCSA / "tnt-220-response.json"), headers=terminal.headers
    )
    assert stored.status_code == 200, stored.text
    events = client.get("/v2/events", headers=terminal.headers).json()
    made = client.post(
        "/v2/event-subscriptions",
        json={"callbackUrl": "https://subscriber.example/dcsa", "secret": SECRET},
        headers=terminal.headers,
    )
    assert made.status_code in (200, 201), made.text
    return {
        "eventID": [event["eventID"] for event in events][:1],
        "subscriptionID": [made.json()["subscriptionID"]],
    }


def _dcsa_probe(
    client: TestClient,
    cases: st.SearchStrategy[Any],
    callers: list[str | None],
    known: dict[str, list[str]],
    base_url: str = "http://testserver",
) -> Callable[[], None]:
    @BUDGET
    @given(case=cases, token=st.sampled_from(callers), real=st.booleans())
    def probe(case: Any, token: str | None, real: bool) -> None:
        for name in case.path_parameters or {}:
            if real and known.get(name):
                case.path_parameters[name] = known[name][0]
        response = _send(client, case, token, base_url)
        _answered_well(response, f"{case.method} {case.formatted_path} {case.query} {case.body!r:.300}")

    return probe  # type: ignore[no-any-return]


def _callers(world: World, terminal: Party) -> list[str | None]:
    """A terminal's admin and viewer keys, a regulator, an outsider and nobody."""
    return [
        terminal.token,
        world.key(terminal, KeyRole.VIEWER),
        world.party(OrgType.REGULATOR).token,
        world.party(OrgType.FORWARDER, "Outsider").token,
        None,
    ]


def test_generated_dcsa_requests_from_the_official_openapi_never_fail_inside(
    client: TestClient, world: World, resolvable: None
) -> None:
    terminal = world.party(OrgType.TERMINAL)
    known = _known_ids(client, terminal)
    callers = _callers(world, terminal)
    failures: Failures = []
    operations = _operations(TNT22)
    assert {op.label for op in operations} >= {"GET /v2/events", "POST /v2/event-subscriptions"}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            probe = _dcsa_probe(client, operation.as_strategy(mode), callers, known)
            _run(f"{operation.label} ({mode.value})", failures, probe)
    _healthy(client)
    assert not failures, "\n".join(failures)


def test_tnt_30_events_generated_from_their_schema_are_read_or_refused(
    client: TestClient, world: World
) -> None:
    terminal = world.party(OrgType.TERMINAL)
    (publish,) = [op for op in _operations(TNT30) if op.label == "POST /events"]
    failures: Failures = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

        @BUDGET
        @given(case=publish.as_strategy(mode))
        def probe(case: Any) -> None:
            body = case.body if isinstance(case.body, bytes) else json.dumps(case.body, default=str).encode()
            response = client.post("/ingest/dcsa", content=body, headers=terminal.headers)
            _answered_well(response, f"{body[:300]!r}")

        _run(f"POST /ingest/dcsa from TNT 3.0 ({mode.value})", failures, probe)
    # And the 3.0 producer API itself, GET and POST /v3/events, as every kind of caller.
    callers = _callers(world, terminal)
    operations = _operations(TNT30)
    assert {op.label for op in operations} == {"GET /events", "POST /events"}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            probe = _dcsa_probe(client, operation.as_strategy(mode), callers, {}, "http://testserver/v3")
            _run(f"{operation.label} on /v3 ({mode.value})", failures, probe)
    _healthy(client)
    assert not failures, "\n".join(failures)


def _samples() -> dict[str, list[bytes]]:
    """Real messages for each ingest route, whose bytes the generator then edits."""
    parcels = [demo.parcel(n, prefix="F") for n in range(2)]
    return {
        "/ingest/edifact": [read(path) for path in sorted(EDIFACT.glob("*.edi"))],
        "/ingest/dcsa": [read(path) for path in sorted(DCSA.glob("tnt-*.json"))],
        "/ingest/ceb": [read(path) for path in sorted(CEB.glob("*.xml"))],
        "/ingest/orders": [json.dumps(demo.orders_json(parcels)).encode()],
        "/ingest/schedules": [read(DCSA / "ovs-300-response.json")],
        "/ingest/jit/port-call": [
            jit_payload("jit-200-port-call-request.json", PORT_CALL_ID="pc-1", IS_FYI=False)
        ],
        "/ingest/customs": [b'{"decisions": [{"reference": "BMF-1", "decision": "RELEASE"}]}'],
        "/v2/event-subscriptions": [
            b'{"callbackUrl": "https://subscriber.example/x", "secret": "c3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3Nzc3M="}'
        ],
    }


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
_pieces = st.sampled_from(
    ["'", "+", ":", "?", "<", ">", "&", '"', "{", "]", "\x00", "\xff", "\ud800", "9" * 40]
)
_content_types = st.sampled_from(
    [
        None,
        "application/json",
        "text/plain",
        "application/xml",
        "text/csv",
        "application/edifact",
        "application/json; charset=gbk",
        "multipart/form-data; boundary=x",
    ]
)


def _edited(sample: bytes, edits: list[tuple[float, int, str]]) -> bytes:
    text = sample.decode("latin-1")
    for where, cut, piece in edits:
        at = int(where * len(text))
        text = text[:at] + piece + text[at + cut :]
    return text.encode("utf-8", errors="surrogatepass")


def _bodies(samples: list[bytes]) -> st.SearchStrategy[bytes]:
    edits = st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 40), _pieces | st.text(max_size=6)), max_size=4
    )
    edited = st.builds(_edited, st.sampled_from(samples), edits) if samples else st.nothing()
    as_json = _json_values.map(lambda value: json.dumps(value).encode())
    encoded = st.builds(
        lambda text, codec: text.encode(codec, errors="replace"),
        st.text(max_size=60),
        st.sampled_from(["utf-8", "utf-16", "gbk", "latin-1"]),
    )
    return st.one_of(edited, edited, as_json, encoded, st.binary(max_size=300))


def _writes(client: TestClient) -> Iterator[tuple[str, str]]:
    """Every POST and PUT route of the hub's own OpenAPI document, with its path parameters filled in."""
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        concrete = path.replace("{kind}", "port-call").replace("{subscription_id}", str(uuid.uuid4()))
        for method in operations:
            if method in ("post", "put"):
                yield method.upper(), concrete


def _route_probe(
    client: TestClient, method: str, path: str, bodies: st.SearchStrategy[bytes], tokens: list[str | None]
) -> Callable[[], None]:
    @BUDGET
    @given(body=bodies, content_type=_content_types, token=st.sampled_from(tokens))
    def probe(body: bytes, content_type: str | None, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if content_type:
            headers["Content-Type"] = content_type
        response = client.request(method, path, content=body, headers=headers)
        _answered_well(response, f"{body[:200]!r} as {content_type}")

    return probe  # type: ignore[no-any-return]


def test_every_write_route_reads_or_refuses_whatever_it_is_sent(
    client: TestClient, world: World, resolvable: None
) -> None:
    callers = {
        "terminal": world.party(OrgType.TERMINAL),
        "seller": world.party(OrgType.SELLER, customs_code=demo.SELLER_CODE),
        "customs": world.party(OrgType.CUSTOMS, customs_code="0900"),
        "port": world.party(OrgType.PORT_OPERATOR, port_locode="CNDLC"),
    }
    tokens = [party.token for party in callers.values()] + [
        world.key(callers["terminal"], KeyRole.VIEWER),
        None,
    ]
    samples = _samples()
    routes = list(_writes(client))
    assert ("POST", "/ingest/edifact") in routes and ("POST", "/graphql") in routes
    failures: Failures = []
    for method, path in routes:
        probe = _route_probe(client, method, path, _bodies(samples.get(path, [])), tokens)
        _run(f"{method} {path}", failures, probe)
    _healthy(client)
    assert not failures, "\n".join(failures)
