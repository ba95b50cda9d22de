"""The console for a shift: roles, regions, availability, notes, canned answers,
registrations, follow-up codes and blocks

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cannedanswer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("shortcut", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["region.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("cannedanswer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cannedanswer_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "block",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("followup_code", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["worker.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("block", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_block_followup_code"), ["followup_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_block_token"), ["token"], unique=False)

    op.create_table(
        "workerregion",
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["region.code"],
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["worker.id"],
        ),
        sa.PrimaryKeyConstraint("worker_id", "region_code"),
    )
    op.create_table(
        "note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chat.id"],
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["worker.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("note", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_note_chat_id"), ["chat_id"], unique=False)

    op.create_table(
        "registration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("nickname", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("asked_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("under_18", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("advice", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("referred_to", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("followup_code", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chat.id"],
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["region.code"],
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["worker.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("chat_id"),
    )
    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registration_followup_code"), ["followup_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_registration_region_code"), ["region_code"], unique=False
        )

    with op.batch_alter_table("chat", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("worker_read_seq", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("offered_to_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("handover_note", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("followup_code", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("earlier_code", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_chat_followup_code"), ["followup_code"], unique=False)
        batch_op.create_foreign_key(
            "fk_chat_offered_to_id_worker", "worker", ["offered_to_id"], ["id"]
        )

    with op.batch_alter_table("worker", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "role", sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default="worker"
            )
        )
        batch_op.add_column(
            sa.Column(
                "availability",
                sqlmodel.sql.sqltypes.AutoString(),
                nullable=False,
                server_default="available",
            )
        )
        batch_op.add_column(sa.Column("capacity", sa.Integer(), nullable=False, server_default="2"))
        batch_op.add_column(
            sa.Column("sound", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("worker", schema=None) as batch_op:
        batch_op.drop_column("sound")
        batch_op.drop_column("capacity")
        batch_op.drop_column("availability")
        batch_op.drop_column("role")

    with op.batch_alter_table("chat", schema=None) as batch_op:
        batch_op.drop_constraint("fk_chat_offered_to_id_worker", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_chat_followup_code"))
        batch_op.drop_column("earlier_code")
        batch_op.drop_column("followup_code")
        batch_op.drop_column("handover_note")
        batch_op.drop_column("offered_to_id")
        batch_op.drop_column("worker_read_seq")

    with op.batch_alter_table("registration", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registration_region_code"))
        batch_op.drop_index(batch_op.f("ix_registration_followup_code"))

    op.drop_table("registration")
    with op.batch_alter_table("note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_note_chat_id"))

    op.drop_table("note")
    op.drop_table("workerregion")
    with op.batch_alter_table("block", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_block_token"))
        batch_op.drop_index(batch_op.f("ix_block_followup_code"))

    op.drop_table("block")
    with op.batch_alter_table("cannedanswer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cannedanswer_region_code"))

    op.drop_table("cannedanswer")
