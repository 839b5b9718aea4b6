"""DCSA PINT: titles that cross to other eBL platforms

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07

A bill remembers the platform that issued it (when it came from another one) and the platform its title
is on while away. ``pint_title`` keeps the transport document as it first crossed and the envelope
transfer chain; ``pint_transfer`` each envelope sent or received with its signed answer;
``pint_document`` the additional documents by checksum.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pint_title',
    sa.Column('bill_id', sa.Uuid(), nullable=False),
    sa.Column('document_checksum', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('transport_document', sa.JSON(), nullable=False),
    sa.Column('chain', sa.JSON(), nullable=False),
    sa.Column('steps_in_chain', sa.Integer(), nullable=False),
    sa.Column('remote_party', sa.JSON(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['bill_id'], ['bill.id'], name=op.f('fk_pint_title_bill_id_bill')),
    sa.PrimaryKeyConstraint('bill_id', name=op.f('pk_pint_title')),
    sa.UniqueConstraint('document_checksum', name=op.f('uq_pint_title_document_checksum'))
    )
    op.create_table('pint_transfer',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('direction', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('envelope_reference', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('peer', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.Column('bill_id', sa.Uuid(), nullable=True),
    sa.Column('document_checksum', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('last_entry_checksum', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('envelope', sa.JSON(), nullable=False),
    sa.Column('documents', sa.JSON(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('response_code', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('signed_response', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('finished_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['bill_id'], ['bill.id'], name=op.f('fk_pint_transfer_bill_id_bill')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pint_transfer')),
    sa.UniqueConstraint('direction', 'last_entry_checksum', name=op.f('uq_pint_transfer_direction_last_entry_checksum')),
    sa.UniqueConstraint('envelope_reference', name=op.f('uq_pint_transfer_envelope_reference'))
    )
    with op.batch_alter_table('pint_transfer', schema=None) as batch_op:
        batch_op.create_index('ix_pint_transfer_bill', ['bill_id', 'created_at'], unique=False)

    op.create_table('pint_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Uuid(), nullable=False),
    sa.Column('checksum', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('media_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['transfer_id'], ['pint_transfer.id'], name=op.f('fk_pint_document_transfer_id_pint_transfer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pint_document')),
    sa.UniqueConstraint('transfer_id', 'checksum', name=op.f('uq_pint_document_transfer_id_checksum'))
    )
    with op.batch_alter_table('pint_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pint_document_transfer_id'), ['transfer_id'], unique=False)

    with op.batch_alter_table('bill', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin_platform', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True))
        batch_op.add_column(sa.Column('title_platform', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('bill', schema=None) as batch_op:
        batch_op.drop_column('title_platform')
        batch_op.drop_column('origin_platform')

    with op.batch_alter_table('pint_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pint_document_transfer_id'))

    op.drop_table('pint_document')
    with op.batch_alter_table('pint_transfer', schema=None) as batch_op:
        batch_op.drop_index('ix_pint_transfer_bill')

    op.drop_table('pint_transfer')
    op.drop_table('pint_title')
