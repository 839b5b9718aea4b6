"""Bulk ingest through worker processes stores what one process would, message by message, in order."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from hub.auth.models import KeyRole, OrgType
from hub.auth.permissions import Principal
from hub.outbox import OutboxEntry
from hub.state import HubState
from hub.tracking import pipeline, service
from hub.tracking.models import TrackingEvent
from tests.conftest import Party, World
from tests.fixtures import DCSA, EDIFACT, read


def _principal(party: Party, role: KeyRole = KeyRole.OPERATOR) -> Principal:
    return Principal(party.org.id, party.org.name, party.org.type, role, party.org.id)


def _count(state: HubState, model: type) -> int:
    with Session(state.engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def _dcsa(event_id: str, updated: str, location: str) -> bytes:
    return json.dumps(
        {
            "eventID": event_id,
            "eventDateTime": "2026-11-20T08:00:00Z",
            "eventUpdatedDateTime": updated,
            "eventLocation": {"UNLocationCode": location},
            "eventClassification": {
                "eventTypeCode": "EQUIPMENT",
                "eventClassifierCode": "ACT",
                "equipmentEventTypeCode": "GTIN",
            },
            "equipmentDetails": {"equipmentReference": "MSKU0000000", "emptyIndicatorCode": "LADEN"},
        }
    ).encode()


@pytest.mark.parametrize("jobs", [0, 1])
def test_worker_processes_store_every_fixture_in_order_and_refuse_only_the_bad_message(
    state: HubState, world: World, jobs: int
) -> None:
    terminal = world.party(OrgType.TERMINAL)
    good = [(p.name, read(p)) for p in sorted(EDIFACT.glob("*.edi"))]
    good += [(p.name, read(p)) for p in sorted(DCSA.glob("tnt-*.json"))]
    broken = ("broken.edi", b"UNB+UNOA:2+X+Y+261121:1200+1'UNH+1+CODECO:D:95B:UN'BGM+34+1+9'")
    messages = [*good[:2], broken, *good[2:], ("note.txt", b"hello")]
    outcomes = list(pipeline.run(state.engine, _principal(terminal), messages, jobs=jobs))

    assert [o.name for o in outcomes] == [name for name, _ in messages]
    refused = {o.name: o.refused for o in outcomes if o.refused}
    assert set(refused) == {"broken.edi", "note.txt"}
    assert "neither EDIFACT" in (refused["note.txt"] or "")
    stored = sum(o.report.stored for o in outcomes if o.report)
    assert stored >= 50
    assert _count(state, TrackingEvent) == stored
    assert _count(state, OutboxEntry) >= stored  # one anchoring entry per event version (and the org's)

    again = list(pipeline.run(state.engine, _principal(terminal), good, jobs=jobs))
    assert sum(o.report.stored for o in again if o.report) == 0
    assert sum(o.report.duplicates for o in again if o.report) == stored
    assert _count(state, TrackingEvent) == stored


def test_a_newer_dcsa_version_in_a_later_message_updates_the_event(state: HubState, world: World) -> None:
    terminal = world.party(OrgType.TERMINAL)
    messages = [
        ("v1.json", _dcsa("E-1", "2026-11-20T08:05:00Z", "CNDLC")),
        ("v2.json", _dcsa("E-1", "2026-11-20T09:00:00Z", "CNSHE")),
        ("stale.json", _dcsa("E-1", "2026-11-20T08:30:00Z", "CNTXG")),
    ]
    outcomes = list(pipeline.run(state.engine, _principal(terminal), messages, jobs=1))
    reports = [o.report for o in outcomes]
    assert all(reports), [o.refused for o in outcomes]
    assert [(r.stored, r.updated, r.duplicates) for r in reports if r] == [(1, 0, 0), (0, 1, 0), (0, 0, 1)]
    with Session(state.engine) as session:
        event = session.exec(select(TrackingEvent)).one()
        assert (event.un_location_code, event.version) == ("CNSHE", 2)
        versions = session.exec(
            select(OutboxEntry.version).where(OutboxEntry.record_id == event.id).order_by(OutboxEntry.version)
        ).all()
    assert list(versions) == [1, 2]


def test_a_batch_prepared_for_one_organisation_is_refused_for_another(state: HubState, world: World) -> None:
    from adapters import edifact
    from hub.errors import Invalid

    terminal, other = world.party(OrgType.TERMINAL), world.party(OrgType.TERMINAL)
    batch = edifact.parse(read(EDIFACT / "CODECO_D95B_huelva.edi"))
    prepared = service.prepare(batch, terminal.id, ({}, {}))
    with state.session() as session, pytest.raises(Invalid, match="another organisation"):
        service.ingest_prepared(session, _principal(other), prepared)


def test_only_senders_of_events_may_write_a_prepared_batch(state: HubState, world: World) -> None:
    bank = world.party(OrgType.BANK)
    outcome = next(
        pipeline.run(
            state.engine, _principal(bank), [("c.edi", read(EDIFACT / "CODECO_D95B_huelva.edi"))], jobs=0
        )
    )
    assert outcome.report is None and outcome.refused


def test_a_prepared_batch_survives_the_trip_between_processes() -> None:
    from adapters import dcsa

    org = service.new_id()
    prepared = service.prepare(
        dcsa.parse(_dcsa("E-9", "2026-11-20T08:05:00Z", "CNDLC"), scope="x"), org, ({}, {})
    )
    back = pickle.loads(pickle.dumps(prepared))
    assert back.events == prepared.events and back.outbox == prepared.outbox
    assert (back.wheres, back.containers, back.repeated) == (prepared.wheres, prepared.containers, 0)
    assert back.events["id"][0] is back.outbox["record_id"][0]  # one object, as before the trip
    event = back.row(0)
    assert event["owner_org_id"] == org and event["event_datetime"] == datetime(
        2026, 11, 20, 8, 0, tzinfo=UTC
    )
    assert str(event["id"]) == str(prepared.row(0)["id"]) and len(back) == 1


def test_an_empty_prepared_batch_travels_and_stores_nothing(state: HubState, world: World) -> None:
    from adapters import dcsa

    terminal = world.party(OrgType.TERMINAL)
    prepared = service.prepare(dcsa.parse(b"[]", scope="x"), terminal.id, ({}, {}))
    back = pickle.loads(pickle.dumps(prepared))
    assert len(back) == 0
    with state.session() as session:
        report = service.ingest_prepared(session, _principal(terminal), back)
    assert (report.stored, report.duplicates) == (0, 0)
    with state.session() as session:  # as a REST request stores it, without the trip
        report = service.ingest_prepared(session, _principal(terminal), prepared)
    assert (report.stored, report.duplicates) == (0, 0)
    assert _count(state, TrackingEvent) == 0


def _gate_in(event_id: str, number: str) -> bytes:
    return json.dumps(
        {
            "eventID": event_id,
            "eventDateTime": "2026-11-20T08:00:00Z",
            "eventUpdatedDateTime": "2026-11-20T08:00:00Z",
            "eventLocation": {"UNLocationCode": "CNDAL"},
            "eventClassification": {
                "eventTypeCode": "EQUIPMENT",
                "eventClassifierCode": "ACT",
                "equipmentEventTypeCode": "GTIN",
            },
            "equipmentDetails": {"equipmentReference": number, "emptyIndicatorCode": "LADEN"},
        }
    ).encode()


def test_a_run_looks_each_container_up_once_and_forgets_what_a_rolled_back_message_registered(
    state: HubState, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import event

    from hub.errors import Invalid
    from hub.port import yard
    from hub.tracking.models import Container

    terminal = world.party(OrgType.TERMINAL)
    real_update = yard.update_positions
    calls = {"n": 0}

    def fail_the_first_message(session: Session, events: object) -> int:
        calls["n"] += 1
        if calls["n"] == 1:  # after the first message registered its container, before it commits
            raise Invalid("the yard is closed", field="yard")
        return real_update(session, events)  # type: ignore[arg-type]

    monkeypatch.setattr(yard, "update_positions", fail_the_first_message)
    lookups: list[str] = []

    def count_container_lookups(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM container" in statement:
            lookups.append(statement)

    event.listen(state.engine, "before_cursor_execute", count_container_lookups)
    try:
        messages = [
            ("first.json", _gate_in("known-1", "MSKU0000000")),  # rolled back: the container is not kept
            ("second.json", _gate_in("known-2", "MSKU0000000")),  # registers it again, and commits
            ("third.json", _gate_in("known-3", "MSKU0000000")),  # finds it without asking the database
        ]
        outcomes = list(pipeline.run(state.engine, _principal(terminal), messages, jobs=0))
    finally:
        event.remove(state.engine, "before_cursor_execute", count_container_lookups)

    assert outcomes[0].refused == "the yard is closed"
    assert outcomes[1].report is not None and outcomes[1].report.containers_new == 1
    assert outcomes[2].report is not None and outcomes[2].report.stored == 1
    assert len(lookups) == 2  # the first and second messages looked the container up; the third did not
    with Session(state.engine) as session:
        container = session.exec(select(Container).where(Container.number == "MSKU0000000")).one()
        events = session.exec(
            select(TrackingEvent).where(TrackingEvent.owner_org_id == terminal.org.id)
        ).all()
    assert sorted(e.source_key[-7:] for e in events) == ["known-2", "known-3"]
    assert {e.container_id for e in events} == {container.id}


def test_a_message_mixing_stored_and_new_events_keeps_each_new_event_with_its_own_entry_and_container(
    state: HubState, world: World
) -> None:
    from stdnum import iso6346

    from hub.tracking.models import Container

    terminal = world.party(OrgType.TERMINAL)
    first, second = (f"HUBU{n:06d}" for n in (1, 2))
    first, second = (number + iso6346.calc_check_digit(number) for number in (first, second))
    wrong = "HUBU0000030" if iso6346.calc_check_digit("HUBU000003") != "0" else "HUBU0000031"
    mixed = b"[" + b",".join([_gate_in("E-A", first), _gate_in("E-B", second), _gate_in("E-C", wrong)]) + b"]"
    messages = [("a.json", _gate_in("E-A", first)), ("mixed.json", mixed)]
    outcomes = list(pipeline.run(state.engine, _principal(terminal), messages, jobs=1))
    reports = [o.report for o in outcomes]
    assert all(reports), [o.refused for o in outcomes]
    assert [(r.stored, r.duplicates) for r in reports if r] == [(1, 0), (2, 1)]
    mixed_report = reports[1]
    assert mixed_report is not None
    assert [(f["equipmentReference"], f["flags"]) for f in mixed_report.flagged] == [
        (wrong, "EQUIPMENT_CHECK_DIGIT")
    ]
    assert mixed_report.flagged[0]["where"].startswith("$[2]")

    with Session(state.engine) as session:
        numbers = {c.id: c.number for c in session.exec(select(Container))}
        events = session.exec(select(TrackingEvent)).all()
        entries = {
            e.record_id: json.loads(e.document)
            for e in session.exec(select(OutboxEntry).where(OutboxEntry.record_kind == "tracking_event"))
        }
    assert sorted(e.equipment_reference or "" for e in events) == sorted([first, second, wrong])
    for event in events:
        # The columns were filtered together: each event has its own container and its own outbox entry.
        assert event.container_id is not None and numbers[event.container_id] == event.equipment_reference
        assert entries[event.id]["record"]["sourceKey"] == event.source_key
        assert entries[event.id]["record"]["equipmentReference"] == event.equipment_reference
    assert len(entries) == 3
