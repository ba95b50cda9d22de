"""Opening hours of their own on dates, and public holidays a region keeps open

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "datehours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("opens_minute", sa.Integer(), nullable=True),
        sa.Column("closes_minute", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.ForeignKeyConstraint(["region_code"], ["region.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("datehours", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_datehours_day"), ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_datehours_region_code"), ["region_code"], unique=False)

    op.create_table(
        "holidayopen",
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("holiday", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.ForeignKeyConstraint(["region_code"], ["region.code"]),
        sa.PrimaryKeyConstraint("region_code", "holiday"),
    )


def downgrade() -> None:
    op.drop_table("holidayopen")
    with op.batch_alter_table("datehours", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_datehours_region_code"))
        batch_op.drop_index(batch_op.f("ix_datehours_day"))
    op.drop_table("datehours")
