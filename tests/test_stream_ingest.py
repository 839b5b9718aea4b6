"""Streamed ingest: a DCSA body of any size read in parts, by `hub ingest` and by POST /ingest/stream/dcsa.

A streamed body stores what the same events posted whole store; a part with a bad event is refused whole,
named by its place in the file, and the rest is kept; a process killed part way and run again stores
every event once."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import stdnum.iso6346
from sqlalchemy import func
from sqlmodel import select
from starlette.testclient import TestClient

from adapters.dcsa import parse
from adapters.dcsa.stream import parts
from hub.auth.models import KeyRole, OrgType
from hub.errors import Invalid
from hub.outbox import OutboxEntry
from hub.state import HubState
from hub.tracking.models import TrackingEvent
from tests.conftest import World
from tests.servers import HUB

COMPARED = (
    "equipment_reference",
    "event_type",
    "classifier",
    "type_code",
    "event_datetime",
    "un_location_code",
    "facility_code",
    "empty_indicator",
    "mode_of_transport",
    "transport_call_id",
    "vessel_imo",
    "flags",
    "seals",
)


def _box(i: int) -> str:
    stem = f"STRU{i:06d}"
    return stem + stdnum.iso6346.calc_check_digit(stem)


def _events(count: int, *, bad_at: int | None = None, serial: str = "s") -> list[dict[str, Any]]:
    start = datetime(2026, 9, 1, tzinfo=UTC)
    events = []
    for i in range(count):
        when = (start + timedelta(minutes=i)).isoformat().replace("+00:00", "Z")
        event: dict[str, Any] = {
            "eventID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"stream/{serial}/{i}")),
            "eventType": "EQUIPMENT",
            "eventClassifierCode": ("ACT", "EST", "PLN")[i % 3],
            "eventDateTime": when,
            "eventCreatedDateTime": when,
            "equipmentEventTypeCode": ("GTIN", "LOAD", "DISC", "GTOT")[i % 4],
            "equipmentReference": _box(i % 40),
            "ISOEquipmentCode": "45G1",
            "emptyIndicatorCode": "LADEN",
            "eventLocation": {"UNLocationCode": "CNDLC"},
            "transportCall": {
                "transportCallID": f"DLC-{i % 7}",
                "modeOfTransport": ("VESSEL", "RAIL", "TRUCK")[i % 3],
                "UNLocationCode": "CNDLC",
                "facilityTypeCode": "POTE",
            },
        }
        if i % 5 == 0:
            event["seals"] = [{"sealNumber": f"SL{i}", "sealSource": "CAR", "sealType": "BLT"}]
        if i == bad_at:
            event["eventDateTime"] = "yesterday"
        events.append(event)
    return events


def _stored(state: HubState, org_id: uuid.UUID) -> list[tuple[Any, ...]]:
    with state.session() as session:
        rows = session.exec(select(TrackingEvent).where(TrackingEvent.owner_org_id == org_id)).all()
        return sorted(tuple(str(getattr(row, name)) for name in COMPARED) for row in rows)


def _env(state: HubState) -> dict[str, str]:
    return {
        **os.environ,
        "HUB_DATABASE_URL": state.settings.database_url,
        "HUB_LOG_JSON": "false",
        "PYTHONPATH": str(Path.cwd()),
    }


def _hub_ingest(state: HubState, path: Path, org: str, *options: str) -> subprocess.CompletedProcess[str]:
    """`hub ingest --stream` as a user runs it, on the test's database."""
    command = [*HUB, "ingest", str(path), "--org", org, "--stream", *options]
    return subprocess.run(command, env=_env(state), capture_output=True, text=True, timeout=120)


