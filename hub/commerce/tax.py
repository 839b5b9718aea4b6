"""Retail-import tax and limits for cross-border e-commerce orders (China, 2019 rules).

The rules and rates live in ``data/retail_import_tax.json`` (sources and what is unverified are listed
there); this module only does the arithmetic:

    P   = customs value = goods value + freight + insurance      (per line: freight shared by value)
    CT  = (P + duty) / (1 - c) * c                                (consumption tax, ad valorem)
    VAT = (P + duty + CT) * v
    within the limits: duty 0, and 70 % of CT + VAT is due

An order whose customs value is over the single-transaction limit is refused as a retail import, unless
it is one indivisible item, which clears at the full goods rates; either way the buyer's annual total
may not pass the annual limit.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path

# Found through the package, not ``__file__``: compiled, this module's ``__file__`` is not beside its data.
DATA = Path(str(resources.files("hub.commerce"))) / "data" / "retail_import_tax.json"
_CENT = Decimal("0.01")
_FINE = Decimal("0.00001")  # CEB amounts carry five decimals


class LimitStatus(enum.StrEnum):
    """Where an order stands against the retail-import limits."""

    WITHIN_LIMITS = "WITHIN_LIMITS"  # tariff 0, VAT and consumption tax at 70 %
    SINGLE_ITEM_FULL_RATE = "SINGLE_ITEM_FULL_RATE"  # one indivisible item over the single limit: full rates
    OVER_SINGLE_LIMIT = "OVER_SINGLE_LIMIT"  # not a retail import: general trade
    OVER_ANNUAL_LIMIT = "OVER_ANNUAL_LIMIT"  # the buyer's year would pass the annual limit: general trade

    @property
    def clears_as_retail(self) -> bool:
        return self in (LimitStatus.WITHIN_LIMITS, LimitStatus.SINGLE_ITEM_FULL_RATE)


@dataclass(frozen=True)
class Rates:
    """Statutory rates for one HS heading (fractions: 0.13 is 13 %)."""

    tariff: Decimal
    vat: Decimal
    consumption: Decimal
    hs_prefix: str | None = None


@dataclass(frozen=True)
class TaxTable:
    """The limits and rates in force."""

    single_limit: Decimal
    annual_limit: Decimal
    within_share: Decimal
    tolerance: Decimal
    default: Rates
    rates: tuple[Rates, ...]

    def rates_for(self, hs_code: str | None) -> Rates:
        """The rates of the longest HS prefix that matches, else the default."""
        if hs_code:
            for rates in self.rates:
                assert rates.hs_prefix is not None
                if hs_code.startswith(rates.hs_prefix):
                    return rates
        return self.default

    @staticmethod
    def load(path: Path = DATA) -> TaxTable:
        """Read a rates file (see ``data/retail_import_tax.json``)."""
        raw = json.loads(path.read_text(encoding="utf-8"))

        def rates(item: dict[str, str], prefix: str | None = None) -> Rates:
            return Rates(
                tariff=Decimal(item["tariff"]),
                vat=Decimal(item["vat"]),
                consumption=Decimal(item["consumption"]),
                hs_prefix=prefix,
            )

        table = tuple(rates(r, r["hs_prefix"]) for r in raw["rates"])
        return TaxTable(
            single_limit=Decimal(raw["single_transaction_limit"]),
            annual_limit=Decimal(raw["annual_limit"]),
            within_share=Decimal(raw["within_limit_share"]),
            tolerance=Decimal(raw["amount_tolerance"]),
            default=rates(raw["default_rates"]),
            rates=tuple(sorted(table, key=lambda r: -len(r.hs_prefix or ""))),
        )


@lru_cache(maxsize=1)
def table() -> TaxTable:
    """The table the hub runs with."""
    return TaxTable.load()


# The three classes below are made for every order line and order: their constructors are written out,
# because compiled, a constructor that dataclasses generates still runs as interpreted Python. Written
# out, the tax on a two-line order took 4.4 µs instead of 7.9. Nothing changes them once made.


@dataclass(init=False)
class TaxLine:
    """One order line: what it is worth to customs and the tax on it (unrounded, five decimals)."""

    gnum: int
    hs_code: str | None
    customs_value: Decimal
    duty: Decimal
    consumption_tax: Decimal
    vat: Decimal
    rates: Rates

    def __init__(
        self,
        gnum: int,
        hs_code: str | None,
        customs_value: Decimal,
        duty: Decimal,
        consumption_tax: Decimal,
        vat: Decimal,
        rates: Rates,
    ) -> None:
        self.gnum = gnum
        self.hs_code = hs_code
        self.customs_value = customs_value
        self.duty = duty
        self.consumption_tax = consumption_tax
        self.vat = vat
        self.rates = rates


@dataclass(init=False)
class TaxResult:
    """An order's tax breakdown and where it stands against the limits."""

    customs_value: Decimal
    limit_status: LimitStatus
    annual_used_before: Decimal
    annual_used_after: Decimal
    duty: Decimal
    consumption_tax: Decimal
    vat: Decimal
    total: Decimal
    share: Decimal
    lines: tuple[TaxLine, ...]
    notes: tuple[str, ...]

    def __init__(
        self,
        customs_value: Decimal,
        limit_status: LimitStatus,
        annual_used_before: Decimal,
        annual_used_after: Decimal,
        duty: Decimal,
        consumption_tax: Decimal,
        vat: Decimal,
        total: Decimal,
        share: Decimal,
        lines: tuple[TaxLine, ...],
        notes: tuple[str, ...] = (),
    ) -> None:
        self.customs_value = customs_value
        self.limit_status = limit_status
        self.annual_used_before = annual_used_before
        self.annual_used_after = annual_used_after
        self.duty = duty
        self.consumption_tax = consumption_tax
        self.vat = vat
        self.total = total
        self.share = share
        self.lines = lines
        self.notes = notes


