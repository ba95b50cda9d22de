"""Regions are data: each region's own phone number and a short note on when it answers

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("region") as batch:
        batch.add_column(
            sa.Column(
                "phone",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                nullable=False,
                server_default="",
            )
        )
        batch.add_column(
            sa.Column(
                "phone_note",
                sqlmodel.sql.sqltypes.AutoString(length=80),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("region") as batch:
        batch.drop_column("phone_note")
        batch.drop_column("phone")
