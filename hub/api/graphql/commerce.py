"""GraphQL for cross-border e-commerce: orders with their match and tax, inventory lists, customs receipts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from sqlmodel import Session

from hub.api.graphql.common import (
    PageInfo,
    UserError,
    decode_cursor,
    page_of,
    page_size,
    parse_id,
    run_mutation,
)
from hub.api.graphql.context import Info
from hub.commerce import service
from hub.commerce.match import MatchStatus
from hub.commerce.models import (
    INVENTORY_KIND,
    ORDER_KIND,
    PAYMENT_KIND,
    WAYBILL_KIND,
    CommercePayment,
    CommerceWaybill,
    InventoryStatus,
)
from hub.commerce.models import CommerceOrder as OrderRow
from hub.commerce.models import InventoryList as InventoryRow
from hub.commerce.tax import LimitStatus
from hub.errors import NotFound
from hub.governance import service as governance
from hub.governance.service import OWNER, Grant

strawberry.enum(MatchStatus, description="Where an order stands in the three-document match.")
strawberry.enum(LimitStatus, description="Where an order stands against the retail-import limits.")
strawberry.enum(InventoryStatus, description="An inventory list's way through customs.")


MASKED = (
    "The fields (paths as the record's anchored form names them, e.g. head.buyerIdNumber) this record's "
    "share does not grant you: their values read null or are left out. Empty for its owner."
)


def _dec(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


@strawberry.type(
    description="One disagreement between the order, its payment and its waybill (or a missing one)."
)
class MatchProblem:
    code: str = strawberry.field(
        description="MISSING_PAYMENT, MISSING_WAYBILL, ARITHMETIC, CURRENCY, PAYMENT_MISMATCH or WAYBILL_MISMATCH."
    )
    document: str = strawberry.field(description="ORDER, PAYMENT or WAYBILL: where the field was found.")
    field: str = strawberry.field(description='The CEB field, e.g. "OrderList[2].totalPrice".')
    expected: str | None = strawberry.field(description="What the order says (or its arithmetic gives).")
    found: str | None = strawberry.field(description="What the document says.")
    message: str


@strawberry.type(description="The tax on one order line.")
class TaxLine:
    gnum: int
    hs_code: str | None
    customs_value: Decimal
    duty: Decimal
    consumption_tax: Decimal
    vat: Decimal
    tariff_rate: Decimal
    vat_rate: Decimal
    consumption_rate: Decimal
    rates_from: str = strawberry.field(description="The HS prefix whose rates applied, or 'default'.")


@strawberry.type(description="An order's retail-import tax and where it stands against the limits (CNY).")
class TaxBreakdown:
    customs_value: Decimal
    limit_status: LimitStatus
    annual_used_before: Decimal = strawberry.field(
        description="The buyer's declared total this year before it."
    )
    annual_used_after: Decimal
    duty: Decimal
    consumption_tax: Decimal
    vat: Decimal
    total: Decimal
    share: Decimal = strawberry.field(description="0.7 within the limits, 1 at full rates.")
    notes: list[str]
    lines: list[TaxLine]

    @staticmethod
    def of(tax: dict[str, Any]) -> TaxBreakdown:
        def d(name: str, src: dict[str, Any] = tax) -> Decimal:
            return Decimal(str(src[name]))

        return TaxBreakdown(
            customs_value=d("customsValue"),
            limit_status=LimitStatus(tax["limitStatus"]),
            annual_used_before=d("annualUsedBefore"),
            annual_used_after=d("annualUsedAfter"),
            duty=d("duty"),
            consumption_tax=d("consumptionTax"),
            vat=d("vat"),
            total=d("total"),
            share=d("share"),
            notes=list(tax.get("notes", [])),
            lines=[
                TaxLine(
                    gnum=int(line["gnum"]),
                    hs_code=line.get("hsCode"),
                    customs_value=d("customsValue", line),
                    duty=d("duty", line),
                    consumption_tax=d("consumptionTax", line),
                    vat=d("vat", line),
                    tariff_rate=d("tariffRate", line),
                    vat_rate=d("vatRate", line),
                    consumption_rate=d("consumptionRate", line),
                    rates_from=str(line["ratesFrom"]),
                )
                for line in tax.get("lines", [])
            ],
        )


@strawberry.type(description="An order line (CEB311 OrderList).")
class OrderLine:
    gnum: int
    item_no: str | None
    item_name: str | None
    gmodel: str | None
    unit: str
    qty: Decimal | None
    price: Decimal | None
    total_price: Decimal | None
    country: str | None
    hs_code: str | None


@strawberry.type(description="The payment record (CEB411) matched to an order.")
class PaymentInfo:
    pay_code: str
    pay_transaction_id: str
    payer_name: str | None
    amount_paid: Decimal | None
    pay_time: str | None
    customs_status: str | None


@strawberry.type(description="The parcel waybill (CEB511) matched to an order.")
class WaybillInfo:
    logistics_code: str
    logistics_no: str
    bill_no: str | None
    container_number: str | None
    weight_kg: Decimal | None
    customs_status: str | None


@strawberry.type(description="A customs receipt (CEB622) for an inventory list.")
class InventoryReceipt:
    return_status: str
    return_time: str
    return_info: str
    status: InventoryStatus
    pre_no: str | None
    invt_no: str | None


@strawberry.type(description="A CEB621 inventory list declaring one order's goods.")
class InventoryList:
    id: strawberry.ID
    cop_no: str
    order_no: str
    ebp_code: str
    status: InventoryStatus
    customs_code: str
    port_code: str
    trade_mode: str
    traf_mode: str
    pre_no: str | None
    invt_no: str | None
    logistics_no: str
    bill_no: str | None
    container_number: str | None
    customs_value: Decimal | None
    receipts: list[InventoryReceipt]
    version: int
    created_at: datetime
    updated_at: datetime
    message_id: strawberry.Private[uuid.UUID | None]
    masked_fields: list[str] = strawberry.field(default_factory=list, description=MASKED)

    @strawberry.field(description="The signed CEB621 message it was submitted in (null while a draft).")
    def submitted_xml(self, info: Info) -> str | None:
        # The list itself was read under the caller's visibility; its message goes with it.
        return service.message_xml(info.context.session, self.message_id)

    @staticmethod
    def of(row: InventoryRow, masked: list[str] | None = None) -> InventoryList:
        head = row.head
        return InventoryList(
            id=strawberry.ID(str(row.id)),
            cop_no=row.cop_no,
            order_no=str(head["orderNo"]),
            ebp_code=row.ebp_code,
            status=row.status,
            customs_code=row.customs_code,
            port_code=str(head["portCode"]),
            trade_mode=str(head["tradeMode"]),
            traf_mode=str(head["trafMode"]),
            pre_no=row.pre_no,
            invt_no=row.invt_no,
            logistics_no=str(head["logisticsNo"]),
            bill_no=head.get("billNo"),
            container_number=row.container_number,
            customs_value=row.quota_amount,
            receipts=[
                InventoryReceipt(
                    return_status=r["returnStatus"],
                    return_time=r["returnTime"],
                    return_info=r.get("returnInfo", ""),
                    status=InventoryStatus(r["status"]),
                    pre_no=r.get("preNo"),
                    invt_no=r.get("invtNo"),
                )
                for r in row.receipts
            ],
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            message_id=row.message_id,
            masked_fields=list(masked or []),
        )


@strawberry.type(description="A cross-border order with its three-document match and its tax.")
class CommerceOrder:
    id: strawberry.ID
    order_no: str
    ebp_code: str
    ebc_code: str
    ebc_name: str | None
    source: str = strawberry.field(description="CEB311, JSON or CSV.")
    buyer_name: str | None
    consignee: str | None
    goods_value: Decimal | None
    freight: Decimal | None
    discount: Decimal | None
    tax_total: Decimal | None
    actural_paid: Decimal | None = strawberry.field(
        description="CEB's own spelling: the amount actually paid."
    )
    match_status: MatchStatus
    problems: list[MatchProblem]
    tax: TaxBreakdown | None
    customs_status: str | None = strawberry.field(description="The latest CEB312 returnStatus.")
    customs_info: str | None
    lines: list[OrderLine]
    payment: PaymentInfo | None
    waybill: WaybillInfo | None
    inventory_list: InventoryList | None
    version: int
    created_at: datetime
    masked_fields: list[str] = strawberry.field(
        default_factory=list,
        description=MASKED + " Its payment's and waybill's are prefixed payment. and waybill.",
    )

    @staticmethod
    def of(
        row: OrderRow,
        payment: CommercePayment | None,
        waybill: CommerceWaybill | None,
        inventory: InventoryRow | None,
        grant: Grant = OWNER,
    ) -> CommerceOrder:
        masked: list[str] = []
        inventory_masked: list[str] = []
        if not grant.full:
            row, masked = governance.view(ORDER_KIND, row, grant)
            if payment is not None:
                payment, hidden = governance.view(PAYMENT_KIND, payment, grant)
                masked += [f"payment.{p}" for p in hidden]
            if waybill is not None:
                waybill, hidden = governance.view(WAYBILL_KIND, waybill, grant)
                masked += [f"waybill.{p}" for p in hidden]
            if inventory is not None:
                inventory, inventory_masked = governance.view(INVENTORY_KIND, inventory, grant)
        head = row.head
        return CommerceOrder(
            id=strawberry.ID(str(row.id)),
            order_no=row.order_no,
            ebp_code=row.ebp_code,
            ebc_code=row.ebc_code,
            ebc_name=head.get("ebcName"),
            source=row.source,
            buyer_name=head.get("buyerName"),
            consignee=head.get("consignee"),
            goods_value=_dec(head.get("goodsValue")),
            freight=_dec(head.get("freight")),
            discount=_dec(head.get("discount")),
            tax_total=_dec(head.get("taxTotal")),
            actural_paid=_dec(head.get("acturalPaid")),
            match_status=MatchStatus(row.match_status),
            problems=[MatchProblem(**p) for p in row.match_problems],
            tax=TaxBreakdown.of(row.tax) if row.tax else None,
            customs_status=row.customs_status,
            customs_info=row.customs_info,
            lines=[
                OrderLine(
                    gnum=int(line["gnum"]),
                    item_no=line.get("itemNo"),
                    item_name=line.get("itemName"),
                    gmodel=line.get("gmodel"),
                    unit=str(line.get("unit") or ""),
                    qty=_dec(line.get("qty")),
                    price=_dec(line.get("price")),
                    total_price=_dec(line.get("totalPrice")),
                    country=line.get("country"),
                    hs_code=line.get("hsCode"),
                )
                for line in row.lines
            ],
            payment=None
            if payment is None
            else PaymentInfo(
                pay_code=payment.pay_code,
                pay_transaction_id=payment.pay_transaction_id,
                payer_name=payment.head.get("payerName"),
                amount_paid=_dec(payment.head.get("amountPaid")),
                pay_time=payment.head.get("payTime"),
                customs_status=payment.customs_status,
            ),
            waybill=None
            if waybill is None
            else WaybillInfo(
                logistics_code=waybill.logistics_code,
                logistics_no=waybill.logistics_no,
                bill_no=waybill.bill_no,
                container_number=waybill.container_number,
                weight_kg=_dec(waybill.head.get("weight")),
                customs_status=waybill.customs_status,
            ),
            inventory_list=None if inventory is None else InventoryList.of(inventory, inventory_masked),
            version=row.version,
            created_at=row.created_at,
            masked_fields=masked,
        )


def _orders(info: Info, rows: list[OrderRow]) -> list[CommerceOrder]:
    session = info.context.session
    payments, waybills = service.counterparts_of(session, rows)
    inventory = service.inventory_of_orders(session, [r.id for r in rows])
    grants = info.context.governed(ORDER_KIND, rows)
    return [
        CommerceOrder.of(
            r,
            payments.get((r.ebp_code, r.order_no)),
            waybills.get(r.order_no),
            inventory.get(r.id),
            grant,
        )
        for r, (_, _, grant) in zip(rows, grants, strict=True)
    ]


def _inventory(info: Info, rows: list[InventoryRow]) -> list[InventoryList]:
    return [InventoryList.of(v, masked) for v, masked, _ in info.context.governed(INVENTORY_KIND, rows)]


@strawberry.type
class CommerceOrderConnection:
    nodes: list[CommerceOrder]
    page_info: PageInfo


@strawberry.type
class InventoryListConnection:
    nodes: list[InventoryList]
    page_info: PageInfo


@strawberry.type
class CommerceQuery:
    @strawberry.field(description="One order you may see: by id, or by platform code and order number.")
    def commerce_order(
        self, info: Info, id: strawberry.ID | None = None, ebp_code: str = "", order_no: str = ""
    ) -> CommerceOrder:
        ctx = info.context
        row = service.get_order(
            ctx.session,
            ctx.principal,
            order_id=None if id is None else parse_id(id, "id"),
            ebp_code=ebp_code,
            order_no=order_no,
        )
        return _orders(info, [row])[0]

    @strawberry.field(
        description="Orders you may see, oldest first, optionally only those in one match status."
    )
    def commerce_orders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        match_status: MatchStatus | None = None,
    ) -> CommerceOrderConnection:
        ctx = info.context
        limit = page_size(first, ctx.state.settings)
        rows = list(
            service.list_orders(
                ctx.session,
                ctx.principal,
                limit=limit + 1,
                after=decode_cursor(after),
                match_status=match_status.value if match_status else None,
            )
        )
        page, info_ = page_of(rows, limit)
        return CommerceOrderConnection(nodes=_orders(info, page), page_info=info_)

    @strawberry.field(description="One inventory list you may see, by id or copNo.")
    def inventory_list(self, info: Info, id: strawberry.ID | None = None, cop_no: str = "") -> InventoryList:
        ctx = info.context
        row = service.get_inventory(
            ctx.session,
            ctx.principal,
            inventory_id=None if id is None else parse_id(id, "id"),
            cop_no=cop_no,
        )
        return _inventory(info, [row])[0]

    @strawberry.field(description="Inventory lists you may see, oldest first.")
    def inventory_lists(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: InventoryStatus | None = None,
    ) -> InventoryListConnection:
        ctx = info.context
        limit = page_size(first, ctx.state.settings)
        rows = list(
            service.list_inventory(
                ctx.session, ctx.principal, limit=limit + 1, after=decode_cursor(after), status=status
            )
        )
        page, info_ = page_of(rows, limit)
        return InventoryListConnection(nodes=_inventory(info, page), page_info=info_)


@strawberry.input(description="What the declarant adds to what the hub holds, to write inventory lists.")
class DeclarationInput:
    customs_code: str = strawberry.field(description="The 4-digit customs district declared to.")
    port_code: str = strawberry.field(description="The 4-digit port of entry.")
    trade_mode: str = "9610"
    traf_mode: str | None = strawberry.field(
        default=None,
        description="JGS-20 transport mode; taken from the through bill's first leg when omitted.",
    )
    assure_code: str | None = None


@strawberry.type
class InventoryListsPayload:
    errors: list[UserError]
    inventory_lists: list[InventoryList] = strawberry.field(default_factory=list)


@strawberry.type
class InventoryListPayload:
    errors: list[UserError]
    inventory_list: InventoryList | None = None


@strawberry.input(description="A customs answer to an inventory list, as CEB622 carries it.")
class InventoryReceiptInput:
    cop_no: str
    return_status: str = strawberry.field(
        description="e.g. 2 declaring, 100 rejected, 500 inspection, 800 released."
    )
    return_info: str
    pre_no: str | None = None
    invt_no: str | None = None


@strawberry.type
class CommerceMutation:
    @strawberry.mutation(
        description="Draft inventory lists for matched orders of yours (reserves the buyers' quota)."
    )
    def generate_inventory_lists(
        self, info: Info, order_ids: list[strawberry.ID], declaration: DeclarationInput
    ) -> InventoryListsPayload:
        ctx = info.context

        def act() -> dict[str, Any]:
            ids = [parse_id(i, f"orderIds[{n}]") for n, i in enumerate(order_ids)]
            rows = service.generate_inventory_lists(
                ctx.session,
                ctx.principal,
                ids,
                service.Declaration(
                    customs_code=declaration.customs_code,
                    port_code=declaration.port_code,
                    trade_mode=declaration.trade_mode,
                    traf_mode=declaration.traf_mode,
                    assure_code=declaration.assure_code,
                ),
            )
            return {"inventory_lists": [InventoryList.of(r) for r in rows]}

        return run_mutation(InventoryListsPayload, act, ctx.session.commit)

    @strawberry.mutation(description="Sign and submit draft inventory lists as CEB621 messages.")
    def submit_inventory_lists(self, info: Info, ids: list[strawberry.ID]) -> InventoryListsPayload:
        ctx = info.context

        def act() -> dict[str, Any]:
            wanted = [parse_id(i, f"ids[{n}]") for n, i in enumerate(ids)]
            service.submit_inventory_lists(
                ctx.session, ctx.principal, wanted, ctx.state.ceb_signer(), ctx.state.settings.ceb_dxp_id
            )
            rows = [service.get_inventory(ctx.session, ctx.principal, inventory_id=i) for i in wanted]
            return {"inventory_lists": [InventoryList.of(r) for r in rows]}

        return run_mutation(InventoryListsPayload, act, ctx.session.commit)

    @strawberry.mutation(
        description="Customs: answer an inventory list declared to your district (as CEB622 would)."
    )
    def record_inventory_receipt(self, info: Info, input: InventoryReceiptInput) -> InventoryListPayload:
        ctx = info.context

        def act() -> dict[str, Any]:
            receipt = {
                "copNo": input.cop_no,
                "returnStatus": input.return_status,
                "returnInfo": input.return_info,
                "returnTime": service.receipt_time(),
                "preNo": input.pre_no,
                "invtNo": input.invt_no,
            }
            service.apply_inventory_receipts(ctx.session, ctx.principal, [receipt])
            row = service.get_inventory(ctx.session, ctx.principal, cop_no=input.cop_no)
            return {"inventory_list": InventoryList.of(row)}

        return run_mutation(InventoryListPayload, act, ctx.session.commit)


@strawberry.type
class CommerceSubscription:
    @strawberry.subscription(
        description="Your inventory lists as customs answers them (and as you submit them)."
    )
    async def customs_receipts(self, info: Info) -> AsyncGenerator[InventoryList, None]:
        ctx = info.context
        principal = ctx.principal
        async for message in ctx.state.bus.subscribe(service.TOPIC):
            if message.get("kind") != "inventory":
                continue
            mine = str(principal.org_id) in message.get("orgIds", [])
            if not (mine or principal.audits_all or principal.org_type.value == "customs"):
                continue

            def load(session: Session, message: dict[str, Any] = message) -> InventoryList | None:
                try:
                    row = service.get_inventory(session, principal, inventory_id=uuid.UUID(message["id"]))
                except NotFound:  # not visible to this caller (another district's list)
                    return None
                return InventoryList.of(row)

            found = await ctx.state.reads.per_reader(message, "customsReceipts", principal, load)
            if found is not None:
                yield found