@dataclass(init=False)
class LineIn:
    """What the tax needs of an order line."""

    gnum: int
    hs_code: str | None
    total_price: Decimal
    qty: Decimal

    def __init__(self, gnum: int, hs_code: str | None, total_price: Decimal, qty: Decimal) -> None:
        self.gnum = gnum
        self.hs_code = hs_code
        self.total_price = total_price
        self.qty = qty


def _round(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def compute(
    lines: Sequence[LineIn],
    *,
    goods_value: Decimal,
    freight: Decimal,
    insured_fee: Decimal = Decimal(0),
    annual_used: Decimal = Decimal(0),
    rates: TaxTable | None = None,
) -> TaxResult:
    """The tax on one order for a buyer who has already used ``annual_used`` of this year's limit."""
    t = rates or table()
    customs_value = goods_value + freight + insured_fee
    after = annual_used + customs_value
    single_item = len(lines) == 1 and lines[0].qty == 1
    notes: list[str] = []
    if customs_value > t.single_limit and not single_item:
        status = LimitStatus.OVER_SINGLE_LIMIT
        notes.append(
            f"customs value {customs_value} CNY is over the {t.single_limit} CNY single-transaction limit: "
            "not a retail import (general trade, full tax)"
        )
    elif after > t.annual_limit:
        status = LimitStatus.OVER_ANNUAL_LIMIT
        notes.append(
            f"the buyer's retail imports this year would reach {after} CNY, over the {t.annual_limit} CNY "
            f"annual limit ({annual_used} CNY used before this order): general trade, full tax"
        )
    elif customs_value > t.single_limit:
        status = LimitStatus.SINGLE_ITEM_FULL_RATE
        notes.append("one indivisible item over the single-transaction limit: full goods rates")
    else:
        status = LimitStatus.WITHIN_LIMITS
    within = status == LimitStatus.WITHIN_LIMITS
    share = t.within_share if within else Decimal(1)
    total_price = sum((line.total_price for line in lines), Decimal(0))
    extra = freight + insured_fee
    result_lines = []
    for line in lines:
        r = t.rates_for(line.hs_code)
        if not line.hs_code:
            notes.append(f"line {line.gnum} has no HS code: default rates used")
        allocated = extra * line.total_price / total_price if total_price else extra / len(lines)
        value = (line.total_price + allocated).quantize(_FINE)
        duty = Decimal(0) if within else value * r.tariff
        ct = (value + duty) / (1 - r.consumption) * r.consumption
        vat = (value + duty + ct) * r.vat
        result_lines.append(
            TaxLine(
                gnum=line.gnum,
                hs_code=line.hs_code,
                customs_value=value,
                duty=duty.quantize(_FINE),
                consumption_tax=(ct * share).quantize(_FINE),
                vat=(vat * share).quantize(_FINE),
                rates=r,
            )
        )
    duty_total = _round(sum((x.duty for x in result_lines), Decimal(0)))
    ct_total = _round(sum((x.consumption_tax for x in result_lines), Decimal(0)))
    vat_total = _round(sum((x.vat for x in result_lines), Decimal(0)))
    return TaxResult(
        customs_value=customs_value,
        limit_status=status,
        annual_used_before=annual_used,
        annual_used_after=after if status.clears_as_retail else annual_used,
        duty=duty_total,
        consumption_tax=ct_total,
        vat=vat_total,
        total=duty_total + ct_total + vat_total,
        share=share,
        lines=tuple(result_lines),
        notes=tuple(dict.fromkeys(notes)),
    )
