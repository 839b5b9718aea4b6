"""The DCSA adapter on the conformance payloads, its refusals, and DCSA 2.2 output checked against the spec."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from adapters.dcsa import parse
from adapters.dcsa.render import render_v22, renderable
from hub.errors import Invalid
from hub.tracking import rows
from hub.tracking.commands import EventType, Flag, MessageInfo, ParsedBatch
from tests.dcsa_spec import errors, events_response_validator
from tests.fixtures import DCSA, read

FILES = sorted(p.name for p in DCSA.glob("tnt-*.json"))


@pytest.mark.parametrize("name", FILES)
def test_every_conformance_payload_reads(name: str) -> None:
    batch = parse(read(DCSA / name), scope="test")
    assert batch.events
    assert all(e.event_datetime.tzinfo is not None for e in batch.events)


def test_the_22_response_reads_its_seven_events() -> None:
    batch = parse(read(DCSA / "tnt-220-response.json"), scope="carrier-x")
    kinds = [(e.event_type.value, e.classifier.value, e.type_code) for e in batch.events]
    assert kinds.count(("TRANSPORT", "ACT", "ARRI")) == 2
    assert kinds.count(("SHIPMENT", "ACT", "DRFT")) == 3
    assert kinds.count(("EQUIPMENT", "EST", "LOAD")) == 2
    load = next(e for e in batch.events if e.type_code == "LOAD")
    assert (load.equipment_reference, load.booking_reference, load.transport_document_reference) == (
        "APZU4812090",
        "ABC123123123",
        "reserved-HHL123",
    )
    assert load.source_key == "dcsa:carrier-x:3cecb101-7a1a-43a4-9d62-e88a131651e4"  # the first LOAD


def test_30_events_name_their_originating_party_and_flag_bad_imo_numbers() -> None:
    batch = parse(read(DCSA / "tnt-300-response.json"), scope="ignored")
    assert all(e.source_key.startswith("dcsa:") for e in batch.events)
    transport = next(e for e in batch.events if e.event_type is EventType.TRANSPORT)
    assert Flag.VESSEL_IMO_CHECK_DIGIT in transport.flags  # the fixture's IMO number fails its check digit
    assert {e.event_type for e in parse(read(DCSA / "tnt-300-request-iot.json"), scope="x").events} == {
        EventType.IOT
    }


@pytest.mark.parametrize(
    "body, path",
    [
        (b"{not json", "$"),
        (b'{"events": {}}', "$.events"),
        (b'[{"eventType": "EQUIPMENT"}]', "$[0].eventID"),
        (
            b'{"events": [{"eventID": "a", "eventDateTime": "2026-01-01T00:00:00Z", "eventClassification": {"eventTypeCode": "SPACESHIP"}}]}',
            "$.events[0].eventClassification.eventTypeCode",
        ),
        (
            b'{"events": [{"eventID": "a", "eventDateTime": "yesterday", "eventClassification": {"eventTypeCode": "EQUIPMENT", "equipmentEventTypeCode": "LOAD"}}]}',
            "$.events[0].eventDateTime",
        ),
        (
            b'{"events": [{"eventID": "a", "eventDateTime": "2026-01-01T00:00:00", "eventClassification": {"eventTypeCode": "EQUIPMENT", "equipmentEventTypeCode": "LOAD"}}]}',
            "$.events[0].eventDateTime",
        ),
        (
            b'[{"eventType": "EQUIPMENT", "eventID": "x", "eventCreatedDateTime": "2026-01-01T00:00:00Z", "eventClassifierCode": "ACT", "eventDateTime": "2026-01-01T00:00:00Z", "equipmentEventTypeCode": "LOAD", "equipmentReference": "MSCU12"}]',
            "$[0].equipmentReference",
        ),
        (b"[1]", "$[0]"),
        (  # a 3.0 event's seals are in its equipment details, and the refusal says so
            b'{"events": [{"eventID": "a", "eventDateTime": "2026-01-01T00:00:00Z", "eventClassification": {"eventTypeCode": "EQUIPMENT", "equipmentEventTypeCode": "LOAD"}, "equipmentDetails": {"equipmentReference": "APZU4812090", "seals": [{"type": "KLP"}]}}]}',
            "$.events[0].equipmentDetails.seals[0]",
        ),
    ],
)
def test_a_bad_body_is_refused_with_its_json_path(body: bytes, path: str) -> None:
    with pytest.raises(Invalid) as refused:
        parse(body, scope="x")
    assert refused.value.field == path, refused.value.message


def test_references_that_are_not_a_list_are_refused_at_their_place_not_a_crash() -> None:
    """The reader passes over references that are not a list; the DCSA schema then refuses the event
    (issue 19: a payload is held to the schema it claims), naming the field."""
    event = {
        "eventID": "a",
        "eventDateTime": "2026-01-01T00:00:00Z",
        "eventClassification": {"eventTypeCode": "EQUIPMENT", "equipmentEventTypeCode": "LOAD"},
        "shipmentDetails": {
            "documentReference": {"typeCode": "BKG", "reference": "BK1"},
            "additionalDocumentReferences": 7,
        },
    }
    with pytest.raises(Invalid) as refused:
        parse(json.dumps({"events": [event]}).encode(), scope="x")
    assert refused.value.field == "$.events[0].shipmentDetails.additionalDocumentReferences"


def test_bodies_the_fast_json_reader_refuses_read_as_the_standard_library_reads_them() -> None:
    body = read(DCSA / "tnt-300-request-equipment.json")
    expected = parse(body, scope="x")
    wide = json.dumps(json.loads(body), ensure_ascii=False).encode("utf-16")
    assert parse(wide, scope="x").events == expected.events
    with pytest.raises(Invalid, match="the body is not JSON") as refused:
        parse(b'{"events": [', scope="x")
    assert refused.value.field == "$"


def _row(event, owner):  # type: ignore[no-untyped-def]
    from hub.tracking.models import TrackingEvent

    batch = ParsedBatch(messages=(MessageInfo("DCSA", "DCSA-2.2", "test"),), events=(event,))
    made = rows.event_rows(batch, owner, ({}, {}), datetime(2026, 11, 21, tzinfo=UTC))
    return TrackingEvent(**{name: column[0] for name, column in made.events.items()})


def test_what_the_hub_renders_validates_against_the_22_spec() -> None:
    import uuid

    from adapters.edifact import parse as parse_edifact
    from tests.fixtures import EDIFACT

    owner = uuid.uuid4()
    commands = list(parse(read(DCSA / "tnt-220-response.json"), scope="x").events)
    for name in ("CODECO_D95B_huelva.edi", "COARRI_D95B_genoa_cosco.edi", "BAPLIE_D95B_longbeach_oocl.edi"):
        commands += parse_edifact(read(EDIFACT / name)).events
    for name in FILES:
        commands += parse(read(DCSA / name), scope="x").events
    rows = [_row(c, owner) for c in commands]
    body = [render_v22(r) for r in rows if renderable(r)]
    assert len(body) >= 30
    assert errors(events_response_validator(), body) == []
    json.dumps(body)  # plain JSON values only
