"""event push

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('event_subscription',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('callback_url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('secret', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('deleted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_event_subscription_owner_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_subscription'))
    )
    with op.batch_alter_table('event_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_subscription_owner_org_id'), ['owner_org_id'], unique=False)

    op.create_table('event_delivery',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subscription_id', sa.Uuid(), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('lease_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('delivered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['tracking_event.id'], name=op.f('fk_event_delivery_event_id_tracking_event')),
    sa.ForeignKeyConstraint(['subscription_id'], ['event_subscription.id'], name=op.f('fk_event_delivery_subscription_id_event_subscription')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_delivery')),
    sa.UniqueConstraint('subscription_id', 'event_id', name=op.f('uq_event_delivery_subscription_id_event_id'))
    )
    with op.batch_alter_table('event_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_event_delivery_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_delivery_subscription_id'), ['subscription_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('event_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_delivery_subscription_id'))
        batch_op.drop_index('ix_event_delivery_due')

    op.drop_table('event_delivery')
    with op.batch_alter_table('event_subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_subscription_owner_org_id'))

    op.drop_table('event_subscription')

