"""the live items' claimant index leads with the queue

The queues pages count each queue's live items and list who holds a claim in it. With the index on (claimed_by_id,
queue_id) PostgreSQL read every item row of the queue for both; on (queue_id, claimed_by_id) the count is an
index-only scan of a narrow index and the holders an index range of the claimed items only, while claim_next's
look-up of the reviewer's own claim (queue and claimant given) is served as before.

Revision ID: 0d3e7a91c4b2
Revises: 5e8a41c7d2b9
Create Date: 2026-12-02 08:10:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0d3e7a91c4b2'
down_revision = '5e8a41c7d2b9'
branch_labels = None
depends_on = None

LIVE = sa.text('deleted_at IS NULL')


def upgrade():
    with op.batch_alter_table('review_queue_items', schema=None) as batch_op:
        batch_op.drop_index('ix_review_queue_items_claimed', sqlite_where=LIVE, postgresql_where=LIVE)
        batch_op.create_index('ix_review_queue_items_queue_claimed', ['queue_id', 'claimed_by_id'], unique=False,
                              sqlite_where=LIVE, postgresql_where=LIVE)


def downgrade():
    with op.batch_alter_table('review_queue_items', schema=None) as batch_op:
        batch_op.drop_index('ix_review_queue_items_queue_claimed', sqlite_where=LIVE, postgresql_where=LIVE)
        batch_op.create_index('ix_review_queue_items_claimed', ['claimed_by_id', 'queue_id'], unique=False,
                              sqlite_where=LIVE, postgresql_where=LIVE)
