"""cross-border e-commerce: orders, payments, waybills, inventory lists, buyer quotas; organisation customs codes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ceb_buyer_quota',
    sa.Column('buyer_id_number', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('used', hub.db.Money(length=32), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('buyer_id_number', 'year', name=op.f('pk_ceb_buyer_quota'))
    )
    op.create_table('ceb_order',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('ebp_code', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('ebc_code', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('order_no', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('buyer_id_number', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('head', sa.JSON(), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('match_status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('match_problems', sa.JSON(), nullable=False),
    sa.Column('customs_value', hub.db.Money(length=32), nullable=False),
    sa.Column('limit_status', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('tax', sa.JSON(), nullable=False),
    sa.Column('customs_status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('customs_info', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_ceb_order_owner_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ceb_order')),
    sa.UniqueConstraint('ebp_code', 'order_no', name=op.f('uq_ceb_order_ebp_code_order_no'))
    )
    with op.batch_alter_table('ceb_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ceb_order_match_status'), ['match_status'], unique=False)
        batch_op.create_index('ix_ceb_order_order_no', ['order_no'], unique=False)
        batch_op.create_index('ix_ceb_order_owner_created', ['owner_org_id', 'created_at', 'id'], unique=False)

    op.create_table('ceb_outbound_message',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
    sa.Column('guid', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('xml', sa.Text(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_ceb_outbound_message_owner_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ceb_outbound_message'))
    )
    with op.batch_alter_table('ceb_outbound_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ceb_outbound_message_owner_org_id'), ['owner_org_id'], unique=False)

    op.create_table('ceb_payment',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('pay_code', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('pay_transaction_id', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('ebp_code', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('order_no', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('head', sa.JSON(), nullable=False),
    sa.Column('customs_status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('customs_info', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_ceb_payment_owner_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ceb_payment')),
    sa.UniqueConstraint('pay_code', 'pay_transaction_id', name=op.f('uq_ceb_payment_pay_code_pay_transaction_id'))
    )
    with op.batch_alter_table('ceb_payment', schema=None) as batch_op:
        batch_op.create_index('ix_ceb_payment_order', ['ebp_code', 'order_no'], unique=False)
        batch_op.create_index(batch_op.f('ix_ceb_payment_owner_org_id'), ['owner_org_id'], unique=False)

    op.create_table('ceb_waybill',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('logistics_code', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('logistics_no', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('order_no', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('bill_no', sqlmodel.sql.sqltypes.AutoString(length=37), nullable=True),
    sa.Column('container_number', sqlmodel.sql.sqltypes.AutoString(length=11), nullable=True),
    sa.Column('head', sa.JSON(), nullable=False),
    sa.Column('customs_status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('customs_info', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_ceb_waybill_owner_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ceb_waybill')),
    sa.UniqueConstraint('logistics_code', 'logistics_no', name=op.f('uq_ceb_waybill_logistics_code_logistics_no'))
    )
    with op.batch_alter_table('ceb_waybill', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ceb_waybill_order_no'), ['order_no'], unique=False)
        batch_op.create_index(batch_op.f('ix_ceb_waybill_owner_org_id'), ['owner_org_id'], unique=False)

    op.create_table('ceb_inventory',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('waybill_id', sa.Uuid(), nullable=False),
    sa.Column('bill_id', sa.Uuid(), nullable=True),
    sa.Column('container_number', sqlmodel.sql.sqltypes.AutoString(length=11), nullable=True),
    sa.Column('cop_no', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('ebp_code', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
    sa.Column('customs_code', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.Column('status', sa.Enum('DRAFT', 'SUBMITTED', 'STORED', 'DECLARING', 'SEND_FAILED', 'REJECTED', 'MANUAL_REVIEW', 'ACCEPTED', 'INSPECTION', 'DETAINED', 'RETURNED', 'RELEASED', 'CLEARED', name='inventorystatus', native_enum=False, length=16), nullable=False),
    sa.Column('pre_no', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=True),
    sa.Column('invt_no', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=True),
    sa.Column('head', sa.JSON(), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('receipts', sa.JSON(), nullable=False),
    sa.Column('message_id', sa.Uuid(), nullable=True),
    sa.Column('quota_year', sa.Integer(), nullable=False),
    sa.Column('quota_amount', hub.db.Money(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['bill_id'], ['bill.id'], name=op.f('fk_ceb_inventory_bill_id_bill')),
    sa.ForeignKeyConstraint(['message_id'], ['ceb_outbound_message.id'], name=op.f('fk_ceb_inventory_message_id_ceb_outbound_message')),
    sa.ForeignKeyConstraint(['order_id'], ['ceb_order.id'], name=op.f('fk_ceb_inventory_order_id_ceb_order')),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_ceb_inventory_owner_org_id_organisation')),
    sa.ForeignKeyConstraint(['waybill_id'], ['ceb_waybill.id'], name=op.f('fk_ceb_inventory_waybill_id_ceb_waybill')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ceb_inventory')),
    sa.UniqueConstraint('cop_no', name=op.f('uq_ceb_inventory_cop_no')),
    sa.UniqueConstraint('order_id', name=op.f('uq_ceb_inventory_order_id'))
    )
    with op.batch_alter_table('ceb_inventory', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ceb_inventory_customs_code'), ['customs_code'], unique=False)
        batch_op.create_index('ix_ceb_inventory_owner_created', ['owner_org_id', 'created_at', 'id'], unique=False)

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('customs_code', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_organisation_customs_code'), ['customs_code'])



def downgrade() -> None:
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_organisation_customs_code'), type_='unique')
        batch_op.drop_column('customs_code')

    with op.batch_alter_table('ceb_inventory', schema=None) as batch_op:
        batch_op.drop_index('ix_ceb_inventory_owner_created')
        batch_op.drop_index(batch_op.f('ix_ceb_inventory_customs_code'))

    op.drop_table('ceb_inventory')
    with op.batch_alter_table('ceb_waybill', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ceb_waybill_owner_org_id'))
        batch_op.drop_index(batch_op.f('ix_ceb_waybill_order_no'))

    op.drop_table('ceb_waybill')
    with op.batch_alter_table('ceb_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ceb_payment_owner_org_id'))
        batch_op.drop_index('ix_ceb_payment_order')

    op.drop_table('ceb_payment')
    with op.batch_alter_table('ceb_outbound_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ceb_outbound_message_owner_org_id'))

    op.drop_table('ceb_outbound_message')
    with op.batch_alter_table('ceb_order', schema=None) as batch_op:
        batch_op.drop_index('ix_ceb_order_owner_created')
        batch_op.drop_index('ix_ceb_order_order_no')
        batch_op.drop_index(batch_op.f('ix_ceb_order_match_status'))

    op.drop_table('ceb_order')
    op.drop_table('ceb_buyer_quota')
