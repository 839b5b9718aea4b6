"""lean tracking-event indexes: none on event type or container number, partial ones on vessel, booking, bill

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-21

Every index is paid on every event insert. The event type index served no query worth it (four values);
queries by container number use the container's id; vessel, booking and bill references are empty on most
terminal events, so their indexes leave NULL out.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_PARTIAL = {
    'ix_tracking_event_vessel_port': (['vessel_imo', 'un_location_code', 'event_datetime'], 'vessel_imo'),
    'ix_tracking_event_booking_reference': (['booking_reference'], 'booking_reference'),
    'ix_tracking_event_transport_document_reference': (
        ['transport_document_reference'],
        'transport_document_reference',
    ),
}


def upgrade() -> None:
    op.drop_index('ix_tracking_event_event_type', table_name='tracking_event')
    op.drop_index('ix_tracking_event_equipment_reference', table_name='tracking_event')
    for name, (columns, column) in _PARTIAL.items():
        op.drop_index(name, table_name='tracking_event')
        where = sa.text(f'{column} IS NOT NULL')
        op.create_index(name, 'tracking_event', columns, sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, (columns, _column) in _PARTIAL.items():
        op.drop_index(name, table_name='tracking_event')
        op.create_index(name, 'tracking_event', columns)
    op.create_index('ix_tracking_event_equipment_reference', 'tracking_event', ['equipment_reference'])
    op.create_index('ix_tracking_event_event_type', 'tracking_event', ['event_type'])
