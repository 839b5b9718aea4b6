"""GraphQL for supply-chain finance: receivables, their verification by banks, and their financing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from sqlmodel import Session

from hub.api.graphql.anchoring import Verification
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
from hub.api.graphql.directory import Organisation
from hub.errors import NotFound
from hub.finance import hooks, service
from hub.finance.conditions import Condition
from hub.finance.models import RECEIVABLE_KIND, ReceivableStatus
from hub.finance.models import Receivable as ReceivableRow
from hub.governance import service as governance

strawberry.enum(ReceivableStatus, description="Where a receivable stands.")
strawberry.enum(
    Condition,
    description="A logistics event a lender's money waits for: LOADED (a container of the cited bills "
    "loaded on a vessel), CUSTOMS_RELEASED (every live declaration for them released), GATED_OUT (a "
    "container gated out at the bill's place of delivery).",
)


@strawberry.type(description="One step of a receivable's life, with the registry transaction behind it.")
class ReceivableStep:
    action: str
    at: datetime
    transaction_hash: str | None
    block_number: int | None
    condition: str | None = strawberry.field(description="CONDITION_MET: which one.")
    evidence: str | None = strawberry.field(description='The record that showed it ("kind:id").')
    detail: str | None
    by_org_id: strawberry.Private[str]

    @strawberry.field
    async def by(self, info: Info) -> Organisation | None:
        row = await info.context.loaders.organisations_by_id.load(uuid.UUID(self.by_org_id))
        return None if row is None else Organisation.of(row)


def _detail(step: dict[str, Any]) -> str | None:
    if step["action"] == "EVIDENCE_SHORT":
        return "; ".join(
            f"{s['label']} is worth {s['value']} now, live pledges draw {s['drawn']} on it"
            for s in step["short"]
        )
    if step["action"] == "REPAYMENT_DUE":
        return f"repayment falls due on {step['due']}"
    if step.get("conditions"):
        return "disbursement waits for " + ", ".join(step["conditions"])
    return None


@strawberry.type(description="One condition of a financing and whether the goods have met it.")
class DisbursementCondition:
    kind: Condition
    met: bool
    met_at: datetime | None
    evidence: str | None = strawberry.field(description='The record that met it ("kind:id").')
    detail: str | None


@strawberry.type(description="A record offered as evidence.")
class EvidenceRef:
    kind: str
    id: strawberry.ID


@strawberry.type(description="A receivable backed by trade evidence.")
class Receivable:
    id: strawberry.ID
    creditor_name: str
    creditor_code: str
    debtor_name: str
    invoice_number: str = strawberry.field(description="As the creditor entered it.")
    blinded_id: str = strawberry.field(
        description="The id on the receivable registry (HMAC of the invoice identity)."
    )
    amount: Decimal | None
    currency: str
    issue_date: date
    due_date: date
    status: ReceivableStatus
    evidence: list[EvidenceRef]
    history: list[ReceivableStep]
    version: int
    created_at: datetime
    conditions: list[DisbursementCondition] = strawberry.field(
        description="What the lender's money waits for; none when it was disbursed at the pledge."
    )
    disbursed_at: datetime | None = strawberry.field(
        description="When the financing was disbursed: at the pledge, or when its last condition was met."
    )
    repay_days_after_delivery: int | None
    delivered_at: datetime | None = strawberry.field(
        description="The gate-out at the place of delivery, for repayment after delivery."
    )
    repayment_due: date | None
    title_collateral: strawberry.ID | None = strawberry.field(
        description="The bill whose title the lender holds as collateral while the receivable is pledged."
    )
    lender_org_id: strawberry.Private[uuid.UUID | None]
    masked_fields: list[str] = strawberry.field(
        default_factory=list,
        description="The fields (as the record's anchored form names them) its share does not grant you: "
        "they read null or empty. Empty for its owner.",
    )

    @strawberry.field(description="The bank that finances it now.")
    async def lender(self, info: Info) -> Organisation | None:
        if self.lender_org_id is None:
            return None
        row = await info.context.loaders.organisations_by_id.load(self.lender_org_id)
        return None if row is None else Organisation.of(row)

    @staticmethod
    def of(row: ReceivableRow, masked: list[str] | None = None) -> Receivable:
        return Receivable(
            id=strawberry.ID(str(row.id)),
            creditor_name=row.creditor_name,
            creditor_code=row.creditor_code,
            debtor_name=row.debtor_name,
            invoice_number=row.invoice_number,
            blinded_id=row.blinded_id,
            amount=row.amount,
            currency=row.currency,
            issue_date=row.issue_date,
            due_date=row.due_date,
            status=row.status,
            evidence=[EvidenceRef(kind=e["kind"], id=strawberry.ID(e["id"])) for e in row.evidence],
            history=[
                ReceivableStep(
                    action=h["action"],
                    at=datetime.fromisoformat(h["at"]),
                    transaction_hash=h.get("transactionHash") or None,
                    block_number=h.get("blockNumber"),
                    condition=h.get("condition"),
                    evidence=h.get("evidence"),
                    detail=_detail(h),
                    by_org_id=h["byOrgId"],
                )
                for h in row.history
            ],
            version=row.version,
            created_at=row.created_at,
            conditions=[
                DisbursementCondition(
                    kind=Condition(c["kind"]),
                    met=c["metAt"] is not None,
                    met_at=None if c["metAt"] is None else datetime.fromisoformat(c["metAt"]),
                    evidence=c["evidence"],
                    detail=c["detail"],
                )
                for c in row.conditions
            ],
            disbursed_at=row.disbursed_at,
            repay_days_after_delivery=row.repay_days_after_delivery,
            delivered_at=row.delivered_at,
            repayment_due=row.repayment_due,
            title_collateral=None if row.title_bill_id is None else strawberry.ID(str(row.title_bill_id)),
            lender_org_id=row.lender_org_id,
            masked_fields=list(masked or []),
        )


@strawberry.type(description="One thing a bank wants to know about the trade, and the records that show it.")
class TradePoint:
    point: str = strawberry.field(
        description="BILL_ISSUED, GOODS_MOVED, DELIVERED, ORDERS_MATCHED, CUSTOMS_RELEASED or TRADE_EVIDENCE."
    )
    ok: bool
    detail: str
    evidence: list[str] = strawberry.field(description='"kind:id" of the records behind it.')


@strawberry.type(description="The receivable's amount against one kind of evidence.")
class AmountPoint:
    source: str = strawberry.field(description="INVOICES, ORDERS or CARGO.")
    ok: bool
    expected: Decimal
    found: Decimal
    currency: str
    detail: str


@strawberry.type(
    description="A piece of evidence that carries value (a bill's cargo, an invoice, an order) and what pledges "
    "draw on it, as the receivable registry counts on chain: the same goods cannot back more than they are worth."
)
class EvidenceDraw:
    ref: str = strawberry.field(description='"kind:id" of the evidence.')
    source: str = strawberry.field(description="CARGO, INVOICES or ORDERS: the amount point it counts in.")
    label: str
    evidence_id: str = strawberry.field(
        description="Its blinded identity on the receivable registry (drawnOn), to check without the hub."
    )
    value: Decimal
    currency: str
    drawn_by_others: Decimal = strawberry.field(
        description="What other live pledges, of any bank, draw on it; never whose."
    )
    remaining: Decimal
    draw: Decimal = strawberry.field(
        description="What this receivable draws on it (pledged) or would draw (not yet pledged)."
    )
    overdrawn: bool = strawberry.field(
        description="Pledges together draw more than it is worth now: its value fell after they drew "
        "(an inventory list customs rejected, goods returned)."
    )

    @staticmethod
    def of(d: service.EvidenceDraw) -> EvidenceDraw:
        return EvidenceDraw(
            ref=d.ref,
            source=d.source,
            label=d.label,
            evidence_id="0x" + d.evidence_id.hex(),
            value=d.value,
            currency=d.currency,
            drawn_by_others=d.drawn_by_others,
            remaining=d.remaining,
            draw=d.draw,
            overdrawn=d.overdrawn,
        )


@strawberry.type(description="Who holds a cited bill's negotiable title.")
class TitleHolder:
    bill_id: strawberry.ID
    bill_number: str
    state: str = strawberry.field(description="The bill's state.")
    held_by_lender: bool = strawberry.field(description="The receivable's lender holds the title.")
    collateral: bool = strawberry.field(
        description="The title secures this financing: it cannot be endorsed elsewhere until repayment."
    )
    holder_org_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    async def holder(self, info: Info) -> Organisation | None:
        if self.holder_org_id is None:
            return None
        row = await info.context.loaders.organisations_by_id.load(self.holder_org_id)
        return None if row is None else Organisation.of(row)


@strawberry.type(description="One record behind the receivable, checked against its anchor.")
class EvidenceCheck:
    ref: str = strawberry.field(description='"kind:id".')
    verification: Verification


@strawberry.type(description="What the receivable registry holds, read from the chain now.")
class ReceivableOnChain:
    receivable_id: str
    status: str = strawberry.field(description="NONE, REGISTERED, PLEDGED or SETTLED.")
    lender_is_you: bool
    pledges: int
    contract: str
    chain_id: str
    block_number: int


@strawberry.type(description="A bank's check of a receivable: each point with its proof.")
class ReceivableVerification:
    receivable: Receivable
    financeable: bool = strawberry.field(
        description="Authentic, the trade happened, amounts agree, what other pledges leave of the evidence "
        "covers it, and nobody holds it."
    )
    authentic: bool
    records: list[EvidenceCheck]
    trade_happened: bool
    trade: list[TradePoint]
    amounts_agree: bool
    amounts: list[AmountPoint]
    evidence_covers: bool = strawberry.field(
        description="On each kind of value cited, what other pledges leave covers the receivable's amount."
    )
    draws: list[EvidenceDraw]
    titles: list[TitleHolder] = strawberry.field(description="The negotiable titles of the cited bills.")
    pledged_elsewhere: bool
    on_chain: ReceivableOnChain

    @staticmethod
    def of(check: service.ReceivableCheck) -> ReceivableVerification:
        chain = check.on_chain
        return ReceivableVerification(
            receivable=Receivable.of(check.receivable),
            financeable=check.financeable,
            authentic=check.authentic,
            records=[EvidenceCheck(ref=ref, verification=Verification.of(v)) for ref, v in check.records],
            trade_happened=check.trade_happened,
            trade=[
                TradePoint(point=p.point, ok=p.ok, detail=p.detail, evidence=list(p.evidence))
                for p in check.trade
            ],
            amounts_agree=check.amounts_agree,
            amounts=[
                AmountPoint(
                    source=a.source,
                    ok=a.ok,
                    expected=a.expected,
                    found=a.found,
                    currency=a.currency,
                    detail=a.detail,
                )
                for a in check.amounts
            ],
            evidence_covers=check.evidence_covers,
            draws=[EvidenceDraw.of(d) for d in check.draws],
            titles=[
                TitleHolder(
                    bill_id=strawberry.ID(str(t.bill_id)),
                    bill_number=t.bill_number,
                    state=t.state,
                    held_by_lender=t.held_by_lender,
                    collateral=t.collateral,
                    holder_org_id=t.holder_org_id,
                )
                for t in check.titles
            ],
            pledged_elsewhere=check.pledged_elsewhere,
            on_chain=ReceivableOnChain(
                receivable_id=chain.receivable_id,
                status=chain.status,
                lender_is_you=check.lender_is_caller,
                pledges=chain.pledges,
                contract=chain.contract,
                chain_id=str(chain.chain_id),
                block_number=chain.block_number,
            ),
        )


@strawberry.type(description="What live pledges draw on one piece of evidence.")
class EvidenceExposure:
    ref: str
    label: str
    currency: str
    value: Decimal = strawberry.field(description="What the evidence is worth now.")
    drawn: Decimal = strawberry.field(description="The live pledges' draws, as the hub recorded them.")
    drawn_on_chain: Decimal = strawberry.field(description="The receivable registry's counter for it.")
    receivables: int
    overdrawn: bool


@strawberry.type(description="Live financing of one organisation in one currency.")
class PartyExposure:
    currency: str
    amount: Decimal
    receivables: int
    org_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def organisation(self, info: Info) -> Organisation | None:
        row = await info.context.loaders.organisations_by_id.load(self.org_id)
        return None if row is None else Organisation.of(row)


@strawberry.type(description="Every live financing on the hub, for regulators.")
class FinanceExposure:
    evidence: list[EvidenceExposure]
    by_seller: list[PartyExposure]
    by_bank: list[PartyExposure]
    overdrawn: list[EvidenceExposure] = strawberry.field(
        description="Evidence drawn beyond its value: the guard's promise is that this stays empty, "
        "unless a value fell after the pledges (and those receivables are flagged)."
    )


def _party(p: service.PartyExposure) -> PartyExposure:
    return PartyExposure(currency=p.currency, amount=p.amount, receivables=p.receivables, org_id=p.org_id)


def _evidence_exposure(e: service.EvidenceExposure) -> EvidenceExposure:
    return EvidenceExposure(
        ref=e.ref,
        label=e.label,
        currency=e.currency,
        value=e.value,
        drawn=e.drawn,
        drawn_on_chain=e.drawn_on_chain,
        receivables=e.receivables,
        overdrawn=e.overdrawn,
    )


@strawberry.type(description="A finance webhook of your organisation (its secret is never shown).")
class FinanceWebhook:
    id: strawberry.ID
    callback_url: str
    created_at: datetime

    @staticmethod
    def of(row: hooks.FinanceHook) -> FinanceWebhook:
        return FinanceWebhook(
            id=strawberry.ID(str(row.id)), callback_url=row.callback_url, created_at=row.created_at
        )


@strawberry.type
class FinanceWebhookPayload:
    errors: list[UserError]
    webhook: FinanceWebhook | None = None


@strawberry.type
class ReceivableConnection:
    nodes: list[Receivable]
    page_info: PageInfo


@strawberry.type
class FinanceQuery:
    @strawberry.field(description="A receivable you may see: your own, shared with you, or financed by you.")
    def receivable(self, info: Info, id: strawberry.ID) -> Receivable:
        ctx = info.context
        row = service.get(ctx.session, ctx.principal, parse_id(id, "id"))
        ((view, masked, _),) = ctx.governed(RECEIVABLE_KIND, [row])
        return Receivable.of(view, masked)

    @strawberry.field(description="Receivables you may see, oldest first.")
    def receivables(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: ReceivableStatus | None = None,
    ) -> ReceivableConnection:
        ctx = info.context
        limit = page_size(first, ctx.state.settings)
        rows = list(
            service.list_receivables(
                ctx.session, ctx.principal, limit=limit + 1, after=decode_cursor(after), status=status
            )
        )
        page, info_ = page_of(rows, limit)
        nodes = [Receivable.of(v, m) for v, m, _ in ctx.governed(RECEIVABLE_KIND, page)]
        return ReceivableConnection(nodes=nodes, page_info=info_)

    @strawberry.field(
        description="Check a receivable shared with you: records authentic, trade happened, amounts agree, pledges."
    )
    def verify_receivable(self, info: Info, id: strawberry.ID) -> ReceivableVerification:
        ctx = info.context
        check = service.verify(
            ctx.session,
            ctx.principal,
            parse_id(id, "id"),
            ledger=ctx.state.ledger,
            blinding_key=ctx.state.settings.finance_blinding_key.get_secret_value(),
        )
        return ReceivableVerification.of(check)

    @strawberry.field(description="Your organisation's finance webhooks.")
    def finance_webhooks(self, info: Info) -> list[FinanceWebhook]:
        ctx = info.context
        return [FinanceWebhook.of(h) for h in hooks.list_hooks(ctx.session, ctx.principal)]

    @strawberry.field(
        description="Regulators: every live financing, per evidence, per seller and per bank, and any "
        "evidence drawn beyond its value."
    )
    def finance_exposure(self, info: Info) -> FinanceExposure:
        ctx = info.context
        found = service.exposure(
            ctx.session,
            ctx.principal,
            ledger=ctx.state.ledger,
            blinding_key=ctx.state.settings.finance_blinding_key.get_secret_value(),
        )
        return FinanceExposure(
            evidence=[_evidence_exposure(e) for e in found.evidence],
            by_seller=[_party(p) for p in found.by_seller],
            by_bank=[_party(p) for p in found.by_bank],
            overdrawn=[_evidence_exposure(e) for e in found.overdrawn],
        )


@strawberry.input
class EvidenceInput:
    kind: str = strawberry.field(
        description="bill, document, tracking_event, ceb_order, ceb_inventory or ceb_waybill."
    )
    id: strawberry.ID


@strawberry.input
class ReceivableInput:
    debtor_name: str
    invoice_number: str
    amount: Decimal
    currency: str
    issue_date: date
    due_date: date
    evidence: list[EvidenceInput]
    debtor_code: str | None = None


@strawberry.type
class ReceivablePayload:
    errors: list[UserError]
    receivable: Receivable | None = None


def _step(info: Info, act: Callable[[], ReceivableRow]) -> ReceivablePayload:
    ctx = info.context
    return run_mutation(ReceivablePayload, lambda: {"receivable": Receivable.of(act())}, ctx.session.commit)


@strawberry.type
class FinanceMutation:
    @strawberry.mutation(description="Register a receivable with its evidence (creditors).")
    def register_receivable(self, info: Info, input: ReceivableInput) -> ReceivablePayload:
        ctx = info.context

        def act() -> ReceivableRow:
            data = service.ReceivableInput(
                debtor_name=input.debtor_name,
                invoice_number=input.invoice_number,
                amount=input.amount,
                currency=input.currency,
                issue_date=input.issue_date,
                due_date=input.due_date,
                evidence=tuple(
                    (e.kind, parse_id(e.id, f"evidence[{i}].id")) for i, e in enumerate(input.evidence)
                ),
                debtor_code=input.debtor_code,
            )
            return service.register(
                ctx.session,
                ctx.principal,
                data,
                ledger=ctx.state.ledger,
                blinding_key=ctx.state.settings.finance_blinding_key.get_secret_value(),
            )

        return _step(info, act)

    @strawberry.mutation(
        description="Finance a receivable shared with you; fails if any bank holds it, or if its evidence "
        "cannot cover it. Optionally: disburse only when the goods meet `conditions`; repayment falls due "
        "`repayDaysAfterDelivery` days after the gate-out at the place of delivery; take the title of a "
        "cited bill, which its holder endorsed to you, as collateral (`titleBillId`)."
    )
    def pledge_receivable(
        self,
        info: Info,
        id: strawberry.ID,
        conditions: list[Condition] | None = None,
        repay_days_after_delivery: int | None = None,
        title_bill_id: strawberry.ID | None = None,
    ) -> ReceivablePayload:
        ctx = info.context

        def act() -> ReceivableRow:
            terms = service.FinancingTerms(
                conditions=tuple(c.value for c in conditions or ()),
                repay_days_after_delivery=repay_days_after_delivery,
                title_bill_id=None if title_bill_id is None else parse_id(title_bill_id, "titleBillId"),
            )
            return service.pledge(
                ctx.session,
                ctx.principal,
                parse_id(id, "id"),
                ledger=ctx.state.ledger,
                blinding_key=ctx.state.settings.finance_blinding_key.get_secret_value(),
                terms=terms,
            )

        return _step(info, act)

    @strawberry.mutation(description="The lender: the financing was repaid, the receivable is free again.")
    def repay_receivable(self, info: Info, id: strawberry.ID) -> ReceivablePayload:
        ctx = info.context
        return _step(
            info,
            lambda: service.repay(ctx.session, ctx.principal, parse_id(id, "id"), ledger=ctx.state.ledger),
        )

    @strawberry.mutation(description="The lender: the debtor paid, the receivable is closed.")
    def settle_receivable(self, info: Info, id: strawberry.ID) -> ReceivablePayload:
        ctx = info.context
        return _step(
            info,
            lambda: service.settle(ctx.session, ctx.principal, parse_id(id, "id"), ledger=ctx.state.ledger),
        )

    @strawberry.mutation(description="The lender passes the financed receivable to another bank.")
    def transfer_receivable(
        self, info: Info, id: strawberry.ID, to_org_id: strawberry.ID
    ) -> ReceivablePayload:
        ctx = info.context
        return _step(
            info,
            lambda: service.transfer(
                ctx.session,
                ctx.principal,
                parse_id(id, "id"),
                parse_id(to_org_id, "toOrgId"),
                ledger=ctx.state.ledger,
            ),
        )

    @strawberry.mutation(
        description="Creditors and banks: be called back at `callbackUrl` at every step of your receivables "
        "(pledged, condition met, disbursed, repayment due, evidence short, repaid, settled, transferred): a "
        "JSON array of notices, signed in the Notification-Signature header (sha256= HMAC of the body under "
        "`secret`, base64 of at least 32 random bytes), retried with back-off."
    )
    def create_finance_webhook(self, info: Info, callback_url: str, secret: str) -> FinanceWebhookPayload:
        ctx = info.context
        allow = ctx.state.settings.callback_allow_private_networks
        return run_mutation(
            FinanceWebhookPayload,
            lambda: {
                "webhook": FinanceWebhook.of(
                    hooks.create_hook(ctx.session, ctx.principal, callback_url, secret, allow_private=allow)
                )
            },
            ctx.session.commit,
        )

    @strawberry.mutation(description="Stop a finance webhook; what was still owed to it is dropped.")
    def delete_finance_webhook(self, info: Info, id: strawberry.ID) -> FinanceWebhookPayload:
        ctx = info.context

        def act() -> dict[str, object]:
            hooks.delete_hook(ctx.session, ctx.principal, parse_id(id, "id"))
            return {}

        return run_mutation(FinanceWebhookPayload, act, ctx.session.commit)


@strawberry.type
class FinanceSubscription:
    @strawberry.subscription(description="Receivables you may see, each time their status changes.")
    async def receivable_changed(self, info: Info) -> AsyncGenerator[Receivable, None]:
        ctx = info.context
        principal = ctx.principal
        async for message in ctx.state.bus.subscribe(service.TOPIC):

            def load(session: Session, message: dict[str, Any] = message) -> Receivable | None:
                # Reading decides: creditor, lender, a consenting bank (not named in the message), a regulator.
                try:
                    row = service.get(session, principal, uuid.UUID(message["id"]))
                except NotFound:
                    return None
                grant = governance.grants(session, principal, RECEIVABLE_KIND, [row])[row.id]
                shown, masked = governance.view(RECEIVABLE_KIND, row, grant)
                return Receivable.of(shown, masked)

            change = await ctx.state.reads.per_reader(message, "receivableChanged", principal, load)
            if change is not None:
                yield change
