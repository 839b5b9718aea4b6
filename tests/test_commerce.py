"""Cross-border e-commerce through the API: the three documents from their three senders, the match, the
inventory list from a matched order to customs' release, the annual limit, and who sees what."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import xmlschema
from starlette.testclient import TestClient

from adapters.ceb import parse
from hub.auth.models import OrgType
from hub.state import HubState
from seeds import commerce as demo
from seeds import journey
from tests.conftest import Party, World, data, gql
from tests.fixtures import CEB, CEB_XSD, read

ORDERS = """query($s: MatchStatus) { commerceOrders(first: 50, matchStatus: $s) { nodes {
  id orderNo matchStatus problems { code document field expected found message }
  taxTotal acturalPaid tax { customsValue limitStatus annualUsedBefore vat consumptionTax total share lines { hsCode ratesFrom } }
  payment { payTransactionId amountPaid } waybill { logisticsNo billNo containerNumber }
  inventoryList { copNo status } } } }"""
GENERATE = """mutation($ids: [ID!]!, $d: DeclarationInput!) { generateInventoryLists(orderIds: $ids, declaration: $d) {
  inventoryLists { id copNo status orderNo billNo containerNumber trafMode tradeMode customsValue }
  errors { code field message } } }"""
SUBMIT = """mutation($ids: [ID!]!) { submitInventoryLists(ids: $ids) {
  inventoryLists { id copNo status submittedXml } errors { code message } } }"""
LIST = """query($c: String!) { inventoryList(copNo: $c) { copNo status preNo invtNo version
  receipts { returnStatus returnInfo status } } }"""
RECEIPT = """mutation($i: InventoryReceiptInput!) { recordInventoryReceipt(input: $i) {
  inventoryList { status receipts { returnStatus } } errors { code message } } }"""
DECLARATION = {"customsCode": demo.CUSTOMS_DISTRICT, "portCode": demo.PORT_CODE}


class Cast:
    def __init__(self, world: World) -> None:
        self.seller = world.party(OrgType.SELLER, "Hanul Electronics Export", customs_code=demo.SELLER_CODE)
        self.platform = world.party(
            OrgType.PLATFORM, "Liaoning Cross-Border Mall", customs_code=demo.PLATFORM_CODE
        )
        self.bank = world.party(OrgType.BANK, "Bank of Dalian Trade Finance", customs_code=demo.PAYMENT_CODE)
        self.forwarder = world.party(
            OrgType.FORWARDER, "Bohai Multimodal Forwarding", customs_code=demo.LOGISTICS_CODE
        )
        self.customs = world.party(OrgType.CUSTOMS, "Dalian Customs", customs_code=demo.CUSTOMS_DISTRICT)
        self.other_customs = world.party(OrgType.CUSTOMS, "Shanghai Customs", customs_code="2200")
        self.other_seller = world.party(OrgType.SELLER, "Another Seller", customs_code="3101960X01")
        self.regulator = world.party(OrgType.REGULATOR, "Audit Office")


@pytest.fixture
def cast(world: World) -> Cast:
    return Cast(world)


def post(
    client: TestClient, party: Party, path: str, body: bytes, content_type: str = "application/xml"
) -> Any:
    return client.post(path, content=body, headers={**party.headers, "Content-Type": content_type})


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def send_all(client: TestClient, cast: Cast, parcels: list[demo.Parcel], *, json_orders: bool = True) -> None:
    import json

    if json_orders:
        ok(
            post(
                client,
                cast.seller,
                "/ingest/orders",
                json.dumps(demo.orders_json(parcels)).encode(),
                "application/json",
            )
        )
    else:
        ok(post(client, cast.seller, "/ingest/ceb", demo.orders_xml(parcels)))
    ok(post(client, cast.bank, "/ingest/ceb", demo.payments_xml(parcels)))
    ok(post(client, cast.forwarder, "/ingest/ceb", demo.waybills_xml(parcels)))


def orders(client: TestClient, party: Party, status: str | None = None) -> list[dict[str, Any]]:
    return data(gql(client, party.token, ORDERS, {"s": status}))["commerceOrders"]["nodes"]  # type: ignore[no-any-return]


def create_bill(client: TestClient, cast: Cast) -> None:
    from collections import defaultdict

    ids: dict[str, Any] = defaultdict(lambda: None)  # carriers not on the hub: named on the bill only
    ids.update(
        {"Hanul Electronics Export": str(cast.seller.id), "Liaoning Cross-Border Mall": str(cast.platform.id)}
    )
    body = gql(
        client,
        cast.forwarder.token,
        "mutation($i: BillInput!) { createBill(input: $i) { bill { id } errors { message } } }",
        {"i": journey.bill_input(ids)},
    )
    assert data(body)["createBill"]["errors"] == []


def test_the_three_documents_from_their_senders_match_in_any_order(client: TestClient, cast: Cast) -> None:
    parcels = [demo.parcel(n) for n in range(1, 4)]
    ok(post(client, cast.forwarder, "/ingest/ceb", demo.waybills_xml(parcels)))
    report = ok(post(client, cast.seller, "/ingest/ceb", demo.orders_xml(parcels)))
    assert report["stored"] == 3 and report["match"] == {"INCOMPLETE": 3}
    assert [p["code"] for p in orders(client, cast.seller)[0]["problems"]] == ["MISSING_PAYMENT"]
    report = ok(post(client, cast.bank, "/ingest/ceb", demo.payments_xml(parcels)))
    assert report["match"] == {"MATCHED": 3}
    seen = orders(client, cast.seller, "MATCHED")
    assert sorted(o["orderNo"] for o in seen) == [p.order["orderNo"] for p in parcels]
    for order in seen:
        number = int(order["orderNo"][3:])
        assert order["payment"]["payTransactionId"] == f"PAY{number:012d}"
        assert order["waybill"]["logisticsNo"] == f"BMF{number:010d}"
    # The same messages again are duplicates, not new versions.
    again = ok(post(client, cast.bank, "/ingest/ceb", demo.payments_xml(parcels)))
    assert again["stored"] == 0 and again["duplicates"] == 3
    # CEB311 carries no HS codes, which the inventory list must declare: the seller is told which lines.
    refused = data(gql(client, cast.seller.token, GENERATE, {"ids": [seen[0]["id"]], "d": DECLARATION}))
    (error,) = refused["generateInventoryLists"]["errors"]
    assert error["code"] == "INVALID" and "line(s) 1, 2 have no 10-digit HS code" in error["message"]


def test_a_disagreeing_payment_is_reported_field_by_field(client: TestClient, cast: Cast) -> None:
    p = demo.parcel(7)
    wrong = demo.Parcel(p.order, p.lines, {**p.payment, "payerIdNumber": demo.buyer_id(999)}, p.waybill)
    send_all(client, cast, [wrong], json_orders=False)
    (order,) = orders(client, cast.seller)
    assert order["matchStatus"] == "MISMATCH"
    assert order["problems"] == [
        {
            "code": "PAYMENT_MISMATCH",
            "document": "PAYMENT",
            "field": "PaymentHead.payerIdNumber",
            "expected": p.order["buyerIdNumber"],
            "found": demo.buyer_id(999),
            "message": order["problems"][0]["message"],
        }
    ]
    generated = data(gql(client, cast.seller.token, GENERATE, {"ids": [order["id"]], "d": DECLARATION}))
    (error,) = generated["generateInventoryLists"]["errors"]
    assert error["code"] == "CONFLICT" and "MISMATCH, not MATCHED" in error["message"]


def test_the_official_order_sample_is_stored_with_its_arithmetic_mistake_reported(
    client: TestClient, world: World
) -> None:
    seller = world.party(OrgType.SELLER, "Dongfang Wutong", customs_code="1105910159")
    report = ok(post(client, seller, "/ingest/ceb", read(CEB / "CEB311Message.xml")))
    assert report["stored"] == 1 and report["duplicates"] == 5  # six copies of one order in the sample
    (order,) = orders(client, seller)
    assert order["matchStatus"] == "MISMATCH"
    arithmetic = [p for p in order["problems"] if p["code"] == "ARITHMETIC"]
    assert [(p["field"], p["expected"], p["found"]) for p in arithmetic] == [
        ("OrderList[2].totalPrice", "2000", "12000")
    ]


def test_a_platform_order_without_tax_gets_the_tax_the_hub_computes(client: TestClient, cast: Cast) -> None:
    import json

    body = demo.orders_json([demo.parcel(81)])
    for order in body["orders"]:
        del order["taxTotal"], order["acturalPaid"]
    ok(post(client, cast.seller, "/ingest/orders", json.dumps(body).encode(), "application/json"))
    (order,) = orders(client, cast.seller)
    tax = Decimal(order["tax"]["total"])
    assert tax > 0 and Decimal(order["taxTotal"]) == tax
    assert Decimal(order["acturalPaid"]) == Decimal("199.00") + Decimal("59.90") + Decimal("20.00") + tax
    bad = post(
        client,
        cast.seller,
        "/ingest/orders",
        b'{"orders": [{"orderNo": "X", "items": [{"qty": "a"}]}]}',
        "application/json",
    )
    assert bad.status_code == 422 and "orders[1].items[1].qty" in bad.text


def test_senders_are_held_to_their_own_customs_codes(client: TestClient, cast: Cast) -> None:
    parcels = [demo.parcel(11)]
    refused = post(client, cast.other_seller, "/ingest/ceb", demo.orders_xml(parcels))
    assert refused.status_code == 403 and "Order[1]" in refused.text and "customs code" in refused.text
    assert post(client, cast.bank, "/ingest/ceb", demo.orders_xml(parcels)).status_code == 403
    assert post(client, cast.seller, "/ingest/ceb", demo.payments_xml(parcels)).status_code == 403
    assert post(client, cast.customs, "/ingest/ceb", demo.waybills_xml(parcels)).status_code == 403
    lists = post(client, cast.seller, "/ingest/ceb", read(CEB / "CEB621Message.xml"))
    assert lists.status_code == 422 and "writes inventory lists itself" in lists.text
    assert orders(client, cast.other_seller) == []


def test_a_matched_order_goes_from_inventory_list_to_release(
    client: TestClient, cast: Cast, state: HubState
) -> None:
    create_bill(client, cast)
    parcels = [demo.parcel(n, bill_no=journey.BILL_NUMBER) for n in (21, 22)]
    send_all(client, cast, parcels)
    matched = orders(client, cast.seller, "MATCHED")
    assert len(matched) == 2
    assert (
        matched[0]["tax"]["limitStatus"] == "WITHIN_LIMITS"
        and matched[0]["tax"]["lines"][0]["ratesFrom"] == "3304"
    )

    generated = data(
        gql(client, cast.seller.token, GENERATE, {"ids": [o["id"] for o in matched], "d": DECLARATION})
    )
    payload = generated["generateInventoryLists"]
    assert payload["errors"] == []
    first = payload["inventoryLists"][0]
    assert first["status"] == "DRAFT" and first["billNo"] == journey.BILL_NUMBER
    assert first["trafMode"] == "2"  # the through bill's first leg is by sea
    again = data(gql(client, cast.seller.token, GENERATE, {"ids": [matched[0]["id"]], "d": DECLARATION}))
    assert again["generateInventoryLists"]["errors"][0]["code"] == "CONFLICT"

    submitted = data(
        gql(client, cast.seller.token, SUBMIT, {"ids": [i["id"] for i in payload["inventoryLists"]]})
    )
    lists = submitted["submitInventoryLists"]["inventoryLists"]
    assert [i["status"] for i in lists] == ["SUBMITTED", "SUBMITTED"]
    xml = lists[0]["submittedXml"].encode()
    assert list(xmlschema.XMLSchema(str(CEB_XSD)).iter_errors(xml.decode())) == []
    message = parse(xml)
    assert message.code == "CEB621" and message.signed and len(message.records) == 2
    assert message.records[0].lines[0]["gcode"] == "3304990099"
    state.ceb_signer().verify(xml)

    cop = first["copNo"]
    receipts = demo.inventory_receipts_xml(
        [
            {
                "guid": "A" * 36,
                "customsCode": demo.CUSTOMS_DISTRICT,
                "copNo": cop,
                "preNo": "B" * 18,
                "invtNo": "09002026I000000001"[:18],
                "returnStatus": "120",
                "returnTime": "20261119080000000",
                "returnInfo": "received",
            },
            {
                "guid": "A" * 36,
                "customsCode": demo.CUSTOMS_DISTRICT,
                "copNo": cop,
                "preNo": "B" * 18,
                "returnStatus": "800",
                "returnTime": "20261119090000000",
                "returnInfo": "released",
            },
        ]
    )
    assert post(client, cast.other_customs, "/ingest/ceb", receipts).status_code == 404
    report = ok(post(client, cast.customs, "/ingest/ceb", receipts))
    assert report["receipts"] == 2
    seen = data(gql(client, cast.seller.token, LIST, {"c": cop}))["inventoryList"]
    assert seen["status"] == "RELEASED" and seen["preNo"] == "B" * 18 and seen["version"] == 4
    assert [r["status"] for r in seen["receipts"]] == ["DECLARING", "RELEASED"]
    # A late receipt is kept but does not move the list back.
    late = demo.inventory_receipts_xml(
        [
            {
                "guid": "A" * 36,
                "copNo": cop,
                "preNo": "B" * 18,
                "returnStatus": "2",
                "returnTime": "20261119070000000",
                "returnInfo": "late",
            }
        ]
    )
    ok(post(client, cast.customs, "/ingest/ceb", late))
    assert data(gql(client, cast.seller.token, LIST, {"c": cop}))["inventoryList"]["status"] == "RELEASED"

    # Who sees it: seller, platform, the customs district, regulators; not another seller or district.
    for party in (cast.platform, cast.customs, cast.regulator):
        assert data(gql(client, party.token, LIST, {"c": cop}))["inventoryList"]["copNo"] == cop
    for party in (cast.other_seller, cast.other_customs, cast.bank):
        body = gql(client, party.token, LIST, {"c": cop})
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert sorted(o["orderNo"] for o in orders(client, cast.platform)) == [
        p.order["orderNo"] for p in parcels
    ]

    # Every step of the list is anchored, version by version.
    history = data(
        gql(
            client,
            cast.seller.token,
            'query($id: ID!) { recordHistory(kind: "ceb_inventory", id: $id) { version } }',
            {"id": first["id"]},
        )
    )["recordHistory"]
    assert [h["version"] for h in history] == [1, 2, 3, 4, 5]


def test_customs_answers_by_mutation_and_a_rejection_gives_the_quota_back(
    client: TestClient, cast: Cast
) -> None:
    parcels = [demo.parcel(31, buyer=500)]
    send_all(client, cast, parcels)
    (order,) = orders(client, cast.seller, "MATCHED")
    lists = data(
        gql(
            client, cast.seller.token, GENERATE, {"ids": [order["id"]], "d": {**DECLARATION, "trafMode": "5"}}
        )
    )
    (inventory,) = lists["generateInventoryLists"]["inventoryLists"]
    data(gql(client, cast.seller.token, SUBMIT, {"ids": [inventory["id"]]}))
    # While declared, the list counts toward the buyer's year.
    send_all(client, cast, [demo.parcel(32, buyer=500)])
    before = next(o for o in orders(client, cast.seller) if o["orderNo"] == "HNL00000032")
    assert Decimal(before["tax"]["annualUsedBefore"]) == Decimal("278.90")
    refused = data(
        gql(
            client,
            cast.seller.token,
            RECEIPT,
            {"i": {"copNo": inventory["copNo"], "returnStatus": "800", "returnInfo": "x"}},
        )
    )
    assert refused["recordInventoryReceipt"]["errors"][0]["code"] == "FORBIDDEN"
    answered = data(
        gql(
            client,
            cast.customs.token,
            RECEIPT,
            {
                "i": {
                    "copNo": inventory["copNo"],
                    "returnStatus": "100",
                    "returnInfo": "goods description unclear",
                }
            },
        )
    )["recordInventoryReceipt"]
    assert answered["errors"] == [] and answered["inventoryList"]["status"] == "REJECTED"
    # The rejected list no longer counts toward the buyer's year: a later order of the same buyer sees 0 used.
    send_all(client, cast, [demo.parcel(33, buyer=500)])
    after = next(o for o in orders(client, cast.seller) if o["orderNo"] == "HNL00000033")
    assert Decimal(after["tax"]["annualUsedBefore"]) == 0


def test_the_order_that_crosses_the_annual_limit_is_not_declared(client: TestClient, cast: Cast) -> None:
    # Five orders of 4,980 + 20 freight = 5,000 each: exactly the single limit, 25,000 in the year.
    big = [demo.parcel(40 + n, buyer=77, prices=(Decimal("2490"), Decimal("2490"))) for n in range(5)]
    last_fits = demo.parcel(46, buyer=77, prices=(Decimal("490"), Decimal("490")))  # 1,000: reaches 26,000
    crosses = demo.parcel(47, buyer=77, prices=(Decimal("0.01"), Decimal("0")), freight=Decimal("0"))
    send_all(client, cast, [*big, last_fits, crosses])
    by_no = {o["orderNo"]: o for o in orders(client, cast.seller, "MATCHED")}
    assert all(by_no[p.order["orderNo"]]["tax"]["customsValue"] in ("5000", "5000.00") for p in big)
    ids = [by_no[p.order["orderNo"]]["id"] for p in [*big, last_fits]]
    # Two declarations: the second adds to the quota row the first created.
    for part in (ids[:3], ids[3:]):
        made = data(
            gql(client, cast.seller.token, GENERATE, {"ids": part, "d": {**DECLARATION, "trafMode": "5"}})
        )
        assert made["generateInventoryLists"]["errors"] == []
    over = data(
        gql(
            client,
            cast.seller.token,
            GENERATE,
            {"ids": [by_no["HNL00000047"]["id"]], "d": {**DECLARATION, "trafMode": "5"}},
        )
    )["generateInventoryLists"]
    assert (
        over["errors"][0]["code"] == "CONFLICT" and "26000 CNY annual limit" in over["errors"][0]["message"]
    )
    assert over["inventoryLists"] == []


def test_a_declaration_leaves_the_buyers_other_years_alone(
    client: TestClient, cast: Cast, state: HubState
) -> None:
    from datetime import UTC, datetime

    from sqlmodel import select

    from hub.commerce.models import BuyerQuota
    from hub.db import session_scope

    parcel = demo.parcel(61, buyer=88)
    buyer = str(parcel.order["buyerIdNumber"])
    earlier = datetime(2020, 6, 1, tzinfo=UTC)
    with session_scope(state.engine) as session:
        session.add(BuyerQuota(buyer_id_number=buyer, year=2020, used=Decimal("1234.50"), updated_at=earlier))
    send_all(client, cast, [parcel])
    (order,) = orders(client, cast.seller, "MATCHED")
    made = data(
        gql(
            client, cast.seller.token, GENERATE, {"ids": [order["id"]], "d": {**DECLARATION, "trafMode": "5"}}
        )
    )
    assert made["generateInventoryLists"]["errors"] == []
    with session_scope(state.engine) as session:
        rows = {
            q.year: q for q in session.exec(select(BuyerQuota).where(BuyerQuota.buyer_id_number == buyer))
        }
    assert rows[2020].used == Decimal("1234.50") and rows[2020].updated_at.replace(tzinfo=UTC) == earlier
    (this_year,) = [year for year in rows if year != 2020]
    assert rows[this_year].used == Decimal(order["tax"]["customsValue"])


def test_order_numbers_find_only_the_callers_own_orders(client: TestClient, cast: Cast, world: World) -> None:
    from hub.auth.models import KeyRole
    from hub.auth.permissions import Principal
    from hub.commerce import service

    def principal(party: Party) -> Principal:
        return Principal(party.org.id, party.org.name, party.org.type, KeyRole.OPERATOR, party.org.id)

    mine, unsent = demo.parcel(71), demo.parcel(72)
    send_all(client, cast, [mine])
    with world.state.session() as session:
        seller = principal(cast.seller)
        ids = service.order_ids(session, seller, [unsent.order["orderNo"], mine.order["orderNo"]])
        assert len(ids) == 1
        assert service.get_order(session, seller, order_id=ids[0]).order_no == mine.order["orderNo"]
        assert service.order_ids(session, principal(cast.other_seller), [mine.order["orderNo"]]) == []


def test_csv_orders_import_with_the_cli(cast: Cast, state: HubState, tmp_path: Any) -> None:
    import csv
    import subprocess
    import sys

    p = demo.parcel(61)
    path = tmp_path / "orders.csv"
    head = {k: v for k, v in p.order.items() if k not in ("guid",)}
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*head, *p.lines[0]])
        writer.writeheader()
        for line in p.lines:
            writer.writerow({**head, **line})
    env = {
        "HUB_DATABASE_URL": state.settings.database_url,
        "HUB_LOG_LEVEL": "WARNING",
        "PATH": "/usr/bin:/bin",
    }
    run = subprocess.run(
        [sys.executable, "-m", "hub.cli", "orders", "import", str(path), "--org", "Hanul Electronics Export"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 orders stored" in run.stdout and "1 incomplete" in run.stdout


RECEIPTS_FEED = "subscription { customsReceipts { copNo status receipts { returnStatus } } }"


async def test_sellers_and_platforms_follow_their_lists_as_customs_answers(
    settings: Any, embedded_chain: Any, world: World
) -> None:
    import asyncio
    import json

    import httpx

    from hub.bus import InProcessBus
    from tests.test_subscriptions import _hub, _next, _open

    cast = Cast(world)
    parcels = [demo.parcel(91)]

    def call(party: Party, path: str, body: bytes, content_type: str = "application/xml") -> Any:
        response = httpx.post(
            f"{hub.url}{path}",
            content=body,
            headers={**party.headers, "Content-Type": content_type},
            timeout=20,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def graphql(party: Party, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        return call(
            party,
            "/graphql",
            json.dumps({"query": query, "variables": variables}).encode(),
            "application/json",
        )

    with _hub(settings, InProcessBus(), embedded_chain) as hub:
        orders_body = json.dumps(demo.orders_json(parcels)).encode()  # with HS codes, which CEB311 lacks
        await asyncio.to_thread(call, cast.seller, "/ingest/orders", orders_body, "application/json")
        await asyncio.to_thread(call, cast.bank, "/ingest/ceb", demo.payments_xml(parcels))
        await asyncio.to_thread(call, cast.forwarder, "/ingest/ceb", demo.waybills_xml(parcels))
        found = await asyncio.to_thread(graphql, cast.seller, ORDERS, {"s": "MATCHED"})
        order_id = found["data"]["commerceOrders"]["nodes"][0]["id"]
        made = await asyncio.to_thread(
            graphql, cast.seller, GENERATE, {"ids": [order_id], "d": {**DECLARATION, "trafMode": "5"}}
        )
        inventory = made["data"]["generateInventoryLists"]["inventoryLists"][0]
        seller = await _open(hub.ws_url, cast.seller.token, RECEIPTS_FEED, {})
        platform = await _open(hub.ws_url, cast.platform.token, RECEIPTS_FEED, {})
        stranger = await _open(hub.ws_url, cast.other_seller.token, RECEIPTS_FEED, {})
        await asyncio.to_thread(graphql, cast.seller, SUBMIT, {"ids": [inventory["id"]]})
        assert (await _next(seller, "customsReceipts"))["status"] == "SUBMITTED"
        assert (await _next(platform, "customsReceipts"))["status"] == "SUBMITTED"
        receipt = {"copNo": inventory["copNo"], "returnStatus": "500", "returnInfo": "to be inspected"}
        await asyncio.to_thread(graphql, cast.customs, RECEIPT, {"i": receipt})
        seen = await _next(seller, "customsReceipts")
        assert seen == {
            "copNo": inventory["copNo"],
            "status": "INSPECTION",
            "receipts": [{"returnStatus": "500"}],
        }
        assert (await _next(platform, "customsReceipts"))["status"] == "INSPECTION"
        try:
            await asyncio.wait_for(stranger.recv(), 0.5)
            raise AssertionError("another seller was told about the list")
        except TimeoutError:
            pass
        for ws in (seller, platform, stranger):
            await ws.close()
