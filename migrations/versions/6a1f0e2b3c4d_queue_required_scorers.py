"""queue required scorers

Each queue says which scorers the review page requires before it saves: NULL (every queue has it after this
migration) means every scorer the queue asks for; a JSON list of scorer ids means those only.

Revision ID: 6a1f0e2b3c4d
Revises: 5d0c2a7e9f13
Create Date: 2026-12-01 21:30:00.000000

"""
from alembic import op
import sqlalchemy as sa
import reviewapp.models.base


# revision identifiers, used by Alembic.
revision = '6a1f0e2b3c4d'
down_revision = '5d0c2a7e9f13'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN on both databases (batch mode on SQLite does not copy the table for it).
    with op.batch_alter_table('review_queues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('required_scorer_ids', reviewapp.models.base.JSONType(), nullable=True))


def downgrade():
    with op.batch_alter_table('review_queues', schema=None) as batch_op:
        batch_op.drop_column('required_scorer_ids')
