"""finance follows the goods: disbursement conditions, repayment after delivery, the title as collateral,
finance webhooks, DCSA 3.0 event subscriptions,
OpenAttestation exports

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

A pledge may now carry the logistics events its money waits for (loaded, released by customs, gated out
at destination), repayment a number of days after delivery, and the bill whose title the lender holds.
Existing receivables have none of these: their money was disbursed at the pledge.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('receivable', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conditions', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('repay_days_after_delivery', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('disbursed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('delivered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('repayment_due', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('awaiting', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('title_bill_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_receivable_awaiting'), ['awaiting'], unique=False)
        batch_op.create_index(batch_op.f('ix_receivable_title_bill_id'), ['title_bill_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_receivable_title_bill_id_bill'), 'bill', ['title_bill_id'], ['id']
        )
    op.create_table('finance_hook',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('callback_url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('secret', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('deleted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_finance_hook_owner_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finance_hook'))
    )
    op.create_index(op.f('ix_finance_hook_owner_org_id'), 'finance_hook', ['owner_org_id'], unique=False)
    op.create_table('finance_notice',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subscription_id', sa.Uuid(), nullable=False),
    sa.Column('receivable_id', sa.Uuid(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('lease_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('delivered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['receivable_id'], ['receivable.id'], name=op.f('fk_finance_notice_receivable_id_receivable')),
    sa.ForeignKeyConstraint(['subscription_id'], ['finance_hook.id'], name=op.f('fk_finance_notice_subscription_id_finance_hook')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finance_notice'))
    )
    op.create_index('ix_finance_notice_due', 'finance_notice', ['state', 'next_attempt_at'], unique=False)
    op.create_index(op.f('ix_finance_notice_subscription_id'), 'finance_notice', ['subscription_id'], unique=False)
    with op.batch_alter_table('event_subscription', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('api_version', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False, server_default='2.2.0')
        )
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
    # A pledge made before conditions existed disbursed at once.
    op.execute("UPDATE receivable SET disbursed_at = updated_at WHERE status = 'PLEDGED'")


def downgrade() -> None:
    op.drop_table('document_export')
    with op.batch_alter_table('event_subscription', schema=None) as batch_op:
        batch_op.drop_column('api_version')
    op.drop_table('finance_notice')
    op.drop_table('finance_hook')
    with op.batch_alter_table('receivable', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_receivable_title_bill_id_bill'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_receivable_title_bill_id'))
        batch_op.drop_index(batch_op.f('ix_receivable_awaiting'))
        for column in (
            'title_bill_id',
            'awaiting',
            'repayment_due',
            'delivered_at',
            'disbursed_at',
            'repay_days_after_delivery',
            'conditions',
        ):
            batch_op.drop_column(column)
