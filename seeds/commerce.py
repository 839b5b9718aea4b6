"""Consistent cross-border parcels for the demo, the tests and the benchmark.

The official CEB samples do not form one matching set (``shared/DOMAIN.md`` §3), so the path that
succeeds is built here: for each parcel an order (CEB311 shape), its payment (CEB411) and its waybill
(CEB511) that agree on every matched field, with valid buyer ID numbers. The enterprise codes are the
demo organisations' customs codes (the seller's is its unified social credit code).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import stdnum.cn.ric

from adapters.ceb.xml import CebMessage, CebRecord, render

SELLER_CODE = "91210200MA0Y8K3Q14"  # Hanul Electronics Export (the e-commerce enterprise; its USCC)
PLATFORM_CODE = "2102960P01"  # Liaoning Cross-Border Mall (the platform)
PAYMENT_CODE = "2102960B01"  # Bank of Dalian Trade Finance (the payment enterprise)
LOGISTICS_CODE = "2102960L01"  # Bohai Multimodal Forwarding (the logistics enterprise)
CUSTOMS_DISTRICT = "0900"  # the customs district the lists are declared to
PORT_CODE = "0908"  # the port of entry
APP_TIME = "20261118093000"


def buyer_id(serial: int) -> str:
    """A valid resident ID number (region 210202, born 1990-01-01) for buyer ``serial``."""
    base = f"21020219900101{serial % 1000:03d}"
    return base + stdnum.cn.ric.calc_check_digit(base)


@dataclass(frozen=True)
class Parcel:
    """One order with the payment and waybill that match it."""

    order: dict[str, Any]
    lines: list[dict[str, Any]]
    payment: dict[str, Any]
    waybill: dict[str, Any]


def parcel(
    number: int,
    *,
    buyer: int | None = None,
    prices: tuple[Decimal, ...] = (Decimal("199.00"), Decimal("59.90")),
    freight: Decimal = Decimal("20.00"),
    tax: Decimal = Decimal("0"),
    bill_no: str | None = None,
    prefix: str = "HNL",
) -> Parcel:
    """Parcel ``number``: two cosmetics lines by default, one unit each."""
    buyer_number = number if buyer is None else buyer
    idn = buyer_id(buyer_number)
    name, phone = f"Buyer {buyer_number}", f"1390000{buyer_number % 10000:04d}"
    address = f"Shenyang, Heping District, Lane {buyer_number % 500 + 1}"
    order_no = f"{prefix}{number:08d}"
    lines = [
        {
            "gnum": i,
            "itemNo": f"SKU-{i:03d}",
            "itemName": f"Face cream {i}",
            "gmodel": "50 ml jar",
            "barCode": f"880{i:010d}",
            "unit": "007",
            "qty": Decimal(1),
            "price": price,
            "totalPrice": price,
            "currency": "142",
            "country": "133",
            "hsCode": "3304990099",
        }
        for i, price in enumerate(prices, start=1)
    ]
    goods = sum(prices, Decimal(0))
    paid = goods + freight + tax
    guid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"hub-demo:{order_no}")).upper()
    order = {
        "guid": guid,
        "appType": "1",
        "appTime": APP_TIME,
        "appStatus": "2",
        "orderType": "I",
        "orderNo": order_no,
        "ebpCode": PLATFORM_CODE,
        "ebpName": "Liaoning Cross-Border Mall",
        "ebcCode": SELLER_CODE,
        "ebcName": "Hanul Electronics Export",
        "goodsValue": goods,
        "freight": freight,
        "discount": Decimal(0),
        "taxTotal": tax,
        "acturalPaid": paid,
        "currency": "142",
        "buyerRegNo": f"U{buyer_number:07d}",
        "buyerName": name,
        "buyerTelephone": phone,
        "buyerIdType": "1",
        "buyerIdNumber": idn,
        "payCode": PAYMENT_CODE,
        "payName": "Bank of Dalian Trade Finance",
        "payTransactionId": f"PAY{number:012d}",
        "consignee": name,
        "consigneeTelephone": phone,
        "consigneeAddress": address,
    }
    payment = {
        "guid": guid,
        "appType": "1",
        "appTime": APP_TIME,
        "appStatus": "2",
        "payCode": PAYMENT_CODE,
        "payName": "Bank of Dalian Trade Finance",
        "payTransactionId": f"PAY{number:012d}",
        "orderNo": order_no,
        "ebpCode": PLATFORM_CODE,
        "ebpName": "Liaoning Cross-Border Mall",
        "payerIdType": "1",
        "payerIdNumber": idn,
        "payerName": name,
        "telephone": phone,
        "amountPaid": paid,
        "currency": "142",
        "payTime": APP_TIME,
    }
    waybill = {
        "guid": guid,
        "appType": "1",
        "appTime": APP_TIME,
        "appStatus": "2",
        "logisticsCode": LOGISTICS_CODE,
        "logisticsName": "Bohai Multimodal Forwarding",
        "logisticsNo": f"BMF{number:010d}",
        "billNo": bill_no,
        "orderNo": order_no,
        "freight": freight,
        "insuredFee": Decimal(0),
        "currency": "142",
        "weight": Decimal("0.6"),
        "packNo": 1,
        "goodsInfo": "face cream",
        "consignee": name,
        "consigneeAddress": address,
        "consigneeTelephone": phone,
    }
    return Parcel(order, lines, payment, waybill)


def _transfer(code: str) -> dict[str, Any]:
    return {"copCode": code, "copName": "demo", "dxpMode": "DXP", "dxpId": ""}


def orders_xml(parcels: list[Parcel]) -> bytes:
    """A CEB311 message with these parcels' orders (CEB311 has no hsCode: it is left out)."""
    records = [
        CebRecord("", p.order, [{k: v for k, v in line.items() if k != "hsCode"} for line in p.lines])
        for p in parcels
    ]
    return render(CebMessage("CEB311", str(uuid.uuid4()).upper(), "1.0", records, _transfer(SELLER_CODE)))


def orders_json(parcels: list[Parcel]) -> dict[str, Any]:
    """The same orders as a platform sends them to ``/ingest/orders`` (JSON, with HS codes)."""

    def plain(values: dict[str, Any]) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in values.items() if v is not None}

    return {"orders": [{**plain(p.order), "items": [plain(line) for line in p.lines]} for p in parcels]}


def payments_xml(parcels: list[Parcel]) -> bytes:
    records = [CebRecord("", p.payment) for p in parcels]
    return render(CebMessage("CEB411", str(uuid.uuid4()).upper(), "1.0", records, _transfer(PAYMENT_CODE)))


def waybills_xml(parcels: list[Parcel]) -> bytes:
    records = [CebRecord("", p.waybill) for p in parcels]
    return render(CebMessage("CEB511", str(uuid.uuid4()).upper(), "1.0", records, _transfer(LOGISTICS_CODE)))


def inventory_receipts_xml(receipts: list[dict[str, Any]]) -> bytes:
    """A CEB622 message (customs' side) with these receipts."""
    records = [CebRecord("", r) for r in receipts]
    return render(CebMessage("CEB622", str(uuid.uuid4()).upper(), "1.0", records))
