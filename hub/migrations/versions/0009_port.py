"""customs declarations and decisions, holds, yard positions, vessels and port calls; organisation ports

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('container_position',
    sa.Column('container_number', sqlmodel.sql.sqltypes.AutoString(length=11), nullable=False),
    sa.Column('un_location_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
    sa.Column('facility_code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('in_yard', sa.Boolean(), nullable=False),
    sa.Column('since', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_type_code', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.Column('last_event_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('empty', sa.Boolean(), nullable=True),
    sa.PrimaryKeyConstraint('container_number', name=op.f('pk_container_position'))
    )
    with op.batch_alter_table('container_position', schema=None) as batch_op:
        batch_op.create_index('ix_container_position_yard', ['un_location_code', 'in_yard', 'since'], unique=False)

    op.create_table('vessel',
    sa.Column('imo', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('imo_check_digit_valid', sa.Boolean(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('call_sign', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('mmsi', sqlmodel.sql.sqltypes.AutoString(length=9), nullable=True),
    sa.Column('operator_code', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('type_code', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
    sa.Column('length_m', sa.Float(), nullable=True),
    sa.Column('width_m', sa.Float(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('imo', name=op.f('pk_vessel'))
    )
    op.create_table('port_call',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('un_location_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('vessel_imo', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('port_visit_reference', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('jit_port_call_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('transport_call_reference', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('carrier_service_code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('import_voyage', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('export_voyage', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('terminal_code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('berth', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('status_code', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('eta', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('etb', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('etd', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('ata', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('atb', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('atd', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_port_call_owner_org_id_organisation')),
    sa.ForeignKeyConstraint(['vessel_imo'], ['vessel.imo'], name=op.f('fk_port_call_vessel_imo_vessel')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_port_call')),
    sa.UniqueConstraint('un_location_code', 'vessel_imo', 'port_visit_reference', name=op.f('uq_port_call_un_location_code_vessel_imo_port_visit_reference'))
    )
    with op.batch_alter_table('port_call', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_port_call_jit_port_call_id'), ['jit_port_call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_port_call_transport_call_reference'), ['transport_call_reference'], unique=False)
        batch_op.create_index('ix_port_call_window', ['un_location_code', 'eta'], unique=False)

    op.create_table('customs_declaration',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('direction', sa.Enum('EXPORT', 'IMPORT', name='direction', native_enum=False), nullable=False),
    sa.Column('customs_code', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
    sa.Column('trader_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('trader_uscc', sqlmodel.sql.sqltypes.AutoString(length=18), nullable=True),
    sa.Column('bill_id', sa.Uuid(), nullable=True),
    sa.Column('bill_number', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('vessel_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('voyage', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('un_location_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
    sa.Column('containers', sa.JSON(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('sources', sa.JSON(), nullable=False),
    sa.Column('state', sa.Enum('DRAFT', 'SUBMITTED', 'ACCEPTED', 'INSPECTION', 'RELEASED', 'REJECTED', 'CANCELLED', name='declarationstate', native_enum=False, length=12), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('customs_number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['bill_id'], ['bill.id'], name=op.f('fk_customs_declaration_bill_id_bill')),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_customs_declaration_owner_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customs_declaration'))
    )
    with op.batch_alter_table('customs_declaration', schema=None) as batch_op:
        batch_op.create_index('ix_customs_declaration_district_created', ['customs_code', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_customs_declaration_owner_created', ['owner_org_id', 'created_at', 'id'], unique=False)

    op.create_table('customs_decision',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('declaration_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.Enum('ACCEPT', 'INSPECT', 'SCAN', 'HOLD', 'RELEASE', 'REJECT', name='decisionkind', native_enum=False, length=8), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('containers', sa.JSON(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('source_reference', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['declaration_id'], ['customs_declaration.id'], name=op.f('fk_customs_decision_declaration_id_customs_declaration')),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_customs_decision_owner_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customs_decision'))
    )
    with op.batch_alter_table('customs_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customs_decision_declaration_id'), ['declaration_id'], unique=False)

    op.create_table('customs_declaration_container',
    sa.Column('declaration_id', sa.Uuid(), nullable=False),
    sa.Column('container_number', sqlmodel.sql.sqltypes.AutoString(length=11), nullable=False),
    sa.ForeignKeyConstraint(['declaration_id'], ['customs_declaration.id'], name=op.f('fk_customs_declaration_container_declaration_id_customs_declaration')),
    sa.PrimaryKeyConstraint('declaration_id', 'container_number', name=op.f('pk_customs_declaration_container'))
    )
    with op.batch_alter_table('customs_declaration_container', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customs_declaration_container_container_number'), ['container_number'], unique=False)

    op.create_table('container_hold',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('container_number', sqlmodel.sql.sqltypes.AutoString(length=11), nullable=False),
    sa.Column('un_location_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('kind', sa.Enum('ACCEPT', 'INSPECT', 'SCAN', 'HOLD', 'RELEASE', 'REJECT', name='decisionkind', native_enum=False, length=8), nullable=False),
    sa.Column('declaration_id', sa.Uuid(), nullable=False),
    sa.Column('placed_by_decision_id', sa.Uuid(), nullable=False),
    sa.Column('placed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('released_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['declaration_id'], ['customs_declaration.id'], name=op.f('fk_container_hold_declaration_id_customs_declaration')),
    sa.ForeignKeyConstraint(['placed_by_decision_id'], ['customs_decision.id'], name=op.f('fk_container_hold_placed_by_decision_id_customs_decision')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_container_hold'))
    )
    with op.batch_alter_table('container_hold', schema=None) as batch_op:
        batch_op.create_index('ix_container_hold_active', ['released_at', 'un_location_code', 'placed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_container_hold_container_number'), ['container_number'], unique=False)

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('port_locode', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True))

    with op.batch_alter_table('tracking_event', schema=None) as batch_op:
        batch_op.create_index('ix_tracking_event_vessel_port', ['vessel_imo', 'un_location_code', 'event_datetime'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('tracking_event', schema=None) as batch_op:
        batch_op.drop_index('ix_tracking_event_vessel_port')

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('port_locode')

    with op.batch_alter_table('container_hold', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_container_hold_container_number'))
        batch_op.drop_index('ix_container_hold_active')

    op.drop_table('container_hold')
    with op.batch_alter_table('customs_declaration_container', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customs_declaration_container_container_number'))

    op.drop_table('customs_declaration_container')
    with op.batch_alter_table('customs_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customs_decision_declaration_id'))

    op.drop_table('customs_decision')
    with op.batch_alter_table('customs_declaration', schema=None) as batch_op:
        batch_op.drop_index('ix_customs_declaration_owner_created')
        batch_op.drop_index('ix_customs_declaration_district_created')

    op.drop_table('customs_declaration')
    with op.batch_alter_table('port_call', schema=None) as batch_op:
        batch_op.drop_index('ix_port_call_window')
        batch_op.drop_index(batch_op.f('ix_port_call_transport_call_reference'))
        batch_op.drop_index(batch_op.f('ix_port_call_jit_port_call_id'))

    op.drop_table('port_call')
    op.drop_table('vessel')
    with op.batch_alter_table('container_position', schema=None) as batch_op:
        batch_op.drop_index('ix_container_position_yard')

    op.drop_table('container_position')
