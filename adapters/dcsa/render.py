"""Tracking events as DCSA Track & Trace 2.2 JSON (``GET /v2/events``), valid against the 2.2 OpenAPI.

2.2 has no IoT, reefer or customs codes; such events are not rendered. Where 2.2 requires a field the
source never gave (a seal's type from EDIFACT, say), the optional structure is left out rather than
invented.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub.tracking.commands import EQUIPMENT_CODES, SHIPMENT_CODES, TRANSPORT_CODES
from hub.tracking.models import TrackingEvent

_V22_EQUIPMENT = EQUIPMENT_CODES - {"AVDO", "AVPU", "CROS", "CUSI", "CUSR", "CUSS"}


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def renderable(event: TrackingEvent) -> bool:
    """True when DCSA 2.2 can express this event."""
    if event.event_type == "EQUIPMENT":
        return event.type_code in _V22_EQUIPMENT and event.empty_indicator is not None
    if event.event_type == "TRANSPORT":
        return (
            event.type_code in TRANSPORT_CODES
            and event.transport_call_id is not None
            and event.mode_of_transport is not None
        )
    if event.event_type == "SHIPMENT":
        return event.type_code in SHIPMENT_CODES and event.document_type_code is not None
    return False


def _transport_call(event: TrackingEvent) -> dict[str, Any] | None:
    if event.transport_call_id is None or event.mode_of_transport not in ("VESSEL", "RAIL", "TRUCK", "BARGE"):
        return None
    call: dict[str, Any] = {
        "transportCallID": event.transport_call_id[:100],
        "modeOfTransport": event.mode_of_transport,
    }
    if event.un_location_code:
        call["UNLocationCode"] = event.un_location_code
    if event.carrier_service_code:
        call["carrierServiceCode"] = event.carrier_service_code[:5]
    if event.export_voyage:
        call["exportVoyageNumber"] = event.export_voyage[:50]
    if event.import_voyage:
        call["importVoyageNumber"] = event.import_voyage[:50]
    if event.vessel_imo:  # 2.2 requires the IMO number inside vessel
        vessel: dict[str, Any] = {"vesselIMONumber": event.vessel_imo}
        if event.vessel_name:
            vessel["vesselName"] = event.vessel_name[:35]
        if event.vessel_call_sign:
            vessel["vesselCallSignNumber"] = event.vessel_call_sign[:10]
        call["vessel"] = vessel
    return call


def render_v22(event: TrackingEvent) -> dict[str, Any]:
    """One event in DCSA 2.2 form (call ``renderable`` first)."""
    body: dict[str, Any] = {
        "eventID": str(event.id),
        "eventCreatedDateTime": _iso(event.event_created_datetime),
        "eventType": event.event_type,
        "eventClassifierCode": event.classifier,
        "eventDateTime": _iso(event.event_datetime),
    }
    refs = []
    if event.booking_reference:
        refs.append({"documentReferenceType": "BKG", "documentReferenceValue": event.booking_reference[:35]})
    if event.transport_document_reference:
        refs.append(
            {
                "documentReferenceType": "TRD",
                "documentReferenceValue": event.transport_document_reference[:20],
            }
        )
    call = _transport_call(event)
    if event.event_type == "EQUIPMENT":
        body["equipmentEventTypeCode"] = event.type_code
        body["emptyIndicatorCode"] = event.empty_indicator
        if event.equipment_reference:
            body["equipmentReference"] = event.equipment_reference
        if event.iso_equipment_code:
            body["ISOEquipmentCode"] = event.iso_equipment_code
        seals = [
            {
                "sealNumber": s["number"][:15],
                "sealType": s["type"],
                **({"sealSource": s["source"]} if s.get("source") else {}),
            }
            for s in event.seals
            if s.get("type")
        ]
        if seals:
            body["seals"] = seals
        if call:
            body["transportCall"] = call
    elif event.event_type == "TRANSPORT":
        body["transportEventTypeCode"] = event.type_code
        body["transportCall"] = call
    else:
        body["shipmentEventTypeCode"] = event.type_code
        body["documentTypeCode"] = event.document_type_code
        body["documentID"] = (event.booking_reference or event.transport_document_reference or "")[:100]
    if event.un_location_code and event.event_type != "SHIPMENT":
        location: dict[str, Any] = {"UNLocationCode": event.un_location_code}
        if event.location_name:
            location["locationName"] = event.location_name[:100]
        if (
            event.facility_code
            and event.facility_provider in ("SMDG", "BIC")
            and len(event.facility_code) <= 6
        ):
            location["facilityCode"] = event.facility_code
            location["facilityCodeListProvider"] = event.facility_provider
        body["eventLocation"] = location
    if refs:
        body["documentReferences"] = refs
    return body


# -- Track & Trace 3.0 ----------------------------------------------------------------------------------

_V30_CODE_FIELD = {
    "EQUIPMENT": "equipmentEventTypeCode",
    "TRANSPORT": "transportEventTypeCode",
    "SHIPMENT": "shipmentEventTypeCode",
    "IOT": "iotEventTypeCode",
    "REEFER": "reeferEventTypeCode",
}


def _some(**values: Any) -> dict[str, Any]:
    """The values that are there (3.0 leaves out what is unknown rather than sending null)."""
    return {k: v for k, v in values.items() if v not in (None, "", [], {})}


def _v30_call(event: TrackingEvent) -> dict[str, Any]:
    mode = event.mode_of_transport
    vehicle = event.vehicle_reference
    return _some(
        transportCallReference=event.transport_call_id,
        modeOfTransport=mode,
        serviceCodeOrReference=_some(carrierServiceCode=event.carrier_service_code),
        exportVoyageNumberOrReference=_some(carrierVoyageNumber=event.export_voyage),
        importVoyageNumberOrReference=_some(carrierVoyageNumber=event.import_voyage),
        vesselTransport=_some(
            vesselIMONumber=event.vessel_imo,
            vesselName=(event.vessel_name or "")[:50],
            vesselCallSign=(event.vessel_call_sign or "")[:10],
            operatorCarrierCode=event.carrier_code,
        ),
        railTransport=_some(railServiceReference=vehicle) if mode == "RAIL" else None,
        truckTransport=_some(tractorDetails=_some(licensePlate=(vehicle or "")[:15]))
        if mode == "TRUCK"
        else None,
    )


def render_v30(event: TrackingEvent) -> dict[str, Any]:
    """One event in DCSA Track & Trace 3.0 form. 3.0 can express every event the hub keeps (customs,
    IoT and reefer codes included); what 2.2 cannot, ``renderable`` leaves out of the 2.2 feed."""
    refs = [
        {"typeCode": code, "reference": value[:100]}
        for code, value in (("BKG", event.booking_reference), ("TRD", event.transport_document_reference))
        if value
    ]
    if event.event_type == "SHIPMENT" and event.document_type_code:
        # The document the event is about comes first; the hub keeps the numbers of bookings and
        # transport documents only, so another document is named by its type alone.
        subject = next((r for r in refs if r["typeCode"] == event.document_type_code), None)
        refs = [subject or {"typeCode": event.document_type_code}, *(r for r in refs if r is not subject)]
    facility = (
        _some(facilityCode=event.facility_code, facilityCodeListProvider=event.facility_provider)
        if event.facility_code and len(event.facility_code) <= 6
        else {}
    )
    body = _some(
        eventID=str(event.id),
        eventDateTime=_iso(event.event_datetime),
        eventUpdatedDateTime=_iso(event.source_updated_datetime or event.event_created_datetime),
        eventClassification={
            "eventTypeCode": event.event_type,
            "eventClassifierCode": event.classifier,
            _V30_CODE_FIELD[event.event_type]: event.type_code,
        },
        eventLocation=_some(
            UNLocationCode=event.un_location_code,
            locationName=(event.location_name or "")[:100],
            facility=facility,
        ),
        equipmentDetails=_some(
            equipmentReference=event.equipment_reference,
            ISOEquipmentCode=event.iso_equipment_code,
            emptyIndicatorCode=event.empty_indicator,
            movementType=event.movement_type,
            seals=[
                _some(number=s["number"][:15], type=s.get("type"), source=s.get("source"))
                for s in event.seals
            ],
        ),
        transportDetails=_some(transportCall=_v30_call(event)),
        shipmentDetails=_some(
            documentReference=refs[0] if refs else None,
            additionalDocumentReferences=refs[1:],
        ),
    )
    return body
