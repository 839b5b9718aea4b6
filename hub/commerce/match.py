"""The three-document match (三单对碰): does an order agree with its payment and its waybill?

Pure rules over the CEB fields (``shared/DOMAIN.md`` §4.1). Each disagreement is reported with the
field, the document it was found in, and both values, so a seller can see what to correct and where:

- within the order: each line's totalPrice = price x qty; goodsValue = Σ totalPrice;
  acturalPaid = goodsValue + freight + taxTotal - discount; currency 142 (CNY);
- order and payment (joined on ebpCode + orderNo): payCode and payTransactionId when the order names
  them; the payer is the buyer (ID number and name); amountPaid = acturalPaid;
- order and waybill (joined on orderNo): consignee, consigneeTelephone, consigneeAddress.

Amounts agree when they differ by no more than the tolerance in the tax table.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

CNY = "142"


class MatchStatus(enum.StrEnum):
    """Where an order stands in the three-document match."""

    INCOMPLETE = "INCOMPLETE"  # the payment or the waybill has not arrived (and nothing disagrees yet)
    MISMATCH = "MISMATCH"  # at least one field disagrees
    MATCHED = "MATCHED"  # all three present and in agreement


@dataclass(init=False)
class Problem:
    """One disagreement (or one missing document); not changed once made.

    The constructor is written out: compiled, one that dataclasses generates runs as interpreted Python,
    and the match of an order with neither document yet (two problems) took 2.8 µs instead of 1.6."""

    code: str  # MISSING_PAYMENT, MISSING_WAYBILL, ARITHMETIC, PAYMENT_MISMATCH, WAYBILL_MISMATCH, CURRENCY
    document: str  # ORDER, PAYMENT, WAYBILL
    field: str  # the CEB field path, e.g. "OrderList[2].totalPrice"
    expected: str | None  # what the order says (or the arithmetic gives)
    found: str | None  # what the document says
    message: str

    def __init__(
        self, code: str, document: str, field: str, expected: str | None, found: str | None, message: str
    ) -> None:
        self.code = code
        self.document = document
        self.field = field
        self.expected = expected
        self.found = found
        self.message = message

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "document": self.document,
            "field": self.field,
            "expected": self.expected,
            "found": self.found,
            "message": self.message,
        }


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    return str(value)


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or "0"))


def _same(a: Any, b: Any) -> bool:
    return (str(a or "")).strip() == (str(b or "")).strip()


def check_order(
    head: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], tolerance: Decimal
) -> list[Problem]:
    """The order's own arithmetic and currency."""
    problems: list[Problem] = []
    total = Decimal(0)
    for index, line in enumerate(lines, start=1):
        qty, price, line_total = _dec(line.get("qty")), _dec(line.get("price")), _dec(line.get("totalPrice"))
        total += line_total
        if abs(qty * price - line_total) > tolerance:
            problems.append(
                Problem(
                    "ARITHMETIC",
                    "ORDER",
                    f"OrderList[{index}].totalPrice",
                    _text(qty * price),
                    _text(line_total),
                    f"line {line.get('gnum', index)}: {_text(qty)} x {_text(price)} = {_text(qty * price)}, "
                    f"but totalPrice says {_text(line_total)}",
                )
            )
        if line.get("currency") not in (None, CNY):
            problems.append(
                Problem(
                    "CURRENCY",
                    "ORDER",
                    f"OrderList[{index}].currency",
                    CNY,
                    _text(line.get("currency")),
                    "CEB amounts are in CNY (currency code 142)",
                )
            )
    goods = _dec(head.get("goodsValue"))
    if abs(goods - total) > tolerance:
        problems.append(
            Problem(
                "ARITHMETIC",
                "ORDER",
                "OrderHead.goodsValue",
                _text(total),
                _text(goods),
                f"the lines' totalPrice add up to {_text(total)}, but goodsValue says {_text(goods)}",
            )
        )
    paid = goods + _dec(head.get("freight")) + _dec(head.get("taxTotal")) - _dec(head.get("discount"))
    actural = _dec(head.get("acturalPaid"))
    if abs(paid - actural) > tolerance:
        problems.append(
            Problem(
                "ARITHMETIC",
                "ORDER",
                "OrderHead.acturalPaid",
                _text(paid),
                _text(actural),
                f"goodsValue + freight + taxTotal - discount = {_text(paid)}, but acturalPaid says {_text(actural)}",
            )
        )
    if head.get("currency") not in (None, CNY):
        problems.append(
            Problem(
                "CURRENCY",
                "ORDER",
                "OrderHead.currency",
                CNY,
                _text(head.get("currency")),
                "CEB amounts are in CNY (currency code 142)",
            )
        )
    return problems


