"""Read DCSA Track & Trace events, 2.2 (flat, ``eventType``) or 3.0 (nested, ``eventClassification``).

Accepted bodies: one event, a JSON array of events (2.2 ``GET /v2/events``), or ``{"events": [...]}``
(3.0 push and ``GET /events``). Anything wrong is refused with its JSON path, and nothing of the body is
kept: the caller corrects and sends again.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
import stdnum.imo
import stdnum.iso6346

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


class _Event:
    """Typed access to one event object, with errors that name the JSON path."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise Invalid(f"{path}: an event is a JSON object", field=path)
        self.data, self.path = data, path

    def get(self, *keys: str) -> Any:
        node: Any = self.data
        for key in keys:
            if not isinstance(node, dict):
                return None
            node = node.get(key)
        return node

    def where(self, keys: tuple[str, ...]) -> str:
        return f"{self.path}.{'.'.join(keys)}"

    def text(self, *keys: str, required: bool = False, max_length: int = 500) -> str | None:
        value = self.get(*keys)
        if value is None or value == "":
            if required:
                raise Invalid(f"{self.where(keys)} is required", field=self.where(keys))
            return None
        if type(value) is not str:
            if not isinstance(value, int) or isinstance(value, bool):
                raise Invalid(f"{self.where(keys)} must be a string", field=self.where(keys))
            value = str(value)
        value = value.strip()
        if len(value) > max_length:
            raise Invalid(
                f"{self.where(keys)} is longer than {max_length} characters", field=self.where(keys)
            )
        return value

    def time(self, *keys: str, required: bool = False) -> datetime | None:
        value = self.text(*keys, required=required)
        if value is None:
            return None
        where = f"{self.path}.{'.'.join(keys)}"
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise Invalid(f"{where}: {value!r} is not an ISO 8601 date-time", field=where) from exc
        if parsed.tzinfo is None:
            raise Invalid(f"{where}: {value!r} has no time zone offset", field=where)
        return parsed

    def code(self, value: str | None, allowed: frozenset[str], *keys: str) -> str | None:
        if value is not None and value not in allowed:
            where = f"{self.path}.{'.'.join(keys)}"
            raise Invalid(f"{where}: {value!r} is not one of {', '.join(sorted(allowed))}", field=where)
        return value

    def required_code(self, allowed: frozenset[str], *keys: str) -> str:
        value = self.text(*keys, required=True)
        assert value is not None  # text() raised otherwise
        self.code(value, allowed, *keys)
        return value

    def locode(self, *keys: str) -> str | None:
        value = self.text(*keys)
        if value is not None and not _LOCODE.match(value):
            where = f"{self.path}.{'.'.join(keys)}"
            raise Invalid(f"{where}: {value!r} is not a UN/LOCODE", field=where)
        return value


def _equipment(ev: _Event, *keys: str) -> tuple[str | None, list[Flag]]:
    number = ev.text(*keys)
    if number is None:
        return None, []
    number = number.upper().replace(" ", "")
    if not _CONTAINER.match(number):
        where = f"{ev.path}.{'.'.join(keys)}"
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


def _seals(ev: _Event, seals: Any, *, v3: bool) -> tuple[Seal, ...]:
    result = []
    for i, seal in enumerate(seals if isinstance(seals, list) else []):
        if not isinstance(seal, dict):
            raise Invalid(f"{ev.path}.seals[{i}] is not an object", field=f"{ev.path}.seals[{i}]")
        number = seal.get("number" if v3 else "sealNumber")
        if not isinstance(number, str) or not number:
            raise Invalid(f"{ev.path}.seals[{i}]: a seal needs its number", field=f"{ev.path}.seals[{i}]")
        result.append(
            Seal(
                number=number,
                source=seal.get("source" if v3 else "sealSource"),
                type=seal.get("type" if v3 else "sealType"),
            )
        )
    return tuple(result)


def _v22(ev: _Event, scope: str) -> EventCommand:
    event_id = ev.text("eventID", required=True)
    event_type = EventType(ev.required_code(_V22_TYPES, "eventType"))
    field, allowed = _CODES[event_type]
    code = ev.code(ev.text(field, required=True), allowed, field)
    classifier = Classifier(ev.required_code(_CLASSIFIERS, "eventClassifierCode"))
    created = ev.time("eventCreatedDateTime", required=True)
    when = ev.time("eventDateTime", required=True)
    assert when is not None and code is not None
    equipment, flags = _equipment(ev, "equipmentReference")
    imo = ev.text("transportCall", "vessel", "vesselIMONumber")
    refs = _references(ev.get("documentReferences"))
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
        empty_indicator=ev.code(ev.text("emptyIndicatorCode"), _EMPTY, "emptyIndicatorCode"),
        un_location_code=ev.locode("eventLocation", "UNLocationCode")
        or ev.locode("transportCall", "UNLocationCode"),
        facility_code=ev.text("eventLocation", "facilityCode") or ev.text("transportCall", "facilityCode"),
        facility_provider=ev.text("eventLocation", "facilityCodeListProvider")
        or ev.text("transportCall", "facilityCodeListProvider"),
        location_name=ev.text("eventLocation", "locationName"),
        mode_of_transport=ev.code(
            ev.text("transportCall", "modeOfTransport"), MODES, "transportCall", "modeOfTransport"
        ),
        transport_call_id=ev.text("transportCall", "transportCallID"),
        vessel_name=ev.text("transportCall", "vessel", "vesselName"),
        vessel_imo=imo,
        vessel_call_sign=ev.text("transportCall", "vessel", "vesselCallSignNumber"),
        carrier_code=ev.text("transportCall", "vessel", "vesselOperatorCarrierCode"),
        carrier_service_code=ev.text("transportCall", "carrierServiceCode"),
        export_voyage=ev.text("transportCall", "exportVoyageNumber"),
        import_voyage=ev.text("transportCall", "importVoyageNumber"),
        booking_reference=refs.get("BKG"),
        transport_document_reference=refs.get("TRD"),
        document_type_code=ev.text("documentTypeCode"),
        seals=_seals(ev, ev.get("seals"), v3=False),
        flags=tuple(flags + _imo(imo)),
    )


