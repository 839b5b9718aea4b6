"""The demo journey in the formats real systems send: Busan to Dalian by sea, Dalian to Shenyang by rail,
the last miles in Shenyang by truck, under one negotiable through bill.

Each step is the message one party would send (DCSA 3.0 JSON from the ocean carrier and the railway,
EDIFACT COARRI and CODECO from the terminals, DCSA 2.2 from the haulier). The test of the journey sends
them over REST; the demo loader sends the first steps, so that ``hub demo`` shows a container on its way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

BILL_NUMBER = "BMF-DLC-26-0001"
CONTAINERS = ("MSCU6639870", "TGHU8841201")
VESSEL, VOYAGE, IMO = "KOREA STAR", "061W", "9321483"
T0 = datetime(2026, 11, 10, 8, 0, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _edi(moment: datetime) -> str:
    return moment.strftime("%Y%m%d%H%M")


def bill_input(forwarder_ids: dict[str, str]) -> dict[str, object]:
    """The bill as GraphQL input; ``forwarder_ids`` maps organisation names to ids."""
    return {
        "number": BILL_NUMBER,
        "negotiable": True,
        "shipper": {"name": "Hanul Electronics Export", "orgId": forwarder_ids["Hanul Electronics Export"]},
        "consignee": {"name": "TO ORDER"},
        "notify": {
            "name": "Liaoning Cross-Border Mall",
            "orgId": forwarder_ids["Liaoning Cross-Border Mall"],
        },
        "placeOfReceipt": "KRPUS",
        "placeOfDelivery": "CNSHE",
        "legs": [
            {
                "mode": "SEA",
                "fromLocode": "KRPUS",
                "toLocode": "CNDLC",
                "carrierName": "Korea Strait Shipping",
                "carrierOrgId": forwarder_ids["Korea Strait Shipping"],
                "vesselName": VESSEL,
                "voyage": VOYAGE,
                "plannedDeparture": _iso(T0),
                "plannedArrival": _iso(T0 + timedelta(days=2)),
            },
            {
                "mode": "RAIL",
                "fromLocode": "CNDLC",
                "toLocode": "CNSHE",
                "carrierName": "Shenyang Rail Container Co.",
                "carrierOrgId": forwarder_ids["Shenyang Rail Container Co."],
                "vehicleReference": "X8041",
                "plannedDeparture": _iso(T0 + timedelta(days=3)),
                "plannedArrival": _iso(T0 + timedelta(days=3, hours=10)),
            },
            {
                "mode": "ROAD",
                "fromLocode": "CNSHE",
                "toLocode": "CNSHE",
                "carrierName": "Bohai Multimodal Forwarding",
                "vehicleReference": "LN-A-77312",
            },
        ],
        "containers": [
            {
                "number": CONTAINERS[0],
                "isoSizeType": "45G1",
                "seals": ["KS2026118842"],
                "grossWeightKg": "14850",
            },
            {
                "number": CONTAINERS[1],
                "isoSizeType": "45G1",
                "seals": ["KS2026118843"],
                "grossWeightKg": "14620",
            },
        ],
        "cargo": [
            {
                "hsCode": "852852",
                "description": "LED monitors, 27 inch",
                "packages": 600,
                "packageType": "CARTONS",
                "grossWeightKg": "14700",
                "value": "93000",
                "currency": "USD",
                "containerNumber": CONTAINERS[0],
            },
            {
                "hsCode": "852852",
                "description": "LED monitors, 32 inch",
                "packages": 600,
                "packageType": "CARTONS",
                "grossWeightKg": "14470",
                "value": "93000",
                "currency": "USD",
                "containerNumber": CONTAINERS[1],
            },
        ],
    }


def _dcsa3(
    event_id: str,
    when: datetime,
    kind: str,
    code: str,
    place: str,
    *,
    classifier: str = "ACT",
    container: str | None = None,
    mode: str = "VESSEL",
) -> dict[str, object]:
    event: dict[str, object] = {
        "eventID": event_id,
        "eventDateTime": _iso(when),
        "eventUpdatedDateTime": _iso(when),
        "eventLocation": {"UNLocationCode": place},
        "eventClassification": {
            "eventTypeCode": kind,
            "eventClassifierCode": classifier,
            ("equipmentEventTypeCode" if kind == "EQUIPMENT" else "transportEventTypeCode"): code,
        },
        "transportDetails": {
            "transportCall": {
                "transportCallReference": f"{VOYAGE}-{place}" if mode == "VESSEL" else f"X8041-{place}",
                "modeOfTransport": mode,
                **(
                    {
                        "vesselTransport": {"vesselIMONumber": IMO, "vesselName": VESSEL},
                        "exportVoyageNumberOrReference": {"carrierVoyageNumber": VOYAGE},
                    }
                    if mode == "VESSEL"
                    else {"railTransport": {"trainNumber": "X8041"}}
                ),
            }
        },
    }
    if container:
        event["equipmentDetails"] = {
            "equipmentReference": container,
            "ISOEquipmentCode": "45G1",
            "emptyIndicatorCode": "LADEN",
        }
    return event


@dataclass(frozen=True)
class Step:
    """One message of the journey: who sends it, in which format, and what it means."""

    sender: str
    kind: str  # "dcsa" or "edifact"
    body: bytes
    what: str


def sea_loading() -> Step:
    """Korea Strait Shipping: both containers loaded at Busan, the vessel departed, Dalian ETA."""
    events = [
        _dcsa3(f"kss-load-{c}", T0 - timedelta(hours=6 - i), "EQUIPMENT", "LOAD", "KRPUS", container=c)
        for i, c in enumerate(CONTAINERS)
    ]
    events.append(_dcsa3("kss-depa-krpus", T0, "TRANSPORT", "DEPA", "KRPUS"))
    events.append(
        _dcsa3("kss-arri-cndlc-est", T0 + timedelta(days=2), "TRANSPORT", "ARRI", "CNDLC", classifier="EST")
    )
    events += [
        _dcsa3(
            f"kss-disc-est-{c}",
            T0 + timedelta(days=2, hours=3),
            "EQUIPMENT",
            "DISC",
            "CNDLC",
            classifier="EST",
            container=c,
        )
        for c in CONTAINERS
    ]
    return Step(
        "Korea Strait Shipping",
        "dcsa",
        json.dumps({"events": events}).encode(),
        "loaded at Busan, sailed, ETA Dalian",
    )


def dalian_discharge() -> Step:
    """Dalian Container Terminal: COARRI discharge report for voyage 061W."""
    when = T0 + timedelta(days=2, hours=4)
    segs = [
        "UNH+DLC0001+COARRI:D:95B:UN:ITG13",
        "BGM+44+DLC2611120001+9",
        f"TDT+20+{VOYAGE}+1+13+KSS:172:20+++D7KS2:103::{VESSEL}",
        "LOC+11+CNDLC:139:6+DCT:TER:ZZZ",
        f"DTM+178:{_edi(when - timedelta(hours=2))}:203",
    ]
    for i, number in enumerate(CONTAINERS):
        segs += [
            f"EQD+CN+{number}+45G1:102:5++3+5",
            f"RFF+BM:{BILL_NUMBER}",
            f"DTM+203:{_edi(when + timedelta(minutes=9 * i))}:203",
            "LOC+9+KRPUS:139:6",
            f"SEL+KS202611884{2 + i}+CA",
        ]
    segs.append("CNT+16:2")
    segs.append(f"UNT+{len(segs) + 1}+DLC0001")
    body = "UNB+UNOC:3+CNDLCDCT+HUB+261112:1400+DLCIC0001'" + "'".join(segs) + "'UNZ+1+DLCIC0001'"
    return Step("Dalian Container Terminal", "edifact", body.encode(), "discharged at Dalian")


def dalian_gate_out_rail() -> Step:
    """Dalian Container Terminal: CODECO gate-out of both containers onto the Shenyang train."""
    when = T0 + timedelta(days=3)
    segs = ["UNH+DLC0002+CODECO:D:95B:UN:SMDG16", "BGM+36+DLC2611130002+9"]
    for i, number in enumerate(CONTAINERS):
        segs += [
            f"EQD+CN+{number}+45G1:102:5++3+5",
            f"DTM+7:{_edi(when + timedelta(minutes=5 * i))}:203",
            "LOC+165+CNDLC:139:6+DCT:TER:ZZZ",
            "TDT+1++2++SRC:172:ZZZ+++X8041:146",
        ]
    segs.append(f"UNT+{len(segs) + 1}+DLC0002")
    body = "UNB+UNOC:3+CNDLCDCT+HUB+261113:0830+DLCIC0002'" + "'".join(segs) + "'UNZ+1+DLCIC0002'"
    return Step("Dalian Container Terminal", "edifact", body.encode(), "gated out at Dalian onto the train")


def rail_leg() -> Step:
    """Shenyang Rail Container Co.: loaded on train X8041, departed, ETA Shenyang."""
    events = [
        _dcsa3(
            f"src-load-{c}",
            T0 + timedelta(days=3, minutes=30 + i),
            "EQUIPMENT",
            "LOAD",
            "CNDLC",
            container=c,
            mode="RAIL",
        )
        for i, c in enumerate(CONTAINERS)
    ]
    events.append(
        _dcsa3("src-depa-cndlc", T0 + timedelta(days=3, hours=1), "TRANSPORT", "DEPA", "CNDLC", mode="RAIL")
    )
    events.append(
        _dcsa3(
            "src-arri-cnshe-est",
            T0 + timedelta(days=3, hours=10),
            "TRANSPORT",
            "ARRI",
            "CNSHE",
            classifier="EST",
            mode="RAIL",
        )
    )
    events += [
        _dcsa3(
            f"src-disc-est-{c}",
            T0 + timedelta(days=3, hours=11),
            "EQUIPMENT",
            "DISC",
            "CNSHE",
            classifier="EST",
            container=c,
            mode="RAIL",
        )
        for c in CONTAINERS
    ]
    return Step(
        "Shenyang Rail Container Co.",
        "dcsa",
        json.dumps({"events": events}).encode(),
        "on the train to Shenyang",
    )


def shenyang_arrival() -> Step:
    """Shenyang Rail Container Co.: arrived and unloaded at Shenyang."""
    events = [
        _dcsa3(
            "src-arri-cnshe",
            T0 + timedelta(days=3, hours=9, minutes=40),
            "TRANSPORT",
            "ARRI",
            "CNSHE",
            mode="RAIL",
        )
    ]
    events += [
        _dcsa3(
            f"src-disc-{c}",
            T0 + timedelta(days=3, hours=10, minutes=15 + i),
            "EQUIPMENT",
            "DISC",
            "CNSHE",
            container=c,
            mode="RAIL",
        )
        for i, c in enumerate(CONTAINERS)
    ]
    return Step(
        "Shenyang Rail Container Co.", "dcsa", json.dumps({"events": events}).encode(), "unloaded at Shenyang"
    )


def road_delivery() -> Step:
    """Bohai Multimodal Forwarding (as haulier): picked up at the rail terminal, dropped at the consignee (DCSA 2.2)."""
    events = []
    for i, number in enumerate(CONTAINERS):
        for code, hours in (("PICK", 12), ("DROP", 14)):
            when = T0 + timedelta(days=3, hours=hours, minutes=20 * i)
            events.append(
                {
                    "eventID": f"b1a7c0de-0000-4000-8000-00000000{i}{hours:02d}0",
                    "eventCreatedDateTime": _iso(when),
                    "eventType": "EQUIPMENT",
                    "eventClassifierCode": "ACT",
                    "eventDateTime": _iso(when),
                    "equipmentEventTypeCode": code,
                    "equipmentReference": number,
                    "ISOEquipmentCode": "45G1",
                    "emptyIndicatorCode": "LADEN",
                    "eventLocation": {"UNLocationCode": "CNSHE"},
                    "transportCall": {"transportCallID": f"truck-LN-A-77312-{i}", "modeOfTransport": "TRUCK"},
                }
            )
    return Step(
        "Bohai Multimodal Forwarding", "dcsa", json.dumps(events).encode(), "delivered in Shenyang by truck"
    )


def journey() -> list[Step]:
    """Every message of the journey, in order."""
    return [
        sea_loading(),
        dalian_discharge(),
        dalian_gate_out_rail(),
        rail_leg(),
        shenyang_arrival(),
        road_delivery(),
    ]


PORT_VISIT = "CNDLC26061W"


def schedule() -> Step:
    """Korea Strait Shipping: the operational vessel schedule (DCSA OVS 3.0) of KOREA STAR, voyage 061W."""
    service = {
        "carrierServiceName": "Korea Strait Express",
        "carrierServiceCode": "KSX",
        "vesselSchedules": [
            {
                "vesselOperatorSMDGLinerCode": "KSS",
                "vesselIMONumber": IMO,
                "vesselName": VESSEL,
                "vesselCallSign": "D7KS2",
                "isDummyVessel": False,
                "transportCalls": [
                    {
                        "portVisitReference": "KRPUS26061W",
                        "transportCallReference": f"{VOYAGE}-KRPUS",
                        "carrierExportVoyageNumber": VOYAGE,
                        "location": {"locationType": "UNLO", "UNLocationCode": "KRPUS"},
                        "timestamps": [
                            {
                                "eventTypeCode": "DEPA",
                                "eventClassifierCode": "PLN",
                                "eventDateTime": _iso(T0),
                            },
                            {
                                "eventTypeCode": "DEPA",
                                "eventClassifierCode": "ACT",
                                "eventDateTime": _iso(T0),
                            },
                        ],
                    },
                    {
                        "portVisitReference": PORT_VISIT,
                        "transportCallReference": f"{VOYAGE}-CNDLC",
                        "carrierImportVoyageNumber": VOYAGE,
                        "carrierExportVoyageNumber": VOYAGE,
                        "location": {"locationType": "UNLO", "UNLocationCode": "CNDLC"},
                        "timestamps": [
                            {
                                "eventTypeCode": "ARRI",
                                "eventClassifierCode": "PLN",
                                "eventDateTime": _iso(T0 + timedelta(days=2)),
                            },
                            {
                                "eventTypeCode": "ARRI",
                                "eventClassifierCode": "ACT",
                                "eventDateTime": _iso(T0 + timedelta(days=2, hours=2)),
                            },
                            {
                                "eventTypeCode": "DEPA",
                                "eventClassifierCode": "EST",
                                "eventDateTime": _iso(T0 + timedelta(days=2, hours=20)),
                            },
                        ],
                    },
                ],
            }
        ],
    }
    return Step("Korea Strait Shipping", "schedules", json.dumps([service]).encode(), "the vessel schedule")
