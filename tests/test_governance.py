"""Graded data governance: every field has a class, a share grants a class, and data abroad needs a rule.

On SQLite and PostgreSQL: a share at each class returns exactly the fields of that class; personal
information needs a stated purpose; a share, a read, a webhook and an export to an organisation abroad
carry important or personal data only under a transfer rule a regulator approved, and stop when it is
revoked; every cross-border transfer is logged, anchored and verifiable; sensitive reads are logged.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import inspect as sa_inspect
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from adapters.ceb.spec import MESSAGES
from adapters.platform import orders as platform_orders
from hub import records
from hub.auth.models import KeyRole, OrgType
from hub.canonical import camel
from hub.db import session_scope
from hub.finance import hooks
from hub.finance.models import Receivable, ReceivableStatus
from hub.governance.classes import CLASSES, UNCLASSED, DataClass, class_of, paths_of
from hub.governance.models import AccessLog
from hub.state import HubState, ceb_signer
from hub.tracking.push import PushSettings
from seeds import commerce as demo
from seeds import loader
from tests.conftest import Party, World, data, gql, running
from tests.test_commerce import Cast, send_all

ORDER = """query($id: ID!) { commerceOrder(id: $id) { id orderNo buyerName consignee goodsValue acturalPaid
  lines { itemName price totalPrice hsCode } tax { total } problems { code }
  payment { payerName amountPaid payTransactionId } waybill { logisticsNo weightKg }
  maskedFields } }"""
SHARE = """mutation($id: ID!, $org: ID!, $c: DataClass!, $p: String) {
  shareRecord(input: {kind: "ceb_order", recordId: $id, withOrgId: $org, dataClass: $c, personalDataPurpose: $p}) {
  share { id dataClass personalDataPurpose ruleId } errors { code field message } } }"""
APPROVE = """mutation($i: TransferRuleInput!) { approveTransferRule(input: $i) {
  rule { id destinationCountry recordKinds maxClass personal purpose } errors { code field message } } }"""
REVOKE = (
    """mutation($id: ID!) { revokeTransferRule(id: $id) { rule { revokedAt } errors { code message } } }"""
)
TRANSFERS = """query($k: String, $r: ID) { dataTransfers(recordKind: $k, recordId: $r) {
  id channel senderOrgId toOrgId toCountry recordKind recordIds classes ruleId purpose } }"""
VERIFY = """query($id: ID!) { verifyRecord(kind: "data_transfer", id: $id) { status } }"""
ACCESS = """query($id: ID!) { accessLog(kind: "ceb_order", id: $id) { readerOrgId classes via } }"""


# -- the table -----------------------------------------------------------------------------------------------


def _unclassed(kind: str, paths: set[str]) -> set[str]:
    """Paths with no class of their own or an ancestor's, and none classed below them (a JSON column)."""
    below = {p.split(".", 1)[0].split("[]", 1)[0] for p in CLASSES.get(kind, {})}
    return {p for p in paths if p and class_of(kind, p) is None and p not in below}


def test_every_column_of_every_record_table_has_a_class() -> None:
    missing = {}
    for kind in records.kinds():
        model = records._MODELS[kind]
        columns = {camel(c.key) for c in sa_inspect(model).columns}
        gaps = _unclassed(kind, columns)
        if gaps:
            missing[kind] = sorted(gaps)
    assert missing == {}, f"class these fields in hub/governance/classes.py: {missing}"
    assert set(CLASSES) == set(records.kinds()), "every record kind, and only those, is in the table"


def test_every_field_of_every_ceb_message_has_a_class() -> None:
    kinds = {
        "CEB311": "ceb_order",
        "CEB411": "ceb_payment",
        "CEB511": "ceb_waybill",
        "CEB621": "ceb_inventory",
    }
    missing = {}
    for code, kind in kinds.items():
        spec = MESSAGES[code]
        paths = {f"head.{f.name}" for f in spec.head_fields} | {f"lines[].{f.name}" for f in spec.line_fields}
        if code == "CEB311":  # what a platform's JSON or CSV order adds to CEB311's lines
            paths |= {f"lines[].{name}" for name in platform_orders._EXTRA_LINE}
        gaps = _unclassed(kind, paths)
        if gaps:
            missing[code] = sorted(gaps)
    assert missing == {}, f"class these CEB fields in hub/governance/classes.py: {missing}"


