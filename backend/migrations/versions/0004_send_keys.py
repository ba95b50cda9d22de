"""Message.send_key: a send tried again after a lost answer is stored once

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("send_key", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.create_index("ix_message_chat_key", ["chat_id", "send_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index("ix_message_chat_key")
        batch_op.drop_column("send_key")
