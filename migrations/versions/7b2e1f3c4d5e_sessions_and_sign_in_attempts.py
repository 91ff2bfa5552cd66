"""sessions and sign-in attempts

Browser sessions become server-side records (user_sessions), so that signing out, a password change and a
deactivated account end them even for a saved copy of the cookie; the per-user session_version they replace goes.
Failed sign-ins are counted in sign_in_attempts, shared by every worker and process.

Revision ID: 7b2e1f3c4d5e
Revises: 6a1f0e2b3c4d
Create Date: 2026-12-01 21:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import reviewapp.models.base


# revision identifiers, used by Alembic.
revision = '7b2e1f3c4d5e'
down_revision = '6a1f0e2b3c4d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', reviewapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', reviewapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_user_sessions_token_digest'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_sessions_last_seen_at'), ['last_seen_at'], unique=False)

    op.create_table('sign_in_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('attempted_at', reviewapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_attempts'))
    )
    with op.batch_alter_table('sign_in_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_sign_in_attempts_email_attempted_at', ['email', 'attempted_at'], unique=False)
        batch_op.create_index('ix_sign_in_attempts_address_attempted_at', ['address', 'attempted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_attempts_attempted_at'), ['attempted_at'], unique=False)

    # A plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a batch copy of `users`: dropping the old table
    # with foreign keys on would cascade into every table that refers to it. Sessions signed in before this
    # revision named the user by id and end here; everyone signs in once more.
    op.drop_column('users', 'session_version')


def downgrade():
    op.add_column('users', sa.Column('session_version', sa.Integer(), nullable=False, server_default='1'))
    op.drop_table('sign_in_attempts')
    op.drop_table('user_sessions')
