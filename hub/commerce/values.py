"""CEB values as the hub stores and anchors them: the JSON form of a head or line, and of a tax breakdown.

Compiled with mypyc (``hub.native``): this runs for every field of every order, payment, waybill and
inventory list. What comes out holds only text, integers, ``None`` and lists and objects of them, which is
what lets the writers anchor these records without walking them again (``checked`` in
``hub.canonical.canonical_json``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hub.commerce.tax import TaxResult


def jsonable(values: dict[str, Any]) -> dict[str, Any]:
    """CEB values as JSON: decimals as plain text, text, integers and ``None`` as they are; anything else
    (a float, a list) is refused, so that nothing without a canonical form is stored or anchored."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        kind = type(value)
        if kind is Decimal:
            out[key] = format(value, "f")
        elif kind is str or kind is int or value is None:
            out[key] = value
        else:
            raise TypeError(f"{key}: a CEB value is text, an integer or a decimal, not {kind.__name__}")
    return out


def _text(value: Decimal) -> str:
    return format(value, "f")


def tax_json(result: TaxResult) -> dict[str, Any]:
    """A tax breakdown as stored on the order."""
    return {
        "customsValue": _text(result.customs_value),
        "limitStatus": result.limit_status.value,
        "annualUsedBefore": _text(result.annual_used_before),
        "annualUsedAfter": _text(result.annual_used_after),
        "duty": _text(result.duty),
        "consumptionTax": _text(result.consumption_tax),
        "vat": _text(result.vat),
        "total": _text(result.total),
        "share": _text(result.share),
        "notes": list(result.notes),
        "lines": [
            {
                "gnum": line.gnum,
                "hsCode": line.hs_code,
                "customsValue": _text(line.customs_value),
                "duty": _text(line.duty),
                "consumptionTax": _text(line.consumption_tax),
                "vat": _text(line.vat),
                "tariffRate": _text(line.rates.tariff),
                "vatRate": _text(line.rates.vat),
                "consumptionRate": _text(line.rates.consumption),
                "ratesFrom": line.rates.hs_prefix or "default",
            }
            for line in result.lines
        ],
    }
