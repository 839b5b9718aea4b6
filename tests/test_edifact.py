"""Golden tests of the EDIFACT adapter on real terminal messages, and its refusals of broken ones."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.edifact import parse
from hub.errors import Invalid
from hub.tracking.commands import Classifier, EventType, Flag
from tests.fixtures import EDIFACT, read


def test_codeco_gate_in_at_huelva_keeps_and_flags_the_bad_container_number() -> None:
    batch = parse(read(EDIFACT / "CODECO_D95B_huelva.edi"))
    assert [m.message_type for m in batch.messages] == ["CODECO"]
    [event] = batch.events
    assert (event.event_type, event.classifier, event.type_code) == (
        EventType.EQUIPMENT,
        Classifier.ACT,
        "GTIN",
    )
    assert event.equipment_reference == "TESI1120274" and event.flags == (Flag.EQUIPMENT_CHECK_DIGIT,)
    assert event.event_datetime == datetime(2023, 8, 11, 14, 47, tzinfo=UTC)
    assert (event.un_location_code, event.facility_code) == ("ESHUV", "CONCHUV")
    assert (event.mode_of_transport, event.vehicle_reference) == ("TRUCK", "993NGR")
    assert (event.iso_equipment_code, event.empty_indicator, event.movement_type) == (
        "4EG1",
        "LADEN",
        "EXPORT",
    )
    assert event.booking_reference == "FUE110823"
    assert [(s.number, s.source) for s in event.seals] == [("88200", "SHI")]
    assert event.where == "segment 8 (EQD)"


def test_coarri_genoa_discharge_and_load() -> None:
    batch = parse(read(EDIFACT / "COARRI_D95B_genoa_cosco.edi"))
    assert [m.message_type for m in batch.messages] == ["COARRI", "COARRI"]
    equipment = [e for e in batch.events if e.event_type is EventType.EQUIPMENT]
    transport = [e for e in batch.events if e.event_type is EventType.TRANSPORT]
    assert len(equipment) == 21
    assert [e.type_code for e in equipment].count("DISC") == 2 and [e.type_code for e in equipment].count(
        "LOAD"
    ) == 19
    assert all(not e.flags for e in equipment)  # all 21 numbers pass ISO 6346
    disc = next(e for e in equipment if e.type_code == "DISC")
    assert (disc.equipment_reference, disc.un_location_code, disc.facility_code) == (
        "FCIU9908030",
        "ITGOA",
        "VTE",
    )
    assert (disc.vessel_name, disc.vessel_call_sign, disc.import_voyage, disc.mode_of_transport) == (
        "COSCO AFRICA",
        "3ERX3",
        "031W",
        "VESSEL",
    )
    assert disc.movement_type == "IMPORT" and disc.event_datetime == datetime(2016, 2, 3, 9, 13, tzinfo=UTC)
    load = [e for e in equipment if e.type_code == "LOAD"]
    assert sum(1 for e in load if e.booking_reference) == 18 and all(e.export_voyage == "032E" for e in load)
    # Header ETA/ETD become estimated transport events of the call.
    assert {(e.type_code, e.classifier) for e in transport} == {
        ("ARRI", Classifier.EST),
        ("DEPA", Classifier.EST),
    }
    assert len({e.source_key for e in batch.events}) == len(batch.events)


def test_baplie_long_beach_names_the_containers_on_board() -> None:
    batch = parse(read(EDIFACT / "BAPLIE_D95B_longbeach_oocl.edi"))
    assert batch.containers == (("OOLU4293959", "4200"), ("MOEU0710945", "L5G1"), ("OOLU8757889", "4500"))
    assert {(e.type_code, e.classifier.value, e.un_location_code) for e in batch.events} == {
        ("ARRI", "ACT", "USLGB"),
        ("DEPA", "EST", "USLGB"),
    }


def test_the_same_message_gives_the_same_event_keys() -> None:
    first = parse(read(EDIFACT / "COARRI_D95B_genoa_cosco.edi"))
    again = parse(read(EDIFACT / "COARRI_D95B_genoa_cosco.edi"))
    assert [e.source_key for e in first.events] == [e.source_key for e in again.events]


CODECO = read(EDIFACT / "CODECO_D95B_huelva.edi").decode("latin-1")


@pytest.mark.parametrize(
    "broken, where, says",
    [
        (
            CODECO.replace("UNT+000022+92218", "UNT+000021+92218"),
            "segment 23 (UNT)",
            "says it has 21 segments, it has 22",
        ),
        (CODECO.replace("TESI1120274", "TESI112"), "segment 8 (EQD)", "has 4 letters and 3 digits"),
        (
            CODECO.replace("DTM+7:202308111447:203'", "DTM+7:2023081114:203'"),
            "segment 11 (DTM)",
            "not a date/time",
        ),
        (
            CODECO.replace("DTM+7:202308111447:203'", "")
            .replace("DTM+ACT:202308111447:203'", "")
            .replace("UNT+000022", "UNT+000020"),
            "segment 8 (EQD)",
            "no event time",
        ),
        (CODECO.replace("CODECO:D:95B", "INVRPT:D:95B"), "segment 2 (UNH)", "not one of CODECO"),
        (CODECO.replace("BGM+34", "BGM+99"), "segment 3 (BGM)", "neither gate-in"),
        (CODECO.replace("UNZ+1+174749339'", ""), "segment 23 (UNT)", "ends without UNZ"),
        (
            CODECO.replace("LOC+165+ESHUV:139:6", "LOC+165+E5HUV1:139:6"),
            "segment 14 (LOC)",
            "not a UN/LOCODE",
        ),
    ],
)
def test_a_broken_message_is_refused_naming_the_segment(broken: str, where: str, says: str) -> None:
    with pytest.raises(Invalid) as refused:
        parse(broken.encode("latin-1"))
    assert refused.value.field == where, refused.value.message
    assert says in refused.value.message and refused.value.message.startswith(where)


@pytest.mark.parametrize(
    "garbage", [b"", b"hello world", b"UNB+UNOA:1+X+Y+230811:1450+1'UNH+1+CODECO:D:95B:UN'BGM+34?"]
)
def test_garbage_is_refused_with_a_position(garbage: bytes) -> None:
    with pytest.raises(Invalid) as refused:
        parse(garbage)
    assert refused.value.field and refused.value.field.startswith("segment")


def test_an_iftsta_status_report_maps_its_status_codes() -> None:
    # Written here (no IFTSTA sample exists): a discharge (29), then a departure (24) of the vessel.
    message = (
        "UNB+UNOC:3+DLCT+HUB+261120:0800+IF1'UNH+1+IFTSTA:D:95B:UN'BGM+23+ST1+9'"
        "CNI+1'STS+1+29'DTM+334:202611200745:203'LOC+175+CNDLC:139:6'TDT+20+061E+1++KSS:172+++9321483:146::KOREA STAR'"
        "EQD+CN+MSCU6639871'STS+1+24'DTM+334:202611201930:203'LOC+175+CNDLC:139:6'TDT+20+061E+1+++++9321483:146::KOREA STAR'"
        "UNT+13+1'UNZ+1+IF1'"
    )
    batch = parse(message.encode())
    disc, depa = batch.events
    assert (disc.event_type, disc.type_code, disc.equipment_reference, disc.un_location_code) == (
        EventType.EQUIPMENT,
        "DISC",
        "MSCU6639871",
        "CNDLC",
    )
    assert (depa.event_type, depa.type_code, depa.vessel_imo, depa.vessel_name) == (
        EventType.TRANSPORT,
        "DEPA",
        "9321483",
        "KOREA STAR",
    )
