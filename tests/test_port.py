"""Customs and port status: a declaration built from the journey's bill, through an inspection hold and a
release that reach tracking; the DCSA schedule and JIT port-call fixtures; the port-operator queries on
the demo port (Dalian); and who sees what."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from starlette.testclient import TestClient

from hub.auth.models import OrgType
from seeds import journey, yard
from tests.conftest import JOURNEY_CAST, Party, World, data, gql
from tests.fixtures import DCSA, jit_payload, read

DECLARATION = """fragment D on Declaration { id reference state customsCode traderName traderUscc billNumber vesselName
  voyage unLocationCode containers items { hsCode description quantity unit value currency originCountry }
  sources { field source } missing reasons version }"""
CREATE = (
    DECLARATION
    + """ mutation($i: DeclarationDraftInput!) { createDeclaration(input: $i) {
  declaration { ...D } errors { code field message } } }"""
)
AMEND = (
    DECLARATION
    + """ mutation($id: ID!, $i: DeclarationPatchInput!) { amendDeclaration(id: $id, input: $i) {
  declaration { ...D } errors { code field message } } }"""
)
SUBMIT = (
    DECLARATION
    + """ mutation($id: ID!) { submitDeclaration(id: $id) { declaration { ...D } errors { code field message } } }"""
)
READ = DECLARATION + """ query($id: ID!) { declaration(id: $id) { ...D } }"""
HOLDS = """query($p: String) { containersOnHold(port: $p) { nodes { containerNumber reason kind declarationReference
  placedAt releasedAt ageHours } } }"""
YARD = """query { yard { nodes { containerNumber facilityCode dwellHours lastTypeCode } }
  undeclaredContainers { nodes { containerNumber } }
  dwellStatistics { containers averageHours maxHours byFacility { facilityCode containers } } }"""
CALLS = """query($s: DateTime!, $e: DateTime!, $p: String) { vesselCalls(start: $s, end: $e, port: $p) { nodes {
  id vesselImo vesselName portVisitReference eta ata etd terminalCode berth
  moves { discharge { containerNumber classifier } load { containerNumber } } } } }"""
EVENTS = (
    """query($n: String!) { container(number: $n) { events(first: 50) { nodes { typeCode classifier } } } }"""
)
ON_BOX = (
    """query($n: String!) { container(number: $n) { holds { kind reason declarationReference ageHours } } }"""
)
DALIAN_CUSTOMS = "0900"
TRADER_USCC = "91210200MA0Y8K3Q14"


class Port:
    def __init__(self, client: TestClient, world: World) -> None:
        self.client = client
        self.parties: dict[str, Party] = {
            name: world.party(kind, name) for name, kind in JOURNEY_CAST.items()
        }
        self.forwarder = self.parties["Bohai Multimodal Forwarding"]
        self.operator = world.party(OrgType.PORT_OPERATOR, "Port of Dalian Operations", port_locode="CNDLC")
        self.other_port = world.party(OrgType.PORT_OPERATOR, "Port of Yingkou", port_locode="CNYIK")
        self.customs = world.party(OrgType.CUSTOMS, "Dalian Customs", customs_code=DALIAN_CUSTOMS)
        self.other_customs = world.party(OrgType.CUSTOMS, "Shanghai Customs", customs_code="2200")
        self.regulator = world.party(OrgType.REGULATOR, "Audit")

    def send(self, step: journey.Step) -> None:
        answer = self.client.post(
            f"/ingest/{step.kind}", content=step.body, headers=self.parties[step.sender].headers
        )
        assert answer.status_code == 200, (step.what, answer.text)

    def q(self, party: Party, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return data(gql(self.client, party.token, query, variables))


@pytest.fixture
def port(client: TestClient, world: World) -> Port:
    """The journey up to the discharge at Dalian: the bill issued, the schedule known, both boxes in the yard."""
    p = Port(client, world)
    ids = {name: str(party.id) for name, party in p.parties.items()}
    made = p.q(
        p.forwarder,
        "mutation($i: BillInput!) { createBill(input: $i) { bill { id } errors { message } } }",
        {"i": journey.bill_input(ids)},
    )["createBill"]
    p.q(
        p.forwarder,
        "mutation($id: ID!) { issueBill(id: $id) { errors { message } } }",
        {"id": made["bill"]["id"]},
    )
    for step in (journey.schedule(), journey.sea_loading(), journey.dalian_discharge()):
        p.send(step)
    return p


def _declare(p: Port) -> dict[str, Any]:
    made = p.q(
        p.forwarder,
        CREATE,
        {"i": {"reference": "BMF-IMP-0001", "direction": "IMPORT", "billNumber": journey.BILL_NUMBER}},
    )["createDeclaration"]
    assert made["errors"] == []
    return made["declaration"]  # type: ignore[no-any-return]


def test_a_declaration_is_built_from_the_bill_and_asks_only_for_what_is_missing(port: Port) -> None:
    d = _declare(port)
    assert d["state"] == "DRAFT" and d["billNumber"] == journey.BILL_NUMBER
    assert (
        d["vesselName"] == journey.VESSEL and d["voyage"] == journey.VOYAGE and d["unLocationCode"] == "CNDLC"
    )
    assert d["containers"] == list(journey.CONTAINERS)
    assert [i["hsCode"] for i in d["items"]] == ["852852", "852852"] and d["items"][0]["value"] == "93000.00"
    sources = {s["field"]: s["source"] for s in d["sources"]}
    assert sources["items[0].hsCode"] == f"bill {journey.BILL_NUMBER} cargo line 1"
    assert sources["vesselName"] == f"bill {journey.BILL_NUMBER} leg 1"
    # The consignee is "TO ORDER": the importer, its code, the district and the origins are asked for.
    assert d["missing"] == [
        "customsCode",
        "traderName",
        "traderUscc",
        "items[0].originCountry",
        "items[1].originCountry",
    ]
    refused = port.q(port.forwarder, SUBMIT, {"id": d["id"]})["submitDeclaration"]
    assert refused["errors"][0]["code"] == "INVALID" and "customsCode" in refused["errors"][0]["message"]
    bad = port.q(port.forwarder, AMEND, {"id": d["id"], "i": {"traderUscc": "91210200MA0Y8K3Q15"}})[
        "amendDeclaration"
    ]
    assert bad["errors"][0]["field"] == "traderUscc"
    done = port.q(
        port.forwarder,
        AMEND,
        {
            "id": d["id"],
            "i": {
                "customsCode": DALIAN_CUSTOMS,
                "traderName": "Liaoning Cross-Border Mall",
                "traderUscc": TRADER_USCC,
                "items": [{"originCountry": "KR"}, {"originCountry": "kr"}],
            },
        },
    )["amendDeclaration"]["declaration"]
    assert (
        done["missing"] == []
        and {s["field"]: s["source"] for s in done["sources"]}["items[1].originCountry"] == "entered"
    )
    submitted = port.q(port.forwarder, SUBMIT, {"id": d["id"]})["submitDeclaration"]["declaration"]
    assert submitted["state"] == "SUBMITTED" and submitted["version"] == 3


def _submitted(p: Port) -> dict[str, Any]:
    d = _declare(p)
    p.q(
        p.forwarder,
        AMEND,
        {
            "id": d["id"],
            "i": {
                "customsCode": DALIAN_CUSTOMS,
                "traderName": "Importer",
                "traderUscc": TRADER_USCC,
                "items": [{"originCountry": "KR"}, {"originCountry": "KR"}],
            },
        },
    )
    return p.q(p.forwarder, SUBMIT, {"id": d["id"]})["submitDeclaration"]["declaration"]  # type: ignore[no-any-return]


CUSRES = (
    "UNB+UNOC:3+CNCUSTOMS0900+HUB+261112:1600+CUS1'UNH+1+CUSRES:D:96B:UN'BGM+962+R0900-26-1+9'"
    "DTM+137:202611121600:203'GIS+5'RFF+ABT:090020261112000001'RFF+ACW:BMF-IMP-0001'"
    "FTX+AAO+++X-ray anomaly in cargo description'UNT+8+1'UNZ+1+CUS1'"
)


def test_an_inspection_hold_and_a_release_reach_tracking(port: Port) -> None:
    d = _submitted(port)
    assert port.q(port.other_customs, "{ declarations { nodes { id } } }")["declarations"]["nodes"] == []
    seen = port.q(port.customs, READ, {"id": d["id"]})["declaration"]
    assert seen["state"] == "SUBMITTED" and seen["items"][0]["value"] == "93000.00"

    held = port.client.post("/ingest/customs", content=CUSRES.encode(), headers=port.customs.headers)
    assert held.status_code == 200, held.text
    assert held.json()["holdsPlaced"] == 2 and held.json()["events"] == 2
    assert port.q(port.forwarder, READ, {"id": d["id"]})["declaration"]["state"] == "INSPECTION"
    holds = port.q(port.operator, HOLDS, {"p": "CNDLC"})["containersOnHold"]["nodes"]
    assert sorted(h["containerNumber"] for h in holds) == sorted(journey.CONTAINERS)
    assert holds[0]["reason"] == "X-ray anomaly in cargo description" and holds[0]["kind"] == "INSPECT"
    assert holds[0]["declarationReference"] == "BMF-IMP-0001" and holds[0]["ageHours"] > 0
    # On the container itself: the declarant reads why; the terminal that handles the box, only that it is held.
    mine = port.q(port.forwarder, ON_BOX, {"n": journey.CONTAINERS[0]})["container"]["holds"]
    assert [(h["kind"], h["reason"], h["declarationReference"]) for h in mine] == [
        ("INSPECT", "X-ray anomaly in cargo description", "BMF-IMP-0001")
    ]
    terminal = port.parties["Dalian Container Terminal"]
    told = port.q(terminal, ON_BOX, {"n": journey.CONTAINERS[0]})["container"]["holds"]
    assert [(h["kind"], h["reason"], h["declarationReference"]) for h in told] == [("INSPECT", None, None)]
    codes = [
        e["typeCode"]
        for e in port.q(port.forwarder, EVENTS, {"n": journey.CONTAINERS[0]})["container"]["events"]["nodes"]
    ]
    assert "CUSI" in codes

    release = {
        "decisions": [
            {"reference": "BMF-IMP-0001", "decision": "RELEASE", "decidedAt": "2026-11-13T06:00:00Z"}
        ]
    }
    answer = port.client.post(
        "/ingest/customs",
        content=json.dumps(release).encode(),
        headers={**port.customs.headers, "Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["holdsReleased"] == 2
    assert port.q(port.operator, HOLDS, {"p": "CNDLC"})["containersOnHold"]["nodes"] == []
    assert port.q(port.forwarder, ON_BOX, {"n": journey.CONTAINERS[0]})["container"]["holds"] == []
    final = port.q(port.forwarder, READ, {"id": d["id"]})["declaration"]
    assert final["state"] == "RELEASED"
    events = port.q(port.forwarder, EVENTS, {"n": journey.CONTAINERS[0]})["container"]["events"]["nodes"]
    assert [e["typeCode"] for e in events][-3:] == ["CUSI", "INSP", "CUSR"]
    again = port.client.post(
        "/ingest/customs",
        content=json.dumps(release).encode(),
        headers={**port.customs.headers, "Content-Type": "application/json"},
    )
    assert again.status_code == 409


def test_customs_decides_only_for_its_district_and_a_rejection_needs_reasons(port: Port) -> None:
    d = _submitted(port)
    decide = """mutation($i: DecisionInput!) { decideDeclaration(input: $i) { declaration { state reasons } errors { code message } } }"""
    other = port.q(port.other_customs, decide, {"i": {"declarationId": d["id"], "decision": "ACCEPT"}})[
        "decideDeclaration"
    ]
    assert other["errors"][0]["code"] == "NOT_FOUND"
    trader = port.q(port.forwarder, decide, {"i": {"declarationId": d["id"], "decision": "RELEASE"}})[
        "decideDeclaration"
    ]
    assert trader["errors"][0]["code"] == "FORBIDDEN"
    bare = port.q(port.customs, decide, {"i": {"declarationId": d["id"], "decision": "REJECT"}})[
        "decideDeclaration"
    ]
    assert bare["errors"][0]["code"] == "INVALID"
    rejected = port.q(
        port.customs,
        decide,
        {
            "i": {
                "declarationId": d["id"],
                "decision": "REJECT",
                "reasons": ["HS 852852 needs the model numbers"],
            }
        },
    )["decideDeclaration"]
    assert rejected["declaration"] == {"state": "REJECTED", "reasons": ["HS 852852 needs the model numbers"]}
    amended = port.q(
        port.forwarder,
        AMEND,
        {"id": d["id"], "i": {"items": [{"description": "LED monitors, 27 inch, model K27"}]}},
    )
    assert amended["amendDeclaration"]["declaration"]["state"] == "DRAFT"


def test_the_port_operator_sees_its_yard_and_calls_but_not_commercial_values(port: Port) -> None:
    yard = port.q(port.operator, YARD)
    assert sorted(c["containerNumber"] for c in yard["yard"]["nodes"]) == sorted(journey.CONTAINERS)
    assert {c["lastTypeCode"] for c in yard["yard"]["nodes"]} == {"DISC"}
    assert sorted(c["containerNumber"] for c in yard["undeclaredContainers"]["nodes"]) == sorted(
        journey.CONTAINERS
    )
    assert (
        yard["dwellStatistics"]["containers"] == 2
        and yard["dwellStatistics"]["byFacility"][0]["facilityCode"] == "DCT"
    )
    window = {"s": "2026-11-11T00:00:00Z", "e": "2026-11-14T00:00:00Z", "p": "CNDLC"}
    (call,) = port.q(port.operator, CALLS, window)["vesselCalls"]["nodes"]
    assert call["vesselImo"] == journey.IMO and call["vesselName"] == journey.VESSEL
    assert call["ata"].startswith("2026-11-12T10:00") and call["eta"].startswith("2026-11-12T08:00")
    assert sorted(m["containerNumber"] for m in call["moves"]["discharge"]) == sorted(journey.CONTAINERS)
    assert {m["classifier"] for m in call["moves"]["discharge"]} == {"ACT"} and call["moves"]["load"] == []
    assert port.q(port.operator, CALLS, {**window, "s": "2026-11-13T00:00:00Z"})["vesselCalls"]["nodes"] == []
    # A declaration covers the boxes: no longer undeclared; its values stay hidden from the port operator.
    d = _submitted(port)
    assert port.q(port.operator, YARD)["undeclaredContainers"]["nodes"] == []
    hidden = gql(port.client, port.operator.token, READ, {"id": d["id"]})
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # Gated out onto the train: out of the yard.
    port.send(journey.dalian_gate_out_rail())
    assert port.q(port.operator, YARD)["yard"]["nodes"] == []
    # Another port's operator sees its own port only; sellers see no port status.
    assert port.q(port.other_port, YARD)["yard"]["nodes"] == []
    refused = gql(port.client, port.other_port.token, HOLDS, {"p": "CNDLC"})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    seller = gql(port.client, port.parties["Hanul Electronics Export"].token, YARD)
    assert seller["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_the_dwell_histogram_counts_each_box_in_its_band(client: TestClient, world: World) -> None:
    """The demo's yard (gated in 2 h to 17 days ago): each band holds the boxes whose dwell falls in it, and
    the bands add up to the yard."""
    from datetime import UTC, datetime

    terminal = world.party(OrgType.TERMINAL, "Dalian Container Terminal", port_locode="CNDLC")
    operator = world.party(OrgType.PORT_OPERATOR, "Port of Dalian Operations", port_locode="CNDLC")
    sent = client.post(
        "/ingest/edifact",
        content=yard.gate_ins(datetime.now(UTC)),
        headers={"Authorization": f"Bearer {terminal.token}", "Content-Type": "application/edifact"},
    )
    assert sent.status_code == 200 and sent.json()["stored"] == len(yard.yard_containers()), sent.text
    query = (
        "{ dwellStatistics { containers p50Hours over7Days distribution { fromHours toHours containers } } }"
    )
    stats = data(gql(client, operator.token, query))["dwellStatistics"]
    bands = [(b["fromHours"], b["toHours"], b["containers"]) for b in stats["distribution"]]
    assert bands == [
        (0, 24, 5),
        (24, 48, 4),
        (48, 72, 3),
        (72, 120, 3),
        (120, 168, 2),
        (168, 336, 2),
        (336, None, 1),
    ]
    assert sum(n for _, _, n in bands) == stats["containers"] == 20
    assert stats["over7Days"] == 3 and 46 <= stats["p50Hours"] < 53  # the 10th and 11th boxes: 46 h and 52 h


def test_the_dcsa_schedule_and_jit_port_call_fixtures_ingest(client: TestClient, world: World) -> None:
    carrier = world.party(OrgType.CARRIER, "Hapag Test")
    amsterdam = world.party(OrgType.PORT_OPERATOR, "Port of Amsterdam", port_locode="NLAMS")
    answer = client.post(
        "/ingest/schedules", content=read(DCSA / "ovs-300-response.json"), headers=carrier.headers
    )
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["calls"]) >= 5
    # One vessel of the conformance sample fails its IMO check digit: kept and flagged, not dropped.
    assert any("IMO 9456789 fails its check digit" in f for f in answer.json()["flagged"])
    calls = data(
        gql(client, amsterdam.token, CALLS, {"s": "2024-01-01T00:00:00Z", "e": "2024-12-31T00:00:00Z"})
    )
    assert calls["vesselCalls"]["nodes"] and calls["vesselCalls"]["nodes"][0]["vesselImo"] == "9321483"

    port_call_id, terminal_call_id, service_id = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    headers = amsterdam.headers
    steps = [
        ("port-call", jit_payload("jit-200-port-call-request.json", PORT_CALL_ID=port_call_id, IS_FYI=False)),
        (
            "terminal-call",
            jit_payload(
                "jit-200-terminal-call-request.json",
                PORT_CALL_ID=port_call_id,
                TERMINAL_CALL_ID=terminal_call_id,
                IS_FYI=False,
            ),
        ),
        (
            "port-call-service",
            jit_payload(
                "jit-200-port-call-service-request.json",
                TERMINAL_CALL_ID=terminal_call_id,
                PORT_CALL_SERVICE_ID=service_id,
                PORT_CALL_SERVICE_TYPE_CODE="BERTH",
                PORT_CALL_SERVICE_EVENT_TYPE_CODE="ARRI",
                PORT_CALL_PHASE_TYPE_CODE="INBD",
                IS_FYI=False,
            ),
        ),
        (
            "vessel-status",
            jit_payload("jit-200-vessel-status-request.json", PORT_CALL_SERVICE_ID=service_id, IS_FYI=False),
        ),
    ]
    ids = set()
    for kind, body in steps:
        answer = client.post(f"/ingest/jit/{kind}", content=body, headers=headers)
        assert answer.status_code == 200, (kind, answer.text)
        ids.add(answer.json()["portCall"])
    assert len(ids) == 1
    call = data(
        gql(
            client,
            amsterdam.token,
            "query($id: ID!) { portCall(id: $id) { vesselImo carrierServiceCode "
            "importVoyage terminalCode berth details } }",
            {"id": ids.pop()},
        )
    )["portCall"]
    assert call["carrierServiceCode"] == "FE1" and call["importVoyage"] == "2103N"
    assert call["terminalCode"] == "CMPDK" and call["berth"] == "CMP Container Terminal Copenhagen"
    assert call["details"]["vesselStatus"]["draft"] == 12.5
    assert call["details"]["services"][service_id]["moves"][1]["loadUnits"]["oogUnits"] == 2
    # The placeholders left in: not JSON, refused with the reason; a bad IMO is named by its path.
    raw = client.post(
        "/ingest/jit/port-call", content=read(DCSA / "jit-200-port-call-request.json"), headers=headers
    )
    assert raw.status_code == 422 and "not JSON" in raw.text
    wrong = jit_payload("jit-200-port-call-request.json", PORT_CALL_ID="x", IS_FYI=True).replace(
        b"9321483", b"93214"
    )
    bad = client.post("/ingest/jit/port-call", content=wrong, headers=headers)
    assert bad.status_code == 422 and "$.vessel.vesselIMONumber" in bad.text


async def test_port_operators_follow_holds_and_call_changes(
    settings: Any, embedded_chain: Any, world: World
) -> None:
    import asyncio

    import httpx

    from hub.bus import InProcessBus
    from tests.test_subscriptions import _hub, _next, _open

    with _hub(settings, InProcessBus(), embedded_chain) as hub:
        client = httpx.Client(base_url=hub.url, timeout=30)
        port = Port(client, world)  # type: ignore[arg-type]  # httpx.Client speaks as TestClient does
        ids = {name: str(party.id) for name, party in port.parties.items()}

        def setup() -> dict[str, Any]:
            while client.get("/ready").json()["checks"]["chain"] != "ok":
                pass
            made = port.q(
                port.forwarder,
                "mutation($i: BillInput!) { createBill(input: $i) { bill { id } } }",
                {"i": journey.bill_input(ids)},
            )["createBill"]
            port.q(
                port.forwarder,
                "mutation($id: ID!) { issueBill(id: $id) { errors { message } } }",
                {"id": made["bill"]["id"]},
            )
            for step in (journey.schedule(), journey.sea_loading(), journey.dalian_discharge()):
                port.send(step)
            return _submitted(port)

        declaration = await asyncio.to_thread(setup)
        holds = await _open(
            hub.ws_url,
            port.operator.token,
            "subscription { containerHolds { containerNumber reason releasedAt } }",
            {},
        )
        calls = await _open(
            hub.ws_url,
            port.operator.token,
            "subscription { portCallChanged { portVisitReference ata atd } }",
            {},
        )
        elsewhere = await _open(
            hub.ws_url, port.other_port.token, "subscription { containerHolds { containerNumber } }", {}
        )
        await asyncio.to_thread(
            client.post, "/ingest/customs", content=CUSRES.encode(), headers=port.customs.headers
        )
        first = await _next(holds, "containerHolds")
        assert first["containerNumber"] in journey.CONTAINERS and first["releasedAt"] is None
        assert first["reason"] == "X-ray anomaly in cargo description"
        await _next(holds, "containerHolds")
        call_id = (
            await asyncio.to_thread(
                port.q, port.operator, CALLS, {"s": "2026-11-11T00:00:00Z", "e": "2026-11-14T00:00:00Z"}
            )
        )["vesselCalls"]["nodes"][0]["id"]
        await asyncio.to_thread(
            port.q,
            port.operator,
            'mutation($id: ID!) { reportPortCallTime(id: $id, which: "ATD", at: "2026-11-13T04:00:00Z") { errors { message } } }',
            {"id": call_id},
        )
        changed = await _next(calls, "portCallChanged")
        assert changed["portVisitReference"] == journey.PORT_VISIT and changed["atd"].startswith(
            "2026-11-13T04:00"
        )
        try:
            await asyncio.wait_for(elsewhere.recv(), 0.5)
            raise AssertionError("another port's operator was told of Dalian's holds")
        except TimeoutError:
            pass
        assert declaration["state"] == "SUBMITTED"
        for ws in (holds, calls, elsewhere):
            await ws.close()
        await asyncio.to_thread(client.close)


def test_a_declaration_from_cross_border_orders_and_its_cancellation(
    client: TestClient, world: World
) -> None:
    from seeds import commerce

    seller = world.party(OrgType.SELLER, "Hanul Electronics Export", customs_code=commerce.SELLER_CODE)
    body = json.dumps(commerce.orders_json([commerce.parcel(1), commerce.parcel(2)])).encode()
    stored = client.post(
        "/ingest/orders", content=body, headers={**seller.headers, "Content-Type": "application/json"}
    )
    assert stored.status_code == 200, stored.text
    ids = [
        o["id"]
        for o in data(gql(client, seller.token, "{ commerceOrders { nodes { id } } }"))["commerceOrders"][
            "nodes"
        ]
    ]
    made = data(
        gql(
            client,
            seller.token,
            CREATE,
            {
                "i": {
                    "reference": "HNE-CBEC-1",
                    "direction": "IMPORT",
                    "orderIds": ids,
                    "customsCode": DALIAN_CUSTOMS,
                    "unLocationCode": "CNDLC",
                }
            },
        )
    )["createDeclaration"]["declaration"]
    assert len(made["items"]) == 4 and {i["hsCode"] for i in made["items"]} == {"3304990099"}
    assert {i["originCountry"] for i in made["items"]} == {"KR"} and made[
        "traderUscc"
    ] == commerce.SELLER_CODE
    assert made["missing"] == [] and made["traderName"] == "Hanul Electronics Export"
    sources = {s["field"]: s["source"] for s in made["sources"]}
    assert sources["items[0].hsCode"].startswith("order HNL0000000") and sources["traderUscc"].startswith(
        "order "
    )
    cancel = (
        "mutation($id: ID!) { cancelDeclaration(id: $id) { declaration { state version } errors { code } } }"
    )
    cancelled = data(gql(client, seller.token, cancel, {"id": made["id"]}))["cancelDeclaration"][
        "declaration"
    ]
    assert cancelled == {"state": "CANCELLED", "version": 2}
    again = data(gql(client, seller.token, cancel, {"id": made["id"]}))["cancelDeclaration"]
    assert again["errors"][0]["code"] == "CONFLICT"


def test_the_yard_follows_actual_moves_and_ignores_late_ones(state: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from hub.db import aware
    from hub.port.models import ContainerPosition
    from hub.port.yard import update_positions

    t = datetime(2026, 11, 1, 8, tzinfo=UTC)

    def move(code: str, at: datetime, port: str = "CNDLC", classifier: str = "ACT") -> dict[str, Any]:
        return {
            "equipment_reference": "MSCU6639870",
            "type_code": code,
            "classifier": classifier,
            "event_datetime": at,
            "un_location_code": port,
            "facility_code": "DCT",
            "empty_indicator": "LADEN",
        }

    def where() -> ContainerPosition:
        with state.session() as session:
            row = session.get(ContainerPosition, "MSCU6639870")
            assert row is not None
            return row

    with state.session() as session:
        update_positions(session, [move("DISC", t)])
        update_positions(session, [move("GTIN", t + timedelta(hours=5))])  # a move inside the same yard
        update_positions(session, [move("GTOT", t - timedelta(days=1))])  # late and older: ignored
        update_positions(session, [move("LOAD", t + timedelta(days=1), classifier="EST")])  # not actual
        session.commit()
    row = where()
    assert row.in_yard and aware(row.since) == t and row.last_type_code == "GTIN"
    with state.session() as session:
        update_positions(
            session, [move("LOAD", t + timedelta(days=2)), move("DISC", t + timedelta(days=3), "KRPUS")]
        )
        session.commit()
    row = where()
    assert row.in_yard and row.un_location_code == "KRPUS" and aware(row.since) == t + timedelta(days=3)


def test_only_the_announcer_and_the_port_change_a_call(port: Port, world: World) -> None:
    window = {"s": "2026-11-11T00:00:00Z", "e": "2026-11-14T00:00:00Z", "p": "CNDLC"}
    (call,) = port.q(port.operator, CALLS, window)["vesselCalls"]["nodes"]
    report = 'mutation($id: ID!, $w: String!) { reportPortCallTime(id: $id, which: $w, at: "2026-11-12T11:00:00Z") { portCall { atb } errors { code } } }'
    stranger = world.party(OrgType.CARRIER, "Another Line")
    refused = port.q(stranger, report, {"id": call["id"], "w": "ATB"})["reportPortCallTime"]
    assert refused["errors"][0]["code"] == "FORBIDDEN"
    elsewhere = port.q(port.other_port, report, {"id": call["id"], "w": "ATB"})["reportPortCallTime"]
    assert elsewhere["errors"][0]["code"] == "FORBIDDEN"
    berthed = port.q(port.operator, report, {"id": call["id"], "w": "ATB"})["reportPortCallTime"]
    assert berthed["errors"] == [] and berthed["portCall"]["atb"].startswith("2026-11-12T11:00")
    carrier = port.q(port.parties["Korea Strait Shipping"], report, {"id": call["id"], "w": "ETD"})[
        "reportPortCallTime"
    ]
    assert carrier["errors"] == []
    schedule = journey.schedule()
    hijack = port.client.post("/ingest/schedules", content=schedule.body, headers=stranger.headers)
    assert hijack.status_code == 403


def test_a_calls_moves_show_only_the_containers_the_caller_may_track(port: Port, world: World) -> None:
    """Schedules are public, the boxes on them are not: an organisation that reads none of a container's
    events sees none of its moves either (issue 26: any caller saw every box discharged)."""
    window = {"s": "2026-11-11T00:00:00Z", "e": "2026-11-14T00:00:00Z", "p": "CNDLC"}

    def discharged(party: Party) -> list[str]:
        (call,) = port.q(party, CALLS, window)["vesselCalls"]["nodes"]
        assert call["vesselImo"] == journey.IMO  # the call itself is public
        return sorted(m["containerNumber"] for m in call["moves"]["discharge"])

    boxes = sorted(journey.CONTAINERS)
    for outsider in (
        world.party(OrgType.SELLER, "Unrelated Seller"),
        world.party(OrgType.BANK, "Unrelated Bank"),
    ):
        assert discharged(outsider) == []
        # The same rule as the container itself: not found for them.
        hidden = gql(port.client, outsider.token, EVENTS, {"n": boxes[0]})
        assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # The bill's forwarder tracks its boxes; the port's operator, customs and regulators see the port.
    for party in (port.forwarder, port.operator, port.customs, port.regulator):
        assert discharged(party) == boxes, party.name
    # The call is also reachable by id: the same filter applies.
    (call,) = port.q(port.operator, CALLS, window)["vesselCalls"]["nodes"]
    by_id = port.q(
        world.party(OrgType.PLATFORM, "Unrelated Platform"),
        "query($id: ID!) { portCall(id: $id) { moves { discharge { containerNumber } } } }",
        {"id": call["id"]},
    )
    assert by_id["portCall"]["moves"]["discharge"] == []
