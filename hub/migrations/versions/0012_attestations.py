"""OpenAttestation exports of any exportable record, issued exactly once per batch

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

Exports were of trade documents only and issued in the request that wrapped them. They are now of
documents, bills, inventory lists and receivables' evidence bundles, stored with their batch's root
before the root is issued, and marked issued after (``hub/attestations.py``). Every existing export was
issued in its request, so each becomes an issued attestation of a document.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attestation',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('record_kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('wrapped', sa.JSON(), nullable=False),
    sa.Column('target_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('merkle_root', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('issued_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_attestation_owner_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attestation')),
    sa.UniqueConstraint('record_kind', 'record_id', 'version', name=op.f('uq_attestation_record_kind_record_id_version'))
    )
    with op.batch_alter_table('attestation', schema=None) as batch_op:
        batch_op.create_index('ix_attestation_pending', ['issued_at', 'merkle_root'], unique=False)
    op.execute(
        "INSERT INTO attestation (id, record_kind, record_id, version, owner_org_id, wrapped, target_hash, "
        "merkle_root, issued_at, revoked_at, created_at) "
        "SELECT e.id, 'document', e.document_id, e.version, d.owner_org_id, e.wrapped, e.target_hash, "
        "e.merkle_root, e.created_at, e.revoked_at, e.created_at "
        "FROM document_export e JOIN trade_document d ON d.id = e.document_id"
    )
    op.drop_table('document_export')


def downgrade() -> None:
    op.create_table('document_export',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('document_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('wrapped', sa.JSON(), nullable=False),
    sa.Column('target_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('merkle_root', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['trade_document.id'], name=op.f('fk_document_export_document_id_trade_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_export')),
    sa.UniqueConstraint('document_id', 'version', name=op.f('uq_document_export_document_id_version'))
    )
    op.execute(
        "INSERT INTO document_export (id, document_id, version, wrapped, target_hash, merkle_root, "
        "revoked_at, created_at) SELECT id, record_id, version, wrapped, target_hash, merkle_root, "
        "revoked_at, created_at FROM attestation WHERE record_kind = 'document' AND issued_at IS NOT NULL"
    )
    with op.batch_alter_table('attestation', schema=None) as batch_op:
        batch_op.drop_index('ix_attestation_pending')
    op.drop_table('attestation')
