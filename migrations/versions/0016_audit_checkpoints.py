"""Audit checkpoints: the chain's head (event count and hash), append-only like the events

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 23:20:00

The application role's privileges on this table (INSERT and SELECT only, on PostgreSQL) are
given after every upgrade by migrations/env.py (portfolio/services/database_roles.py).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('made_by', sa.String(length=254), nullable=False),
    sa.Column('event_count', sa.Integer(), nullable=False),
    sa.Column('head_event_id', sa.Integer(), nullable=True),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoints'))
    )
    with op.batch_alter_table('audit_checkpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_checkpoints_made_at'), ['made_at'], unique=False)

    # Append-only in the database itself, as audit_events is (0001): UPDATE and DELETE are refused.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION audit_checkpoints_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'audit_checkpoints is append-only';
            END;
            $$ LANGUAGE plpgsql
        """)
        op.execute("""
            CREATE TRIGGER audit_checkpoints_append_only
            BEFORE UPDATE OR DELETE ON audit_checkpoints
            FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only()
        """)
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER audit_checkpoints_no_{verb.lower()}
                BEFORE {verb} ON audit_checkpoints
                BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END
            """)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoints_append_only ON audit_checkpoints")
        op.execute("DROP FUNCTION IF EXISTS audit_checkpoints_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoints_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoints_no_delete")
    with op.batch_alter_table('audit_checkpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_checkpoints_made_at'))

    op.drop_table('audit_checkpoints')
