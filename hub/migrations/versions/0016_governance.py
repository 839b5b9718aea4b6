"""Graded data governance: a share's class and purpose, transfer rules, the transfer and access logs

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

A share now grants its record up to a class (existing shares keep CORE: every field but personal
information, which from now on needs a stated purpose). ``transfer_rule`` holds what a regulator lets
cross the border, ``data_transfer`` each cross-border transfer (an anchored record kind), ``access_log``
who read a record's important, core or personal fields.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_table('access_log',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('record_kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('reader_org_id', sa.Uuid(), nullable=False),
    sa.Column('reader_key_id', sa.Uuid(), nullable=False),
    sa.Column('classes', sa.JSON(), nullable=False),
    sa.Column('via', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_log'))
    )
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_log_owner_org_id'), ['owner_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_log_reader_org_id'), ['reader_org_id'], unique=False)
        batch_op.create_index('ix_access_log_record', ['record_kind', 'record_id', 'created_at'], unique=False)

    op.create_table('transfer_rule',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('regulator_org_id', sa.Uuid(), nullable=False),
    sa.Column('destination_country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('record_kinds', sa.JSON(), nullable=False),
    sa.Column('max_class', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('personal', sa.Boolean(), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('sender_org_id', sa.Uuid(), nullable=True),
    sa.Column('valid_from', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('valid_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['regulator_org_id'], ['organisation.id'], name=op.f('fk_transfer_rule_regulator_org_id_organisation')),
    sa.ForeignKeyConstraint(['sender_org_id'], ['organisation.id'], name=op.f('fk_transfer_rule_sender_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_rule'))
    )
    with op.batch_alter_table('transfer_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_rule_destination_country'), ['destination_country'], unique=False)
        batch_op.create_index(batch_op.f('ix_transfer_rule_regulator_org_id'), ['regulator_org_id'], unique=False)

    op.create_table('data_transfer',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_org_id', sa.Uuid(), nullable=False),
    sa.Column('to_org_id', sa.Uuid(), nullable=False),
    sa.Column('to_country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('record_kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('record_ids', sa.JSON(), nullable=False),
    sa.Column('classes', sa.JSON(), nullable=False),
    sa.Column('rule_id', sa.Uuid(), nullable=True),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_data_transfer_owner_org_id_organisation')),
    sa.ForeignKeyConstraint(['rule_id'], ['transfer_rule.id'], name=op.f('fk_data_transfer_rule_id_transfer_rule')),
    sa.ForeignKeyConstraint(['to_org_id'], ['organisation.id'], name=op.f('fk_data_transfer_to_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_transfer'))
    )
    with op.batch_alter_table('data_transfer', schema=None) as batch_op:
        batch_op.create_index('ix_data_transfer_owner_created', ['owner_org_id', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_data_transfer_to_org_id'), ['to_org_id'], unique=False)

    with op.batch_alter_table('share', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_class', sqlmodel.sql.sqltypes.AutoString(length=10), server_default='CORE', nullable=False))
        batch_op.add_column(sa.Column('personal_purpose', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch_op.add_column(sa.Column('rule_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_share_rule_id_transfer_rule'), 'transfer_rule', ['rule_id'], ['id'])

def downgrade() -> None:
    with op.batch_alter_table('share', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_share_rule_id_transfer_rule'), type_='foreignkey')
        batch_op.drop_column('rule_id')
        batch_op.drop_column('personal_purpose')
        batch_op.drop_column('data_class')

    with op.batch_alter_table('data_transfer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_transfer_to_org_id'))
        batch_op.drop_index('ix_data_transfer_owner_created')

    op.drop_table('data_transfer')
    with op.batch_alter_table('transfer_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_rule_regulator_org_id'))
        batch_op.drop_index(batch_op.f('ix_transfer_rule_destination_country'))

    op.drop_table('transfer_rule')
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.drop_index('ix_access_log_record')
        batch_op.drop_index(batch_op.f('ix_access_log_reader_org_id'))
        batch_op.drop_index(batch_op.f('ix_access_log_owner_org_id'))

    op.drop_table('access_log')