def test_every_field_of_the_demo_scenario_has_a_class(client: TestClient, state: HubState) -> None:
    with session_scope(state.engine) as session:
        orgs = loader.load(session)
        loader.commerce(session, orgs, ceb_signer(state.settings))
    seen: dict[str, set[str]] = {}
    with Session(state.engine) as session:
        for kind in records.kinds():
            for row in session.exec(select(records._MODELS[kind])):
                seen.setdefault(kind, set()).update(paths_of(records.canonical(kind, row)))
        missing = {kind: sorted(_unclassed(kind, paths)) for kind, paths in seen.items()}
    assert {k: v for k, v in missing.items() if v} == {}
    # The scenario reaches most kinds, so this is a real check and not a walk over nothing.
    assert {"bill", "ceb_order", "ceb_payment", "ceb_waybill", "tracking_event", "document"} <= set(seen)


def test_an_unknown_field_is_treated_as_core() -> None:
    assert class_of("ceb_order", "head.somethingNew") is None and UNCLASSED is DataClass.CORE
    assert class_of("ceb_order", "lines[].price") is DataClass.IMPORTANT
    assert class_of("receivable", "history[].at") is DataClass.IMPORTANT  # covered by its ancestor
    assert class_of("ceb_order", "head.buyerIdNumber") is DataClass.PERSONAL


def test_the_table_is_served_to_any_key(client: TestClient, world: World) -> None:
    bank = world.party(OrgType.BANK)
    rows = data(gql(client, bank.token, '{ dataClasses(kind: "ceb_order") { path dataClass } }'))[
        "dataClasses"
    ]
    by_path = {r["path"]: r["dataClass"] for r in rows}
    assert by_path["head.buyerIdNumber"] == "PERSONAL" and by_path["head.goodsValue"] == "IMPORTANT"


# -- shares at a class -----------------------------------------------------------------------------------------


class Trade:
    """Matched orders of a seller at home, a bank at home, a bank abroad and a regulator."""

    def __init__(self, client: TestClient, world: World) -> None:
        self.client = client
        self.cast = Cast(world)
        send_all(client, self.cast, [demo.parcel(n) for n in range(1, 3)])
        ids = [
            n["id"]
            for n in data(gql(client, self.cast.seller.token, "{ commerceOrders { nodes { id } } }"))[
                "commerceOrders"
            ]["nodes"]
        ]
        self.order = ids[0]
        self.home_bank = world.party(OrgType.BANK, "Reader Bank", country="CN")
        self.foreign_bank = world.party(OrgType.BANK, "Busan Trade Bank", country="KR")
        regulator = world.party(OrgType.REGULATOR, "Data Regulator", role=KeyRole.OPERATOR)
        self.regulator = regulator

    def share(self, to: Party, data_class: str, purpose: str | None = None) -> dict[str, Any]:
        body = gql(
            self.client,
            self.cast.seller.token,
            SHARE,
            {"id": self.order, "org": str(to.id), "c": data_class, "p": purpose},
        )
        return data(body)["shareRecord"]  # type: ignore[no-any-return]

    def read(self, party: Party) -> dict[str, Any]:
        return data(gql(self.client, party.token, ORDER, {"id": self.order}))["commerceOrder"]  # type: ignore[no-any-return]

    def rule(self, **values: Any) -> dict[str, Any]:
        rule = {
            "destinationCountry": "KR",
            "recordKinds": ["ceb_order", "receivable"],
            "maxClass": "IMPORTANT",
            "personal": True,
            "purpose": "parcel financing by the buyer's bank",
            "validUntil": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
            **values,
        }
        return data(gql(self.client, self.regulator.token, APPROVE, {"i": rule}))["approveTransferRule"]  # type: ignore[no-any-return]


@pytest.fixture
def trade(client: TestClient, world: World) -> Trade:
    return Trade(client, world)


