"""The demo's port at Dalian today: a week of vessel calls, a yard whose boxes arrived over the last weeks,
declarations for some of them and a customs hold, all relative to the moment the demo is loaded, so the
port's pages show a working terminal whenever ``hub demo`` runs.

Like the journey (``seeds.journey``), each part is the message its sender would send: an OVS schedule from
the carrier, a CODECO gate-in report from the terminal; declarations and the decision go through the
services the GraphQL mutations use.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from stdnum import iso6346

# Vessels calling Dalian this week: name, IMO, days from now of arrival, hours alongside, berth.
CALLS = (
    ("HUANGHAI PIONEER", "9434876", -3.0, 30, "DCT-2"),
    ("BOHAI BRIDGE", "9512422", -1.2, 20, "DCT-1"),
    ("DONGHAE TRADER", "9387421", 0.6, 26, "DCT-3"),
    ("PACIFIC LINK", "9620310", 2.4, 36, "DCT-2"),
)

# Boxes in the yard: owner code, serial, hours since gate-in. A spread a control room recognises: most
# leave within the free days, a tail stays for weeks.
_DWELL_HOURS = (2, 5, 9, 14, 20, 27, 31, 40, 46, 52, 60, 70, 85, 98, 110, 130, 150, 190, 260, 410)
_OWNERS = ("CSNU", "TCLU", "SEGU", "TGHU", "MSCU")


def yard_containers() -> list[tuple[str, int]]:
    """(container number with a valid ISO 6346 check digit, hours in the yard) for each demo box."""
    boxes = []
    for i, hours in enumerate(_DWELL_HOURS):
        stem = f"{_OWNERS[i % len(_OWNERS)]}{710200 + 37 * i:06d}"
        boxes.append((stem + iso6346.calc_check_digit(stem), hours))
    return boxes


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def schedule(now: datetime) -> bytes:
    """Korea Strait Shipping's OVS 3.0 schedule with this week's calls at Dalian (berths are the terminal's)."""
    vessels = []
    for name, imo, days, alongside, _berth in CALLS:
        arrive = now + timedelta(days=days)
        leave = arrive + timedelta(hours=alongside)
        stamps = [
            {"eventTypeCode": "ARRI", "eventClassifierCode": "PLN", "eventDateTime": _iso(arrive)},
            {"eventTypeCode": "DEPA", "eventClassifierCode": "PLN", "eventDateTime": _iso(leave)},
        ]
        if arrive < now:
            stamps.append(
                {
                    "eventTypeCode": "ARRI",
                    "eventClassifierCode": "ACT",
                    "eventDateTime": _iso(arrive + timedelta(hours=1)),
                }
            )
        if leave < now:
            stamps.append(
                {
                    "eventTypeCode": "DEPA",
                    "eventClassifierCode": "ACT",
                    "eventDateTime": _iso(leave + timedelta(hours=2)),
                }
            )
        voyage = f"{imo[-3:]}E"
        vessels.append(
            {
                "vesselOperatorSMDGLinerCode": "KSS",
                "vesselIMONumber": imo,
                "vesselName": name,
                "isDummyVessel": False,
                "transportCalls": [
                    {
                        "portVisitReference": f"CNDLC{imo[-4:]}{voyage}",
                        "transportCallReference": f"{voyage}-CNDLC",
                        "carrierImportVoyageNumber": voyage,
                        "carrierExportVoyageNumber": voyage,
                        "location": {"locationType": "UNLO", "UNLocationCode": "CNDLC"},
                        "timestamps": stamps,
                    }
                ],
            }
        )
    body = [
        {"carrierServiceName": "Bohai Feeder Loop", "carrierServiceCode": "BFL", "vesselSchedules": vessels}
    ]
    return json.dumps(body).encode()


def gate_ins(now: datetime) -> bytes:
    """Dalian Container Terminal's CODECO gate-in report (BGM 34) of every box now in the yard, by truck."""
    segs = ["UNH+DLCY0001+CODECO:D:95B:UN:SMDG16", "BGM+34+DLCYARD0001+9"]
    for number, hours in yard_containers():
        at = (now - timedelta(hours=hours)).astimezone(UTC)
        segs += [
            f"EQD+CN+{number}+45G1:102:5++2+5",
            f"DTM+7:{at.strftime('%Y%m%d%H%M')}:203",
            "LOC+165+CNDLC:139:6+DCT:TER:ZZZ",
            "TDT+1++3++BMF:172:ZZZ+++LN-B-20417:146",
        ]
    segs.append(f"UNT+{len(segs) + 1}+DLCY0001")
    stamp = now.strftime("%y%m%d:%H%M")
    return (
        "UNB+UNOC:3+CNDLCDCT+HUB+" + stamp + "+DLCYI0001'" + "'".join(segs) + "'UNZ+1+DLCYI0001'"
    ).encode()
