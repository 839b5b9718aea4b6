"""Finance webhooks: a creditor or a bank is called back when one of its receivables takes a step.

What ``receivableChanged`` says to a connected client, a webhook says to a system that is not connected:
pledged, a disbursement condition met, disbursed, repayment due, evidence fallen short, repaid, settled,
transferred. Each step owes one notice to each live webhook of the organisations it concerns (creditor,
lender, the bank it left), written in the step's own transaction, and the finance pusher sends them
signed like the DCSA event push (HMAC-SHA256 of the body under the webhook's secret), retried with
back-off, kept as dead letters after the last attempt. Whether the webhook's organisation may still read
the receivable is checked again when sending (a consent may have been revoked since).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import JSON, Column, Index, insert
from sqlmodel import Field, Session, col, select

from hub.auth.models import KeyRole, Organisation
from hub.auth.permissions import Action, Principal
from hub.db import new_id, utcnow
from hub.errors import Forbidden, Invalid, NotFound
from hub.finance.models import RECEIVABLE_KIND, Receivable
from hub.governance import service as governance
from hub.governance.classes import DataClass
from hub.tracking.push import Callback, Owed, Pusher, _check_secret, _check_url

MAX_HOOKS = 10  # per organisation
# What a notice carries (see notice_body): the invoice number and status, and the amount and conditions.
NOTICE_CLASSES = {DataClass.GENERAL, DataClass.IMPORTANT}


class FinanceHook(Callback, table=True):
    """An organisation's callback for its receivables' steps."""

    __tablename__ = "finance_hook"


class FinanceNotice(Owed, table=True):
    """One receivable step owed to one webhook, with the body as it was at the step."""

    __tablename__ = "finance_notice"
    __table_args__ = (Index("ix_finance_notice_due", "state", "next_attempt_at"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    subscription_id: uuid.UUID = Field(foreign_key="finance_hook.id", index=True)
    receivable_id: uuid.UUID = Field(foreign_key="receivable.id")
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


def create_hook(
    session: Session, principal: Principal, url: str, secret: str, *, allow_private: bool
) -> FinanceHook:
    """A new webhook of the caller's organisation (creditors and banks; a write)."""
    principal.require(Action.WRITE_RECORDS)
    if not (principal.can(Action.REGISTER_RECEIVABLES) or principal.can(Action.FINANCE_RECEIVABLES)):
        raise Invalid("finance webhooks are for creditors and banks", field="callbackUrl")
    live = list_hooks(session, principal)
    if len(live) >= MAX_HOOKS:
        raise Invalid(f"an organisation has at most {MAX_HOOKS} finance webhooks", field="callbackUrl")
    hook = FinanceHook(
        owner_org_id=principal.org_id,
        secret=_check_secret(secret),  # before the URL, whose check may need the network
        callback_url=_check_url(url, allow_private),
    )
    session.add(hook)
    session.flush()
    return hook


def list_hooks(session: Session, principal: Principal) -> list[FinanceHook]:
    return list(
        session.exec(
            select(FinanceHook).where(
                FinanceHook.owner_org_id == principal.org_id, col(FinanceHook.deleted_at).is_(None)
            )
        )
    )


def delete_hook(session: Session, principal: Principal, hook_id: uuid.UUID) -> None:
    """Stop a webhook; what was still owed to it is dropped."""
    principal.require(Action.WRITE_RECORDS)
    hook = session.get(FinanceHook, hook_id)
    if hook is None or hook.owner_org_id != principal.org_id or hook.deleted_at is not None:
        raise NotFound("no finance webhook of yours with that id", field="id")
    hook.deleted_at = utcnow()
    session.add(hook)
    for notice in session.exec(
        select(FinanceNotice).where(
            FinanceNotice.subscription_id == hook.id, FinanceNotice.state == "PENDING"
        )
    ):
        notice.state, notice.last_error = "SKIPPED", "webhook deleted"
        session.add(notice)