PERSONAL = {
    "head.buyerName",
    "head.buyerIdNumber",
    "head.buyerIdType",
    "head.buyerRegNo",
    "head.buyerTelephone",
    "head.consignee",
    "head.consigneeAddress",
    "head.consigneeTelephone",
    "payment.head.payerName",
    "payment.head.payerIdNumber",
    "payment.head.payerIdType",
    "buyerIdNumber",
}
IMPORTANT = {
    "head.goodsValue",
    "head.freight",
    "head.discount",
    "head.taxTotal",
    "head.acturalPaid",
    "lines[].price",
    "lines[].totalPrice",
    "lines[].qty",
    "lines[].itemName",
    "lines[].gmodel",
    "tax",
    "customsValue",
    "payment.head.amountPaid",
}


def test_a_share_at_each_class_returns_exactly_those_fields(trade: Trade) -> None:
    owner = trade.read(trade.cast.seller)
    assert owner["maskedFields"] == [] and owner["buyerName"] and owner["goodsValue"]
    bank = trade.home_bank

    assert trade.share(bank, "GENERAL")["errors"] == []
    general = trade.read(bank)
    masked = set(general["maskedFields"])
    assert masked >= PERSONAL and masked >= IMPORTANT
    assert not any(p.startswith(("head.orderNo", "head.ebpCode", "lines[].hsCode")) for p in masked)
    assert general["orderNo"] == owner["orderNo"] and general["buyerName"] is None
    assert general["goodsValue"] is None and general["tax"] is None
    assert all(
        line["price"] is None and line["hsCode"] == o["hsCode"]
        for line, o in zip(general["lines"], owner["lines"], strict=True)
    )
    assert general["payment"]["payerName"] is None and general["payment"]["amountPaid"] is None
    assert general["payment"]["payTransactionId"] == owner["payment"]["payTransactionId"]

    assert trade.share(bank, "IMPORTANT")["errors"] == []
    important = trade.read(bank)
    masked = set(important["maskedFields"])
    assert masked >= PERSONAL and not (IMPORTANT & masked)
    assert important["goodsValue"] == owner["goodsValue"] and important["lines"] == owner["lines"]
    assert important["tax"] == owner["tax"] and important["buyerName"] is None
    assert important["payment"]["amountPaid"] == owner["payment"]["amountPaid"]

    made = trade.share(bank, "CORE", "customs bond for the buyer")
    assert made["errors"] == [] and made["share"]["personalDataPurpose"] == "customs bond for the buyer"
    everything = trade.read(bank)
    assert everything == owner  # every field, and nothing masked


def test_a_share_refuses_a_class_it_does_not_know(trade: Trade) -> None:
    body = gql(
        trade.client,
        trade.cast.seller.token,
        SHARE,
        {"id": trade.order, "org": str(trade.home_bank.id), "c": "PUBLIC", "p": None},
    )
    assert data(body)["shareRecord"]["errors"][0]["field"] == "dataClass"


# -- across the border -----------------------------------------------------------------------------------------


