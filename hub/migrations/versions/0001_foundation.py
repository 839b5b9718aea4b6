"""foundation

Revision ID: 0001
Revises: 
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('organisation',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('type', sa.Enum('FORWARDER', 'CARRIER', 'TERMINAL', 'PORT_OPERATOR', 'SELLER', 'PLATFORM', 'BANK', 'CUSTOMS', 'REGULATOR', 'ADMIN', name='orgtype', native_enum=False, length=20), nullable=False),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation'))
    )
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organisation_name'), ['name'], unique=True)

    op.create_table('outbox_entry',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), sa.Identity(always=False), nullable=False),
    sa.Column('record_kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(sa.JSON(), 'postgresql'), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('anchored_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_entry'))
    )
    with op.batch_alter_table('outbox_entry', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_entry_pending', ['anchored_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_entry_record_id'), ['record_id'], unique=False)

    op.create_table('api_key',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('lookup', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('secret_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('role', sa.Enum('ADMIN', 'OPERATOR', 'VIEWER', name='keyrole', native_enum=False, length=10), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], name=op.f('fk_api_key_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key'))
    )
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_key_lookup'), ['lookup'], unique=True)
        batch_op.create_index(batch_op.f('ix_api_key_org_id'), ['org_id'], unique=False)

    op.create_table('share',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('grantee_org_id', sa.Uuid(), nullable=False),
    sa.Column('record_kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['grantee_org_id'], ['organisation.id'], name=op.f('fk_share_grantee_org_id_organisation')),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_share_owner_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share')),
    sa.UniqueConstraint('record_kind', 'record_id', 'grantee_org_id', name=op.f('uq_share_record_kind_record_id_grantee_org_id'))
    )
    with op.batch_alter_table('share', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_grantee_org_id'), ['grantee_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_owner_org_id'), ['owner_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_record_id'), ['record_id'], unique=False)

    op.create_table('trade_document',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('COMMERCIAL_INVOICE', 'PACKING_LIST', 'CERTIFICATE_OF_ORIGIN', 'INSURANCE_CERTIFICATE', 'INSPECTION_CERTIFICATE', 'SALES_CONTRACT', 'OTHER', name='documentkind', native_enum=False, length=30), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('amount', hub.db.Money(length=32), nullable=True),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
    sa.Column('content_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_trade_document_owner_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trade_document')),
    sa.UniqueConstraint('owner_org_id', 'kind', 'reference', name=op.f('uq_trade_document_owner_org_id_kind_reference'))
    )
    with op.batch_alter_table('trade_document', schema=None) as batch_op:
        batch_op.create_index('ix_trade_document_owner_page', ['owner_org_id', 'created_at', 'id'], unique=False)




def downgrade() -> None:
    
    with op.batch_alter_table('trade_document', schema=None) as batch_op:
        batch_op.drop_index('ix_trade_document_owner_page')

    op.drop_table('trade_document')
    with op.batch_alter_table('share', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_record_id'))
        batch_op.drop_index(batch_op.f('ix_share_owner_org_id'))
        batch_op.drop_index(batch_op.f('ix_share_grantee_org_id'))

    op.drop_table('share')
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_key_org_id'))
        batch_op.drop_index(batch_op.f('ix_api_key_lookup'))

    op.drop_table('api_key')
    with op.batch_alter_table('outbox_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_entry_record_id'))
        batch_op.drop_index('ix_outbox_entry_pending')

    op.drop_table('outbox_entry')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_name'))

    op.drop_table('organisation')