def notice_body(row: Receivable, steps: list[dict[str, Any]]) -> dict[str, Any]:
    """What a notice says: the steps of one version (a pledge whose condition is already met is pledged,
    the condition met and disbursed at once), and where the receivable stands after them."""
    return {
        "receivableId": str(row.id),
        "version": row.version,
        "invoiceNumber": row.invoice_number,
        "status": row.status.value,
        "steps": [{k: v for k, v in step.items() if k != "byOrgId"} for step in steps],
        "amount": str(row.amount),
        "currency": row.currency,
        "conditions": [{"kind": c["kind"], "met": c["metAt"] is not None} for c in row.conditions],
        "disbursedAt": None if row.disbursed_at is None else row.disbursed_at.isoformat(),
        "repaymentDue": None if row.repayment_due is None else row.repayment_due.isoformat(),
    }


def queue(session: Session, row: Receivable, org_ids: set[str], steps: list[dict[str, Any]]) -> int:
    """Owe this step to every live webhook of these organisations."""
    hooks = list(
        session.exec(
            select(FinanceHook.id).where(
                col(FinanceHook.owner_org_id).in_([uuid.UUID(o) for o in org_ids]),
                col(FinanceHook.deleted_at).is_(None),
            )
        )
    )
    if not hooks:
        return 0
    now, body = utcnow(), notice_body(row, steps)
    rows = [
        {
            "id": new_id(),
            "subscription_id": hook,
            "receivable_id": row.id,
            "body": body,
            "state": "PENDING",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for hook in hooks
    ]
    session.connection().execute(insert(FinanceNotice.__table__), rows)  # type: ignore[attr-defined]
    return len(rows)


class FinancePusher(Pusher):
    """Sends the finance notices; the DCSA pusher's claiming, leases, retries and address checks."""

    subscriptions = FinanceHook
    deliveries = FinanceNotice
    api_version = "hub-finance-1"
    name = "finance_push"
    skipped_because = "the webhook's organisation may no longer read the receivable"

    def _body(self, sub: Any, deliveries: list[Any]) -> tuple[bytes, list[uuid.UUID], list[uuid.UUID]]:
        from hub.finance.service import visible_receivables

        with Session(self.engine) as session:
            org = session.get(Organisation, sub.owner_org_id)
            assert org is not None
            principal = Principal(org.id, org.name, org.type, KeyRole.VIEWER, org.id)
            ids = {d.receivable_id for d in deliveries}
            owners = dict(
                session.exec(
                    select(Receivable.id, Receivable.owner_org_id).where(
                        col(Receivable.id).in_(ids), visible_receivables(principal)
                    )
                ).all()
            )
            refused = self._abroad(session, org, deliveries, owners)
            session.commit()  # the transfers logged for what goes abroad
        readable = {i for i in owners if i not in refused}
        if refused:
            held = [d.id for d in deliveries if d.receivable_id in refused]
            self._finish(held, state="SKIPPED", last_error=next(iter(refused.values()))[:500])
        send = [d.id for d in deliveries if d.receivable_id in readable]
        skip = [d.id for d in deliveries if d.receivable_id not in owners]
        body = [d.body for d in deliveries if d.receivable_id in readable]
        return json.dumps(body, separators=(",", ":")).encode(), send, skip

    @staticmethod
    def _abroad(
        session: Session, org: Organisation, deliveries: list[Any], owners: dict[uuid.UUID, uuid.UUID]
    ) -> dict[uuid.UUID, str]:
        """A notice carries the receivable's amount (important data): to a webhook abroad it goes only
        under a transfer rule in force, and is logged; the receivables held back, with the reason."""
        refused: dict[uuid.UUID, str] = {}
        by_owner: dict[uuid.UUID, list[uuid.UUID]] = {}
        for receivable_id, owner_id in owners.items():
            if owner_id != org.id:
                by_owner.setdefault(owner_id, []).append(receivable_id)
        for owner_id, receivable_ids in by_owner.items():
            try:
                governance.outbound(
                    session,
                    sender_org_id=owner_id,
                    to_org_id=org.id,
                    channel="webhook",
                    kind=RECEIVABLE_KIND,
                    record_ids=receivable_ids,
                    carried=NOTICE_CLASSES,
                )
            except Forbidden as exc:
                refused.update(dict.fromkeys(receivable_ids, exc.message))
        return refused
