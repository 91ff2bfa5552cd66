"""users.auto_advance

Whether picking an option of a single-choice or yes/no scorer on the review page moves on to the next scorer: a
setting per user, on by default (existing users included).

Revision ID: 5e8a41c7d2b9
Revises: c4e81f0a93d2
Create Date: 2026-12-02 04:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e8a41c7d2b9'
down_revision = 'c4e81f0a93d2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auto_advance', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('auto_advance')
