"""Orders from sellers' platforms that do not speak CEB: JSON or CSV, in CEB311's own field names.

JSON: ``{"orders": [{<OrderHead fields>, "items": [{<OrderList fields>, "hsCode": "3304990000"}]}]}``
(a bare list of orders is accepted too). CSV: one row per item, the order's head fields repeated on each
of its rows, rows of one order next to each other; ``orderNo`` groups them.

What a platform usually leaves out is filled the way CEB311 defines it: ``guid``, ``appTime`` (now),
``appType`` 1, ``appStatus`` 2, ``orderType`` I, ``currency`` 142, ``buyerIdType`` 1, ``gnum`` in order,
``totalPrice`` = price x qty, ``goodsValue`` = the items' total, ``discount`` 0. ``taxTotal`` and
``acturalPaid`` are left empty for the hub to compute from its tax table. ``hsCode`` (the 10-digit
customs code, CEB621's ``gcode``) is the one field CEB311 lacks that the inventory list needs.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from adapters import jsonio
from adapters.ceb.spec import ORDER_HEAD, ORDER_LINE, FieldSpec
from adapters.ceb.xml import CebRecord, new_guids
from adapters.text import refuse_nul_in_json, refuse_nul_in_text
from hub.errors import Invalid

_HEAD = {f.name: f for f in ORDER_HEAD}
_LINE = {f.name: f for f in ORDER_LINE}
_EXTRA_LINE = {"hsCode", "legalQty", "legalUnit"}
_HEAD_NAMES = frozenset(_HEAD) | {"items"}
_LINE_NAMES = frozenset(_LINE) | _EXTRA_LINE
MAX_ORDERS = 100_000


def _convert(spec: FieldSpec, raw: Any, at: str) -> Any:
    """``raw`` as the field's kind; ``at`` is the place of the field's object (the field's own place is
    made only for an error)."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, dict | list | bool):
        raise _invalid(at, spec, f"expected a number or text, got {type(raw).__name__}")
    if spec.kind == "decimal":
        try:
            value = Decimal(str(raw).strip())
        except ArithmeticError as exc:
            raise _invalid(at, spec, f"{raw!r} is not a number") from exc
        if not value.is_finite():
            raise _invalid(at, spec, f"{raw!r} is not a number")
        return value
    if spec.kind == "int":
        try:
            return int(str(raw).strip())
        except ValueError as exc:
            raise _invalid(at, spec, f"{raw!r} is not a whole number") from exc
    text = str(raw).strip()
    if spec.max_length is not None and len(text) > spec.max_length:
        raise _invalid(at, spec, f"{len(text)} characters, at most {spec.max_length}")
    return text


def _invalid(at: str, spec: FieldSpec, problem: str) -> Invalid:
    where = f"{at}.{spec.name}"
    return Invalid(f"{where}: {problem}", field=where)


def _order(raw: dict[str, Any], items: list[Any], where: str, guid: str, app_time: str) -> CebRecord:
    # ``items`` as the body gave them (each checked below): compiled, a narrower annotation is a check
    # that would fail before the one that names the place.
    unknown = raw.keys() - _HEAD_NAMES
    if unknown:
        raise Invalid(f"{where}: unknown field(s) {', '.join(sorted(unknown))}", field=where)
    head = {name: _convert(spec, raw.get(name), where) for name, spec in _HEAD.items()}
    defaults = {
        "guid": guid,
        "appType": "1",
        "appTime": app_time,
        "appStatus": "2",
        "orderType": "I",
        "currency": "142",
        "buyerIdType": "1",
        "discount": Decimal(0),
    }
    for name, value in defaults.items():
        if head[name] is None:
            head[name] = value
    if not items:
        raise Invalid(f"{where}.items: an order needs at least one item", field=f"{where}.items")
    lines = []
    for index, item in enumerate(items, start=1):
        at = f"{where}.items[{index}]"
        if not isinstance(item, dict):
            raise Invalid(f"{at}: an item is an object", field=at)
        unknown = item.keys() - _LINE_NAMES
        if unknown:
            raise Invalid(f"{at}: unknown field(s) {', '.join(sorted(unknown))}", field=at)
        line = {name: _convert(spec, item.get(name), at) for name, spec in _LINE.items()}
        line["gnum"] = line["gnum"] or index
        line["currency"] = line["currency"] or "142"
        for name in ("qty", "price"):
            if line[name] is None:
                raise Invalid(f"{at}.{name}: required", field=f"{at}.{name}")
        if line["totalPrice"] is None:
            line["totalPrice"] = line["qty"] * line["price"]
        hs = str(item.get("hsCode") or "").strip()
        if hs and not (hs.isdigit() and len(hs) == 10):
            raise Invalid(f"{at}.hsCode: {hs!r} is not a 10-digit China customs code", field=f"{at}.hsCode")
        line["hsCode"] = hs or None
        for name in ("legalQty", "legalUnit"):
            value = item.get(name)
            line[name] = None if value in (None, "") else str(value).strip()
        lines.append(line)
    if head["goodsValue"] is None:
        head["goodsValue"] = sum((line["totalPrice"] for line in lines), Decimal(0))
    for name in ("orderNo", "ebpCode", "ebcCode", "buyerIdNumber", "consignee"):
        if not head[name]:
            raise Invalid(f"{where}.{name}: required", field=f"{where}.{name}")
    return CebRecord(where, head, lines)