def test_personal_data_abroad_needs_a_rule_and_is_logged_and_anchored(trade: Trade) -> None:
    foreign = trade.foreign_bank
    # General data goes abroad without a rule, and is logged.
    assert trade.share(foreign, "GENERAL")["errors"] == []
    refused = trade.share(foreign, "IMPORTANT", "loan")
    assert refused["share"] is None and refused["errors"][0]["code"] == "FORBIDDEN"
    message = refused["errors"][0]["message"]
    assert "transfer rule" in message and "KR" in message and "ceb_order" in message and "PERSONAL" in message
    assert trade.read(foreign)["buyerName"] is None  # the refused share changed nothing

    # Only a regulator approves a rule.
    denied = gql(
        trade.client,
        trade.cast.seller.token,
        APPROVE,
        {
            "i": {
                "destinationCountry": "KR",
                "recordKinds": ["ceb_order"],
                "maxClass": "IMPORTANT",
                "purpose": "x",
                "validUntil": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
            }
        },
    )
    assert data(denied)["approveTransferRule"]["errors"][0]["code"] == "FORBIDDEN"
    rule = trade.rule()
    assert rule["errors"] == [], rule
    rule_id = rule["rule"]["id"]

    allowed = trade.share(foreign, "IMPORTANT", "loan")
    assert allowed["errors"] == [] and allowed["share"]["ruleId"] == rule_id
    seen = trade.read(foreign)
    assert seen["buyerName"] and seen["goodsValue"] and seen["maskedFields"] == []

    # The log: both shares abroad, with their classes and the rule, for the sender and the regulator.
    for reader in (trade.cast.seller, trade.regulator):
        log = data(gql(trade.client, reader.token, TRANSFERS, {"k": "ceb_order", "r": trade.order}))[
            "dataTransfers"
        ]
        assert [(t["channel"], t["toCountry"], t["ruleId"]) for t in log] == [
            ("share", "KR", None),
            ("share", "KR", rule_id),
        ]
        assert log[0]["classes"] == ["PUBLIC", "GENERAL"]
        assert log[1]["classes"] == ["PUBLIC", "GENERAL", "IMPORTANT", "PERSONAL"]
        assert log[1]["purpose"] == "parcel financing by the buyer's bank"
    # Nobody else reads it.
    assert (
        data(gql(trade.client, trade.home_bank.token, TRANSFERS, {"k": None, "r": None}))["dataTransfers"]
        == []
    )
    assert data(gql(trade.client, foreign.token, TRANSFERS, {"k": None, "r": None}))["dataTransfers"] == []

    # Each entry is anchored and verifies, for the sender.
    deadline = time.monotonic() + 30
    for entry in log:
        while True:
            status = data(gql(trade.client, trade.cast.seller.token, VERIFY, {"id": entry["id"]}))[
                "verifyRecord"
            ]
            if status["status"] == "ANCHORED":
                break
            assert time.monotonic() < deadline, status
            time.sleep(0.1)


def test_a_revoked_rule_stops_the_next_read(trade: Trade) -> None:
    rule_id = trade.rule()["rule"]["id"]
    assert trade.share(trade.foreign_bank, "IMPORTANT", "loan")["errors"] == []
    assert trade.read(trade.foreign_bank)["buyerName"]
    revoked = data(gql(trade.client, trade.regulator.token, REVOKE, {"id": rule_id}))["revokeTransferRule"]
    assert revoked["errors"] == [] and revoked["rule"]["revokedAt"]
    after = trade.read(trade.foreign_bank)
    assert after["buyerName"] is None and after["goodsValue"] is None and after["orderNo"]
    assert set(after["maskedFields"]) >= PERSONAL and set(after["maskedFields"]) >= IMPORTANT
    # A home bank with the same share is not held back.
    assert trade.share(trade.home_bank, "IMPORTANT", "loan")["errors"] == []
    assert trade.read(trade.home_bank)["buyerName"]


def test_a_rule_covers_only_its_kinds_classes_and_time(trade: Trade) -> None:
    assert trade.rule(recordKinds=["receivable"])["errors"] == []
    assert trade.share(trade.foreign_bank, "IMPORTANT")["errors"][0]["code"] == "FORBIDDEN"  # not its kind
    assert trade.rule(personal=False)["errors"] == []
    assert trade.share(trade.foreign_bank, "IMPORTANT")["errors"] == []  # no personal data: allowed
    assert trade.share(trade.foreign_bank, "IMPORTANT", "loan")["errors"][0]["code"] == "FORBIDDEN"
    assert trade.share(trade.foreign_bank, "CORE")["errors"][0]["code"] == "FORBIDDEN"  # above its class
    expired = trade.rule(
        validFrom=(datetime.now(UTC) - timedelta(days=3)).isoformat(),
        validUntil=(datetime.now(UTC) - timedelta(days=1)).isoformat(),
        maxClass="CORE",
    )
    assert expired["errors"] == []
    assert trade.share(trade.foreign_bank, "CORE")["errors"][0]["code"] == "FORBIDDEN"  # no longer valid
    bad = trade.rule(destinationCountry="CN")
    assert bad["errors"][0]["field"] == "destinationCountry"
    assert trade.rule(recordKinds=["nonsense"])["errors"][0]["field"] == "recordKinds"


