"""What a new user touches in the first hour (issue 19): the shipped examples, byte-order marks, DCSA
payloads held to their schema, GraphiQL on a closed network, the public schema and the subscription
secret. Each test runs on SQLite and, where it answers, PostgreSQL."""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub.auth.models import OrgType
from seeds import commerce
from tests.conftest import World, gql
from tests.fixtures import CEB, DCSA, EDIFACT, read

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BOM = b"\xef\xbb\xbf"


def test_the_tests_and_the_hub_read_nothing_outside_the_project() -> None:
    """A clone alone passes its tests: fixtures and schemas are the project's own copies."""
    from adapters.dcsa import schema
    from tests import fixtures

    for folder in (fixtures.FIXTURES, fixtures.SPECS, fixtures.DCSA, fixtures.EDIFACT, fixtures.CEB):
        assert folder.resolve().is_relative_to(ROOT) and any(folder.iterdir()), folder
    assert fixtures.CEB_XSD.is_file() and fixtures.CEB_XSD.resolve().is_relative_to(ROOT)
    for version in schema.DOCUMENTS:
        assert schema.document(version)["openapi"].startswith("3.0")
    # No source file builds a path to a folder beside the checkout.
    outside = re.compile(r"""\.\./shared|parent\s*/\s*["']shared["']""")
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("hub", "ledger", "adapters", "seeds", "tests", "bench", "scripts", ".ci")
        for path in (ROOT / folder).rglob("*")
        if path.is_file()
        and path.suffix in {".py", ".sh", ""}
        and outside.search(path.read_text(errors="ignore"))
    ]
    assert offenders == []


