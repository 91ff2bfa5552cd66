"""score pass/fail verdicts

Each score records whether it passes its scorer version's passing rule (null when the version has none), so lists
filter failing reviews and Insights count pass rates in SQL (by project and day saved, hence the index). Versions written before passing rules existed have
none, except boolean scorers, whose default is that true passes: their verdict is the value itself.

Revision ID: 8d3a4b5c6e7f
Revises: 7b2e1f3c4d5e
Create Date: 2026-12-02 01:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8d3a4b5c6e7f'
down_revision = '7b2e1f3c4d5e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('trace_review_scores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('passed', sa.Boolean(), nullable=True))
        batch_op.create_index('ix_trace_review_scores_project_updated', ['project_id', 'updated_at'], unique=False)
    op.execute("UPDATE trace_review_scores SET passed = boolean_value WHERE boolean_value IS NOT NULL")


def downgrade():
    with op.batch_alter_table('trace_review_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_trace_review_scores_project_updated')
        batch_op.drop_column('passed')