def test_an_export_carries_every_field_so_a_partial_share_cannot_export(trade: Trade) -> None:
    query = 'query($id: ID!) { exportRecord(kind: "ceb_order", id: $id) }'
    assert trade.share(trade.home_bank, "IMPORTANT")["errors"] == []
    body = gql(trade.client, trade.home_bank.token, query, {"id": trade.order})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "head.buyerIdNumber" in body["errors"][0]["message"]
    assert trade.share(trade.home_bank, "CORE", "audit of the loan")["errors"] == []
    deadline = time.monotonic() + 30
    while True:  # an export waits for the record's anchor
        body = gql(trade.client, trade.home_bank.token, query, {"id": trade.order})
        if not body.get("errors"):
            break
        assert "PENDING" in body["errors"][0]["message"] and time.monotonic() < deadline, body
        time.sleep(0.1)
    buyer = trade.read(trade.cast.seller)["buyerName"]
    assert buyer in body["data"]["exportRecord"]


# -- the access log ------------------------------------------------------------------------------------------------


def test_sensitive_reads_are_logged_for_the_owner_and_the_regulator(trade: Trade, state: HubState) -> None:
    trade.share(trade.home_bank, "GENERAL")
    trade.read(trade.home_bank)  # nothing sensitive seen: not logged
    trade.read(trade.regulator)  # a regulator sees everything: logged
    trade.share(trade.home_bank, "IMPORTANT")
    trade.read(trade.home_bank)
    trade.read(trade.cast.seller)  # its owner: not logged
    for reader in (trade.cast.seller, trade.regulator):
        log = data(gql(trade.client, reader.token, ACCESS, {"id": trade.order}))["accessLog"]
        assert [(e["readerOrgId"], e["via"], e["classes"]) for e in log] == [
            (str(trade.regulator.id), "audit", ["IMPORTANT", "CORE", "PERSONAL"]),
            (str(trade.home_bank.id), "share", ["IMPORTANT"]),
        ]
    denied = gql(trade.client, trade.home_bank.token, ACCESS, {"id": trade.order})
    assert denied["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    with Session(state.engine) as session:
        assert len(session.exec(select(AccessLog)).all()) == 2


# -- webhooks abroad -------------------------------------------------------------------------------------------


def _receivable(state: HubState, owner: Party) -> uuid.UUID:
    with session_scope(state.engine) as session:
        row = Receivable(
            owner_org_id=owner.id,
            creditor_code=demo.SELLER_CODE,
            creditor_name="Hanul Electronics Export",
            debtor_name="Liaoning Cross-Border Mall",
            invoice_number=f"INV-{uuid.uuid4().hex[:6]}",
            blinded_id="0x" + uuid.uuid4().hex * 2,
            amount=Decimal("1250.00"),
            currency="CNY",
            issue_date=date(2026, 11, 1),
            due_date=date(2027, 1, 31),
            status=ReceivableStatus.REGISTERED,
        )
        session.add(row)
        session.flush()
        return row.id


def _deliver(state: HubState, receivable_id: uuid.UUID, hook_org: Party) -> tuple[list[bytes], str | None]:
    """Owe one notice to ``hook_org``'s webhook and run the finance pusher once against a recording peer."""
    sent: list[bytes] = []
    with session_scope(state.engine) as session:
        row = session.get(Receivable, receivable_id)
        assert row is not None
        hooks.queue(
            session, row, {str(hook_org.id)}, [{"action": "PLEDGED", "at": "2026-12-01T00:00:00+00:00"}]
        )

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.content)
        return httpx.Response(204)

    pusher = hooks.FinancePusher(state.engine, PushSettings(allow_private_networks=True))

    async def once() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
            await pusher.run_once(http)

    asyncio.run(once())
    with Session(state.engine) as session:
        last = session.exec(
            select(hooks.FinanceNotice).order_by(col(hooks.FinanceNotice.created_at).desc())
        ).first()
        assert last is not None
        return sent, last.last_error


