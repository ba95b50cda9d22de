"""presence rows, seen and activity times, worker session epoch

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "presence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("process", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("sockets", sa.Integer(), nullable=False),
        sa.Column("seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "ref_id", "process"),
    )
    with op.batch_alter_table("presence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_presence_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_presence_ref_id"), ["ref_id"], unique=False)

    with op.batch_alter_table("chat", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("visitor_seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("last_activity_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.drop_column("visitor_sockets")
        batch_op.drop_column("visitor_gone_since")
    # Socket counts are not trusted across a restart: open chats count from their start.
    op.execute("UPDATE chat SET visitor_seen_at = created_at, last_activity_at = accepted_at")

    with op.batch_alter_table("worker", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("worker", schema=None) as batch_op:
        batch_op.drop_column("session_epoch")
        batch_op.drop_column("disabled")

    with op.batch_alter_table("chat", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("visitor_gone_since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("visitor_sockets", sa.INTEGER(), nullable=False, server_default="0")
        )
        batch_op.drop_column("last_activity_at")
        batch_op.drop_column("visitor_seen_at")

    with op.batch_alter_table("presence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_presence_ref_id"))
        batch_op.drop_index(batch_op.f("ix_presence_kind"))

    op.drop_table("presence")
