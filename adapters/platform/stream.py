"""Platform orders as CSV of any size, read row by row and handed on ``size`` orders at a time.

A part is the whole rows of ``size`` orders (an order's rows are never split between parts), with the
rows it came from ("rows 2-1201"), or the refusal of those rows: a bad order refuses its part, and the
parts after it are still read. Rows of one order must be next to each other, as in a posted CSV; an
order number seen again in a later part is another send of that order (an update or a duplicate, as
the commerce service decides), since remembering every order number of a file would not bound memory.
Text that stops being UTF-8 or CSV ends the reading, naming the row, after the parts before it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from adapters.ceb.xml import CebRecord
from adapters.platform.orders import grouped_orders, split_row
from adapters.stream import Readable
from hub.errors import Invalid


@dataclass(frozen=True)
class OrderPart:
    """``size`` orders of a streamed CSV, or why their rows were refused."""

    where: str
    orders: list[CebRecord]
    refused: Invalid | None = None


class _Raw(io.RawIOBase):
    def __init__(self, source: Readable) -> None:
        self._source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._source.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def parts(stream: Readable, *, size: int = 500) -> Iterator[OrderPart]:
    """The orders of the CSV in ``stream``, ``size`` at a time."""
    text = io.TextIOWrapper(io.BufferedReader(_Raw(stream), 1 << 20), encoding="utf-8-sig", newline="")
    reader = csv.DictReader(text)
    number = 1
    try:
        fieldnames = reader.fieldnames
    except (csv.Error, UnicodeDecodeError) as exc:
        raise Invalid(f"row 1: {exc}", field="row 1") from exc
    if not fieldnames or "orderNo" not in fieldnames:
        raise Invalid("the CSV needs a header row with at least orderNo", field="row 1")
    groups: list[tuple[int, dict[str, Any], list[dict[str, Any]]]] = []
    seen: set[str] = set()
    problem: Invalid | None = None
    first = 2
    current = ""  # the order the last row belonged to

    def part(upto: int) -> OrderPart:
        where = f"rows {first}-{upto}"
        if problem is not None:
            return OrderPart(where, [], problem)
        try:
            return OrderPart(where, grouped_orders(groups))
        except Invalid as exc:
            return OrderPart(where, [], exc)

    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except UnicodeDecodeError as exc:
            where = f"row {number + 1}"
            raise Invalid(f"{where}: the CSV is not UTF-8 from here on ({exc.reason})", field=where) from exc
        except csv.Error as exc:
            where = f"row {number + 1}"
            raise Invalid(f"{where}: {exc}", field=where) from exc
        number += 1
        if any("\x00" in (value or "") for value in row.values() if isinstance(value, str)):
            problem = problem or Invalid(f"row {number}: a field holds NUL", field=f"row {number}")
        order_no = (row.get("orderNo") or "").strip()
        if not order_no:
            problem = problem or Invalid(f"row {number}: orderNo is empty", field=f"row {number}")
            continue
        head, item = split_row(row)
        if groups and order_no == current:
            groups[-1][2].append(item)
            continue
        if len(groups) >= size:  # a new order, and this part is full: the row starts the next part
            yield part(number - 1)
            groups, seen, problem, first = [], set(), None, number
        if order_no in seen:
            problem = problem or Invalid(
                f"row {number}: the rows of order {order_no} are not next to each other",
                field=f"row {number}",
            )
        groups.append((number, head, [item]))
        seen.add(order_no)
        current = order_no
    if groups or problem is not None:
        yield part(number)
