"""evaluations

Evaluation results from `$ai_evaluation` events: the evaluations a project has seen (with the polarity, passing
rule and scorer an admin sets on them) and one row per result, read into an outcome on ingest.

Revision ID: 77e5f3bf34ca
Revises: a7c3d9e1f2b4
Create Date: 2026-12-02 04:50:00

"""
from alembic import op
import sqlalchemy as sa
import reviewapp.models.base


# revision identifiers, used by Alembic.
revision = '77e5f3bf34ca'
down_revision = 'a7c3d9e1f2b4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('evaluations',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('name_seen_at', reviewapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('runtime', sa.String(length=32), nullable=True),
    sa.Column('result_type', sa.String(length=16), nullable=False),
    sa.Column('true_is_failure', sa.Boolean(), nullable=False),
    sa.Column('passing_rule', reviewapp.models.base.JSONType(), nullable=True),
    sa.Column('score_definition_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', reviewapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', reviewapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_evaluations_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['score_definition_id'], ['score_definitions.id'], name=op.f('fk_evaluations_score_definition_id_score_definitions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluations')),
    sa.UniqueConstraint('project_id', 'key', name=op.f('uq_evaluations_project_id_key'))
    )
    op.create_table('trace_evaluations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('run_key', sa.String(length=255), nullable=False),
    sa.Column('event_uuid', sa.String(length=64), nullable=False),
    sa.Column('trace_id', sa.String(length=255), nullable=False),
    sa.Column('target_kind', sa.String(length=16), nullable=False),
    sa.Column('target_id', sa.String(length=255), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('timestamp', reviewapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('result_type', sa.String(length=16), nullable=False),
    sa.Column('skipped', sa.Boolean(), nullable=False),
    sa.Column('skip_reason', sa.String(length=64), nullable=True),
    sa.Column('applicable', sa.Boolean(), nullable=True),
    sa.Column('bool_result', sa.Boolean(), nullable=True),
    sa.Column('numeric_result', sa.Float(), nullable=True),
    sa.Column('labels', reviewapp.models.base.JSONType(), nullable=True),
    sa.Column('reasoning', sa.Text(), nullable=True),
    sa.Column('judge_model', sa.String(length=255), nullable=True),
    sa.Column('cost_usd', sa.Numeric(precision=18, scale=8, asdecimal=False), nullable=True),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluations.id'], name=op.f('fk_trace_evaluations_evaluation_id_evaluations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_trace_evaluations_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trace_evaluations')),
    sa.UniqueConstraint('project_id', 'run_key', name=op.f('uq_trace_evaluations_project_id_run_key'))
    )
    with op.batch_alter_table('trace_evaluations', schema=None) as batch_op:
        batch_op.create_index('ix_trace_evaluations_evaluation_outcome', ['evaluation_id', 'outcome'], unique=False)
        batch_op.create_index('ix_trace_evaluations_project_trace', ['project_id', 'trace_id'], unique=False)


def downgrade():
    with op.batch_alter_table('trace_evaluations', schema=None) as batch_op:
        batch_op.drop_index('ix_trace_evaluations_project_trace')
        batch_op.drop_index('ix_trace_evaluations_evaluation_outcome')
    op.drop_table('trace_evaluations')
    op.drop_table('evaluations')