def parse_json(data: bytes) -> list[CebRecord]:
    """Orders from a JSON body."""
    body = jsonio.loads(data, root="body")
    orders = body.get("orders") if isinstance(body, dict) else body
    if isinstance(orders, list):  # named as the checks below name their places: orders[1] first
        refuse_nul_in_json(data, orders, root="orders", first=1)
    refuse_nul_in_json(data, body, root="body")
    if not isinstance(orders, list) or not orders:
        raise Invalid('expected {"orders": [...]} with at least one order', field="orders")
    if len(orders) > MAX_ORDERS:
        raise Invalid(f"at most {MAX_ORDERS} orders per request", field="orders")
    records = []
    guids, app_time = new_guids(len(orders)), _app_time()
    for index, raw in enumerate(orders, start=1):
        where = f"orders[{index}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("items", []), list):
            raise Invalid(f"{where}: expected an object with an items list", field=where)
        records.append(_order(raw, raw.get("items", []), where, guids[index - 1], app_time))
    return records


def _app_time() -> str:
    """CEB's appTime for orders that leave it out: now, to the second (UTC)."""
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S")


def _rows(reader: csv.DictReader[str]) -> Iterator[dict[str, Any]]:
    number = 2
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # a field beyond the csv module's limit (128 KiB), a stray quote...
            raise _csv_refused(number, exc) from exc
        yield row
        number += 1


def _csv_refused(number: int, exc: csv.Error) -> Invalid:
    problem = str(exc)
    if "field larger than field limit" in problem:
        problem = f"a field is longer than {csv.field_size_limit()} characters, far beyond any CEB311 field"
    return Invalid(f"row {number}: {problem}", field=f"row {number}")


def parse_csv(data: bytes) -> list[CebRecord]:
    """Orders from CSV, one row per item."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(f"the CSV is not UTF-8 (byte {exc.start})", field="body") from exc
    refuse_nul_in_text(text, "row", "\n")
    reader = csv.DictReader(io.StringIO(text))
    try:
        fieldnames = reader.fieldnames
    except csv.Error as exc:
        raise _csv_refused(1, exc) from exc
    if not fieldnames or "orderNo" not in fieldnames:
        raise Invalid("the CSV needs a header row with at least orderNo", field="row 1")
    grouped: dict[str, tuple[int, dict[str, Any], list[Any]]] = {}
    previous = None
    for number, row in enumerate(_rows(reader), start=2):
        order_no = (row.get("orderNo") or "").strip()
        if not order_no:
            raise Invalid(f"row {number}: orderNo is empty", field=f"row {number}")
        if order_no in grouped and previous != order_no:
            raise Invalid(
                f"row {number}: the rows of order {order_no} are not next to each other",
                field=f"row {number}",
            )
        head, item = split_row(row)
        if order_no not in grouped:
            grouped[order_no] = (number, head, [])
        grouped[order_no][2].append(item)
        previous = order_no
        if len(grouped) > MAX_ORDERS:
            raise Invalid(f"at most {MAX_ORDERS} orders per request", field=f"row {number}")
    if not grouped:
        raise Invalid("the CSV holds no orders", field="row 2")
    return grouped_orders(list(grouped.values()))


def split_row(row: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A CSV row's order head fields and item fields."""
    head = {k: v for k, v in row.items() if k in _HEAD}
    item = {k: v for k, v in row.items() if k in _LINE or k in _EXTRA_LINE}
    return head, item


def grouped_orders(groups: list[tuple[int, dict[str, Any], list[dict[str, Any]]]]) -> list[CebRecord]:
    """The orders of CSV rows already grouped: (number of the order's first row, its head, its items)."""
    guids, app_time = new_guids(len(groups)), _app_time()
    return [
        _order(head, items, f"row {number}", guid, app_time)
        for (number, head, items), guid in zip(groups, guids, strict=True)
    ]
