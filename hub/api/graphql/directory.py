"""GraphQL for the directory: who am I, organisations, API keys and shares."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry

from hub import records
from hub.api.graphql.common import UserError, parse_id, run_mutation
from hub.api.graphql.context import Info
from hub.auth import service as auth
from hub.auth.models import ApiKey as ApiKeyRow
from hub.auth.models import KeyRole, OrgType
from hub.auth.models import Organisation as OrganisationRow
from hub.auth.models import Share as ShareRow
from hub.auth.permissions import Action
from hub.errors import Invalid, NotFound
from hub.governance.classes import DataClass

strawberry.enum(OrgType, description="What kind of party an organisation is.")
strawberry.enum(KeyRole, description="What a key may do inside its organisation.")

strawberry.enum(DataClass, description="How sensitive a field is (hub.governance.classes).")


@strawberry.type(description="A party on the hub.")
class Organisation:
    id: strawberry.ID
    name: str
    type: OrgType
    country: str | None
    customs_code: str | None
    port_locode: str | None
    created_at: datetime

    @staticmethod
    def of(row: OrganisationRow) -> Organisation:
        """The GraphQL view of an organisation row."""
        return Organisation(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            type=row.type,
            country=row.country,
            customs_code=row.customs_code,
            port_locode=row.port_locode,
            created_at=row.created_at,
        )


@strawberry.type(description="The caller: the organisation and role behind the key in use.")
class Me:
    organisation: Organisation
    role: KeyRole
    key_id: strawberry.ID
    permissions: list[str]


@strawberry.type(description="An API key; its secret is shown only once, when it is created.")
class ApiKey:
    id: strawberry.ID
    name: str
    role: KeyRole
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @staticmethod
    def of(row: ApiKeyRow) -> ApiKey:
        """The GraphQL view of a key row (never its hash)."""
        return ApiKey(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            role=row.role,
            prefix=f"hub_{row.lookup}",
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
        )


@strawberry.type(description="One record that its owner lets another organisation read.")
class Share:
    id: strawberry.ID
    record_kind: str
    record_id: strawberry.ID
    grantee_org_id: strawberry.ID
    data_class: DataClass = strawberry.field(description="The highest class of field it grants.")
    personal_data_purpose: str | None = strawberry.field(
        description="Why it grants personal information; null: personal information is masked."
    )
    rule_id: strawberry.ID | None = strawberry.field(
        description="The transfer rule a share abroad went under (for important or personal data)."
    )
    created_at: datetime
    revoked_at: datetime | None

    @strawberry.field(description="The organisation that may read the record.")
    async def grantee(self, info: Info) -> Organisation | None:
        row = await info.context.loaders.organisations_by_id.load(uuid.UUID(self.grantee_org_id))
        return None if row is None else Organisation.of(row)

    @staticmethod
    def of(row: ShareRow) -> Share:
        """The GraphQL view of a share row."""
        return Share(
            id=strawberry.ID(str(row.id)),
            record_kind=row.record_kind,
            record_id=strawberry.ID(str(row.record_id)),
            grantee_org_id=strawberry.ID(str(row.grantee_org_id)),
            data_class=DataClass(row.data_class),
            personal_data_purpose=row.personal_purpose,
            rule_id=None if row.rule_id is None else strawberry.ID(str(row.rule_id)),
            created_at=row.created_at,
            revoked_at=row.revoked_at,
        )


@strawberry.input
class CreateOrganisationInput:
    name: str
    type: OrgType
    country: str | None = None
    customs_code: str | None = strawberry.field(
        default=None,
        description="USCC (18) or customs code (10) of a trader; the 4-digit district of a customs office.",
    )
    port_locode: str | None = strawberry.field(
        default=None, description="The port (UN/LOCODE) a port operator or terminal works in."
    )


@strawberry.input
class CreateApiKeyInput:
    name: str
    role: KeyRole = KeyRole.VIEWER
    expires_at: datetime | None = None
    org_id: strawberry.ID | None = strawberry.field(
        default=None, description="Hub operator only: issue the key for another organisation."
    )


@strawberry.input
class ShareRecordInput:
    kind: str = strawberry.field(description="The record kind, for example 'document'.")
    record_id: strawberry.ID
    with_org_id: strawberry.ID
    data_class: DataClass = strawberry.field(
        default=DataClass.CORE,
        description="The highest class of field shared: GENERAL, IMPORTANT or CORE (every field but "
        "personal information). Abroad, above GENERAL needs a transfer rule.",
    )
    personal_data_purpose: str | None = strawberry.field(
        default=None,
        description="Share its personal information too, for this purpose (abroad: under a transfer rule "
        "that allows personal information).",
    )


@strawberry.type
class OrganisationPayload:
    errors: list[UserError]
    organisation: Organisation | None = None


@strawberry.type
class CreateApiKeyPayload:
    errors: list[UserError]
    api_key: ApiKey | None = None
    token: str | None = strawberry.field(
        default=None, description="The key itself. Shown now and never again."
    )


@strawberry.type
class ApiKeyPayload:
    errors: list[UserError]
    api_key: ApiKey | None = None


@strawberry.type
class SharePayload:
    errors: list[UserError]
    share: Share | None = None


@strawberry.type
class DirectoryQuery:
    @strawberry.field(description="The organisation, role and permissions of the key in use.")
    def me(self, info: Info) -> Me:
        principal = info.context.principal
        org = info.context.session.get(OrganisationRow, principal.org_id)
        if org is None:
            raise NotFound("the organisation of this key no longer exists")
        return Me(
            organisation=Organisation.of(org),
            role=principal.role,
            key_id=strawberry.ID(str(principal.key_id)),
            permissions=sorted(action.value for action in Action if principal.can(action)),
        )

    @strawberry.field(description="The directory of organisations on the hub (names and types only).")
    def organisations(self, info: Info) -> list[Organisation]:
        info.context.principal.require(Action.READ_DIRECTORY)
        return [Organisation.of(row) for row in auth.list_organisations(info.context.session)]

    @strawberry.field(description="Your organisation's API keys (admin keys only).")
    def api_keys(self, info: Info) -> list[ApiKey]:
        return [ApiKey.of(row) for row in auth.list_keys(info.context.session, info.context.principal)]


def _owner_of(info: Info, kind: str, record_id: uuid.UUID) -> uuid.UUID:
    record: Any = records.load(info.context.session, kind, record_id)
    if record is None:
        raise NotFound(f"no {kind} of yours with that id", field="recordId")
    return record.owner_org_id  # type: ignore[no-any-return]


@strawberry.type
class DirectoryMutation:
    @strawberry.mutation(description="Register an organisation (hub operator only).")
    def create_organisation(self, info: Info, input: CreateOrganisationInput) -> OrganisationPayload:
        ctx = info.context

        def act() -> dict[str, Any]:
            ctx.principal.require(Action.MANAGE_ORGANISATIONS)
            org = auth.create_organisation(
                ctx.session, input.name, input.type, input.country, input.customs_code, input.port_locode
            )
            return {"organisation": Organisation.of(org)}

        return run_mutation(OrganisationPayload, act, ctx.session.commit)

    @strawberry.mutation(description="Create an API key; the payload carries the key once.")
    def create_api_key(self, info: Info, input: CreateApiKeyInput) -> CreateApiKeyPayload:
        ctx = info.context

        def act() -> dict[str, Any]:
            issued = auth.create_key_for(
                ctx.session,
                ctx.principal,
                pepper=ctx.state.pepper,
                name=input.name,
                role=input.role,
                expires_at=input.expires_at,
                org_id=None if input.org_id is None else parse_id(input.org_id, "orgId"),
            )
            return {"api_key": ApiKey.of(issued.key), "token": issued.token}

        return run_mutation(CreateApiKeyPayload, act, ctx.session.commit)

    @strawberry.mutation(description="Revoke an API key: it is refused from the next request on.")
    def revoke_api_key(self, info: Info, id: strawberry.ID) -> ApiKeyPayload:
        ctx = info.context

        def act() -> dict[str, Any]:
            return {"api_key": ApiKey.of(auth.revoke_key(ctx.session, ctx.principal, parse_id(id)))}

        return run_mutation(ApiKeyPayload, act, ctx.session.commit)

    @strawberry.mutation(description="Let another organisation read one of your records.")
    def share_record(self, info: Info, input: ShareRecordInput) -> SharePayload:
        ctx = info.context

        def act() -> dict[str, Any]:
            record_id = parse_id(input.record_id, "recordId")
            if input.kind not in records.kinds():
                raise Invalid(f"unknown record kind {input.kind!r}", field="kind")
            share = auth.share_record(
                ctx.session,
                ctx.principal,
                kind=input.kind,
                record_id=record_id,
                owner_org_id=_owner_of(info, input.kind, record_id),
                grantee_org_id=parse_id(input.with_org_id, "withOrgId"),
                data_class=input.data_class.value,
                personal_purpose=input.personal_data_purpose,
            )
            return {"share": Share.of(share)}

        return run_mutation(SharePayload, act, ctx.session.commit)

    @strawberry.mutation(description="Withdraw a share; the other organisation loses access at once.")
    def revoke_share(self, info: Info, id: strawberry.ID) -> SharePayload:
        ctx = info.context

        def act() -> dict[str, Any]:
            return {"share": Share.of(auth.revoke_share(ctx.session, ctx.principal, parse_id(id)))}

        return run_mutation(SharePayload, act, ctx.session.commit)