def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_parts_name_each_event_by_its_place_in_the_whole_body() -> None:
    events = _events(12)
    wrapped = json.dumps({"events": events}, indent=2).encode()
    cut = list(parts(io.BytesIO(wrapped), size=5))
    assert [(p.where, p.count) for p in cut] == [
        ("$.events[0..4]", 5),
        ("$.events[5..9]", 5),
        ("$.events[10..11]", 2),
    ]
    # The parts parse to the events the whole body parses to.
    whole = parse(wrapped, scope="x").events
    streamed = [e for p in cut for e in parse(p.data, scope="x", base=p.base, offset=p.offset).events]
    assert streamed == list(whole)
    # A bad event is named by its place in the file, not in its part.
    bad = json.dumps(_events(12, bad_at=7)).encode()
    refused = [p for p in parts(io.BytesIO(bad), size=5)][1]
    with pytest.raises(Invalid) as caught:
        parse(refused.data, scope="x", base=refused.base, offset=refused.offset)
    assert caught.value.field == "$[7].eventDateTime"
    # Text that stops being JSON: what came before it was handed on, and the refusal names where.
    broken = json.dumps(_events(12)).encode()[:-400] + b"}, {garbage"
    seen = []
    with pytest.raises(Invalid) as stopped:
        for part in parts(io.BytesIO(broken), size=5):
            seen.append(part.where)
    assert seen == ["$[0..4]", "$[5..9]"] and "not valid JSON" in stopped.value.message
    # A body nested 100,000 deep is refused at once, in bounded memory (ijson's own items took over 20 GB).
    with pytest.raises(Invalid) as deep:
        list(parts(io.BytesIO(b"[" * 100_000 + b"]" * 100_000)))
    assert deep.value.field == "$[0]" and "deeper than 128 levels" in deep.value.message
    # A single event, and an object whose events are not its first key, are read whole.
    single = list(parts(io.BytesIO(json.dumps(events[0]).encode())))
    assert [(p.base, p.where) for p in single] == [(None, "$")]
    with pytest.raises(Invalid):
        list(parts(io.BytesIO(b'"events"')))


def test_a_streamed_body_stores_what_the_same_events_posted_whole_store(
    state: HubState, world: World, client: TestClient, tmp_path: Path
) -> None:
    events = _events(1200)
    body = json.dumps(events).encode()
    whole, rest, cli = (world.party(OrgType.TERMINAL) for _ in range(3))
    posted = client.post("/ingest/dcsa", content=body, headers=whole.headers)
    assert posted.status_code == 200, posted.text
    assert posted.json()["stored"] == 1200

    # Through REST, chunked (no Content-Length), in parts of 250 events.
    streamed = client.post(
        "/ingest/stream/dcsa?partSize=250", content=_chunks(body, 7000), headers=rest.headers
    )
    assert streamed.status_code == 200, streamed.text
    answer = streamed.json()
    assert answer["complete"] is True and answer["stored"] == 1200 and answer["refused"] == []
    assert [p["where"] for p in answer["parts"]][:2] == ["$[0..249]", "$[250..499]"]

    # Through the CLI, from a file.
    path = tmp_path / "events.json"
    path.write_bytes(json.dumps({"events": events}, indent=1).encode())
    done = _hub_ingest(state, path, cli.org.name, "--part-size", "300")
    assert done.returncode == 0, done.stderr
    assert "streamed in 4 parts of at most 300 events, 1200 stored, 0 duplicates" in done.stdout

    expected = _stored(state, whole.id)
    assert len(expected) == 1200
    assert _stored(state, rest.id) == expected
    assert _stored(state, cli.id) == expected


def test_a_refused_part_names_its_event_and_the_rest_is_kept(
    state: HubState, world: World, client: TestClient
) -> None:
    terminal = world.party(OrgType.TERMINAL)
    bad = json.dumps(_events(1000, bad_at=612)).encode()
    first = client.post(
        "/ingest/stream/dcsa?partSize=200", content=_chunks(bad, 4096), headers=terminal.headers
    )
    answer = first.json()
    assert answer["complete"] is False and answer["stored"] == 800
    assert [r["where"] for r in answer["refused"]] == ["$[600..799]"]
    assert "$[612].eventDateTime" in answer["refused"][0]["message"]
    # Mended and sent again: only the refused part is new.
    mended = json.dumps(_events(1000)).encode()
    again = client.post(
        "/ingest/stream/dcsa?partSize=200", content=_chunks(mended, 4096), headers=terminal.headers
    )
    assert again.json()["stored"] == 200 and again.json()["duplicates"] == 800
    assert len(_stored(state, terminal.id)) == 1000
    # A viewer key may not ingest, streamed or not.
    viewer = world.key(terminal, role=KeyRole.VIEWER)
    refused = client.post(
        "/ingest/stream/dcsa", content=mended, headers={"Authorization": f"Bearer {viewer}"}
    )
    assert refused.status_code == 403


