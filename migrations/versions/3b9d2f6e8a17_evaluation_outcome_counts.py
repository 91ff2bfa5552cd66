"""evaluation outcome counts

The Evaluations page counted every result by outcome on each view. evaluation_outcome_counts holds each
evaluation's results per outcome as rows of changes that ingest, a rule change and prune add in their own
transactions (and ingest folds), so the page sums a few rows; it starts from the results stored now. An index on
(evaluation_id, timestamp, id) gives an evaluation's last and latest results without sorting all of them.

Revision ID: 3b9d2f6e8a17
Revises: 0d3e7a91c4b2
Create Date: 2026-12-02 08:20:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '3b9d2f6e8a17'
down_revision = '0d3e7a91c4b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('evaluation_outcome_counts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('results', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluations.id'], name=op.f('fk_evaluation_outcome_counts_evaluation_id_evaluations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_evaluation_outcome_counts_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_outcome_counts'))
    )
    with op.batch_alter_table('evaluation_outcome_counts', schema=None) as batch_op:
        batch_op.create_index('ix_evaluation_outcome_counts_project_evaluation', ['project_id', 'evaluation_id'],
                              unique=False)
    with op.batch_alter_table('trace_evaluations', schema=None) as batch_op:
        batch_op.create_index('ix_trace_evaluations_evaluation_timestamp', ['evaluation_id', 'timestamp', 'id'],
                              unique=False)
    # The results stored so far, counted once (a deploy runs this before the server takes events again).
    op.execute("INSERT INTO evaluation_outcome_counts (project_id, evaluation_id, outcome, results) "
               "SELECT project_id, evaluation_id, outcome, count(*) FROM trace_evaluations "
               "GROUP BY project_id, evaluation_id, outcome")


def downgrade():
    with op.batch_alter_table('trace_evaluations', schema=None) as batch_op:
        batch_op.drop_index('ix_trace_evaluations_evaluation_timestamp')
    with op.batch_alter_table('evaluation_outcome_counts', schema=None) as batch_op:
        batch_op.drop_index('ix_evaluation_outcome_counts_project_evaluation')
    op.drop_table('evaluation_outcome_counts')
