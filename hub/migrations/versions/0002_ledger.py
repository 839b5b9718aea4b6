"""ledger

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import json
import uuid

import sqlalchemy as sa
import sqlmodel
from alembic import op

from hub.canonical import canonical_json, envelope, keccak

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('anchor_batch',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), sa.Identity(always=False), nullable=False),
    sa.Column('state', sa.Enum('SEALED', 'SUBMITTED', 'ANCHORED', name='batchstate', native_enum=False, length=10), nullable=False),
    sa.Column('root', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True),
    sa.Column('record_count', sa.Integer(), nullable=False),
    sa.Column('tree', sa.LargeBinary(), nullable=True),
    sa.Column('chain_id', sa.BigInteger(), nullable=True),
    sa.Column('contract', sqlmodel.sql.sqltypes.AutoString(length=42), nullable=True),
    sa.Column('tx_hash', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True),
    sa.Column('block_number', sa.BigInteger(), nullable=True),
    sa.Column('anchored_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('lease_owner', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('lease_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_anchor_batch')),
    sa.UniqueConstraint('root', name=op.f('uq_anchor_batch_root'))
    )
    op.create_table('chain_contract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chain_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=42), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chain_contract')),
    sa.UniqueConstraint('chain_id', 'name', name=op.f('uq_chain_contract_chain_id_name'))
    )
    with op.batch_alter_table('outbox_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('record_hash', sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True))
        batch_op.add_column(sa.Column('document', sa.Text(), nullable=True))
    # Entries written before this revision: their canonical document and hash, from the content they recorded.
    # (The canonical form is a fixed contract, so using today's code for it here is safe.)
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, record_kind, record_id, version, payload FROM outbox_entry")).all()
    for row in rows:
        payload = row.payload if isinstance(row.payload, dict) else json.loads(row.payload)
        document = canonical_json(envelope(row.record_kind, uuid.UUID(str(row.record_id)), row.version, payload))
        conn.execute(
            sa.text("UPDATE outbox_entry SET record_hash = :h, document = :d WHERE id = :i"),
            {"h": "0x" + keccak(document).hex(), "d": document.decode(), "i": row.id},
        )
    with op.batch_alter_table('outbox_entry', schema=None) as batch_op:
        batch_op.alter_column('record_hash', existing_type=sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False)
        batch_op.alter_column('document', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('payload')
        batch_op.add_column(sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.drop_index(batch_op.f('ix_outbox_entry_pending'))
        batch_op.drop_index(batch_op.f('ix_outbox_entry_record_id'))
        batch_op.create_index('ix_outbox_entry_batch', ['batch_id', 'id'], unique=False)
        batch_op.create_index('ix_outbox_entry_record', ['record_kind', 'record_id', 'version'], unique=True)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_entry_batch_id_anchor_batch'), 'anchor_batch', ['batch_id'], ['id'])
        batch_op.drop_column('anchored_at')


def downgrade() -> None:
    with op.batch_alter_table('outbox_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anchored_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('payload', sa.JSON(), nullable=True))
        batch_op.drop_constraint(batch_op.f('fk_outbox_entry_batch_id_anchor_batch'), type_='foreignkey')
        batch_op.drop_index('ix_outbox_entry_record')
        batch_op.drop_index('ix_outbox_entry_batch')
        batch_op.create_index(batch_op.f('ix_outbox_entry_record_id'), ['record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_entry_pending'), ['anchored_at', 'id'], unique=False)
        batch_op.drop_column('batch_id')
        batch_op.drop_column('record_hash')
    conn = op.get_bind()
    for row in conn.execute(sa.text("SELECT id, document FROM outbox_entry")).all():
        conn.execute(sa.text("UPDATE outbox_entry SET payload = :p WHERE id = :i"),
                     {"p": json.dumps(json.loads(row.document)["record"]), "i": row.id})
    with op.batch_alter_table('outbox_entry', schema=None) as batch_op:
        batch_op.alter_column('payload', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('document')

    op.drop_table('chain_contract')
    op.drop_table('anchor_batch')

