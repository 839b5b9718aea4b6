"""Ingest of real terminal messages over REST, tracking over GraphQL and DCSA 2.2, and who sees what."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, select
from starlette.testclient import TestClient

from hub.auth.models import OrgType
from hub.state import HubState
from hub.tracking.models import TrackingEvent
from tests.conftest import Party, World, data, gql
from tests.dcsa_spec import errors, event_validator, events_response_validator
from tests.fixtures import DCSA, EDIFACT, read


def _ingest(client: TestClient, party: Party, kind: str, body: bytes) -> Any:
    return client.post(f"/ingest/{kind}", content=body, headers=party.headers)


def _events(state: HubState) -> int:
    with Session(state.engine) as session:
        return int(session.exec(select(func.count()).select_from(TrackingEvent)).one())


def test_every_real_fixture_ingests_and_a_resend_is_stored_once(
    client: TestClient, world: World, state: HubState
) -> None:
    terminal = world.party(OrgType.TERMINAL)
    total = 0
    for path in sorted(EDIFACT.glob("*.edi")):
        answer = _ingest(client, terminal, "edifact", read(path))
        assert answer.status_code == 200, (path.name, answer.text)
        total += answer.json()["stored"]
    for path in sorted(DCSA.glob("tnt-*.json")):
        answer = _ingest(client, terminal, "dcsa", read(path))
        assert answer.status_code == 200, (path.name, answer.text)
        total += answer.json()["stored"]
    assert _events(state) == total >= 50
    again = _ingest(client, terminal, "edifact", read(EDIFACT / "COARRI_D95B_genoa_cosco.edi")).json()
    assert again["stored"] == 0 and again["duplicates"] == 25
    assert _events(state) == total


def test_a_bad_check_digit_is_kept_and_flagged(client: TestClient, world: World, state: HubState) -> None:
    terminal = world.party(OrgType.TERMINAL)
    report = _ingest(client, terminal, "edifact", read(EDIFACT / "CODECO_D95B_huelva.edi")).json()
    assert report["flagged"] == [
        {"where": "segment 8 (EQD)", "equipmentReference": "TESI1120274", "flags": "EQUIPMENT_CHECK_DIGIT"}
    ]
    assert "EDIFACT times carry no zone: read as UTC" in report["notes"]
    container = data(
        gql(
            client,
            terminal.token,
            """{ container(number: "tesi 1120274") { number checkDigitValid
        events { nodes { typeCode flags vehicleReference } } } }""",
        )
    )["container"]
    assert container == {
        "number": "TESI1120274",
        "checkDigitValid": False,
        "events": {
            "nodes": [{"typeCode": "GTIN", "flags": ["EQUIPMENT_CHECK_DIGIT"], "vehicleReference": "993NGR"}]
        },
    }


def test_a_malformed_message_is_refused_whole_with_its_position(
    client: TestClient, world: World, state: HubState
) -> None:
    terminal = world.party(OrgType.TERMINAL)
    # The second message of the COARRI is broken: nothing of the first may be stored either.
    broken = read(EDIFACT / "COARRI_D95B_genoa_cosco.edi").replace(b"EQD+CN+TEMU7359214", b"EQD+CN+TEMU735")
    answer = _ingest(client, terminal, "edifact", broken)
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "INVALID" and body["field"].endswith("(EQD)") and "TEMU735" in body["message"]
    assert _events(state) == 0
    good = json.loads(read(DCSA / "tnt-300-request-equipment.json"))["events"][0]
    bad_json = json.dumps(
        {"events": [good, {**good, "eventID": "second", "eventDateTime": "not a time"}]}
    ).encode()
    answer = _ingest(client, terminal, "dcsa", bad_json)
    assert answer.status_code == 422 and answer.json()["field"] == "$.events[1].eventDateTime"
    assert _events(state) == 0


def test_a_nul_character_is_refused_at_its_place_not_by_the_database(
    client: TestClient, world: World, state: HubState
) -> None:
    # PostgreSQL's text cannot hold NUL: without this the database refused it, as a 500 naming nothing.
    terminal = world.party(OrgType.TERMINAL)
    good = json.loads(read(DCSA / "tnt-300-request-equipment.json"))["events"][0]
    damaged = {**good, "eventLocation": {**good.get("eventLocation", {}), "locationName": "Quay\u00001"}}
    answer = _ingest(client, terminal, "dcsa", json.dumps({"events": [good, damaged]}).encode())
    assert answer.status_code == 422 and answer.json()["field"] == "$.events[1].eventLocation.locationName"
    edifact = read(EDIFACT / "CODECO_D95B_huelva.edi").replace(b"EQD+CN+", b"EQD+CN\x00+", 1)
    refused = _ingest(client, terminal, "edifact", edifact)
    assert refused.status_code == 422 and refused.json()["field"].startswith("segment ")
    assert _events(state) == 0
    for params in ({"carrierBookingReference": "BK\x001"}, {"limit": "\u00b2"}):
        bad = client.get("/v2/events", params=params, headers=terminal.headers)
        assert bad.status_code == 422 and bad.json()["field"] in params, bad.text
    naive = base64.urlsafe_b64encode(b"2026-01-01T00:00:00|00000000-0000-0000-0000-000000000000").decode()
    bad = client.get("/v2/events", params={"cursor": naive}, headers=terminal.headers)
    assert bad.status_code == 422 and bad.json()["field"] == "cursor"


def test_only_those_who_move_containers_ingest(client: TestClient, world: World) -> None:
    for kind in (OrgType.BANK, OrgType.SELLER, OrgType.REGULATOR):
        party = world.party(kind)
        answer = _ingest(client, party, "edifact", read(EDIFACT / "CODECO_D95B_huelva.edi"))
        assert answer.status_code == 403 and answer.json()["code"] == "FORBIDDEN", kind
    assert client.post("/ingest/dcsa", content=b"[]").status_code == 401


def test_containers_are_seen_by_those_who_handle_them(client: TestClient, world: World) -> None:
    genoa = world.party(OrgType.TERMINAL, "Genoa terminal")
    piraeus = world.party(OrgType.TERMINAL, "Piraeus terminal")
    regulator = world.party(OrgType.REGULATOR)
    _ingest(client, genoa, "edifact", read(EDIFACT / "COARRI_D95B_genoa_cosco.edi"))
    query = '{ container(number: "CBHU6192031") { number status { location modeOfTransport emptyIndicator lastActualEvent { typeCode reportedBy { name } } } } }'
    seen = data(gql(client, genoa.token, query))["container"]
    assert seen["status"]["location"] == "ITGOA" and seen["status"]["lastActualEvent"]["typeCode"] == "LOAD"
    assert seen["status"]["lastActualEvent"]["reportedBy"]["name"] == "Genoa terminal"
    hidden = gql(client, piraeus.token, query)
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert data(gql(client, regulator.token, query))["container"]["number"] == "CBHU6192031"
    # Once Piraeus handles it too, it sees the container's whole journey.
    discharge = (
        b'[{"eventID": "b1e9d3a0-0000-4000-8000-000000000001", "eventCreatedDateTime": "2016-02-08T10:00:00Z",'
        b' "eventType": "EQUIPMENT", "eventClassifierCode": "ACT", "eventDateTime": "2016-02-08T09:00:00Z",'
        b' "equipmentEventTypeCode": "DISC", "equipmentReference": "CBHU6192031", "emptyIndicatorCode": "LADEN",'
        b' "eventLocation": {"UNLocationCode": "GRPIR"}}]'
    )
    assert _ingest(client, piraeus, "dcsa", discharge).json()["stored"] == 1
    journey = data(
        gql(
            client,
            piraeus.token,
            '{ container(number: "CBHU6192031") { status { location } events { nodes { typeCode unLocationCode } } } }',
        )
    )
    assert journey["container"]["status"]["location"] == "GRPIR"
    assert [(e["typeCode"], e["unLocationCode"]) for e in journey["container"]["events"]["nodes"]] == [
        ("LOAD", "ITGOA"),
        ("DISC", "GRPIR"),
    ]


def test_the_dcsa_22_feed_validates_filters_and_pages(client: TestClient, world: World) -> None:
    terminal = world.party(OrgType.TERMINAL)
    for path in sorted(EDIFACT.glob("*.edi")):
        _ingest(client, terminal, "edifact", read(path))
    _ingest(client, terminal, "dcsa", read(DCSA / "tnt-220-response.json"))
    answer = client.get("/v2/events", headers=terminal.headers)
    assert answer.status_code == 200 and answer.headers["API-Version"] == "2.2.0"
    body = answer.json()
    assert errors(events_response_validator(), body) == []
    assert len(body) >= 25
    loads = client.get(
        "/v2/events",
        params={"equipmentEventTypeCode": "LOAD", "UNLocationCode": "ITGOA"},
        headers=terminal.headers,
    ).json()
    assert len(loads) == 19 and {e["equipmentEventTypeCode"] for e in loads} == {"LOAD"}
    transport = client.get("/v2/events", params={"eventType": "TRANSPORT"}, headers=terminal.headers).json()
    assert transport and {e["eventType"] for e in transport} == {"TRANSPORT"}
    one = client.get(
        "/v2/events", params={"equipmentReference": "FCIU9908030"}, headers=terminal.headers
    ).json()
    assert [e["equipmentEventTypeCode"] for e in one] == ["DISC"]
    single = client.get(f"/v2/events/{one[0]['eventID']}", headers=terminal.headers)
    assert single.status_code == 200 and errors(event_validator(), single.json()) == []
    # Paging: follow Next-Page until it stops; every event once.
    seen: list[str] = []
    url: str | None = "/v2/events?limit=7"
    while url:
        page = client.get(url, headers=terminal.headers)
        seen += [e["eventID"] for e in page.json()]
        url = page.headers.get("Next-Page")
    assert sorted(seen) == sorted(e["eventID"] for e in body) and len(set(seen)) == len(seen)
    later = client.get(
        "/v2/events", params={"eventCreatedDateTime:gte": "2100-01-01T00:00:00Z"}, headers=terminal.headers
    )
    assert later.json() == []
    bad = client.get("/v2/events", params={"eventCreatedDateTime:after": "x"}, headers=terminal.headers)
    assert bad.status_code == 422 and bad.json()["field"] == "eventCreatedDateTime:after"
    other = world.party(OrgType.CARRIER)
    assert client.get("/v2/events", headers=other.headers).json() == []


def test_ingested_events_are_anchored_and_verifiable(client: TestClient, world: World) -> None:
    import time

    terminal = world.party(OrgType.TERMINAL)
    _ingest(client, terminal, "edifact", read(EDIFACT / "CODECO_D95B_huelva.edi"))
    event_id = data(
        gql(client, terminal.token, '{ container(number: "TESI1120274") { events { nodes { id } } } }')
    )["container"]["events"]["nodes"][0]["id"]
    query = 'query($id: ID!) { verifyRecord(kind: "tracking_event", id: $id) { status detail } }'
    deadline = time.monotonic() + 20
    while (result := data(gql(client, terminal.token, query, {"id": event_id}))["verifyRecord"])[
        "status"
    ] == "PENDING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert result["status"] == "ANCHORED", result


@pytest.mark.parametrize("kind", ["edifact", "dcsa"])
def test_an_oversized_ingest_is_refused(kind: str, state: HubState, world: World) -> None:
    from hub.app import create_app

    state.settings = state.settings.model_copy(update={"max_ingest_bytes": 1000, "anchor_in_process": False})
    terminal = world.party(OrgType.TERMINAL)
    with TestClient(create_app(state.settings, state)) as small:
        answer = small.post(f"/ingest/{kind}", content=b"x" * 2000, headers=terminal.headers)
    assert answer.status_code == 413