@pytest.fixture
def pushless(state: HubState, world: World) -> Iterator[Trade]:
    """The trade on a hub whose own finance pusher does not run: the test runs one, and no other may
    claim its notices first."""
    state.settings = state.settings.model_copy(update={"push_in_process": False})
    with running(state) as test_client:
        yield Trade(test_client, world)


def test_a_revoked_rule_stops_the_next_webhook_delivery(pushless: Trade, state: HubState) -> None:
    trade = pushless
    foreign = trade.foreign_bank
    receivable = _receivable(state, trade.cast.seller)
    with session_scope(state.engine) as session:
        session.add(
            hooks.FinanceHook(
                owner_org_id=foreign.id, callback_url="https://127.0.0.1/hook", secret="c2VjcmV0" * 4
            )
        )
    share = """mutation($id: ID!, $org: ID!) { shareRecord(input: {kind: "receivable", recordId: $id,
      withOrgId: $org, dataClass: IMPORTANT}) { errors { code message } } }"""
    # Without a rule, the share itself is refused, and a notice abroad is held back naming the rule.
    refused = data(
        gql(trade.client, trade.cast.seller.token, share, {"id": str(receivable), "org": str(foreign.id)})
    )
    assert refused["shareRecord"]["errors"][0]["code"] == "FORBIDDEN"
    rule_id = trade.rule()["rule"]["id"]
    made = data(
        gql(trade.client, trade.cast.seller.token, share, {"id": str(receivable), "org": str(foreign.id)})
    )
    assert made["shareRecord"]["errors"] == []

    sent, error = _deliver(state, receivable, foreign)
    assert len(sent) == 1 and error is None
    assert json.loads(sent[0])[0]["amount"] == "1250.00"
    webhook_log = [
        t
        for t in data(
            gql(trade.client, trade.regulator.token, TRANSFERS, {"k": "receivable", "r": str(receivable)})
        )["dataTransfers"]
        if t["channel"] == "webhook"
    ]
    assert len(webhook_log) == 1 and webhook_log[0]["ruleId"] == rule_id

    assert (
        data(gql(trade.client, trade.regulator.token, REVOKE, {"id": rule_id}))["revokeTransferRule"][
            "errors"
        ]
        == []
    )
    sent, error = _deliver(state, receivable, foreign)
    assert sent == [] and error is not None and "transfer rule" in error and "KR" in error


# -- the supervisory read role, on a real node ---------------------------------------------------------------

ADMIN_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # anvil's account 0
REGULATOR_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"  # anvil's account 1


def test_a_regulators_account_is_given_the_supervisory_read_role_on_anvil(
    database_url: str, tmp_path: Path
) -> None:
    from ledger.chain import ChainRejected, RpcChain
    from tests.servers import Anvil
    from tests.test_cli import _env, _run

    node = Anvil(tmp_path / "anvil").start()
    try:
        hub = RpcChain(node.url, ADMIN_KEY, receipt_timeout=10)
        address = hub.deploy_registry()
        regulator = RpcChain(node.url, REGULATOR_KEY, receipt_timeout=10)
        regulator.use_registry(address)
        account = regulator.account.address
        assert not hub.is_supervisor(account)

        # The hub's CLI grants it, as the registry's admin, and the chain says so to every node.
        env = {
            **_env(database_url),
            "HUB_CHAIN_URL": node.url,
            "HUB_CHAIN_PRIVATE_KEY": ADMIN_KEY,
            "HUB_ANCHOR_CONTRACT": address,
        }
        assert _run(["db", "upgrade"], env, tmp_path).returncode == 0
        granted = _run(["chain", "supervisor", account], env, tmp_path)
        assert granted.returncode == 0, granted.stderr
        assert granted.stdout.strip().splitlines()[-1] == "supervisor"
        assert hub.is_supervisor(account) and regulator.is_supervisor(account)

        # It reads everything the hub anchors, and can do nothing else.
        root = bytes(range(32))
        hub.call_and_wait("AnchorRegistry", "anchor", root, 3)
        anchor = regulator.anchor_of(root)
        assert anchor is not None and anchor.record_count == 3
        with pytest.raises(ChainRejected, match="AccessControlUnauthorizedAccount"):
            regulator.call_and_wait("AnchorRegistry", "anchor", bytes(range(1, 33)), 1)
        with pytest.raises(ChainRejected, match="AccessControlUnauthorizedAccount"):
            regulator.grant_supervisor(hub.account.address)

        revoked = _run(["chain", "supervisor", account, "--revoke"], env, tmp_path)
        assert revoked.returncode == 0 and revoked.stdout.strip().splitlines()[-1] == "none"
        assert not hub.is_supervisor(account)
        wrong = _run(["chain", "supervisor", "0x1234"], env, tmp_path)
        assert wrong.returncode == 2 and "not an account address" in wrong.stderr
    finally:
        node.stop()


