"""A site's theme as design tokens beside its brand colour; several origins in `origin`

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

COLUMNS = (
    ("text_colour", sqlmodel.sql.sqltypes.AutoString(), "#ffffff"),
    ("font", sqlmodel.sql.sqltypes.AutoString(), "system"),
    ("radius", sa.Integer(), "8"),
    ("corner", sqlmodel.sql.sqltypes.AutoString(), "right"),
    ("launcher_label", sqlmodel.sql.sqltypes.AutoString(), ""),
)


def upgrade() -> None:
    # Existing sites get the defaults the model gives new ones; the column keeps no default.
    with op.batch_alter_table("site") as batch:
        for name, kind, default in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=False, server_default=default))
    with op.batch_alter_table("site") as batch:
        for name, _kind, _default in COLUMNS:
            batch.alter_column(name, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("site") as batch:
        for name, _kind, _default in COLUMNS:
            batch.drop_column(name)
