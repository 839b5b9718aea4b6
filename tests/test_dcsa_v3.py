"""DCSA Track & Trace 3.0 served (issue 24, first part): ``GET /v3/events`` and ``POST /v3/events``.

Every event the shipped samples and the demo journey produce is served valid under DCSA's 3.0 schema; a
property test holds generated events to it as well. The filters DCSA requires every producer to support,
its paging, its error shape and the access rules of ``/v2/events``; and a 2.2 event served in 3.0, posted
as 3.0 to another producer and served again in 2.2, keeps what both versions can say."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from adapters.dcsa import parse
from adapters.dcsa.render import render_v30
from adapters.dcsa.schema import check_event
from adapters.edifact import parse as parse_edifact
from hub.auth.models import OrgType
from hub.tracking.commands import EQUIPMENT_CODES, SHIPMENT_CODES, TRANSPORT_CODES
from hub.tracking.models import TrackingEvent
from seeds import journey
from tests.conftest import Party, World, journey_cast
from tests.dcsa_spec import errors, get_events_v3_validator, v3_error_validator
from tests.fixtures import DCSA, EDIFACT, read
from tests.test_dcsa import FILES, _row


def _get(client: TestClient, party: Party, **params: Any) -> Any:
    return client.get("/v3/events", params=params, headers=party.headers)


def _all(client: TestClient, party: Party, **params: Any) -> list[dict[str, Any]]:
    """Every page, following Next-Page-Cursor."""
    events: list[dict[str, Any]] = []
    cursor = None
    while True:
        answer = _get(client, party, limit=7, **params, **({"cursor": cursor} if cursor else {}))
        assert answer.status_code == 200, answer.text
        assert answer.headers["API-Version"] == "3.0.0"
        assert errors(get_events_v3_validator(), answer.json()) == []
        assert len(answer.json()["events"]) <= 7  # the limit asked
        events += answer.json()["events"]
        cursor = answer.headers.get("Next-Page-Cursor")
        if cursor is None:
            return events


def _valid(events: list[dict[str, Any]]) -> None:
    for index, event in enumerate(events):
        check_event(event, f"$.events[{index}]", "3.0")  # formats too (date-time with its offset)


def test_every_shipped_sample_renders_valid_3_0() -> None:
    owner = uuid.uuid4()
    commands = []
    for name in FILES:
        commands += parse(read(DCSA / name), scope="x").events
    for name in ("CODECO_D95B_huelva.edi", "COARRI_D95B_genoa_cosco.edi", "BAPLIE_D95B_longbeach_oocl.edi"):
        commands += parse_edifact(read(EDIFACT / name)).events
    body = [render_v30(_row(c, owner)) for c in commands]
    assert len(body) == len(commands) >= 40
    _valid(body)
    assert errors(get_events_v3_validator(), {"events": body}) == []
    # 3.0 says what 2.2 cannot: IoT and reefer events are served too.
    kinds = {e["eventClassification"]["eventTypeCode"] for e in body}
    assert {"IOT", "REEFER", "EQUIPMENT", "TRANSPORT", "SHIPMENT"} <= kinds
    json.dumps(body)


_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=120)
_CODES = {"EQUIPMENT": EQUIPMENT_CODES, "TRANSPORT": TRANSPORT_CODES, "SHIPMENT": SHIPMENT_CODES}


@st.composite
def _events(draw: st.DrawFn) -> TrackingEvent:
    kind = draw(st.sampled_from(sorted(_CODES)))
    when = draw(
        st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC))
    )
    maybe = lambda s: draw(st.none() | s)  # noqa: E731
    return TrackingEvent(
        id=uuid.uuid4(),
        owner_org_id=uuid.uuid4(),
        source_key="x",
        source_format="DCSA",
        message_type="DCSA-3.0",
        event_type=kind,
        classifier=draw(st.sampled_from(["ACT", "EST", "PLN"])),
        type_code=draw(st.sampled_from(sorted(_CODES[kind]))),
        event_datetime=when,
        event_created_datetime=when,
        source_updated_datetime=maybe(st.just(when + timedelta(hours=1))),
        equipment_reference=maybe(st.from_regex(r"[A-Z]{4}[0-9]{7}", fullmatch=True)),
        iso_equipment_code=maybe(st.sampled_from(["45G1", "22G1"])),
        empty_indicator=maybe(st.sampled_from(["EMPTY", "LADEN"])),
        un_location_code=maybe(st.from_regex(r"[A-Z]{2}[A-Z2-9]{3}", fullmatch=True)),
        facility_code=maybe(st.text(min_size=1, max_size=20)),
        facility_provider=maybe(st.sampled_from(["SMDG", "BIC"])),
        location_name=maybe(_TEXT),
        mode_of_transport=maybe(st.sampled_from(["VESSEL", "RAIL", "TRUCK", "BARGE"])),
        transport_call_id=maybe(st.text(min_size=1, max_size=100)),
        vessel_name=maybe(_TEXT),
        vessel_imo=maybe(st.from_regex(r"[0-9]{7}", fullmatch=True)),
        vessel_call_sign=maybe(st.text(min_size=1, max_size=20)),
        export_voyage=maybe(st.text(min_size=1, max_size=50)),
        vehicle_reference=maybe(st.text(min_size=1, max_size=50)),
        booking_reference=maybe(st.text(min_size=1, max_size=100)),
        transport_document_reference=maybe(st.text(min_size=1, max_size=100)),
        seals=draw(
            st.lists(
                st.fixed_dictionaries(
                    {"number": st.text(min_size=1, max_size=40)}, optional={"type": st.just("BLT")}
                ),
                max_size=3,
            )
        ),
    )


@settings(max_examples=300, deadline=None)
@given(_events())
def test_any_event_the_hub_can_hold_renders_valid_3_0(event: TrackingEvent) -> None:
    body = render_v30(event)
    check_event(body, "$", "3.0")
    assert body["eventClassification"]["eventTypeCode"] == event.event_type


def _journey(client: TestClient, world: World) -> dict[str, Party]:
    parties = journey_cast(world)
    forwarder = parties["Bohai Multimodal Forwarding"]
    ids = {name: str(p.id) for name, p in parties.items()}
    made = client.post(
        "/graphql",
        json={
            "query": "mutation($i: BillInput!) { createBill(input: $i) { bill { id } } }",
            "variables": {"i": journey.bill_input(ids)},
        },
        headers=forwarder.headers,
    ).json()["data"]["createBill"]["bill"]["id"]
    client.post(
        "/graphql",
        json={
            "query": "mutation($id: ID!) { issueBill(id: $id) { errors { message } } }",
            "variables": {"id": made},
        },
        headers=forwarder.headers,
    )
    for step in journey.journey():
        sent = client.post(f"/ingest/{step.kind}", content=step.body, headers=parties[step.sender].headers)
        assert sent.status_code == 200, sent.text
    return parties


def test_the_demo_journey_is_served_in_3_0_with_the_required_filters(
    client: TestClient, world: World
) -> None:
    parties = _journey(client, world)
    regulator = world.party(OrgType.REGULATOR)
    outsider = world.party(OrgType.FORWARDER)
    seen = _all(client, regulator)
    _valid(seen)
    assert len(seen) == len({e["eventID"] for e in seen}) >= 20
    # The same access rules as /v2/events: an outsider finds nothing.
    assert _get(client, outsider).json() == {"events": []}

    box = journey.CONTAINERS[0]
    mine = _all(client, regulator, equipmentReference=box)
    assert mine and all(e["equipmentDetails"]["equipmentReference"] == box for e in mine)
    on_bill = _all(client, regulator, transportDocumentReference=journey.BILL_NUMBER, equipmentReference=box)
    assert on_bill and all(
        e["shipmentDetails"]["documentReference"] == {"typeCode": "TRD", "reference": journey.BILL_NUMBER}
        for e in on_bill
    )
    transport = _all(client, regulator, eventTypes="TRANSPORT")
    assert transport and {e["eventClassification"]["eventTypeCode"] for e in transport} == {"TRANSPORT"}
    both = _all(client, regulator, eventTypes=["TRANSPORT", "EQUIPMENT"], equipmentReference=box)
    assert {e["eventClassification"]["eventTypeCode"] for e in both} <= {"TRANSPORT", "EQUIPMENT"}
    stamps = sorted(e["eventUpdatedDateTime"] for e in seen)
    middle = stamps[len(stamps) // 2]
    later = _all(client, regulator, eventUpdatedDateTimeMin=middle)
    earlier = _all(client, regulator, eventUpdatedDateTimeMax=middle)
    assert all(e["eventUpdatedDateTime"] >= middle for e in later)
    assert all(e["eventUpdatedDateTime"] <= middle for e in earlier)
    assert len(later) + len(earlier) >= len(seen)
    window = _all(client, regulator, eventUpdatedDateTimeMin=stamps[0], eventUpdatedDateTimeMax=stamps[0])
    assert window and all(e["eventUpdatedDateTime"] == stamps[0] for e in window)
    carrier = parties["Korea Strait Shipping"]
    assert _all(client, carrier, carrierBookingReference="NO-SUCH-BOOKING") == []


def test_refusals_speak_3_0(client: TestClient, world: World) -> None:
    party = world.party(OrgType.FORWARDER)
    for params, place in (
        ({"bookingReference": "X"}, "bookingReference"),
        ({"eventTypes": "CONTAINER"}, "eventTypes"),
        ({"eventUpdatedDateTimeMin": "yesterday"}, "eventUpdatedDateTimeMin"),
        ({"limit": "0"}, "limit"),
        ({"cursor": "not-ours"}, "cursor"),
    ):
        answer = _get(client, party, **params)
        assert answer.status_code == 400 and answer.headers["API-Version"] == "3.0.0", answer.text
        body = answer.json()
        assert errors(v3_error_validator("get"), body) == []
        (feedback,) = body["feedbackElements"]
        assert feedback["severity"] == "ERROR" and feedback["propertyPath"] == place, body
        assert body["field"] == place and body["code"] == "INVALID"
    nobody = client.get("/v3/events")
    assert nobody.status_code == 401 and nobody.json()["feedbackElements"][0]["severity"] == "ERROR"


def test_a_22_event_round_trips_through_3_0(client: TestClient, world: World) -> None:
    """2.2 in, 3.0 out, 3.0 posted to another producer's feed, 2.2 out again: the same event, except what
    2.2's carrier-side fields have no 3.0 place for (see the comparison below)."""
    first, second = world.party(OrgType.CARRIER), world.party(OrgType.CARRIER)
    original = json.loads(read(DCSA / "tnt-220-response.json"))
    sent = client.post("/ingest/dcsa", content=json.dumps(original), headers=first.headers)
    assert sent.status_code == 200, sent.text
    served = _all(client, first)
    assert len(served) == len(original)
    posted = client.post("/v3/events", json={"events": served}, headers=second.headers)
    assert posted.status_code == 200 and posted.headers["API-Version"] == "3.0.0", posted.text
    assert posted.json()["stored"] == len(original)
    again = client.post("/v3/events", json={"events": served}, headers=second.headers).json()
    assert [f["severity"] for f in again["feedbackElements"]] == ["INFO"] and again["stored"] == 0
    # The second carrier also sees the first's events of the containers it now handles: leave them out.
    ids = {e["eventID"] for e in served}
    back = [e for e in client.get("/v2/events", headers=second.headers).json() if e["eventID"] not in ids]
    assert len(back) == len(original)

    def kept(event: dict[str, Any]) -> tuple[Any, ...]:
        code = next(
            event[k]
            for k in ("equipmentEventTypeCode", "transportEventTypeCode", "shipmentEventTypeCode")
            if k in event
        )
        call = event.get("transportCall") or {}
        return (
            event["eventType"],
            event["eventClassifierCode"],
            code,
            datetime.fromisoformat(event["eventDateTime"].replace("Z", "+00:00")).astimezone(UTC),
            event.get("equipmentReference"),
            event.get("emptyIndicatorCode"),
            (event.get("eventLocation") or {}).get("UNLocationCode") or call.get("UNLocationCode"),
            call.get("transportCallID"),
            call.get("modeOfTransport"),
            (call.get("vessel") or {}).get("vesselIMONumber"),
            # The subject of a shipment event, and the booking and transport document it names: the hub
            # keeps those numbers; another document (a shipping instruction) keeps its type, not its number.
            event.get("documentTypeCode"),
            sorted(
                {
                    *(
                        (r["documentReferenceType"], r["documentReferenceValue"])
                        for r in event.get("documentReferences", [])
                        if r["documentReferenceType"] in ("BKG", "TRD")
                    ),
                    *(
                        [(event["documentTypeCode"], event["documentID"])]
                        if event.get("documentTypeCode") in ("BKG", "TRD")
                        else []
                    ),
                }
            ),
        )

    assert sorted(map(kept, back), key=repr) == sorted(map(kept, original), key=repr)