# -- the matrix: every kind of organisation, at home and abroad, at every class ---------------------------------

SENSITIVE = {  # what the order query above returns, by the class that field has
    "IMPORTANT": lambda o: (
        [o["goodsValue"], o["acturalPaid"], o["tax"], o["payment"]["amountPaid"]]
        + [line["price"] for line in o["lines"]]
    ),
    "PERSONAL": lambda o: [o["buyerName"], o["consignee"], o["payment"]["payerName"]],
}
READERS = [t for t in OrgType if t not in (OrgType.ADMIN, OrgType.EBL_PLATFORM)]


@pytest.mark.parametrize("org_type", READERS)
def test_no_class_leaks_to_any_kind_of_organisation_at_home_or_abroad(
    trade: Trade, world: World, org_type: OrgType
) -> None:
    leaks, hidden = [], []
    for country in ("CN", "KR"):
        reader = world.party(org_type, country=country)
        for data_class, purpose in (("GENERAL", None), ("IMPORTANT", None), ("CORE", "a stated purpose")):
            made = trade.share(reader, data_class, purpose)
            abroad = country != "CN"
            authority = not abroad and org_type in (OrgType.CUSTOMS, OrgType.REGULATOR)
            if made["errors"]:  # refused abroad without a rule: the share before it stays
                assert abroad and data_class != "GENERAL", made
            seen = trade.read(reader)
            expect = {
                "IMPORTANT": authority or (not abroad and data_class != "GENERAL"),
                "PERSONAL": authority or (not abroad and purpose is not None),
            }
            for cls, values in SENSITIVE.items():
                shown = [v for v in values(seen) if v not in (None, [], {})]
                if shown and not expect[cls]:
                    leaks.append((country, data_class, cls, shown))
                if expect[cls] and len(shown) != len(values(seen)):
                    hidden.append((country, data_class, cls))
            assert seen["orderNo"] and seen["lines"], "general fields are always shown"
    assert leaks == [], f"{org_type.value}: fields shown beyond the grant"
    assert hidden == [], f"{org_type.value}: fields masked that the grant covers"


def test_a_bill_shared_at_general_hides_its_cargo_values(client: TestClient, trade: Trade) -> None:
    from tests.test_commerce import create_bill

    create_bill(client, trade.cast)
    forwarder = trade.cast.forwarder
    bill = data(gql(client, forwarder.token, "{ bills { edges { node { id number } } } }"))["bills"]["edges"][
        0
    ]["node"]
    query = """query($n: String!) { bill(number: $n) { number cargo { hsCode description value } maskedFields } }"""
    own = data(gql(client, forwarder.token, query, {"n": bill["number"]}))["bill"]
    assert own["maskedFields"] == [] and own["cargo"][0]["description"]
    share = """mutation($id: ID!, $org: ID!) { shareRecord(input: {kind: "bill", recordId: $id, withOrgId: $org,
      dataClass: GENERAL}) { errors { code } } }"""
    assert (
        data(gql(client, forwarder.token, share, {"id": bill["id"], "org": str(trade.home_bank.id)}))[
            "shareRecord"
        ]["errors"]
        == []
    )
    seen = data(gql(client, trade.home_bank.token, query, {"n": bill["number"]}))["bill"]
    assert set(seen["maskedFields"]) == {"cargo[].description", "cargo[].value"}
    assert all(c["description"] is None and c["value"] is None for c in seen["cargo"])
    assert [c["hsCode"] for c in seen["cargo"]] == [c["hsCode"] for c in own["cargo"]]
