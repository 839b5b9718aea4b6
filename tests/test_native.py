"""The modules compiled with mypyc (``hub.native``) do what their Python sources do, and the anchored
document made at ingest is what the verifier re-renders from the stored row.

Each compiled module is checked against its own source, loaded beside it under another name, on every
real message: the same events, the same refusals, the same rows and documents. Where nothing is
compiled (no build), the source is checked against itself, and the rest of the suite tests it directly.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
from sqlmodel import Session, select

from adapters import dcsa, edifact
from adapters.ceb import xml as ceb_xml
from adapters.dcsa import events as dcsa_events
from adapters.edifact import reader as edifact_reader
from adapters.platform import orders as platform_orders
from hub import native
from hub.auth.models import KeyRole, OrgType
from hub.auth.permissions import Principal
from hub.canonical import anchored, canonical_json, envelope, keccak
from hub.commerce import match, tax
from hub.errors import Invalid
from hub.outbox import OutboxEntry
from hub.state import HubState
from hub.tracking import rows, service
from hub.tracking.commands import (
    Classifier,
    EventCommand,
    EventType,
    MessageInfo,
    ParsedBatch,
    Seal,
)
from hub.tracking.models import EVENT_KIND, TrackingEvent
from seeds import commerce as commerce_demo
from tests.conftest import World
from tests.fixtures import CEB, DCSA, EDIFACT, read

EDIFACT_FILES = sorted(EDIFACT.glob("*.edi"))
DCSA_FILES = sorted(DCSA.glob("tnt-*.json"))
NOW = datetime(2026, 11, 21, 8, 30, tzinfo=UTC)


def _source(module: str) -> ModuleType:
    """``module`` loaded from its ``.py`` file under another name, whether or not a build exists."""
    name = f"_source_of_{module.replace('.', '_')}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, native.source(module))
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[name] = loaded
    spec.loader.exec_module(loaded)
    return loaded


def _outcome(parse: Callable[[], ParsedBatch]) -> ParsedBatch | str:
    try:
        return parse()
    except Invalid as exc:
        return f"Invalid: {exc.message} at {exc.field}"


def _variants(data: bytes) -> list[bytes]:
    """The message, and damaged copies that must be refused the same way: cut short, and a byte changed
    in the middle."""
    middle = len(data) // 2
    return [data, data[:middle], data[:middle] + b"?" + data[middle + 1 :]]


def test_the_manifest_names_every_compiled_module() -> None:
    assert native.stale() == []
    for module in native.MODULES:
        assert native.source(module).exists(), module


@pytest.mark.parametrize("path", EDIFACT_FILES, ids=lambda p: p.name)
def test_the_edifact_reader_reads_as_its_source(path: Any) -> None:
    source = _source("adapters.edifact.reader")
    for data in _variants(read(path)):
        assert _outcome(lambda: edifact_reader.parse(data)) == _outcome(lambda: source.parse(data))


@pytest.mark.parametrize("path", DCSA_FILES, ids=lambda p: p.name)
def test_the_dcsa_reader_reads_as_its_source(path: Any) -> None:
    source = _source("adapters.dcsa.events")
    for data in _variants(read(path)):
        compiled = _outcome(lambda: dcsa_events.parse(data, scope="org"))
        assert compiled == _outcome(lambda: source.parse(data, scope="org"))


def _batches() -> list[ParsedBatch]:
    made = [edifact.parse(read(path)) for path in EDIFACT_FILES]
    # And one the fixtures lack: a ship named by call sign only (the register gives its IMO number),
    # seals, a later update time, and the same event sent twice.
    event = EventCommand(
        source_key="hub-test:1",
        event_type=EventType.EQUIPMENT,
        classifier=Classifier.ACT,
        type_code="LOAD",
        event_datetime=NOW,
        where="$.events[0]",
        source_updated_datetime=NOW,
        equipment_reference="MSCU1234566",
        vessel_call_sign="9HA5432",
        seals=(Seal("CN123", "CUS", "BLT"), Seal("X9")),
    )
    made.append(ParsedBatch(messages=(MessageInfo("DCSA", "DCSA-3.0", "test"),), events=(event, event)))
    for path in DCSA_FILES:
        try:
            made.append(dcsa.parse(read(path), scope="org"))
        except Invalid:
            continue  # a payload with no events of its own (a subscription or a page): nothing to prepare
    return made


def _without_ids(made: Any) -> tuple[Any, ...]:
    """What ``event_rows`` made, with the fresh ids (random) taken out of the rows and documents."""
    events = {k: v for k, v in made.events.items() if k != "id"}
    outbox = {k: v for k, v in made.outbox.items() if k not in ("record_id", "record_hash", "document")}
    documents = []
    for document in made.outbox.get("document", []):
        parsed = json.loads(document)
        parsed.pop("id")
        documents.append(parsed)
    return made.containers, events, outbox, documents, made.wheres, made.repeated


def test_rows_are_made_as_their_source_makes_them() -> None:
    source = _source("hub.tracking.rows")
    org = uuid.UUID(int=7)
    vessels = ({"9HA5432": "9362542"}, {"COSCO SHIPPING": "9362542"})
    batches = _batches()
    assert sum(len(b.events) for b in batches) > 30
    for batch in batches:
        compiled = rows.event_rows(batch, org, vessels, NOW)
        assert _without_ids(compiled) == _without_ids(source.event_rows(batch, org, vessels, NOW))
        # Each document is the canonical form of its envelope, and its hash is the hash of those bytes.
        for event_id, document, rhash in zip(
            compiled.outbox.get("record_id", []),
            compiled.outbox.get("document", []),
            compiled.outbox.get("record_hash", []),
            strict=True,
        ):
            parsed = json.loads(document)
            assert parsed["id"] == str(event_id)
            assert canonical_json(parsed).decode() == document
            assert rhash == "0x" + keccak(document.encode()).hex()


def test_canonical_forms_agree_with_their_source() -> None:
    source = _source("hub.canonical")
    record = {"b": ["ü", None, 1], "a": {"z": True, "y": "2"}, "big": 2**70}
    assert anchored("kind", uuid.UUID(int=1), 3, record) == source.anchored(
        "kind", uuid.UUID(int=1), 3, record
    )
    assert keccak(b"hub") == source.keccak(b"hub")
    with pytest.raises(TypeError):
        anchored("kind", uuid.UUID(int=1), 1, {"amount": 1.5})


def test_what_ingest_anchors_is_what_the_verifier_rerenders(state: HubState, world: World) -> None:
    """Every tracking event stored from the real messages: the document in its outbox entry is the one
    ``canonical`` makes from the stored row, byte for byte (the verifier hashes the latter)."""
    terminal = world.party(OrgType.TERMINAL)
    principal = Principal(terminal.id, terminal.org.name, OrgType.TERMINAL, KeyRole.OPERATOR, terminal.id)
    with Session(state.engine) as session:
        for batch in _batches():
            service.ingest(session, principal, batch)
        session.commit()
        stored = {row.id: row for row in session.exec(select(TrackingEvent))}
        entries = session.exec(select(OutboxEntry).where(OutboxEntry.record_kind == EVENT_KIND)).all()
    assert len(entries) == len(stored) > 30
    assert any(row.flags for row in stored.values())  # the fixture with a failing check digit is in
    for entry in entries:
        row = stored[entry.record_id]
        rerendered = canonical_json(envelope(EVENT_KIND, row.id, row.version, rows.canonical(row)))
        assert rerendered.decode() == entry.document, row.source_key
        assert entry.record_hash == "0x" + keccak(rerendered).hex()


def test_the_compiled_modules_import_outside_the_checkout(tmp_path: Any) -> None:
    """As the ``hub`` command runs them: from another directory, with only the installed packages on the
    path (a shared library at the top of the checkout was found by the tests and by nothing else)."""
    import os
    import subprocess

    code = "import adapters.edifact.reader, hub.tracking.rows; print(hub.tracking.rows.__file__)"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(".so") == native.is_compiled("hub.tracking.rows")


CEB_FILES = sorted(CEB.glob("CEB*.xml"))
_MADE_AT_READING = ("guid", "appTime")  # what a platform order is given when read: random, and the time


def _ceb_outcome(module: Any, data: bytes) -> Any:
    try:
        message = module.parse(data)
    except Invalid as exc:
        return f"Invalid: {exc.message} at {exc.field}"
    records = [(r.where, r.head, r.lines) for r in message.records]
    return message.code, message.guid, message.version, message.transfer, message.signed, records


def _keep(document: bytes) -> bytes:
    return document


@pytest.mark.parametrize("path", CEB_FILES, ids=lambda p: p.name)
def test_the_ceb_reader_and_writer_work_as_their_source(path: Any) -> None:
    source = _source("adapters.ceb.xml")
    for data in _variants(read(path)):
        assert _ceb_outcome(ceb_xml, data) == _ceb_outcome(source, data)
    data = read(path)
    assert ceb_xml.render(ceb_xml.parse(data), _keep) == source.render(source.parse(data), _keep)


def _parcels() -> list[Any]:
    return [commerce_demo.parcel(n, prefix="NATIVE") for n in range(12)]


def _order_outcome(module: Any, parse: str, data: bytes) -> Any:
    try:
        records = getattr(module, parse)(data)
    except Invalid as exc:
        return f"Invalid: {exc.message} at {exc.field}"
    heads = [{k: v for k, v in r.head.items() if k not in _MADE_AT_READING} for r in records]
    return [r.where for r in records], heads, [r.lines for r in records]


def test_platform_orders_are_read_as_their_source_reads_them() -> None:
    source = _source("adapters.platform.orders")
    body = json.dumps(commerce_demo.orders_json(_parcels())).encode()
    for data in _variants(body):
        assert _order_outcome(platform_orders, "parse_json", data) == _order_outcome(
            source, "parse_json", data
        )
    csv = b"orderNo,ebpCode,ebcCode,buyerIdNumber,consignee,itemName,qty,price,unit\n"
    csv += b"A1,P1,E1,110101199003078515,Li,tea,2,10.5,035\nA1,P1,E1,110101199003078515,Li,cup,1,x,035\n"
    for data in (csv, csv.replace(b",x,", b",3,")):
        assert _order_outcome(platform_orders, "parse_csv", data) == _order_outcome(source, "parse_csv", data)


def test_tax_and_match_decide_as_their_source() -> None:
    tax_source, match_source = _source("hub.commerce.tax"), _source("hub.commerce.match")
    orders = platform_orders.parse_json(json.dumps(commerce_demo.orders_json(_parcels())).encode())
    payments = {
        r.head["orderNo"]: r.head for r in ceb_xml.parse(commerce_demo.payments_xml(_parcels())).records
    }
    waybills = {
        r.head["orderNo"]: r.head for r in ceb_xml.parse(commerce_demo.waybills_xml(_parcels())).records
    }
    for order in orders:
        for used in (Decimal(0), Decimal("25990"), Decimal("26000")):
            made = []
            for module in (tax, tax_source):
                lines = [
                    module.LineIn(n, line.get("hsCode"), line["totalPrice"], line["qty"])
                    for n, line in enumerate(order.lines, start=1)
                ]
                result = module.compute(
                    lines, goods_value=order.head["goodsValue"], freight=Decimal(5), annual_used=used
                )
                made.append(repr(result).replace("_source_of_hub_commerce_tax.", ""))
            assert made[0] == made[1]
        number = order.head["orderNo"]
        head = dict(order.head, taxTotal=Decimal(0), acturalPaid=order.head["goodsValue"])
        for payment in (payments[number], dict(payments[number], amountPaid=Decimal(1)), None):
            decided = [
                (status.value, [p.as_json() for p in problems])
                for status, problems in (
                    module.match(head, order.lines, payment, waybills[number], Decimal("0.01"))
                    for module in (match, match_source)
                )
            ]
            assert decided[0] == decided[1]
