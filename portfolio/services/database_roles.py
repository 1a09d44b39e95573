"""Least privilege in PostgreSQL: two roles.

The *owner* role owns the schema and every table; only `flask db upgrade` connects as it
(MIGRATION_DATABASE_URL). The *application* role is what the web and worker processes connect as
(DATABASE_URL). It owns nothing, so it cannot ALTER or DROP a table or disable a trigger, and it is
given only:

- USAGE on the schema (no CREATE);
- SELECT, INSERT, UPDATE, DELETE on every table, except SELECT and INSERT only on the append-only
  tables (the audit events and their checkpoints) and SELECT only on alembic_version;
- USAGE and SELECT on the sequences (new ids).

No TRUNCATE, REFERENCES or TRIGGER anywhere. Tables and sequences the owner creates later get the
ordinary privileges by default (ALTER DEFAULT PRIVILEGES), and `grant_app_role` runs again after
every upgrade (migrations/env.py), so a new append-only table loses UPDATE and DELETE at once.
The embedded SQLite mode has no roles: none of this applies there.
"""

import sqlalchemy as sa

# Tables the application may add rows to and read, never change or empty.
APPEND_ONLY_TABLES = ("audit_events", "audit_checkpoints")
# Tables only the migrations write.
READ_ONLY_TABLES = ("alembic_version",)


class RoleError(RuntimeError):
    """The named role cannot be made the application role."""


def user_of(url: str | sa.engine.URL | None) -> str | None:
    """The role a database URL connects as (None for SQLite or a URL without one)."""
    if not url:
        return None
    parsed = sa.engine.make_url(url)
    return parsed.username if parsed.get_backend_name() == "postgresql" else None


def tables_owned_by(connection: sa.Connection, role: str) -> list[str]:
    """The tables and sequences of the current schema that `role` owns (the application role: none)."""
    return list(connection.scalars(sa.text(
        "SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
        "WHERE r.rolname = :role AND c.relnamespace = current_schema()::text::regnamespace "
        "AND c.relkind IN ('r', 'p', 'S') ORDER BY c.relname"), {"role": role}))


def grant_app_role(connection: sa.Connection, role: str) -> None:
    """Give `role` exactly the application's privileges on the current schema, taking back any
    others (safe to run again). Run as the owner of the schema and its tables."""
    if connection.dialect.name != "postgresql":
        raise RoleError("database roles are a PostgreSQL feature: the embedded SQLite database has none")
    if not connection.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}):
        raise RoleError(f"there is no PostgreSQL role {role!r}: create it first (CREATE ROLE {role} LOGIN ...)")
    if role == connection.scalar(sa.text("SELECT current_user")):
        raise RoleError(f"{role!r} is the role running the migrations, which owns the tables: the application "
                        "needs a role of its own (set MIGRATION_DATABASE_URL to the owner's URL)")
    owned = tables_owned_by(connection, role)
    if owned:
        raise RoleError(f"{role!r} owns {', '.join(owned)}: the application role must own nothing "
                        "(ALTER TABLE ... OWNER TO the owner role first)")
    quote = connection.dialect.identifier_preparer.quote
    grantee = quote(role)
    schema = quote(connection.scalar(sa.text("SELECT current_schema()")))
    statements = [
        f"REVOKE ALL ON SCHEMA {schema} FROM {grantee}",
        f"GRANT USAGE ON SCHEMA {schema} TO {grantee}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {grantee}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {grantee}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {grantee}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {grantee}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {grantee}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {grantee}",
    ]
    existing = set(connection.scalars(sa.text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")))
    for table in APPEND_ONLY_TABLES + READ_ONLY_TABLES:
        if table in existing:
            statements.append(f"REVOKE INSERT, UPDATE, DELETE ON {quote(table)} FROM {grantee}")
    for table in APPEND_ONLY_TABLES:
        if table in existing:
            statements.append(f"GRANT INSERT ON {quote(table)} TO {grantee}")
    for statement in statements:
        connection.execute(sa.text(statement))
