"""The retail-import tax, its limits at their edges, and the three-document match rules (pure)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from hub.commerce import tax
from hub.commerce.match import MatchStatus, against, match, own_problems
from hub.commerce.tax import LimitStatus, LineIn, Rates, TaxTable
from seeds.commerce import parcel

D = Decimal
TABLE = tax.TaxTable.load()


def _table(vat: str, consumption: str) -> TaxTable:
    return replace(TABLE, default=Rates(D(0), D(vat), D(consumption)), rates=())


@pytest.mark.parametrize(("consumption", "due"), [("0", "91.00"), ("0.15", "230.59")])
def test_tax_within_the_limits_is_70_percent_of_vat_and_consumption_tax(consumption: str, due: str) -> None:
    result = tax.compute(
        [LineIn(1, None, D(1000), D(1))], goods_value=D(1000), freight=D(0), rates=_table("0.13", consumption)
    )
    assert result.limit_status == LimitStatus.WITHIN_LIMITS and result.duty == 0
    assert result.total == D(due)


def test_rates_come_from_the_data_file_by_the_longest_hs_prefix() -> None:
    assert TABLE.single_limit == 5000 and TABLE.annual_limit == 26000 and TABLE.within_share == D("0.7")
    assert TABLE.rates_for("3304990099").consumption == D("0.15")
    assert TABLE.rates_for("9999999999") == TABLE.default
    result = tax.compute(
        [LineIn(1, "3304990099", D(600), D(1)), LineIn(2, "8517130000", D(400), D(1))],
        goods_value=D(1000),
        freight=D(100),
    )
    # Freight is shared by value: 660 and 440 of customs value.
    assert [line.customs_value for line in result.lines] == [D("660.00000"), D("440.00000")]
    # CT = 660 / 0.85 x 0.15 x 0.7 = 81.53; VAT = ((660 + 116.47) x 0.13 + 440 x 0.13) x 0.7 = 70.66 + 40.04
    assert result.consumption_tax == D("81.53") and result.vat == D("110.70")


def _order(value: str, qty: int = 1, lines: int = 2, used: str = "0") -> tax.TaxResult:
    each = D(value) / lines
    return tax.compute(
        [LineIn(i, "3304990099", each, D(qty)) for i in range(1, lines + 1)],
        goods_value=D(value),
        freight=D(0),
        annual_used=D(used),
    )


def test_the_single_transaction_limit_at_its_edge() -> None:
    assert _order("5000").limit_status == LimitStatus.WITHIN_LIMITS
    over = _order("5000.02")
    assert over.limit_status == LimitStatus.OVER_SINGLE_LIMIT and not over.limit_status.clears_as_retail
    assert "single-transaction limit" in over.notes[0]
    single = _order("6000", lines=1)
    assert single.limit_status == LimitStatus.SINGLE_ITEM_FULL_RATE and single.share == 1
    assert single.duty == D("60.00")  # full tariff of 1 % on beauty preparations
    assert (
        _order("6000", lines=1, qty=2).limit_status == LimitStatus.OVER_SINGLE_LIMIT
    )  # two units: divisible


def test_the_annual_limit_at_its_edge() -> None:
    reaches = _order("3000", used="23000")
    assert reaches.limit_status == LimitStatus.WITHIN_LIMITS and reaches.annual_used_after == 26000
    crosses = _order("3000.02", used="23000")
    assert crosses.limit_status == LimitStatus.OVER_ANNUAL_LIMIT and crosses.annual_used_after == 23000
    assert "26000 CNY annual limit" in crosses.notes[0]


def test_an_agreeing_triple_matches() -> None:
    p = parcel(1)
    assert match(p.order, p.lines, p.payment, p.waybill, D("0.01")) == (MatchStatus.MATCHED, [])


def test_missing_documents_leave_the_order_incomplete() -> None:
    p = parcel(2)
    status, problems = match(p.order, p.lines, None, p.waybill, D("0.01"))
    assert status == MatchStatus.INCOMPLETE and [x.code for x in problems] == ["MISSING_PAYMENT"]


@pytest.mark.parametrize(
    ("document", "field", "value", "problem_field"),
    [
        ("payment", "payerIdNumber", "210202199001010000", "PaymentHead.payerIdNumber"),
        ("payment", "payerName", "Somebody Else", "PaymentHead.payerName"),
        ("payment", "amountPaid", D("278.92"), "PaymentHead.amountPaid"),
        ("payment", "payTransactionId", "PAY-OTHER", "PaymentHead.payTransactionId"),
        ("waybill", "consigneeAddress", "Dalian, Zhongshan District", "LogisticsHead.consigneeAddress"),
        ("waybill", "consigneeTelephone", "13800000000", "LogisticsHead.consigneeTelephone"),
        ("waybill", "consignee", "Another Person", "LogisticsHead.consignee"),
    ],
)
def test_each_disagreement_names_the_field_and_both_values(
    document: str, field: str, value: object, problem_field: str
) -> None:
    p = parcel(3)
    other = dict(getattr(p, document))
    original = other[field]
    other[field] = value
    payment, waybill = (other, p.waybill) if document == "payment" else (p.payment, other)
    status, problems = match(p.order, p.lines, payment, waybill, D("0.01"))
    assert status == MatchStatus.MISMATCH
    assert [(x.field, x.document) for x in problems] == [(problem_field, document.upper())]
    expected = str(original)
    assert problems[0].expected == expected and problems[0].found == str(value)


def test_amounts_agree_within_the_tolerance_only() -> None:
    p = parcel(4)
    paid = p.order["acturalPaid"]
    near = {**p.payment, "amountPaid": paid + D("0.01")}
    assert match(p.order, p.lines, near, p.waybill, D("0.01"))[0] == MatchStatus.MATCHED
    far = {**p.payment, "amountPaid": paid + D("0.02")}
    assert match(p.order, p.lines, far, p.waybill, D("0.01"))[0] == MatchStatus.MISMATCH


def test_order_arithmetic_is_checked_line_by_line_and_in_total() -> None:
    p = parcel(5)
    lines = [dict(p.lines[0]), {**p.lines[1], "totalPrice": D("69.90")}]
    status, problems = match(p.order, lines, p.payment, p.waybill, D("0.01"))
    assert status == MatchStatus.MISMATCH
    assert [(x.code, x.field) for x in problems] == [
        ("ARITHMETIC", "OrderList[2].totalPrice"),
        ("ARITHMETIC", "OrderHead.goodsValue"),
    ]


@pytest.mark.parametrize("broken", [False, True])
def test_the_rematch_from_stored_problems_decides_as_the_full_match(broken: bool) -> None:
    """When a payment or waybill arrives, the order's own problems come from those stored with it: the
    outcome is the full match's, for an order with and without arithmetic mistakes."""
    p = parcel(6)
    lines = [dict(p.lines[0]), {**p.lines[1], "totalPrice": D("69.90")}] if broken else p.lines
    stored = [x.as_json() for x in match(p.order, lines, None, None, D("0.01"))[1]]
    own = own_problems(stored)
    assert [x.code for x in own] == (["ARITHMETIC", "ARITHMETIC"] if broken else [])
    bad_payment = {**p.payment, "payerName": "Somebody Else"}
    for payment, waybill in (
        (p.payment, None),
        (None, p.waybill),
        (p.payment, p.waybill),
        (bad_payment, p.waybill),
    ):
        full = match(p.order, lines, payment, waybill, D("0.01"))
        again = against(p.order, own, payment, waybill, D("0.01"))
        assert (again[0], [x.as_json() for x in again[1]]) == (full[0], [x.as_json() for x in full[1]])
