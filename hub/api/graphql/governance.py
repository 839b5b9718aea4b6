"""GraphQL for data governance: the class table, transfer rules, the transfer log and the access log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from hub.api.graphql import directory  # noqa: F401  (registers DataClass with strawberry)
from hub.api.graphql.common import UserError, parse_id, run_mutation
from hub.api.graphql.context import Info
from hub.governance import service as governance
from hub.governance.classes import CLASSES, DataClass
from hub.governance.models import AccessLog as AccessLogRow
from hub.governance.models import DataTransfer as DataTransferRow
from hub.governance.models import TransferRule as TransferRuleRow


@strawberry.type(description="The class of one field of one record kind.")
class FieldClass:
    kind: str
    path: str = strawberry.field(description="As the anchored form names it: head.buyerName, lines[].price.")
    data_class: DataClass


@strawberry.type(description="What a regulator lets cross the border: kinds, classes, country, purpose.")
class TransferRule:
    id: strawberry.ID
    destination_country: str
    record_kinds: list[str]
    max_class: DataClass
    personal: bool = strawberry.field(description="Personal information may go under it.")
    purpose: str
    sender_org_id: strawberry.ID | None = strawberry.field(
        description="The one organisation that may send under it; null for any organisation of the hub's country."
    )
    valid_from: datetime
    valid_until: datetime
    created_at: datetime
    revoked_at: datetime | None
    regulator_org_id: strawberry.ID

    @staticmethod
    def of(row: TransferRuleRow) -> TransferRule:
        return TransferRule(
            id=strawberry.ID(str(row.id)),
            destination_country=row.destination_country,
            record_kinds=list(row.record_kinds),
            max_class=DataClass(row.max_class),
            personal=row.personal,
            purpose=row.purpose,
            sender_org_id=None if row.sender_org_id is None else strawberry.ID(str(row.sender_org_id)),
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            created_at=row.created_at,
            revoked_at=row.revoked_at,
            regulator_org_id=strawberry.ID(str(row.regulator_org_id)),
        )


@strawberry.type(
    description="One cross-border transfer, anchored as record kind data_transfer (verifyRecord checks it)."
)
class DataTransfer:
    id: strawberry.ID
    channel: str = strawberry.field(description="share, read, webhook, subscription, pint or export.")
    sender_org_id: strawberry.ID
    to_org_id: strawberry.ID
    to_country: str
    record_kind: str
    record_ids: list[strawberry.ID]
    classes: list[DataClass]
    rule_id: strawberry.ID | None = strawberry.field(
        description="The transfer rule it went under, if it needed one."
    )
    purpose: str | None
    created_at: datetime

    @staticmethod
    def of(row: DataTransferRow) -> DataTransfer:
        return DataTransfer(
            id=strawberry.ID(str(row.id)),
            channel=row.channel,
            sender_org_id=strawberry.ID(str(row.owner_org_id)),
            to_org_id=strawberry.ID(str(row.to_org_id)),
            to_country=row.to_country,
            record_kind=row.record_kind,
            record_ids=[strawberry.ID(i) for i in row.record_ids],
            classes=[DataClass(c) for c in row.classes],
            rule_id=None if row.rule_id is None else strawberry.ID(str(row.rule_id)),
            purpose=row.purpose,
            created_at=row.created_at,
        )


@strawberry.type(
    description="One read of a record's important, core or personal fields by another organisation."
)
class AccessLogEntry:
    reader_org_id: strawberry.ID
    reader_key_id: strawberry.ID
    classes: list[DataClass]
    via: str = strawberry.field(description="share, party, authority (customs) or audit (a regulator).")
    at: datetime

    @staticmethod
    def of(row: AccessLogRow) -> AccessLogEntry:
        return AccessLogEntry(
            reader_org_id=strawberry.ID(str(row.reader_org_id)),
            reader_key_id=strawberry.ID(str(row.reader_key_id)),
            classes=[DataClass(c) for c in row.classes],
            via=row.via,
            at=row.created_at,
        )


@strawberry.type
class GovernanceQuery:
    @strawberry.field(description="The class of every field of every record kind, or of one kind.")
    def data_classes(self, info: Info, kind: str | None = None) -> list[FieldClass]:
        info.context.principal  # noqa: B018  (any key may read the table; none may read it without one)
        return [
            FieldClass(kind=k, path=path, data_class=cls)
            for k, table in sorted(CLASSES.items())
            if kind is None or k == kind
            for path, cls in sorted(table.items())
        ]

    @strawberry.field(
        description="Transfer rules: every one for a regulator, those you may send under for others."
    )
    def transfer_rules(self, info: Info) -> list[TransferRule]:
        ctx = info.context
        return [TransferRule.of(r) for r in governance.list_rules(ctx.session, ctx.principal)]

    @strawberry.field(
        description="Cross-border transfers: yours (a regulator: everyone's), optionally of one record."
    )
    def data_transfers(
        self, info: Info, record_kind: str | None = None, record_id: strawberry.ID | None = None
    ) -> list[DataTransfer]:
        ctx = info.context
        rows = governance.list_transfers(
            ctx.session,
            ctx.principal,
            record_kind=record_kind,
            record_id=None if record_id is None else parse_id(record_id, "recordId"),
        )
        return [DataTransfer.of(r) for r in rows]

    @strawberry.field(
        description="Who read a record's important, core or personal fields, at which classes (regulators, "
        "and the record's owner)."
    )
    def access_log(self, info: Info, kind: str, id: strawberry.ID) -> list[AccessLogEntry]:
        ctx = info.context
        rows = governance.access_log(ctx.session, ctx.principal, kind, parse_id(id))
        return [AccessLogEntry.of(r) for r in rows]


@strawberry.input(description="What a regulator lets cross the border.")
class TransferRuleInput:
    destination_country: str = strawberry.field(description="ISO 3166 alpha-2.")
    record_kinds: list[str]
    max_class: DataClass = strawberry.field(description="IMPORTANT or CORE (GENERAL with personal only).")
    purpose: str
    valid_until: datetime
    personal: bool = False
    valid_from: datetime | None = None
    sender_org_id: strawberry.ID | None = None


@strawberry.type
class TransferRulePayload:
    errors: list[UserError]
    rule: TransferRule | None = None


@strawberry.type
class GovernanceMutation:
    @strawberry.mutation(description="Regulators: approve a cross-border transfer rule.")
    def approve_transfer_rule(self, info: Info, input: TransferRuleInput) -> TransferRulePayload:
        ctx = info.context

        def act() -> dict[str, Any]:
            rule = governance.approve_rule(
                ctx.session,
                ctx.principal,
                destination_country=input.destination_country,
                record_kinds=input.record_kinds,
                max_class=input.max_class,
                personal=input.personal,
                purpose=input.purpose,
                valid_until=input.valid_until,
                valid_from=input.valid_from,
                sender_org_id=None
                if input.sender_org_id is None
                else parse_id(input.sender_org_id, "senderOrgId"),
            )
            return {"rule": TransferRule.of(rule)}

        return run_mutation(TransferRulePayload, act, ctx.session.commit)

    @strawberry.mutation(
        description="Regulators: revoke a transfer rule; the next read, delivery or transfer under it is held back."
    )
    def revoke_transfer_rule(self, info: Info, id: strawberry.ID) -> TransferRulePayload:
        ctx = info.context

        def act() -> dict[str, Any]:
            return {"rule": TransferRule.of(governance.revoke_rule(ctx.session, ctx.principal, parse_id(id)))}

        return run_mutation(TransferRulePayload, act, ctx.session.commit)
