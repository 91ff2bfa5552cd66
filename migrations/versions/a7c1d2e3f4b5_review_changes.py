"""review changes

The history of reviews: every creation, edit and deletion of a final review, with who made it and the values
before and after. Rows are only added. `subject` says what changed ("review" today), so reviewers' own judgments
record into the same table later without a new column. Reviews saved before this revision have no entries until
their next change, which records what they held then.

Revision ID: a7c1d2e3f4b5
Revises: 9e4b5c6d7f80
Create Date: 2026-12-02 02:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import reviewapp.models.base


# revision identifiers, used by Alembic.
revision = 'a7c1d2e3f4b5'
down_revision = '9e4b5c6d7f80'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('review_changes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('trace_id', sa.String(length=255), nullable=False),
    sa.Column('subject', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('review_id', sa.Uuid(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('before', reviewapp.models.base.JSONType(), nullable=True),
    sa.Column('after', reviewapp.models.base.JSONType(), nullable=True),
    sa.Column('created_at', reviewapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_review_changes_actor_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_review_changes_project_id_projects'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['review_id'], ['trace_reviews.id'],
                            name=op.f('fk_review_changes_review_id_trace_reviews'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_changes'))
    )
    with op.batch_alter_table('review_changes', schema=None) as batch_op:
        batch_op.create_index('ix_review_changes_project_trace_created', ['project_id', 'trace_id', 'created_at'],
                              unique=False)
        batch_op.create_index('ix_review_changes_review_created', ['review_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('review_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_review_changes_review_created')
        batch_op.drop_index('ix_review_changes_project_trace_created')
    op.drop_table('review_changes')
