"""title steps sent on to TradeTrustTitles, the titles as a TradeTrust token registry

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

Each title step, once TitleRegistry holds it, is also recorded in TradeTrustTitles (an ERC-721 token per
bill owned by a TradeTrust title escrow). Steps recorded before this revision have not been sent there:
the ledger sends them, in order, once the contract is deployed.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bill_title_sync', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tradetrust_synced_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_index('ix_bill_title_sync_tradetrust', ['tradetrust_synced_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('bill_title_sync', schema=None) as batch_op:
        batch_op.drop_index('ix_bill_title_sync_tradetrust')
        batch_op.drop_column('tradetrust_synced_at')
