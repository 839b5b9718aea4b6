"""issuers' profiles for DCSA eBL 3.0 transport documents

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

A bill's issuer keeps here what a DCSA eBL 3.0 transport document needs and a bill does not carry: its
address, its documentation desk's email, its carrier code (SMDG or NMFTA) and its terms and conditions.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('issuer_profile',
    sa.Column('org_id', sa.Uuid(), nullable=False),
    sa.Column('street', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('city', sqlmodel.sql.sqltypes.AutoString(length=35), nullable=False),
    sa.Column('post_code', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('carrier_code', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.Column('carrier_code_list_provider', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('terms_and_conditions', sqlmodel.sql.sqltypes.AutoString(length=50000), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], name=op.f('fk_issuer_profile_org_id_organisation')),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_issuer_profile'))
    )


def downgrade() -> None:
    op.drop_table('issuer_profile')
