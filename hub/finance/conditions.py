"""Money released by what happens to the goods: a financing's disbursement conditions and its due date.

A bank may pledge a receivable on terms: disburse only when a container of the cited bills is loaded on a
vessel (DCSA LOAD, actual), when customs has released every live declaration for those bills, when a
container gates out at the bill's place of delivery (DCSA GTOT, actual); repayment falls due a number of
days after delivery (that gate-out). The hub checks the terms as the evidence arrives: every stored batch
of tracking events asks once whether any receivable waits (an indexed flag), and customs decisions reach
here through the CUSR events they record. Each condition met is a new version of the receivable, so it is
anchored like every other step, and the creditor and lender hear of it through ``receivableChanged``.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from hub.db import chunks, utcnow
from hub.errors import Invalid
from hub.finance.models import Receivable, ReceivableStatus


class Condition(enum.StrEnum):
    """What the lender's money waits for."""

    LOADED = "LOADED"  # a container of the cited bills loaded on a vessel (actual LOAD)
    CUSTOMS_RELEASED = "CUSTOMS_RELEASED"  # every live declaration for the cited bills released
    GATED_OUT = "GATED_OUT"  # a container gated out at the bill's place of delivery (actual GTOT)


MAX_REPAY_DAYS = 720


@dataclass(frozen=True)
class Met:
    """A condition the evidence now shows, with the record that shows it."""

    at: datetime
    evidence: str  # "kind:id"
    detail: str


def terms(
    conditions: Sequence[str], repay_days: int | None, bill_ids: Sequence[uuid.UUID]
) -> list[dict[str, Any]]:
    """The conditions as the receivable keeps them, checked: known, each once, and backed by a cited bill."""
    kept: list[dict[str, Any]] = []
    for index, name in enumerate(conditions):
        where = f"conditions[{index}]"
        try:
            kind = Condition(name)
        except ValueError as exc:
            raise Invalid(
                f"{where}: {name!r} is not a condition ({', '.join(c.value for c in Condition)})", field=where
            ) from exc
        if any(c["kind"] == kind.value for c in kept):
            raise Invalid(f"{where}: {kind.value} is named twice", field=where)
        kept.append({"kind": kind.value, "metAt": None, "evidence": None, "detail": None})
    if repay_days is not None and not 0 <= repay_days <= MAX_REPAY_DAYS:
        raise Invalid(f"repayment falls due 0 to {MAX_REPAY_DAYS} days after delivery", field="repayDays")
    if (kept or repay_days is not None) and not bill_ids:
        raise Invalid(
            "conditions on the goods and repayment after delivery need a bill among the evidence",
            field="conditions" if kept else "repayDays",
        )
    return kept


def _event(
    session: Session, numbers: Sequence[str], code: str, locations: Sequence[str] | None = None
) -> Met | None:
    """The first actual ``code`` event of one of the containers (at one of ``locations``, if given)."""
    from hub.tracking.models import Container, TrackingEvent

    if not numbers:
        return None
    query = select(TrackingEvent).where(
        col(TrackingEvent.container_id).in_(select(Container.id).where(col(Container.number).in_(numbers))),
        TrackingEvent.classifier == "ACT",
        TrackingEvent.type_code == code,
    )
    if locations is not None:
        query = query.where(col(TrackingEvent.un_location_code).in_(locations))
    event = session.exec(query.order_by(col(TrackingEvent.event_datetime)).limit(1)).first()
    if event is None:
        return None
    return Met(
        event.event_datetime,
        f"tracking_event:{event.id}",
        f"{code} of {event.equipment_reference} at {event.un_location_code or '?'} "
        f"on {event.event_datetime.isoformat()}",
    )


def _released(session: Session, bill_ids: Sequence[uuid.UUID]) -> Met | None:
    from hub.port.models import Declaration, DeclarationState

    live = [
        d
        for d in session.exec(select(Declaration).where(col(Declaration.bill_id).in_(bill_ids)))
        if d.state not in (DeclarationState.DRAFT, DeclarationState.CANCELLED)
    ]
    if not live or any(d.state != DeclarationState.RELEASED for d in live):
        return None
    last = max(live, key=lambda d: d.updated_at)
    return Met(
        last.updated_at,
        f"customs_declaration:{last.id}",
        "; ".join(f"declaration {d.reference} released" for d in live),
    )


def _destinations(session: Session, bill_ids: Sequence[uuid.UUID]) -> list[str]:
    """Where each bill delivers: its place of delivery, else its last leg's end."""
    from hub.bills.models import Bill, BillLeg

    places = []
    for bill_id in bill_ids:
        bill = session.get(Bill, bill_id)
        if bill is None:
            continue
        if bill.place_of_delivery:
            places.append(bill.place_of_delivery)
            continue
        last = session.exec(
            select(BillLeg).where(BillLeg.bill_id == bill_id).order_by(col(BillLeg.sequence).desc())
        ).first()
        if last is not None:
            places.append(last.to_locode)
    return places