def _events_22() -> list[dict[str, object]]:
    return json.loads(read(DCSA / "tnt-220-response.json"))  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("change", "place", "says"),
    [
        (lambda events: events[0].update(eventID=123456789), "$[0].eventID", "must be string"),
        (lambda events: events[1].update(eventID="incorrect"), "$[1].eventID", "must be uuid"),
        (
            lambda events: events[2].update(eventCreatedDateTime="yesterday"),
            "$[2].eventCreatedDateTime",
            "date-time",
        ),
        (lambda events: events[0].pop("eventCreatedDateTime"), "$[0].eventCreatedDateTime", "required"),
        (lambda events: events[3].update(eventID=events[0]["eventID"]), "$[3].eventID", "$[0] too"),
    ],
    ids=["number-id", "not-a-uuid", "bad-time", "missing-required", "same-id-twice"],
)
def test_a_dcsa_22_payload_that_breaks_the_official_schema_is_refused_whole(
    client: TestClient, world: World, change: object, place: str, says: str
) -> None:
    carrier = world.party(OrgType.CARRIER)
    events = _events_22()
    change(events)  # type: ignore[operator]
    answer = client.post("/ingest/dcsa", content=json.dumps(events), headers=carrier.headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == place and says in answer.json()["message"], answer.json()
    stored = gql(client, carrier.token, "{ trackingEvents(first: 50) { nodes { id } } }")
    assert stored["data"]["trackingEvents"]["nodes"] == []  # nothing of the body was kept


def test_a_dcsa_30_event_that_breaks_its_schema_is_refused_with_its_place(
    client: TestClient, world: World
) -> None:
    carrier = world.party(OrgType.CARRIER)
    body = json.loads(read(DCSA / "tnt-300-request-equipment.json"))
    body["events"][0]["eventID"] = 12345  # the reader would take it as text; the 3.0 schema says string
    answer = client.post("/ingest/dcsa", content=json.dumps(body), headers=carrier.headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "$.events[0].eventID", answer.json()
    assert "3.0 schema" in answer.json()["message"]


def test_every_shipped_dcsa_sample_passes_the_schema(client: TestClient, world: World) -> None:
    carrier = world.party(OrgType.CARRIER)
    for path in sorted(DCSA.glob("tnt-*.json")):
        answer = client.post("/ingest/dcsa", content=read(path), headers=carrier.headers)
        assert answer.status_code == 200, (path.name, answer.text)


def test_a_leading_byte_order_mark_is_accepted_on_every_text_format(client: TestClient, world: World) -> None:
    terminal = world.party(OrgType.TERMINAL)
    plain = client.post(
        "/ingest/edifact", content=read(EDIFACT / "BAPLIE_D95B_longbeach_oocl.edi"), headers=terminal.headers
    )
    assert plain.status_code == 200, plain.text
    with_bom = client.post(
        "/ingest/edifact",
        content=BOM + read(EDIFACT / "COARRI_D95B_genoa_cosco.edi"),
        headers=terminal.headers,
    )
    assert with_bom.status_code == 200, with_bom.text
    assert with_bom.json()["stored"] == 25
    dcsa = client.post(
        "/ingest/dcsa", content=BOM + read(DCSA / "tnt-220-response.json"), headers=terminal.headers
    )
    assert dcsa.status_code == 200 and dcsa.json()["stored"] == 7, dcsa.text
    assert read(CEB / "CEB311Message.xml").startswith(BOM)  # XML: the official sample itself carries one
    seller = world.party(OrgType.SELLER, customs_code=commerce.SELLER_CODE)
    csv = "orderNo,ebpCode,ebcCode\n"  # a header alone: nothing to store, but read past the mark
    answer = client.post(
        "/ingest/orders", content=BOM + csv.encode(), headers={**seller.headers, "Content-Type": "text/csv"}
    )
    assert answer.status_code in (200, 422), answer.text
    assert "\ufeff" not in answer.text  # the mark is never taken for part of the first column's name


def test_a_byte_order_mark_inside_an_interchange_is_not_taken_for_one(
    client: TestClient, world: World
) -> None:
    terminal = world.party(OrgType.TERMINAL)
    text = read(EDIFACT / "CODECO_D95B_huelva.edi")
    cut = text.index(b"'") + 1
    answer = client.post("/ingest/edifact", content=text[:cut] + BOM + text[cut:], headers=terminal.headers)
    assert answer.status_code == 422, answer.text


def test_the_shipped_examples_are_accepted_as_they_are_by_the_demo_organisations(
    client: TestClient, world: World
) -> None:
    seller = world.party(OrgType.SELLER, "Hanul Electronics Export", customs_code=commerce.SELLER_CODE)
    world.party(OrgType.PLATFORM, "Liaoning Cross-Border Mall", customs_code=commerce.PLATFORM_CODE)
    bank = world.party(OrgType.BANK, "Bank of Dalian Trade Finance", customs_code=commerce.PAYMENT_CODE)
    forwarder = world.party(
        OrgType.FORWARDER, "Bohai Multimodal Forwarding", customs_code=commerce.LOGISTICS_CODE
    )
    port = world.party(OrgType.PORT_OPERATOR, "Port of Dalian Operations", port_locode="CNDLC")
    xml = {**seller.headers, "Content-Type": "application/xml"}
    for party, name in (
        (seller, "CEB311-orders.xml"),
        (bank, "CEB411-payments.xml"),
        (forwarder, "CEB511-waybills.xml"),
    ):
        answer = client.post(
            "/ingest/ceb", content=(EXAMPLES / "ceb" / name).read_bytes(), headers={**xml, **party.headers}
        )
        assert answer.status_code == 200, (name, answer.text)
        assert answer.json()["stored"] == 2
    assert answer.json()["match"] == {"MATCHED": 2}
    for kind in ("port-call", "terminal-call", "port-call-service", "vessel-status"):
        answer = client.post(
            f"/ingest/jit/{kind}",
            content=(EXAMPLES / "jit" / f"{kind}.json").read_bytes(),
            headers=port.headers,
        )
        assert answer.status_code == 200, (kind, answer.text)
        assert "PLACEHOLDER" not in (EXAMPLES / "jit" / f"{kind}.json").read_text()


def test_the_examples_are_what_the_generator_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_examples", ROOT / "scripts" / "make_examples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "OUT", tmp_path)
    module.main()
    made = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert made == sorted(p.relative_to(EXAMPLES) for p in EXAMPLES.rglob("*") if p.is_file())
    for name in made:
        assert (tmp_path / name).read_bytes() == (EXAMPLES / name).read_bytes(), name


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def test_graphiql_loads_everything_from_the_hub_itself(client: TestClient) -> None:
    page = client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "GraphiQL" in page.text
    assert not re.search(r"https?://", page.text), "the page names an outside host"
    links = _Links()
    links.feed(page.text)
    assert len(links.urls) == 4
    for url in links.urls:
        assert url.startswith("/"), url
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 1000, url
    assert "shouldPersistHeaders: false" in page.text  # a key typed in stays out of the browser's storage
    assert client.get("/graphiql-assets/../../settings.py").status_code == 404


def test_the_schema_is_public_and_everything_else_needs_a_key(client: TestClient) -> None:
    schema = gql(client, None, "{ __schema { queryType { name } } }")
    assert schema["data"]["__schema"]["queryType"]["name"] == "Query"
    refused = gql(client, None, "{ me { role } }")
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_subscription_secret_is_base64_of_32_bytes_and_the_refusal_says_how_to_make_one(
    client: TestClient, world: World
) -> None:
    forwarder = world.party(OrgType.FORWARDER)
    body = {"callbackUrl": "http://127.0.0.1:9/dcsa/events"}  # the tests allow loopback callbacks
    for secret in ("not base64!", base64.b64encode(b"short").decode()):
        answer = client.post(
            "/v2/event-subscriptions", json={**body, "secret": secret}, headers=forwarder.headers
        )
        assert answer.status_code == 422 and answer.json()["field"] == "secret", answer.text
        assert "openssl rand -base64 32" in answer.json()["message"]
    # What the README shows: 32 random bytes, base64 (openssl rand -base64 32).
    good = base64.b64encode(bytes(range(32))).decode()
    answer = client.post("/v2/event-subscriptions", json={**body, "secret": good}, headers=forwarder.headers)
    # Accepted, or refused for the loopback callback alone (outside the push tests the hub refuses those).
    assert answer.status_code == 201 or answer.json()["field"] == "callbackUrl", answer.text


def test_setup_shows_what_it_does_and_leaves_out_pip_s_warnings() -> None:
    """A machine's pip configuration may name package folders that are not there; with -q pip still warned
    once per package (about 140 lines on a clean machine). Setup installs with -qq (errors only) and says
    in one line what it is doing."""
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    installs = [
        line for line in setup.splitlines() if "pip install" in line and not line.lstrip().startswith("#")
    ]
    assert installs and all(" -qq " in line for line in installs), installs
    assert "setup: installing the hub's Python packages" in setup