def _differs(
    problems: list[Problem], code: str, document: str, field: str, expected: Any, found: Any, what: str
) -> None:
    if not _same(expected, found):
        problems.append(
            Problem(
                code,
                document,
                field,
                _text(expected),
                _text(found),
                f"{what}: the order says {_text(expected)!r}, the {document.lower()} says {_text(found)!r}",
            )
        )


def match(
    order: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    payment: Mapping[str, Any] | None,
    waybill: Mapping[str, Any] | None,
    tolerance: Decimal,
) -> tuple[MatchStatus, list[Problem]]:
    """The match status of one order with the payment and waybill found for it (None when not yet)."""
    return against(order, check_order(order, lines, tolerance), payment, waybill, tolerance)


def own_problems(stored: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """The order's own problems (``check_order``) among the problems stored with it (``as_json``)."""
    return [
        Problem(p["code"], p["document"], p["field"], p["expected"], p["found"], p["message"])
        for p in stored
        if p["document"] == "ORDER"
    ]


def against(
    order: Mapping[str, Any],
    own: Sequence[Problem],
    payment: Mapping[str, Any] | None,
    waybill: Mapping[str, Any] | None,
    tolerance: Decimal,
) -> tuple[MatchStatus, list[Problem]]:
    """``match`` for an order whose own arithmetic and currency gave ``own`` (``check_order``): what an
    arriving payment or waybill cannot change is not worked out again, nor are the lines read for it."""
    problems = list(own)
    missing = []
    if payment is None:
        missing.append(
            Problem(
                "MISSING_PAYMENT",
                "PAYMENT",
                "PaymentHead",
                None,
                None,
                "no payment (CEB411) for this order yet",
            )
        )
    else:
        P = "PAYMENT_MISMATCH"
        if order.get("payCode"):
            _differs(
                problems,
                P,
                "PAYMENT",
                "PaymentHead.payCode",
                order.get("payCode"),
                payment.get("payCode"),
                "payment enterprise",
            )
        if order.get("payTransactionId"):
            _differs(
                problems,
                P,
                "PAYMENT",
                "PaymentHead.payTransactionId",
                order.get("payTransactionId"),
                payment.get("payTransactionId"),
                "payment transaction",
            )
        _differs(
            problems,
            P,
            "PAYMENT",
            "PaymentHead.payerIdNumber",
            order.get("buyerIdNumber"),
            payment.get("payerIdNumber"),
            "the payer must be the buyer (ID number)",
        )
        _differs(
            problems,
            P,
            "PAYMENT",
            "PaymentHead.payerName",
            order.get("buyerName"),
            payment.get("payerName"),
            "the payer must be the buyer (name)",
        )
        paid, actural = _dec(payment.get("amountPaid")), _dec(order.get("acturalPaid"))
        if abs(paid - actural) > tolerance:
            problems.append(
                Problem(
                    P,
                    "PAYMENT",
                    "PaymentHead.amountPaid",
                    _text(actural),
                    _text(paid),
                    f"amount paid {_text(paid)} differs from the order's acturalPaid {_text(actural)}",
                )
            )
        _differs(problems, P, "PAYMENT", "PaymentHead.currency", CNY, payment.get("currency"), "currency")
    if waybill is None:
        missing.append(
            Problem(
                "MISSING_WAYBILL",
                "WAYBILL",
                "LogisticsHead",
                None,
                None,
                "no waybill (CEB511) for this order yet",
            )
        )
    else:
        W = "WAYBILL_MISMATCH"
        for name, what in (
            ("consignee", "consignee"),
            ("consigneeTelephone", "consignee telephone"),
            ("consigneeAddress", "consignee address"),
        ):
            _differs(
                problems, W, "WAYBILL", f"LogisticsHead.{name}", order.get(name), waybill.get(name), what
            )
    if problems:
        return MatchStatus.MISMATCH, problems + missing
    if missing:
        return MatchStatus.INCOMPLETE, missing
    return MatchStatus.MATCHED, []
