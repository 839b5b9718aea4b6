"""title sync

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('bill_title_sync',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bill_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('issuer_org_id', sa.Uuid(), nullable=False),
    sa.Column('holder_org_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('blank_endorsed', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('synced_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('tx_hash', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['bill_id'], ['bill.id'], name=op.f('fk_bill_title_sync_bill_id_bill')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bill_title_sync')),
    sa.UniqueConstraint('bill_id', 'version', name=op.f('uq_bill_title_sync_bill_id_version'))
    )
    with op.batch_alter_table('bill_title_sync', schema=None) as batch_op:
        batch_op.create_index('ix_bill_title_sync_pending', ['synced_at', 'id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('bill_title_sync', schema=None) as batch_op:
        batch_op.drop_index('ix_bill_title_sync_pending')

    op.drop_table('bill_title_sync')