def test_posting_3_0_events_needs_the_3_0_shape_and_the_right_to_send(
    client: TestClient, world: World
) -> None:
    carrier, bank = world.party(OrgType.CARRIER), world.party(OrgType.BANK)
    body = read(DCSA / "tnt-300-request-equipment.json")
    refused = client.post("/v3/events", content=body, headers=bank.headers)
    assert refused.status_code == 403 and refused.json()["feedbackElements"][0]["severity"] == "ERROR"
    bare = client.post("/v3/events", content=json.dumps(json.loads(body)["events"]), headers=carrier.headers)
    assert bare.status_code == 400 and bare.json()["field"] == "$.events"
    broken = json.loads(body)
    broken["events"][0]["eventDateTime"] = "not a time"
    bad = client.post("/v3/events", json=broken, headers=carrier.headers)
    assert bad.status_code == 400 and errors(v3_error_validator("post"), bad.json()) == []
    assert bad.json()["feedbackElements"][0]["propertyPath"].startswith("$.events[0]")
    stored = client.post("/v3/events", content=body, headers=carrier.headers)
    assert stored.status_code == 200 and stored.json()["stored"] == len(json.loads(body)["events"])


@pytest.mark.parametrize("kind", ["equipment", "transport", "shipment", "iot", "reefer"])
def test_the_conformance_suites_post_samples_are_stored(client: TestClient, world: World, kind: str) -> None:
    """DCSA's conformance scenario "POST T&T Events", the hub as consumer: each of the gateway's request
    samples (tests/data/fixtures/dcsa/tnt-300-request-*.json) is stored, in 3.0's answer form."""
    carrier = world.party(OrgType.CARRIER)
    body = json.loads(read(DCSA / f"tnt-300-request-{kind}.json"))
    stored = client.post("/v3/events", json=body, headers=carrier.headers)
    assert stored.status_code == 200 and stored.headers["API-Version"] == "3.0.0", stored.text
    assert stored.json()["stored"] + stored.json()["duplicates"] == len(body["events"])
