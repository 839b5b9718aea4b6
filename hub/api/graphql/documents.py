"""GraphQL for trade documents."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from sqlmodel import Session

from hub.api.graphql.common import (
    PageInfo,
    UserError,
    decode_cursor,
    encode_cursor,
    page_size,
    parse_id,
    run_mutation,
)
from hub.api.graphql.context import Info
from hub.api.graphql.directory import Organisation, Share
from hub.auth.access import can_read
from hub.documents import service
from hub.documents.models import RECORD_KIND, DocumentKind, TradeDocument
from hub.governance import service as governance

strawberry.enum(DocumentKind, description="The kinds of trade document.")


@strawberry.type(
    description="A trade document: entered once, shared with whoever needs it, anchored on chain."
)
class Document:
    id: strawberry.ID
    kind: DocumentKind
    reference: str
    title: str
    issued_on: date
    amount: Decimal | None
    currency: str | None
    content_sha256: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    owner_org_id: strawberry.Private[uuid.UUID]
    masked_fields: list[str] = strawberry.field(
        default_factory=list,
        description="The fields (as the record's anchored form names them) its share does not grant you: "
        "they read null or empty. Empty for its owner.",
    )

    @strawberry.field(description="The organisation the document belongs to.")
    async def owner(self, info: Info) -> Organisation:
        row = await info.context.loaders.organisations_by_id.load(self.owner_org_id)
        assert row is not None  # a foreign key guarantees it
        return Organisation.of(row)

    @strawberry.field(description="Who else may read it (shown to its owner only).")
    async def shared_with(self, info: Info) -> list[Share]:
        if info.context.principal.org_id != self.owner_org_id:
            return []
        rows = await info.context.loaders.shares_by_record.load((RECORD_KIND, uuid.UUID(self.id)))
        return [Share.of(s) for s in rows]

    @staticmethod
    def of(row: TradeDocument, masked: list[str] | None = None) -> Document:
        """The GraphQL view of a document row."""
        return Document(
            id=strawberry.ID(str(row.id)),
            kind=row.kind,
            reference=row.reference,
            title=row.title,
            issued_on=row.issued_on,
            amount=row.amount,
            currency=row.currency,
            content_sha256=row.content_sha256,
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            owner_org_id=row.owner_org_id,
            masked_fields=list(masked or []),
        )


@strawberry.type
class DocumentEdge:
    cursor: str
    node: Document


@strawberry.type(description="A page of documents.")
class DocumentConnection:
    edges: list[DocumentEdge]
    nodes: list[Document]
    page_info: PageInfo


@strawberry.input
class CreateDocumentInput:
    kind: DocumentKind
    reference: str
    title: str
    issued_on: date
    amount: Decimal | None = None
    currency: str | None = None
    content_sha256: str | None = None


@strawberry.input
class UpdateDocumentInput:
    kind: DocumentKind | None = None
    reference: str | None = None
    title: str | None = None
    issued_on: date | None = None
    amount: Decimal | None = None
    currency: str | None = None
    content_sha256: str | None = None


@strawberry.type
class DocumentPayload:
    errors: list[UserError]
    document: Document | None = None


@strawberry.type(description="A document was created or changed.")
class DocumentChange:
    change: str
    document_id: strawberry.ID
    version: int
    document: Document | None


def _input(data: CreateDocumentInput | UpdateDocumentInput) -> service.DocumentInput:
    return service.DocumentInput(
        kind=data.kind,
        reference=data.reference,
        title=data.title,
        issued_on=data.issued_on,
        amount=data.amount,
        currency=data.currency,
        content_sha256=data.content_sha256,
    )


@strawberry.type
class DocumentQuery:
    @strawberry.field(description="Documents you may read, oldest first, one page at a time.")
    def documents(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        kind: DocumentKind | None = None,
        owner_org_id: strawberry.ID | None = None,
    ) -> DocumentConnection:
        ctx = info.context
        limit = page_size(first, ctx.state.settings)
        rows = service.list_documents(
            ctx.session,
            ctx.principal,
            limit=limit + 1,
            after=decode_cursor(after),
            kind=kind,
            owner_org_id=None if owner_org_id is None else parse_id(owner_org_id, "ownerOrgId"),
        )
        page = rows[:limit]
        nodes = [Document.of(v, m) for v, m, _ in info.context.governed(RECORD_KIND, page)]
        edges = [
            DocumentEdge(cursor=encode_cursor(row.created_at, row.id), node=node)
            for row, node in zip(page, nodes, strict=True)
        ]
        return DocumentConnection(
            edges=edges,
            nodes=nodes,
            page_info=PageInfo(
                has_next_page=len(rows) > limit, end_cursor=edges[-1].cursor if edges else None
            ),
        )

    @strawberry.field(description="One document you may read.")
    def document(self, info: Info, id: strawberry.ID) -> Document:
        row = service.get_document(info.context.session, info.context.principal, parse_id(id))
        ((view, masked, _),) = info.context.governed(RECORD_KIND, [row])
        return Document.of(view, masked)

    @strawberry.field(
        description="A document you may read as an OpenAttestation v2 wrapped document (JSON text), which "
        "TradeTrust's verifiers check for integrity; a holder may obfuscate fields and it still verifies."
    )
    def export_document(self, info: Info, id: strawberry.ID) -> str:
        (wrapped,) = _attest(info, "document", [id])
        return wrapped

    @strawberry.field(
        description="Records you may read as OpenAttestation v2 wrapped documents (JSON text each, in the "
        "order asked), for TradeTrust's verifiers: kind document, bill, ceb_inventory, or receivable (its "
        "evidence bundle: the receivable and the content of each evidence record you may read). Those not "
        "exported before are wrapped together under one Merkle root, issued once on the document store."
    )
    def export_attestations(self, info: Info, kind: str, ids: list[strawberry.ID]) -> list[str]:
        return _attest(info, kind, ids)


def _attest(info: Info, kind: str, ids: list[strawberry.ID]) -> list[str]:
    import json

    from hub import attestations, records
    from hub.governance import service as governance

    ctx = info.context
    wanted = [parse_id(i) for i in ids]
    for record_id in wanted:  # a file carries every field: only to a reader granted every one
        row = records.load(ctx.session, kind, record_id) if kind in records.kinds() else None
        if row is not None and can_read(ctx.session, ctx.principal, kind, row):
            governance.check_export(ctx.session, ctx.principal, kind, row)
    files = attestations.export(
        ctx.session,
        ctx.principal,
        kind,
        wanted,
        ledger=ctx.state.ledger,
        settings=ctx.state.settings,
    )
    ctx.session.commit()  # the transfer log of an export abroad
    return [json.dumps(f, ensure_ascii=False) for f in files]


@strawberry.type
class RevokePayload:
    errors: list[UserError]
    revoked: int = strawberry.field(default=0, description="How many exports were revoked on chain.")


def _revoke(info: Info, kind: str, id: strawberry.ID) -> RevokePayload:
    from hub import attestations

    ctx = info.context
    return run_mutation(
        RevokePayload,
        lambda: {
            "revoked": attestations.revoke(
                ctx.session, ctx.principal, kind, parse_id(id), ledger=ctx.state.ledger
            )
        },
        ctx.session.commit,
    )


@strawberry.type
class DocumentMutation:
    @strawberry.mutation(
        description="The owner: revoke the document's OpenAttestation exports on the document store, so "
        "that TradeTrust's verifiers show them revoked."
    )
    def revoke_document(self, info: Info, id: strawberry.ID) -> RevokePayload:
        return _revoke(info, "document", id)

    @strawberry.mutation(
        description="The owner of a bill, inventory list, receivable or document: revoke its OpenAttestation "
        "exports on the document store."
    )
    def revoke_attestations(self, info: Info, kind: str, id: strawberry.ID) -> RevokePayload:
        return _revoke(info, kind, id)

    @strawberry.mutation(description="Register a trade document for your organisation.")
    def create_document(self, info: Info, input: CreateDocumentInput) -> DocumentPayload:
        ctx = info.context

        def act() -> dict[str, Any]:
            return {
                "document": Document.of(service.create_document(ctx.session, ctx.principal, _input(input)))
            }

        return run_mutation(DocumentPayload, act, ctx.session.commit)

    @strawberry.mutation(description="Change one of your documents; the change becomes a new version.")
    def update_document(self, info: Info, id: strawberry.ID, input: UpdateDocumentInput) -> DocumentPayload:
        ctx = info.context

        def act() -> dict[str, Any]:
            doc = service.update_document(ctx.session, ctx.principal, parse_id(id), _input(input))
            return {"document": Document.of(doc)}

        return run_mutation(DocumentPayload, act, ctx.session.commit)


@strawberry.type
class DocumentSubscription:
    @strawberry.subscription(description="Changes to documents you may read, as they are committed.")
    async def document_changed(self, info: Info) -> AsyncGenerator[DocumentChange, None]:
        ctx = info.context
        principal = ctx.principal
        async for message in ctx.state.bus.subscribe(service.TOPIC):

            def load(session: Session, message: dict[str, Any] = message) -> DocumentChange | None:
                row = session.get(TradeDocument, uuid.UUID(message["id"]))
                if row is None or not can_read(session, principal, RECORD_KIND, row):
                    return None
                grant = governance.grants(session, principal, RECORD_KIND, [row])[row.id]
                shown, masked = governance.view(RECORD_KIND, row, grant)
                return DocumentChange(
                    change=message["change"],
                    document_id=strawberry.ID(message["id"]),
                    version=int(message["version"]),
                    document=Document.of(shown, masked),
                )

            # Read once per message for each reader (organisation, role, country), whoever subscribed.
            change = await ctx.state.reads.per_reader(message, "documentChanged", principal, load)
            if change is not None:
                yield change
