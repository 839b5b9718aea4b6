"""DCSA operational vessel schedules (OVS 3.0) and just-in-time port call (JIT 2.0) payloads, read into
port-call commands. Errors name the JSON path; nothing of a refused body is used.

OVS gives each call's planned, estimated and actual arrival and departure (``timestamps``); JIT gives
the port call (vessel, port visit), its terminal calls (service, voyages), the services ordered for a
terminal call (berth, pilotage ... with their location and the moves planned) and the vessel's status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import stdnum.imo

from adapters import jsonio
from adapters.text import refuse_nul_in_json
from hub.errors import Invalid

JIT_KINDS = ("port-call", "terminal-call", "port-call-service", "vessel-status")


@dataclass(frozen=True)
class CallTime:
    """One timestamp of a call: ARRI or DEPA, PLN/EST/ACT, optionally at the berth."""

    event_type: str
    classifier: str
    at: datetime
    at_berth: bool = False


@dataclass(frozen=True)
class VesselInfo:
    imo: str
    imo_valid: bool = True  # False: the check digit fails (kept, flagged, as for container numbers)
    name: str | None = None
    call_sign: str | None = None
    mmsi: str | None = None
    operator_code: str | None = None
    type_code: str | None = None
    length_m: float | None = None
    width_m: float | None = None


@dataclass(frozen=True)
class CallCommand:
    """A port call as a schedule or JIT payload describes it."""

    where: str
    un_location_code: str
    port_visit_reference: str
    vessel: VesselInfo
    transport_call_reference: str | None = None
    carrier_service_code: str | None = None
    import_voyage: str | None = None
    export_voyage: str | None = None
    status_code: str | None = None
    jit_port_call_id: str | None = None
    times: tuple[CallTime, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)


def _fail(path: str, problem: str) -> Invalid:
    return Invalid(f"{path}: {problem}", field=path)


def _load(data: bytes) -> Any:
    body = jsonio.loads(data)
    refuse_nul_in_json(data, body)
    return body


def _text(
    obj: dict[str, Any], key: str, path: str, *, required: bool = False, max_length: int = 100
) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise _fail(f"{path}.{key}", "is required")
        return None
    if not isinstance(value, str):
        raise _fail(f"{path}.{key}", f"expected text, got {_kind(value)}")
    if len(value) > max_length:
        raise _fail(f"{path}.{key}", f"at most {max_length} characters")
    return value


def _object(value: Any, path: str, *, item: bool = False) -> dict[str, Any]:
    """The JSON object at ``path``; an absent one (not an ``item`` of an array) reads as empty, anything
    else is refused."""
    if value is None and not item:
        return {}
    if not isinstance(value, dict):
        raise _fail(path, f"expected an object, got {_kind(value)}")
    return value


def _array(value: Any, path: str) -> list[Any]:
    """The JSON array at ``path``; an absent one reads as empty, anything else is refused."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(path, f"expected an array, got {_kind(value)}")
    return value


