"""Client assertions: the single-use ``jti`` of ``private_key_jwt`` assertions (RFC 7523 §3).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import idp.db

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('client_assertions',
    sa.Column('jti_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('expires_at', idp.db.UTCDateTime(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', idp.db.UTCDateTime(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_client_assertions_client_id_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_assertions')),
    sa.UniqueConstraint('jti_hash', name=op.f('uq_client_assertions_jti_hash'))
    )
    with op.batch_alter_table('client_assertions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_assertions_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_assertions_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('client_assertions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_assertions_expires_at'))
        batch_op.drop_index(batch_op.f('ix_client_assertions_client_id'))

    op.drop_table('client_assertions')
