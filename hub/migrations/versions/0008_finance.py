"""supply-chain finance: receivables

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('receivable',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('creditor_code', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('creditor_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('debtor_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('debtor_code', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=True),
    sa.Column('invoice_number', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('blinded_id', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
    sa.Column('amount', hub.db.Money(length=32), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('issue_date', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('REGISTERED', 'PLEDGED', 'REPAID', 'SETTLED', name='receivablestatus', native_enum=False, length=12), nullable=False),
    sa.Column('lender_org_id', sa.Uuid(), nullable=True),
    sa.Column('history', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['lender_org_id'], ['organisation.id'], name=op.f('fk_receivable_lender_org_id_organisation')),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_receivable_owner_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receivable')),
    sa.UniqueConstraint('blinded_id', name=op.f('uq_receivable_blinded_id'))
    )
    with op.batch_alter_table('receivable', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receivable_lender_org_id'), ['lender_org_id'], unique=False)
        batch_op.create_index('ix_receivable_owner_created', ['owner_org_id', 'created_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('receivable', schema=None) as batch_op:
        batch_op.drop_index('ix_receivable_owner_created')
        batch_op.drop_index(batch_op.f('ix_receivable_lender_org_id'))

    op.drop_table('receivable')
