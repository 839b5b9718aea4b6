"""What adapters hand to the tracking service: one typed command per event, whatever format it came in.

Adapters (EDIFACT, DCSA JSON) do no I/O and know nothing of the database; the service validates what
only it can (visibility, duplicates) and stores.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class EventType(enum.StrEnum):
    """DCSA eventType (2.2) / eventClassification.eventTypeCode (3.0)."""

    EQUIPMENT = "EQUIPMENT"
    TRANSPORT = "TRANSPORT"
    SHIPMENT = "SHIPMENT"
    IOT = "IOT"  # 3.0 only
    REEFER = "REEFER"  # 3.0 only


class Classifier(enum.StrEnum):
    """DCSA eventClassifierCode."""

    PLN = "PLN"
    EST = "EST"
    ACT = "ACT"


EQUIPMENT_CODES = frozenset(
    {
        "LOAD",
        "DISC",
        "GTIN",
        "GTOT",
        "STUF",
        "STRP",
        "PICK",
        "DROP",
        "INSP",
        "RSEA",
        "RMVD",
        "AVDO",
        "AVPU",
        "CROS",
        "CUSI",
        "CUSR",
        "CUSS",
    }
)
TRANSPORT_CODES = frozenset({"ARRI", "DEPA"})
SHIPMENT_CODES = frozenset(
    {
        "RECE",
        "DRFT",
        "PENA",
        "PENU",
        "REJE",
        "APPR",
        "ISSU",
        "SURR",
        "SUBM",
        "VOID",
        "CONF",
        "REQS",
        "CMPL",
        "HOLD",
        "RELS",
    }
)
IOT_CODES = frozenset({"DETC"})
REEFER_CODES = frozenset({"MEAS", "ADJU"})
MODES = frozenset({"VESSEL", "RAIL", "TRUCK", "BARGE", "MULTIMODAL"})


class Flag(enum.StrEnum):
    """Something wrong in real data that we keep, and say, rather than drop."""

    EQUIPMENT_CHECK_DIGIT = "EQUIPMENT_CHECK_DIGIT"  # the container number fails ISO 6346
    VESSEL_IMO_CHECK_DIGIT = "VESSEL_IMO_CHECK_DIGIT"  # the IMO number fails its check digit


@dataclass(frozen=True)
class Seal:
    """A seal on a container."""

    number: str
    source: str | None = None  # CAR, SHI, PHY, VET, CUS (3.0 adds CNS, CST, TER)
    type: str | None = None  # KLP, BLT, WIR


@dataclass(slots=True)
class EventCommand:
    """One event to record, in the hub's own terms (close to DCSA 2.2, which every source maps onto).

    Treated as immutable once an adapter has made it; not frozen, because a frozen dataclass of this size
    takes three times as long to build, once per event of every message."""

    source_key: str  # identity at the source: the same key twice is the same event
    event_type: EventType
    classifier: Classifier
    type_code: str
    event_datetime: datetime
    where: str  # the position in the source ("segment 12 (EQD)", "$.events[0]") for messages about it
    event_created_datetime: datetime | None = None
    source_updated_datetime: datetime | None = None  # DCSA 3.0 eventUpdatedDateTime: a later one overrides
    equipment_reference: str | None = None
    iso_equipment_code: str | None = None
    empty_indicator: str | None = None  # EMPTY / LADEN
    movement_type: str | None = None  # EXPORT / IMPORT / TRANSSHIPMENT
    un_location_code: str | None = None
    facility_code: str | None = None
    facility_provider: str | None = None
    location_name: str | None = None
    mode_of_transport: str | None = None
    transport_call_id: str | None = None
    vessel_name: str | None = None
    vessel_imo: str | None = None
    vessel_call_sign: str | None = None
    carrier_code: str | None = None
    carrier_service_code: str | None = None
    export_voyage: str | None = None
    import_voyage: str | None = None
    vehicle_reference: str | None = None  # truck plate, train number
    booking_reference: str | None = None
    transport_document_reference: str | None = None
    document_type_code: str | None = None  # shipment events
    seals: tuple[Seal, ...] = ()
    flags: tuple[Flag, ...] = field(default=())


@dataclass(frozen=True)
class MessageInfo:
    """Where a batch of events came from, for the ingest report and duplicate detection of messages."""

    format: str  # "EDIFACT" or "DCSA"
    message_type: str  # CODECO, COARRI, BAPLIE, IFTSTA, DCSA-2.2, DCSA-3.0
    reference: str  # sender + interchange + message reference, or a digest of the JSON
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedBatch:
    """Everything one ingest request carried."""

    messages: tuple[MessageInfo, ...]
    events: tuple[EventCommand, ...]
    containers: tuple[
        tuple[str, str | None], ...
    ] = ()  # (number, ISO size-type) seen without an event (BAPLIE)