def _v30(ev: _Event, scope: str) -> EventCommand:
    event_id = ev.text("eventID", required=True)
    event_type = EventType(ev.required_code(_EVENT_TYPES, "eventClassification", "eventTypeCode"))
    field, allowed = _CODES[event_type]
    code = ev.code(
        ev.text("eventClassification", field, required=True), allowed, "eventClassification", field
    )
    classifier_text = ev.text("eventClassification", "eventClassifierCode") or "ACT"
    classifier = Classifier(
        ev.code(classifier_text, _CLASSIFIERS, "eventClassification", "eventClassifierCode") or "ACT"
    )
    when = ev.time("eventDateTime", required=True)
    updated = ev.time("eventUpdatedDateTime")
    assert when is not None and code is not None
    party = ev.text("eventRouting", "originatingParty", "partyCode") or scope
    equipment, flags = _equipment(ev, "equipmentDetails", "equipmentReference")
    call = ("transportDetails", "transportCall")
    vessel = (*call, "vesselTransport")
    imo = ev.text(*vessel, "vesselIMONumber")
    refs = _references(
        [
            ev.get("shipmentDetails", "documentReference"),
            *(ev.get("shipmentDetails", "additionalDocumentReferences") or []),
        ]
    )
    vehicle = ev.text(*call, "truckTransport", "licensePlate") or ev.text(
        *call, "railTransport", "trainNumber"
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
        iso_equipment_code=ev.text("equipmentDetails", "ISOEquipmentCode", max_length=4),
        empty_indicator=ev.code(
            ev.text("equipmentDetails", "emptyIndicatorCode"),
            _EMPTY,
            "equipmentDetails",
            "emptyIndicatorCode",
        ),
        movement_type=ev.text("equipmentDetails", "movementType"),
        un_location_code=ev.locode("eventLocation", "UNLocationCode"),
        facility_code=ev.text("eventLocation", "facility", "facilityCode"),
        facility_provider=ev.text("eventLocation", "facility", "facilityCodeListProvider"),
        location_name=ev.text("eventLocation", "locationName"),
        mode_of_transport=ev.code(ev.text(*call, "modeOfTransport"), MODES, *call, "modeOfTransport"),
        transport_call_id=ev.text(*call, "transportCallReference"),
        vessel_name=ev.text(*vessel, "vesselName"),
        vessel_imo=imo,
        vessel_call_sign=ev.text(*vessel, "vesselCallSign"),
        carrier_code=ev.text(*vessel, "operatorCarrierCode"),
        carrier_service_code=ev.text(*call, "serviceCodeOrReference", "carrierServiceCode"),
        export_voyage=ev.text(*call, "exportVoyageNumberOrReference", "carrierVoyageNumber"),
        import_voyage=ev.text(*call, "importVoyageNumberOrReference", "carrierVoyageNumber"),
        vehicle_reference=vehicle,
        booking_reference=refs.get("BKG"),
        transport_document_reference=refs.get("TRD"),
        seals=_seals(ev, ev.get("equipmentDetails", "seals"), v3=True),
        flags=tuple(flags + _imo(imo)),
    )


def _json(data: bytes) -> Any:
    # orjson reads a body three times faster; what it refuses (UTF-16 or UTF-32, NaN, integers beyond
    # 64 bits, broken JSON) goes to the standard library, which accepts the same as before or says why not.
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def parse(data: bytes, *, scope: str, max_events: int = 50_000) -> ParsedBatch:
    """Translate a DCSA body; ``scope`` names the sender when an event does not name its originating party."""
    try:
        body = _json(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid(f"$: the body is not JSON ({exc})", field="$") from exc
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
    if len(items) > max_events:
        raise Invalid(f"{base}: {len(items)} events; at most {max_events} per request", field=base)
    events, versions = [], set()
    for i, item in enumerate(items):
        ev = _Event(item, f"{base}[{i}]" if base != "$" or isinstance(body, list) else "$")
        if "eventClassification" in ev.data:
            events.append(_v30(ev, scope))
            versions.add("3.0")
        elif "eventType" in ev.data:
            events.append(_v22(ev, scope))
            versions.add("2.2")
        else:
            raise Invalid(
                f"{ev.path}: neither a DCSA 2.2 event (eventType) nor a 3.0 event (eventClassification)",
                field=ev.path,
            )
    info = MessageInfo(
        "DCSA", "DCSA-" + "+".join(sorted(versions)) if versions else "DCSA", f"{scope}:{len(events)} events"
    )
    return ParsedBatch(messages=(info,), events=tuple(events))
