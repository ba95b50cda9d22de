"""Overflow: a region's waiting chats move to a partner region or the national queue

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("region") as batch:
        batch.add_column(
            sa.Column("national", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("chat") as batch:
        batch.add_column(
            sa.Column("overflowed_from", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch.create_foreign_key("fk_chat_overflowed_from", "region", ["overflowed_from"], ["code"])
    op.create_table(
        "overflow",
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("partner_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("after_minutes", sa.Integer(), nullable=True),
        sa.Column("outside_hours", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["partner_code"], ["region.code"]),
        sa.ForeignKeyConstraint(["region_code"], ["region.code"]),
        sa.PrimaryKeyConstraint("region_code"),
    )


def downgrade() -> None:
    op.drop_table("overflow")
    with op.batch_alter_table("chat") as batch:
        batch.drop_constraint("fk_chat_overflowed_from", type_="foreignkey")
        batch.drop_column("overflowed_from")
    with op.batch_alter_table("region") as batch:
        batch.drop_column("national")
