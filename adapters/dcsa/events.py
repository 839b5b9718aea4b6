"""Read DCSA Track & Trace events, 2.2 (flat, ``eventType``) or 3.0 (nested, ``eventClassification``).

Accepted bodies: one event, a JSON array of events (2.2 ``GET /v2/events``), or ``{"events": [...]}``
(3.0 push and ``GET /events``). Anything wrong is refused with its JSON path, and nothing of the body is
kept: the caller corrects and sends again.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any

import stdnum.imo
import stdnum.iso6346

from adapters import jsonio
from adapters.dcsa.schema import check_event
from adapters.text import refuse_nul_in_items, refuse_nul_in_json
from hub.errors import Invalid
from hub.tracking.commands import (
    EQUIPMENT_CODES,
    IOT_CODES,
    MODES,
    REEFER_CODES,
    SHIPMENT_CODES,
    TRANSPORT_CODES,
    Classifier,
    EventCommand,
    EventType,
    Flag,
    MessageInfo,
    ParsedBatch,
    Seal,
)

_CODES = {
    EventType.EQUIPMENT: ("equipmentEventTypeCode", EQUIPMENT_CODES),
    EventType.TRANSPORT: ("transportEventTypeCode", TRANSPORT_CODES),
    EventType.SHIPMENT: ("shipmentEventTypeCode", SHIPMENT_CODES),
    EventType.IOT: ("iotEventTypeCode", IOT_CODES),
    EventType.REEFER: ("reeferEventTypeCode", REEFER_CODES),
}
_CONTAINER = re.compile(r"^[A-Z]{4}[0-9]{7}$")
# The same containers recur in every message: validate each number once.
_iso6346_valid = lru_cache(maxsize=100_000)(stdnum.iso6346.is_valid)
_LOCODE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
_V22_TYPES = frozenset({"EQUIPMENT", "TRANSPORT", "SHIPMENT"})
_EVENT_TYPES = frozenset(EventType)
_CLASSIFIERS = frozenset(Classifier)
_EMPTY = frozenset({"EMPTY", "LADEN"})


_NOTHING: dict[str, Any] = {}


class _Node:
    """One JSON object of an event, read field by field with errors that name the JSON path. Where the
    event holds no object (or something else) at that place, an empty one: every field in it is absent.

    Each object is looked up once and its fields read from it directly: walking the whole path from the
    event for each of an event's thirty fields took half of the adapter's time."""

    __slots__ = ("data", "path")

    def __init__(self, data: Any, path: str) -> None:
        self.data: dict[str, Any] = data if isinstance(data, dict) else _NOTHING
        self.path = path

    def node(self, key: str) -> _Node:
        """The object at ``key``."""
        return _Node(self.data.get(key), f"{self.path}.{key}")

    def text(self, key: str, *, required: bool = False, max_length: int = 500) -> str | None:
        value = self.data.get(key)
        if type(value) is not str or not value:  # a non-empty string, by far the commonest, goes straight on
            if value is None or value == "":
                if required:
                    raise Invalid(f"{self.path}.{key} is required", field=f"{self.path}.{key}")
                return None
            if not isinstance(value, int) or isinstance(value, bool):
                raise Invalid(f"{self.path}.{key} must be a string", field=f"{self.path}.{key}")
            value = str(value)
        value = value.strip()
        if len(value) > max_length:
            where = f"{self.path}.{key}"
            raise Invalid(f"{where} is longer than {max_length} characters", field=where)
        return value

    def time(self, key: str, *, required: bool = False) -> datetime | None:
        value = self.text(key, required=required)
        if value is None:
            return None
        where = f"{self.path}.{key}"
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise Invalid(f"{where}: {value!r} is not an ISO 8601 date-time", field=where) from exc
        if parsed.tzinfo is None:
            raise Invalid(f"{where}: {value!r} has no time zone offset", field=where)
        return parsed

    def code(self, key: str, allowed: frozenset[str]) -> str | None:
        return self.one_of(key, self.text(key), allowed)

    def required_code(self, key: str, allowed: frozenset[str]) -> str:
        value = self.text(key, required=True)
        assert value is not None  # text() raised otherwise
        self.one_of(key, value, allowed)
        return value

    def one_of(self, key: str, value: str | None, allowed: frozenset[str]) -> str | None:
        """``value`` (read from ``key``), refused unless absent or one of ``allowed``."""
        if value is not None and value not in allowed:
            where = f"{self.path}.{key}"
            raise Invalid(f"{where}: {value!r} is not one of {', '.join(sorted(allowed))}", field=where)
        return value

    def locode(self, key: str) -> str | None:
        value = self.text(key)
        if value is not None and not _LOCODE.match(value):
            where = f"{self.path}.{key}"
            raise Invalid(f"{where}: {value!r} is not a UN/LOCODE", field=where)
        return value


def _equipment(node: _Node, key: str) -> tuple[str | None, list[Flag]]:
    number = node.text(key)
    if number is None:
        return None, []
    number = number.upper().replace(" ", "")
    if not _CONTAINER.match(number):
        where = f"{node.path}.{key}"
        raise Invalid(f"{where}: container number {number!r} is not 4 letters and 7 digits", field=where)
    return number, [] if _iso6346_valid(number) else [Flag.EQUIPMENT_CHECK_DIGIT]


def _imo(value: str | None) -> list[Flag]:
    return [] if value is None or stdnum.imo.is_valid(value) else [Flag.VESSEL_IMO_CHECK_DIGIT]


def _references(refs: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for ref in refs if isinstance(refs, list) else []:
        if isinstance(ref, dict):
            kind = ref.get("documentReferenceType") or ref.get("typeCode")
            value = ref.get("documentReferenceValue") or ref.get("reference")
            if isinstance(kind, str) and isinstance(value, str):
                found.setdefault(kind, value)
    return found


def _seals(node: _Node, *, v3: bool) -> tuple[Seal, ...]:
    seals = node.data.get("seals")
    if not seals:
        return ()
    result = []
    for i, seal in enumerate(seals if isinstance(seals, list) else []):
        where = f"{node.path}.seals[{i}]"
        if not isinstance(seal, dict):
            raise Invalid(f"{where} is not an object", field=where)
        number = seal.get("number" if v3 else "sealNumber")
        if not isinstance(number, str) or not number:
            raise Invalid(f"{where}: a seal needs its number", field=where)
        result.append(
            Seal(
                number=number,
                source=seal.get("source" if v3 else "sealSource"),
                type=seal.get("type" if v3 else "sealType"),
            )
        )
    return tuple(result)


def _v22(ev: _Node, scope: str) -> EventCommand:
    event_id = ev.text("eventID", required=True)
    event_type = EventType(ev.required_code("eventType", _V22_TYPES))
    field, allowed = _CODES[event_type]
    code = ev.required_code(field, allowed)
    classifier = Classifier(ev.required_code("eventClassifierCode", _CLASSIFIERS))
    created = ev.time("eventCreatedDateTime", required=True)
    when = ev.time("eventDateTime", required=True)
    assert when is not None
    equipment, flags = _equipment(ev, "equipmentReference")
    location, call = ev.node("eventLocation"), ev.node("transportCall")
    vessel = call.node("vessel")
    imo = vessel.text("vesselIMONumber")
    refs = _references(ev.data.get("documentReferences"))
    doc_type, doc_id = ev.text("documentTypeCode"), ev.text("documentID")
    if event_type is EventType.SHIPMENT and doc_type and doc_id:
        refs.setdefault(doc_type, doc_id)  # a 2.2 shipment event names its document here
    return EventCommand(
        source_key=f"dcsa:{scope}:{event_id}",
        event_type=event_type,
        classifier=classifier,
        type_code=code,
        event_datetime=when,
        event_created_datetime=created,
        where=ev.path,
        equipment_reference=equipment,
        iso_equipment_code=ev.text("ISOEquipmentCode", max_length=4),
        empty_indicator=ev.code("emptyIndicatorCode", _EMPTY),
        un_location_code=location.locode("UNLocationCode") or call.locode("UNLocationCode"),
        facility_code=location.text("facilityCode") or call.text("facilityCode"),
        facility_provider=location.text("facilityCodeListProvider") or call.text("facilityCodeListProvider"),
        location_name=location.text("locationName"),
        mode_of_transport=call.code("modeOfTransport", MODES),
        transport_call_id=call.text("transportCallID"),
        vessel_name=vessel.text("vesselName"),
        vessel_imo=imo,
        vessel_call_sign=vessel.text("vesselCallSignNumber"),
        carrier_code=vessel.text("vesselOperatorCarrierCode"),
        carrier_service_code=call.text("carrierServiceCode"),
        export_voyage=call.text("exportVoyageNumber"),
        import_voyage=call.text("importVoyageNumber"),
        booking_reference=refs.get("BKG"),
        transport_document_reference=refs.get("TRD"),
        document_type_code=doc_type,
        seals=_seals(ev, v3=False),
        flags=tuple(flags + _imo(imo)),
    )


def _v30(ev: _Node, scope: str) -> EventCommand:
    event_id = ev.text("eventID", required=True)
    classification = ev.node("eventClassification")
    event_type = EventType(classification.required_code("eventTypeCode", _EVENT_TYPES))
    field, allowed = _CODES[event_type]
    code = classification.required_code(field, allowed)
    classifier_code = classification.text("eventClassifierCode") or "ACT"  # blank: ACT, as when absent
    classification.one_of("eventClassifierCode", classifier_code, _CLASSIFIERS)
    classifier = Classifier(classifier_code)
    when = ev.time("eventDateTime", required=True)
    updated = ev.time("eventUpdatedDateTime")
    assert when is not None
    party = ev.node("eventRouting").node("originatingParty").text("partyCode") or scope
    equipment_details = ev.node("equipmentDetails")
    equipment, flags = _equipment(equipment_details, "equipmentReference")
    location = ev.node("eventLocation")
    facility = location.node("facility")
    call = ev.node("transportDetails").node("transportCall")
    vessel = call.node("vesselTransport")
    imo = vessel.text("vesselIMONumber")
    shipment = ev.node("shipmentDetails").data
    subject = shipment.get("documentReference")
    # A shipment event is about its primary document, as a 2.2 one is about its documentTypeCode.
    doc_type = (
        str(subject.get("typeCode"))[:3]
        if event_type is EventType.SHIPMENT and isinstance(subject, dict) and subject.get("typeCode")
        else None
    )
    more = shipment.get("additionalDocumentReferences")
    refs = _references([shipment.get("documentReference"), *(more if isinstance(more, list) else ())])
    vehicle = call.node("truckTransport").text("licensePlate") or call.node("railTransport").text(
        "trainNumber"
    )
    return EventCommand(
        source_key=f"dcsa:{party}:{event_id}",
        event_type=event_type,
        classifier=classifier,
        type_code=code,
        event_datetime=when,
        source_updated_datetime=updated,
        where=ev.path,
        equipment_reference=equipment,
        iso_equipment_code=equipment_details.text("ISOEquipmentCode", max_length=4),
        empty_indicator=equipment_details.code("emptyIndicatorCode", _EMPTY),
        movement_type=equipment_details.text("movementType"),
        un_location_code=location.locode("UNLocationCode"),
        facility_code=facility.text("facilityCode"),
        facility_provider=facility.text("facilityCodeListProvider"),
        location_name=location.text("locationName"),
        mode_of_transport=call.code("modeOfTransport", MODES),
        transport_call_id=call.text("transportCallReference"),
        vessel_name=vessel.text("vesselName"),
        vessel_imo=imo,
        vessel_call_sign=vessel.text("vesselCallSign"),
        carrier_code=vessel.text("operatorCarrierCode"),
        carrier_service_code=call.node("serviceCodeOrReference").text("carrierServiceCode"),
        export_voyage=call.node("exportVoyageNumberOrReference").text("carrierVoyageNumber"),
        import_voyage=call.node("importVoyageNumberOrReference").text("carrierVoyageNumber"),
        vehicle_reference=vehicle,
        booking_reference=refs.get("BKG"),
        transport_document_reference=refs.get("TRD"),
        document_type_code=doc_type,
        seals=_seals(equipment_details, v3=True),
        flags=tuple(flags + _imo(imo)),
    )


def parse(
    data: bytes, *, scope: str, max_events: int = 50_000, base: str | None = None, offset: int = 0
) -> ParsedBatch:
    """Translate a DCSA body; ``scope`` names the sender when an event does not name its originating party.

    ``base`` and ``offset``: ``data`` is one part of a larger body (``adapters.dcsa.stream``), an array
    whose item ``i`` is ``{base}[{offset + i}]`` there, so that every refusal names its place in the file."""
    body = jsonio.loads(data)
    if base is not None:
        if not isinstance(body, list):
            raise Invalid(f"{base}: a part of a stream is an array of events", field=base)
        refuse_nul_in_items(data, body, base, offset)
        return _batch(body, base, offset, scope, max_events, listed=True)
    refuse_nul_in_json(data, body)
    if isinstance(body, dict) and "events" in body:
        items, base = body["events"], "$.events"
        if not isinstance(items, list):
            raise Invalid("$.events must be an array", field="$.events")
    elif isinstance(body, list):
        items, base = body, "$"
    elif isinstance(body, dict):
        items, base = [body], "$"
    else:
        raise Invalid('$: expected an event, an array of events, or {"events": [...]}', field="$")
    return _batch(items, base, 0, scope, max_events, listed=base != "$" or isinstance(body, list))


def _batch(
    items: list[Any], base: str, offset: int, scope: str, max_events: int, listed: bool
) -> ParsedBatch:
    if len(items) > max_events:
        raise Invalid(
            f"{base}: {len(items)} events; at most {max_events} per request (stream larger bodies: "
            "hub ingest, or POST /ingest/stream/dcsa)",
            field=base,
        )
    events, versions = [], set()
    first_at: dict[str, str] = {}  # eventID -> the path of the event that carried it first
    for i, item in enumerate(items):
        path = f"{base}[{offset + i}]" if listed else "$"
        if not isinstance(item, dict):
            raise Invalid(f"{path}: an event is a JSON object", field=path)
        ev = _Node(item, path)
        if "eventClassification" in ev.data:
            events.append(_v30(ev, scope))  # the reader's own checks first: they say most precisely
            check_event(item, path, "3.0")
            versions.add("3.0")
        elif "eventType" in ev.data:
            events.append(_v22(ev, scope))
            check_event(item, path, "2.2")
            versions.add("2.2")
        else:
            raise Invalid(
                f"{ev.path}: neither a DCSA 2.2 event (eventType) nor a 3.0 event (eventClassification)",
                field=ev.path,
            )
        event_id = item.get("eventID")
        if isinstance(event_id, str):
            earlier = first_at.setdefault(event_id, path)
            if earlier != path:
                where = f"{path}.eventID"
                raise Invalid(f"{where}: {event_id!r} is the eventID of {earlier} too", field=where)
    info = MessageInfo(
        "DCSA", "DCSA-" + "+".join(sorted(versions)) if versions else "DCSA", f"{scope}:{len(events)} events"
    )
    return ParsedBatch(messages=(info,), events=tuple(events))
