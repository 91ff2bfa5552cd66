"""queue rules

Queues get rules that add matching traces by themselves (queue_rules), and a record of what each rule added and
when (queue_rule_additions: a trace at most once per rule).

Revision ID: c4e81f0a93d2
Revises: 77e5f3bf34ca
Create Date: 2026-12-02 04:42:54.991233

"""
from alembic import op
import sqlalchemy as sa
import reviewapp.models.base


# revision identifiers, used by Alembic.
revision = 'c4e81f0a93d2'
down_revision = '77e5f3bf34ca'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('queue_rules',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('queue_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('conditions', reviewapp.models.base.JSONType(), nullable=False),
    sa.Column('sample_percent', sa.Float(), nullable=False),
    sa.Column('daily_cap', sa.Integer(), nullable=True),
    sa.Column('paused', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', reviewapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', reviewapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_queue_rules_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_queue_rules_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['queue_id'], ['review_queues.id'], name=op.f('fk_queue_rules_queue_id_review_queues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_rules'))
    )
    with op.batch_alter_table('queue_rules', schema=None) as batch_op:
        batch_op.create_index('ix_queue_rules_project_paused', ['project_id', 'paused'], unique=False)
        batch_op.create_index(batch_op.f('ix_queue_rules_queue_id'), ['queue_id'], unique=False)

    op.create_table('queue_rule_additions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Uuid(), nullable=False),
    sa.Column('trace_id', sa.String(length=255), nullable=False),
    sa.Column('item_id', sa.Uuid(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('added_at', reviewapp.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['review_queue_items.id'], name=op.f('fk_queue_rule_additions_item_id_review_queue_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_queue_rule_additions_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['queue_rules.id'], name=op.f('fk_queue_rule_additions_rule_id_queue_rules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_rule_additions')),
    sa.UniqueConstraint('rule_id', 'trace_id', name=op.f('uq_queue_rule_additions_rule_id_trace_id'))
    )
    with op.batch_alter_table('queue_rule_additions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_queue_rule_additions_project_id'), ['project_id'], unique=False)
        batch_op.create_index('ix_queue_rule_additions_rule_added', ['rule_id', 'added_at'], unique=False)



def downgrade():
    with op.batch_alter_table('queue_rule_additions', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_rule_additions_rule_added')
        batch_op.drop_index(batch_op.f('ix_queue_rule_additions_project_id'))

    op.drop_table('queue_rule_additions')
    with op.batch_alter_table('queue_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_queue_rules_queue_id'))
        batch_op.drop_index('ix_queue_rules_project_paused')

    op.drop_table('queue_rules')