def _evidence_of(session: Session, row: Receivable) -> tuple[list[uuid.UUID], list[str]]:
    from hub.bills.models import BillContainer

    bills = row.bill_ids
    numbers = sorted(
        {c.number for c in session.exec(select(BillContainer).where(col(BillContainer.bill_id).in_(bills)))}
    )
    return bills, numbers


def _check(session: Session, kind: str, bills: Sequence[uuid.UUID], numbers: Sequence[str]) -> Met | None:
    if kind == Condition.LOADED:
        return _event(session, numbers, "LOAD")
    if kind == Condition.CUSTOMS_RELEASED:
        return _released(session, bills)
    return _event(session, numbers, "GTOT", _destinations(session, bills))


def evaluate(session: Session, row: Receivable, by_org_id: uuid.UUID) -> list[str]:
    """Mark what the evidence now shows on a pledged receivable's terms; the steps taken, in order.

    The caller saves the row (a new version) when the list is not empty."""
    if row.status != ReceivableStatus.PLEDGED:
        return []
    bills, numbers = _evidence_of(session, row)
    steps: list[str] = []
    entries: list[dict[str, Any]] = []
    conditions = []
    for condition in row.conditions:
        if condition["metAt"] is None:
            met = _check(session, condition["kind"], bills, numbers)
            if met is not None:
                condition = {
                    **condition,
                    "metAt": met.at.isoformat(),
                    "evidence": met.evidence,
                    "detail": met.detail,
                }
                steps.append(f"CONDITION_MET:{condition['kind']}")
                entries.append(
                    _entry("CONDITION_MET", by_org_id, condition=condition["kind"], evidence=met.evidence)
                )
        conditions.append(condition)
    row.conditions = conditions
    now = utcnow()
    if row.disbursed_at is None and all(c["metAt"] is not None for c in conditions):
        row.disbursed_at = now
        steps.append("DISBURSED")
        entries.append(_entry("DISBURSED", by_org_id))
    if row.repay_days_after_delivery is not None and row.delivered_at is None:
        delivered = _check(session, Condition.GATED_OUT, bills, numbers)
        if delivered is not None:
            row.delivered_at = delivered.at
            row.repayment_due = (delivered.at + timedelta(days=row.repay_days_after_delivery)).date()
            steps.append("REPAYMENT_DUE")
            entries.append(
                _entry(
                    "REPAYMENT_DUE",
                    by_org_id,
                    evidence=delivered.evidence,
                    due=row.repayment_due.isoformat(),
                )
            )
    row.history = [*row.history, *entries]
    row.awaiting = _awaits(row)
    return steps


def _awaits(row: Receivable) -> bool:
    return row.status == ReceivableStatus.PLEDGED and (
        any(c["metAt"] is None for c in row.conditions)
        or (row.repay_days_after_delivery is not None and row.delivered_at is None)
    )


def _entry(action: str, by_org_id: uuid.UUID, **extra: str) -> dict[str, Any]:
    # No registry transaction: the step is a new version of the receivable, anchored in its Merkle batch.
    return {"action": action, "byOrgId": str(by_org_id), "at": utcnow().isoformat(), **extra}


def on_movements(session: Session, numbers: Iterable[str], by_org_id: uuid.UUID) -> int:
    """After events of these containers were stored: advance the terms of receivables waiting on them.

    One indexed query when nothing waits, which is the usual answer; the receivables found are few (those
    financed on terms not yet met), and only those whose bills carry one of the containers are checked."""
    from hub.bills.models import BillContainer
    from hub.finance.service import saved

    waiting = list(session.exec(select(Receivable).where(col(Receivable.awaiting).is_(True))))
    if not waiting:
        return 0
    moved = set(numbers)
    bills = {bill for row in waiting for bill in row.bill_ids}
    carried: dict[uuid.UUID, set[str]] = {}
    for chunk in chunks(sorted(moved), 2000):
        for c in session.exec(
            select(BillContainer).where(
                col(BillContainer.bill_id).in_(bills), col(BillContainer.number).in_(chunk)
            )
        ):
            carried.setdefault(c.bill_id, set()).add(c.number)
    touched = [row.id for row in waiting if any(carried.get(bill) for bill in row.bill_ids)]
    if not touched:
        return 0
    # Two ingest processes may move the same bill's containers at once: lock the receivables they touch
    # (only those), read them again, and decide in turn, so that no step is taken twice or lost.
    advanced = 0
    for row in session.exec(
        select(Receivable)
        .where(col(Receivable.id).in_(touched), col(Receivable.awaiting).is_(True))
        .order_by(col(Receivable.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    ):
        if evaluate(session, row, by_org_id):
            row.version += 1
            saved(session, row)
            advanced += 1
    return advanced