def _number(value: Any, path: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(path, f"expected a number, got {_kind(value)}")
    return value  # as sent: an integer stays one


def _kind(value: Any) -> str:
    """A JSON value's type in JSON's words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "an array" if isinstance(value, list) else "an object"


def _imo(value: Any, path: str) -> tuple[str, bool]:
    """The number and whether its check digit holds; refused when it is not 7 digits at all."""
    text = stdnum.imo.compact(str(value or "").strip())
    if len(text) != 7 or not text.isdigit():
        raise _fail(path, f"{value!r} is not an IMO ship number (7 digits, the last one a check digit)")
    return text, stdnum.imo.is_valid(text)


def _locode(value: Any, path: str) -> str:
    text = str(value or "").strip().upper()
    if len(text) != 5 or not text[:2].isalpha():
        raise _fail(path, f"{value!r} is not a UN/LOCODE")
    return text


def _time(value: Any, path: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise _fail(path, f"{value!r} is not an ISO 8601 date-time") from exc
    if moment.tzinfo is None:
        raise _fail(path, f"{value!r} has no time zone")
    return moment


def parse_ovs(data: bytes) -> list[CallCommand]:
    """Every transport call of an OVS 3.0 response (a list of services)."""
    body = _load(data)
    if not isinstance(body, list):
        raise _fail("$", "an OVS response is a list of service schedules")
    calls: list[CallCommand] = []
    for s_index, service in enumerate(body):
        s_path = f"$[{s_index}]"
        if not isinstance(service, dict):
            raise _fail(s_path, "expected an object")
        service_code = _text(service, "carrierServiceCode", s_path, max_length=11)
        schedules = _array(service.get("vesselSchedules"), f"{s_path}.vesselSchedules")
        for v_index, item in enumerate(schedules):
            v_path = f"{s_path}.vesselSchedules[{v_index}]"
            schedule = _object(item, v_path, item=True)
            imo, valid = _imo(schedule.get("vesselIMONumber"), f"{v_path}.vesselIMONumber")
            vessel = VesselInfo(
                imo=imo,
                imo_valid=valid,
                name=_text(schedule, "vesselName", v_path, max_length=50),
                call_sign=_text(schedule, "vesselCallSign", v_path, max_length=10),
                operator_code=_text(schedule, "vesselOperatorSMDGLinerCode", v_path, max_length=10),
            )
            calls_at = _array(schedule.get("transportCalls"), f"{v_path}.transportCalls")
            for c_index, item in enumerate(calls_at):
                c_path = f"{v_path}.transportCalls[{c_index}]"
                call = _object(item, c_path, item=True)
                location = _object(call.get("location"), f"{c_path}.location")
                times = []
                for t_index, entry in enumerate(_array(call.get("timestamps"), f"{c_path}.timestamps")):
                    t_path = f"{c_path}.timestamps[{t_index}]"
                    stamp = _object(entry, t_path, item=True)
                    kind = stamp.get("eventTypeCode")
                    classifier = stamp.get("eventClassifierCode")
                    if kind not in ("ARRI", "DEPA"):
                        raise _fail(f"{t_path}.eventTypeCode", f"{kind!r} is not ARRI or DEPA")
                    if classifier not in ("PLN", "EST", "ACT"):
                        raise _fail(f"{t_path}.eventClassifierCode", f"{classifier!r} is not PLN, EST or ACT")
                    times.append(
                        CallTime(
                            kind, classifier, _time(stamp.get("eventDateTime"), f"{t_path}.eventDateTime")
                        )
                    )
                reference = _text(call, "portVisitReference", c_path, max_length=50) or _text(
                    call, "transportCallReference", c_path, required=True
                )
                assert reference is not None
                calls.append(
                    CallCommand(
                        where=c_path,
                        un_location_code=_locode(
                            location.get("UNLocationCode"), f"{c_path}.location.UNLocationCode"
                        ),
                        port_visit_reference=reference,
                        vessel=vessel,
                        transport_call_reference=_text(call, "transportCallReference", c_path),
                        carrier_service_code=service_code,
                        import_voyage=_text(call, "carrierImportVoyageNumber", c_path, max_length=50),
                        export_voyage=_text(call, "carrierExportVoyageNumber", c_path, max_length=50),
                        status_code=_text(call, "statusCode", c_path, max_length=4),
                        times=tuple(times),
                    )
                )
    return calls


def parse_jit(kind: str, data: bytes) -> dict[str, Any]:
    """One JIT 2.0 payload of ``kind``, checked for what the hub uses; the rest is kept as details."""
    if kind not in JIT_KINDS:
        raise Invalid(f"unknown JIT payload {kind!r}; one of {', '.join(JIT_KINDS)}", field="kind")
    body = _load(data)
    if not isinstance(body, dict):
        raise _fail("$", "expected an object")
    if kind == "port-call":
        vessel = _object(body.get("vessel"), "$.vessel")
        imo, valid = _imo(vessel.get("vesselIMONumber"), "$.vessel.vesselIMONumber")
        return {
            "command": CallCommand(
                where="$",
                un_location_code=_locode(body.get("UNLocationCode"), "$.UNLocationCode"),
                port_visit_reference=_text(body, "portVisitReference", "$", required=True, max_length=50)
                or "",
                jit_port_call_id=_text(body, "portCallID", "$", required=True),
                vessel=VesselInfo(
                    imo=imo,
                    imo_valid=valid,
                    name=_text(vessel, "name", "$.vessel", max_length=50),
                    call_sign=_text(vessel, "callSign", "$.vessel", max_length=10),
                    mmsi=_text(vessel, "MMSINumber", "$.vessel", max_length=9),
                    type_code=_text(vessel, "typeCode", "$.vessel", max_length=4),
                    length_m=_number(vessel.get("lengthOverall"), "$.vessel.lengthOverall"),
                    width_m=_number(vessel.get("width"), "$.vessel.width"),
                ),
                details={"isFYI": bool(body.get("isFYI"))},
            )
        }
    if kind == "terminal-call":
        return {
            "portCallID": _text(body, "portCallID", "$", required=True),
            "terminalCallID": _text(body, "terminalCallID", "$", required=True),
            "terminalCallReference": _text(body, "terminalCallReference", "$"),
            "carrierServiceCode": _text(body, "carrierServiceCode", "$", max_length=11),
            "carrierServiceName": _text(body, "carrierServiceName", "$"),
            "importVoyage": _text(body, "carrierImportVoyageNumber", "$", max_length=50),
            "exportVoyage": _text(body, "carrierExportVoyageNumber", "$", max_length=50),
            "isFYI": bool(body.get("isFYI")),
        }
    if kind == "port-call-service":
        location = _object(body.get("portCallServiceLocation"), "$.portCallServiceLocation")
        facility = _object(location.get("facility"), "$.portCallServiceLocation.facility")
        return {
            "terminalCallID": _text(body, "terminalCallID", "$", required=True),
            "portCallServiceID": _text(body, "portCallServiceID", "$", required=True),
            "serviceType": _text(body, "portCallServiceTypeCode", "$", required=True, max_length=20),
            "eventType": _text(body, "portCallServiceEventTypeCode", "$", max_length=4),
            "phase": _text(body, "portCallPhaseTypeCode", "$", max_length=4),
            "locationName": _text(location, "locationName", "$.portCallServiceLocation"),
            "facilityCode": _text(
                facility, "facilityCode", "$.portCallServiceLocation.facility", max_length=20
            ),
            "moves": _array(body.get("moves"), "$.moves"),
            "isFYI": bool(body.get("isFYI")),
        }
    return {
        "portCallServiceID": _text(body, "portCallServiceID", "$", required=True),
        "draft": _number(body.get("draft"), "$.draft"),
        "airDraft": _number(body.get("airDraft"), "$.airDraft"),
        "milesToDestinationPort": _number(body.get("milesToDestinationPort"), "$.milesToDestinationPort"),
        "isFYI": bool(body.get("isFYI")),
    }
