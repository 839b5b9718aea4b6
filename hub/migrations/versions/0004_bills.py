"""bills

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('bill',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=35), nullable=False),
    sa.Column('negotiable', sa.Boolean(), nullable=False),
    sa.Column('state', sa.Enum('DRAFT', 'ISSUED', 'IN_TRANSIT', 'DELIVERED', 'SURRENDERED', 'VOID', name='billstate', native_enum=False, length=12), nullable=False),
    sa.Column('shipper_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('shipper_org_id', sa.Uuid(), nullable=True),
    sa.Column('consignee_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('consignee_org_id', sa.Uuid(), nullable=True),
    sa.Column('notify_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('notify_org_id', sa.Uuid(), nullable=True),
    sa.Column('place_of_receipt', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
    sa.Column('place_of_delivery', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
    sa.Column('holder_org_id', sa.Uuid(), nullable=True),
    sa.Column('blank_endorsed', sa.Boolean(), nullable=False),
    sa.Column('surrender_pending', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('issued_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['consignee_org_id'], ['organisation.id'], name=op.f('fk_bill_consignee_org_id_organisation')),
    sa.ForeignKeyConstraint(['holder_org_id'], ['organisation.id'], name=op.f('fk_bill_holder_org_id_organisation')),
    sa.ForeignKeyConstraint(['notify_org_id'], ['organisation.id'], name=op.f('fk_bill_notify_org_id_organisation')),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_bill_owner_org_id_organisation')),
    sa.ForeignKeyConstraint(['shipper_org_id'], ['organisation.id'], name=op.f('fk_bill_shipper_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bill')),
    sa.UniqueConstraint('number', name=op.f('uq_bill_number'))
    )
    with op.batch_alter_table('bill', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bill_consignee_org_id'), ['consignee_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bill_holder_org_id'), ['holder_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bill_notify_org_id'), ['notify_org_id'], unique=False)
        batch_op.create_index('ix_bill_owner_created', ['owner_org_id', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bill_shipper_org_id'), ['shipper_org_id'], unique=False)

    op.create_table('bill_cargo_line',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('bill_id', sa.Uuid(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('hs_code', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('packages', sa.Integer(), nullable=False),
    sa.Column('package_type', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('gross_weight_kg', hub.db.Money(length=32), nullable=False),
    sa.Column('value', hub.db.Money(length=32), nullable=True),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
    sa.Column('container_number', sqlmodel.sql.sqltypes.AutoString(length=11), nullable=True),
    sa.ForeignKeyConstraint(['bill_id'], ['bill.id'], name=op.f('fk_bill_cargo_line_bill_id_bill')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bill_cargo_line')),
    sa.UniqueConstraint('bill_id', 'sequence', name=op.f('uq_bill_cargo_line_bill_id_sequence'))
    )
    with op.batch_alter_table('bill_cargo_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bill_cargo_line_bill_id'), ['bill_id'], unique=False)

    op.create_table('bill_container',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('bill_id', sa.Uuid(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=11), nullable=False),
    sa.Column('check_digit_valid', sa.Boolean(), nullable=False),
    sa.Column('iso_size_type', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.Column('seals', sa.JSON(), nullable=False),
    sa.Column('gross_weight_kg', hub.db.Money(length=32), nullable=True),
    sa.Column('tare_weight_kg', hub.db.Money(length=32), nullable=True),
    sa.ForeignKeyConstraint(['bill_id'], ['bill.id'], name=op.f('fk_bill_container_bill_id_bill')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bill_container')),
    sa.UniqueConstraint('bill_id', 'number', name=op.f('uq_bill_container_bill_id_number'))
    )
    with op.batch_alter_table('bill_container', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bill_container_bill_id'), ['bill_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bill_container_number'), ['number'], unique=False)

    op.create_table('bill_leg',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('bill_id', sa.Uuid(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('from_locode', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('to_locode', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('carrier_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('carrier_org_id', sa.Uuid(), nullable=True),
    sa.Column('vessel_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('voyage', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('vehicle_reference', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('planned_departure', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('planned_arrival', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('actual_departure', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('actual_arrival', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['bill_id'], ['bill.id'], name=op.f('fk_bill_leg_bill_id_bill')),
    sa.ForeignKeyConstraint(['carrier_org_id'], ['organisation.id'], name=op.f('fk_bill_leg_carrier_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bill_leg')),
    sa.UniqueConstraint('bill_id', 'sequence', name=op.f('uq_bill_leg_bill_id_sequence'))
    )
    with op.batch_alter_table('bill_leg', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bill_leg_bill_id'), ['bill_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bill_leg_carrier_org_id'), ['carrier_org_id'], unique=False)

    op.create_table('bill_title_entry',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('bill_id', sa.Uuid(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('action', sa.Enum('ISSUE', 'ENDORSE', 'BLANK_ENDORSE', 'TRANSFER', 'SURRENDER_REQUESTED', 'SURRENDER_ACCEPTED', 'SURRENDER_REJECTED', name='titleaction', native_enum=False, length=20), nullable=False),
    sa.Column('by_org_id', sa.Uuid(), nullable=False),
    sa.Column('to_org_id', sa.Uuid(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('chain_tx_hash', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True),
    sa.Column('extra', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['bill_id'], ['bill.id'], name=op.f('fk_bill_title_entry_bill_id_bill')),
    sa.ForeignKeyConstraint(['by_org_id'], ['organisation.id'], name=op.f('fk_bill_title_entry_by_org_id_organisation')),
    sa.ForeignKeyConstraint(['to_org_id'], ['organisation.id'], name=op.f('fk_bill_title_entry_to_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bill_title_entry')),
    sa.UniqueConstraint('bill_id', 'sequence', name=op.f('uq_bill_title_entry_bill_id_sequence'))
    )
    with op.batch_alter_table('bill_title_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bill_title_entry_bill_id'), ['bill_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('bill_title_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bill_title_entry_bill_id'))

    op.drop_table('bill_title_entry')
    with op.batch_alter_table('bill_leg', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bill_leg_carrier_org_id'))
        batch_op.drop_index(batch_op.f('ix_bill_leg_bill_id'))

    op.drop_table('bill_leg')
    with op.batch_alter_table('bill_container', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bill_container_number'))
        batch_op.drop_index(batch_op.f('ix_bill_container_bill_id'))

    op.drop_table('bill_container')
    with op.batch_alter_table('bill_cargo_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bill_cargo_line_bill_id'))

    op.drop_table('bill_cargo_line')
    with op.batch_alter_table('bill', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bill_shipper_org_id'))
        batch_op.drop_index('ix_bill_owner_created')
        batch_op.drop_index(batch_op.f('ix_bill_notify_org_id'))
        batch_op.drop_index(batch_op.f('ix_bill_holder_org_id'))
        batch_op.drop_index(batch_op.f('ix_bill_consignee_org_id'))

    op.drop_table('bill')

