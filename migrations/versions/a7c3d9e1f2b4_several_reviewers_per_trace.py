"""several reviewers per trace

Queues say how many reviewers judge each trace (reviews_per_trace, 1 for every queue so far: unchanged), whether
review is blind, how far numeric judgments may differ and still agree, and who may claim from them (assignees).
At more than one reviewer per trace, each reviewer's save is a judgment (judgments, judgment_scores) held under a
claim of its own (review_item_claims); items count their judgments and say whether they wait for a decision.
Final reviews record how they came about (resolution: "single" for every review so far).

Revision ID: a7c3d9e1f2b4
Revises: a7c1d2e3f4b5
Create Date: 2026-12-02 01:44:58.919397

"""
from alembic import op
import sqlalchemy as sa
import reviewapp.models.base


# revision identifiers, used by Alembic.
revision = 'a7c3d9e1f2b4'
down_revision = 'a7c1d2e3f4b5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('review_queue_assignees',
    sa.Column('queue_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['queue_id'], ['review_queues.id'], name=op.f('fk_review_queue_assignees_queue_id_review_queues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_review_queue_assignees_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('queue_id', 'user_id', name=op.f('pk_review_queue_assignees'))
    )
    with op.batch_alter_table('review_queue_assignees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_queue_assignees_user_id'), ['user_id'], unique=False)

    op.create_table('judgments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('queue_id', sa.Uuid(), nullable=False),
    sa.Column('item_id', sa.Uuid(), nullable=False),
    sa.Column('trace_id', sa.String(length=255), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('time_spent_seconds', sa.Numeric(precision=12, scale=3, asdecimal=False), nullable=True),
    sa.Column('created_at', reviewapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', reviewapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['review_queue_items.id'], name=op.f('fk_judgments_item_id_review_queue_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_judgments_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['queue_id'], ['review_queues.id'], name=op.f('fk_judgments_queue_id_review_queues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_judgments_reviewer_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_judgments')),
    sa.UniqueConstraint('item_id', 'reviewer_id', name=op.f('uq_judgments_item_id_reviewer_id'))
    )
    with op.batch_alter_table('judgments', schema=None) as batch_op:
        batch_op.create_index('ix_judgments_project_reviewer', ['project_id', 'reviewer_id'], unique=False)
        batch_op.create_index('ix_judgments_project_trace', ['project_id', 'trace_id'], unique=False)
        batch_op.create_index('ix_judgments_queue_created', ['queue_id', 'created_at'], unique=False)

    op.create_table('review_item_claims',
    sa.Column('item_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('queue_id', sa.Uuid(), nullable=False),
    sa.Column('expires_at', reviewapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', reviewapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['review_queue_items.id'], name=op.f('fk_review_item_claims_item_id_review_queue_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_review_item_claims_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['queue_id'], ['review_queues.id'], name=op.f('fk_review_item_claims_queue_id_review_queues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_review_item_claims_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_id', 'user_id', name=op.f('pk_review_item_claims'))
    )
    with op.batch_alter_table('review_item_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_item_claims_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_item_claims_queue_id'), ['queue_id'], unique=False)
        batch_op.create_index('ix_review_item_claims_user_expires', ['user_id', 'expires_at'], unique=False)

    op.create_table('judgment_scores',
    sa.Column('judgment_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('definition_id', sa.Uuid(), nullable=False),
    sa.Column('definition_version_id', sa.Uuid(), nullable=False),
    sa.Column('definition_version', sa.Integer(), nullable=False),
    sa.Column('definition_config', reviewapp.models.base.JSONType(), nullable=False),
    sa.Column('categorical_values', reviewapp.models.base.JSONType(), nullable=True),
    sa.Column('numeric_value', sa.Numeric(precision=24, scale=6), nullable=True),
    sa.Column('boolean_value', sa.Boolean(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('created_at', reviewapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', reviewapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['definition_id'], ['score_definitions.id'], name=op.f('fk_judgment_scores_definition_id_score_definitions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['definition_version_id'], ['score_definition_versions.id'], name=op.f('fk_judgment_scores_definition_version_id_score_definition_versions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['judgment_id'], ['judgments.id'], name=op.f('fk_judgment_scores_judgment_id_judgments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_judgment_scores_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_judgment_scores')),
    sa.UniqueConstraint('judgment_id', 'definition_id', name=op.f('uq_judgment_scores_judgment_id_definition_id'))
    )
    with op.batch_alter_table('judgment_scores', schema=None) as batch_op:
        batch_op.create_index('ix_judgment_scores_definition', ['definition_id', 'definition_version'], unique=False)
        batch_op.create_index(batch_op.f('ix_judgment_scores_project_id'), ['project_id'], unique=False)

    with op.batch_alter_table('review_queue_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('judgment_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('state', sa.String(length=16), server_default='pending', nullable=False))
        batch_op.create_index('ix_review_queue_items_queue_state', ['queue_id', 'state', 'created_at', 'id'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))

    with op.batch_alter_table('review_queues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviews_per_trace', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('blind', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('numeric_tolerance', sa.Numeric(precision=24, scale=6), nullable=True))

    with op.batch_alter_table('trace_reviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolution', sa.String(length=16), server_default='single', nullable=False))



def downgrade():
    with op.batch_alter_table('trace_reviews', schema=None) as batch_op:
        batch_op.drop_column('resolution')

    with op.batch_alter_table('review_queues', schema=None) as batch_op:
        batch_op.drop_column('numeric_tolerance')
        batch_op.drop_column('blind')
        batch_op.drop_column('reviews_per_trace')

    with op.batch_alter_table('review_queue_items', schema=None) as batch_op:
        batch_op.drop_index('ix_review_queue_items_queue_state', sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_column('state')
        batch_op.drop_column('judgment_count')

    with op.batch_alter_table('judgment_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_judgment_scores_project_id'))
        batch_op.drop_index('ix_judgment_scores_definition')

    op.drop_table('judgment_scores')
    with op.batch_alter_table('review_item_claims', schema=None) as batch_op:
        batch_op.drop_index('ix_review_item_claims_user_expires')
        batch_op.drop_index(batch_op.f('ix_review_item_claims_queue_id'))
        batch_op.drop_index(batch_op.f('ix_review_item_claims_project_id'))

    op.drop_table('review_item_claims')
    with op.batch_alter_table('judgments', schema=None) as batch_op:
        batch_op.drop_index('ix_judgments_queue_created')
        batch_op.drop_index('ix_judgments_project_trace')
        batch_op.drop_index('ix_judgments_project_reviewer')

    op.drop_table('judgments')
    with op.batch_alter_table('review_queue_assignees', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_queue_assignees_user_id'))

    op.drop_table('review_queue_assignees')
