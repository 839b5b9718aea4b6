"""tracking

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import hub.db

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('container',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=11), nullable=False),
    sa.Column('check_digit_valid', sa.Boolean(), nullable=False),
    sa.Column('iso_size_type', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_container'))
    )
    with op.batch_alter_table('container', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_container_number'), ['number'], unique=True)

    op.create_table('ingested_message',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('format', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('message_type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('events_new', sa.Integer(), nullable=False),
    sa.Column('events_duplicate', sa.Integer(), nullable=False),
    sa.Column('events_updated', sa.Integer(), nullable=False),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], name=op.f('fk_ingested_message_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ingested_message'))
    )
    with op.batch_alter_table('ingested_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ingested_message_org_id'), ['org_id'], unique=False)

    op.create_table('tracking_event',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('source_key', sa.String(length=600), nullable=False),
    sa.Column('source_format', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('message_type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('event_type', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('classifier', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('type_code', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.Column('event_datetime', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('event_created_datetime', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('source_updated_datetime', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('container_id', sa.Uuid(), nullable=True),
    sa.Column('equipment_reference', sqlmodel.sql.sqltypes.AutoString(length=11), nullable=True),
    sa.Column('iso_equipment_code', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
    sa.Column('empty_indicator', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
    sa.Column('movement_type', sqlmodel.sql.sqltypes.AutoString(length=15), nullable=True),
    sa.Column('un_location_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
    sa.Column('facility_code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('facility_provider', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('location_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('mode_of_transport', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('transport_call_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('vessel_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('vessel_imo', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('vessel_call_sign', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('carrier_code', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('carrier_service_code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('export_voyage', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('import_voyage', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('vehicle_reference', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('booking_reference', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('transport_document_reference', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('document_type_code', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
    sa.Column('seals', sa.JSON(), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['container_id'], ['container.id'], name=op.f('fk_tracking_event_container_id_container')),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_tracking_event_owner_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracking_event')),
    sa.UniqueConstraint('source_key', name=op.f('uq_tracking_event_source_key'))
    )
    with op.batch_alter_table('tracking_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tracking_event_booking_reference'), ['booking_reference'], unique=False)
        batch_op.create_index('ix_tracking_event_container_time', ['container_id', 'event_datetime'], unique=False)
        batch_op.create_index('ix_tracking_event_created', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tracking_event_equipment_reference'), ['equipment_reference'], unique=False)
        batch_op.create_index(batch_op.f('ix_tracking_event_event_type'), ['event_type'], unique=False)
        batch_op.create_index('ix_tracking_event_owner_created', ['owner_org_id', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tracking_event_transport_document_reference'), ['transport_document_reference'], unique=False)
        batch_op.create_index(batch_op.f('ix_tracking_event_un_location_code'), ['un_location_code'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('tracking_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tracking_event_un_location_code'))
        batch_op.drop_index(batch_op.f('ix_tracking_event_transport_document_reference'))
        batch_op.drop_index('ix_tracking_event_owner_created')
        batch_op.drop_index(batch_op.f('ix_tracking_event_event_type'))
        batch_op.drop_index(batch_op.f('ix_tracking_event_equipment_reference'))
        batch_op.drop_index('ix_tracking_event_created')
        batch_op.drop_index('ix_tracking_event_container_time')
        batch_op.drop_index(batch_op.f('ix_tracking_event_booking_reference'))

    op.drop_table('tracking_event')
    with op.batch_alter_table('ingested_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ingested_message_org_id'))

    op.drop_table('ingested_message')
    with op.batch_alter_table('container', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_container_number'))

    op.drop_table('container')