def test_a_killed_ingest_run_again_stores_every_event_once(
    state: HubState, world: World, tmp_path: Path
) -> None:
    terminal = world.party(OrgType.TERMINAL)
    total = 30_000
    path = tmp_path / "big.json"
    path.write_bytes(json.dumps(_events(total, serial="kill")).encode())
    command = [*HUB, "ingest", str(path), "--org", terminal.org.name, "--stream", "--part-size", "500"]
    command += ["--jobs", "0"]

    def count() -> int:
        with state.session() as session:
            return int(
                session.exec(select(func.count()).where(TrackingEvent.owner_org_id == terminal.id)).one()
            )

    process = subprocess.Popen(command, env=_env(state), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while count() == 0:
        assert process.poll() is None, "the ingest ended before any part was stored"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=20)
    kept = count()
    assert 0 < kept < total, kept  # killed part way, with whole parts stored
    assert kept % 500 == 0

    again = subprocess.run(command, env=_env(state), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"{total - kept} stored, {kept} duplicates" in again.stdout
    assert count() == total
    with state.session() as session:
        keys = session.exec(
            select(func.count(func.distinct(TrackingEvent.source_key))).where(
                TrackingEvent.owner_org_id == terminal.id
            )
        ).one()
        ids = select(TrackingEvent.id).where(TrackingEvent.owner_org_id == terminal.id)
        queued = session.exec(
            select(func.count()).select_from(OutboxEntry).where(OutboxEntry.record_id.in_(ids))  # type: ignore[attr-defined]
        ).one()
    assert keys == total and queued == total  # each event stored once and queued for anchoring once


def _interchange(control: str, messages: int, *, per: int = 5, bad: int | None = None) -> bytes:
    """A CODECO interchange of ``messages`` messages of ``per`` gate-ins each (``bad``: that message's
    UNT miscounts its segments)."""
    start = datetime(2026, 9, 1, tzinfo=UTC)
    segments = [f"UNB+UNOA:2+DLCT+HUB+261121:1200+{control}"]
    for m in range(messages):
        body = [f"UNH+{m + 1}+CODECO:D:95B:UN:SMDG16", f"BGM+34+{control}{m}+9"]
        for i in range(per):
            k = m * per + i
            when = (start + timedelta(minutes=k)).strftime("%Y%m%d%H%M")
            body += [
                f"EQD+CN+{_box(k % 40)}+45G1:102:5++2+5",
                f"DTM+7:{when}:203",
                "LOC+165+CNDLC:139:6+DCT:TER:ZZZ",
                "TDT+1++3++:172:ZZZ+++LN12345:146",
            ]
        body.append(f"UNT+{len(body) + 1 + (1 if m == bad else 0)}+{m + 1}")
        segments += body
    segments.append(f"UNZ+{messages}+{control}")
    return ("'\n".join(segments) + "'\n").encode()


def test_a_streamed_interchange_stores_what_it_stores_posted_whole(
    state: HubState, world: World, client: TestClient, tmp_path: Path
) -> None:
    whole, rest, cli = (world.party(OrgType.TERMINAL) for _ in range(3))
    # The events' keys name the interchange: each sender sends its own (same messages, own control ref).
    posted = client.post("/ingest/edifact", content=_interchange("W1", 100), headers=whole.headers)
    assert posted.status_code == 200 and posted.json()["stored"] == 500, posted.text
    streamed = client.post(
        "/ingest/stream/edifact?partSize=200",
        content=_chunks(_interchange("R1", 100), 1000),
        headers=rest.headers,
    )
    answer = streamed.json()
    assert answer["complete"] is True and answer["stored"] == 500, answer
    # Parts of whole messages (23 segments each, at least 200 a part), named by their segments.
    assert answer["parts"][0]["where"] == "segments 2-208" and len(answer["parts"]) == 12
    path = tmp_path / "codeco.edi"
    path.write_bytes(_interchange("C1", 100))
    done = _hub_ingest(state, path, cli.org.name, "--part-size", "100")
    assert done.returncode == 0, done.stderr
    assert (
        "streamed in 6 parts of whole messages, 500 stored, 0 duplicates"
    )  # 18 messages a part in done.stdout
    expected = _stored(state, whole.id)
    assert len(expected) == 500
    assert _stored(state, rest.id) == expected and _stored(state, cli.id) == expected


def test_a_bad_message_refuses_its_part_by_the_segment_in_the_whole_interchange(
    state: HubState, world: World, client: TestClient
) -> None:
    terminal = world.party(OrgType.TERMINAL)
    bad = _interchange("B1", 100, bad=57)  # message 58's UNT is segment 2 + 58 * 23 - 1 = 1335
    answer = client.post(
        "/ingest/stream/edifact?partSize=200", content=_chunks(bad, 4096), headers=terminal.headers
    ).json()
    assert answer["complete"] is False
    assert [r["where"] for r in answer["refused"]] == [
        "segments 1244-1450"
    ]  # parts of 9 messages: 2-208, 209-415, ...
    assert answer["refused"][0]["message"].startswith("segment 1335 (UNT): the message says it has 24")
    assert answer["stored"] == 500 - 9 * 5  # the other parts are kept
    # An interchange whose UNZ miscounts: every part is stored, then the UNZ is named.
    miscounted = _interchange("B2", 20).replace(b"UNZ+20+B2", b"UNZ+21+B2")
    told = client.post(
        "/ingest/stream/edifact?partSize=200", content=miscounted, headers=terminal.headers
    ).json()
    assert told["stored"] == 100 and told["refused"] == [
        {
            "where": "segment 462 (UNZ)",
            "message": "segment 462 (UNZ): the interchange says it holds 21 messages, it holds 20 "
            "(the parts before it are stored)",
        }
    ]


def _orders_csv(numbers: range, *, bad: int | None = None) -> bytes:
    """Platform orders as CSV, one row per item (``bad``: that order's price is not a number)."""
    import csv

    from seeds import commerce as demo

    out = io.StringIO()
    writer: Any = None
    for n in numbers:
        p = demo.parcel(n)
        head = {k: v for k, v in p.order.items() if k != "guid"}
        for line in p.lines:
            row = {**head, **line}
            if n == bad:
                row["price"] = "lots"
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(row)
    return out.getvalue().encode()


def test_a_streamed_order_csv_is_stored_in_parts_and_a_bad_order_refuses_only_its_own(
    world: World, client: TestClient
) -> None:
    from hub.commerce.models import CommerceOrder
    from seeds import commerce as demo

    seller = world.party(OrgType.SELLER, customs_code=demo.SELLER_CODE)
    body = _orders_csv(range(1000, 1250), bad=1130)
    answer = client.post(
        "/ingest/stream/orders?partSize=50", content=_chunks(body, 3000), headers=seller.headers
    ).json()
    # Each order has two rows after the header (row 1): order n's rows are 2 + 2 (n - 1000) and the next.
    assert [r["where"] for r in answer["refused"]] == ["rows 202-301"], answer["refused"]
    assert "row 262" in answer["refused"][0]["message"] and answer["stored"] == 200
    mended = client.post(
        "/ingest/stream/orders?partSize=50", content=_orders_csv(range(1000, 1250)), headers=seller.headers
    ).json()
    assert mended["complete"] is True and mended["stored"] == 50 and mended["duplicates"] == 200, mended
    with world.state.session() as session:
        stored = session.exec(
            select(func.count()).select_from(CommerceOrder).where(CommerceOrder.owner_org_id == seller.id)
        ).one()
    assert stored == 250
