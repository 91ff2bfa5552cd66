"""boolean configs without null labels

Before configs were stored as sent, a boolean scorer's config was filled in with `"true_label": null` and
`"false_label": null` when no label was given. PostHog's config rules refuse a null label, so such a config could
not be duplicated or re-saved, and the API answered with keys no PostHog scorer has. Dropping the null labels keeps
the meaning (no label: "Yes" / "No"), in the versions and in the copies scores keep of them.

Revision ID: 9e4b5c6d7f80
Revises: 8d3a4b5c6e7f
Create Date: 2026-12-02 02:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import reviewapp.models.base


# revision identifiers, used by Alembic.
revision = '9e4b5c6d7f80'
down_revision = '8d3a4b5c6e7f'
branch_labels = None
depends_on = None

LABELS = ('true_label', 'false_label')


def _without_null_labels(table: sa.Table, config_column: str, join_kind) -> None:
    bind = op.get_bind()
    column = table.c[config_column]
    rows = bind.execute(join_kind(sa.select(table.c.id, column))).all()
    for row_id, config in rows:
        if isinstance(config, dict) and any(key in config and config[key] is None for key in LABELS):
            cleaned = {key: value for key, value in config.items() if not (key in LABELS and value is None)}
            bind.execute(sa.update(table).where(table.c.id == row_id).values({config_column: cleaned}))


def upgrade():
    versions = sa.table('score_definition_versions', sa.column('id', sa.Uuid()), sa.column('kind', sa.String()),
                        sa.column('config', reviewapp.models.base.JSONType()))
    scores = sa.table('trace_review_scores', sa.column('id', sa.Uuid()), sa.column('boolean_value', sa.Boolean()),
                      sa.column('definition_config', reviewapp.models.base.JSONType()))
    _without_null_labels(versions, 'config', lambda query: query.where(versions.c.kind == 'boolean'))
    _without_null_labels(scores, 'definition_config',
                         lambda query: query.where(scores.c.boolean_value.is_not(None)))


def downgrade():
    # The labels' absence means what their nulls meant: nothing to restore.
    pass
