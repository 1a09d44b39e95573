"""The audit trail is append-only and hash-chained; `flask audit verify` catches tampering."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from portfolio.extensions import db
from portfolio.models import AuditEvent, Role
from portfolio.services import audit
from tests.conftest import owner_connection


def _events(session, make, count: int = 3) -> list[AuditEvent]:
    user = make.user(Role.ADMIN)
    events = [
        audit.record(session, actor=user, action=f"test.step{i}", entity=user, after={"step": i})
        for i in range(count)
    ]
    session.commit()
    return events


def _verify(app):
    db.session.expire_all()  # the command reads the table afresh, as a new process would
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def test_events_chain_to_each_other(app, session, make):
    first, second, third = _events(session, make)
    assert first.prev_hash == audit.GENESIS_HASH
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    result = _verify(app)
    assert result.exit_code == 0
    assert "3 events verified" in result.output


def test_database_refuses_updates_and_deletes(session, make):
    """The trigger refuses them; where the application connects as a role of its own (PostgreSQL with
    MIGRATION_DATABASE_URL, as in production), its privileges already do."""
    event = _events(session, make, 1)[0]
    with pytest.raises(DatabaseError, match="append-only|permission denied"):
        session.execute(sa.update(AuditEvent).where(AuditEvent.id == event.id).values(action="x"))
    session.rollback()
    with pytest.raises(DatabaseError, match="append-only|permission denied"):
        session.execute(sa.delete(AuditEvent).where(AuditEvent.id == event.id))
    session.rollback()


def test_the_trigger_refuses_updates_and_deletes_even_by_the_owner(session, make):
    event = _events(session, make, 1)[0]
    with owner_connection() as connection:
        with pytest.raises(DatabaseError, match="append-only"):
            connection.execute(sa.update(AuditEvent).where(AuditEvent.id == event.id).values(action="x"))
    with owner_connection() as connection:
        with pytest.raises(DatabaseError, match="append-only"):
            connection.execute(sa.delete(AuditEvent).where(AuditEvent.id == event.id))


def _drop_guard():
    """What an attacker with DDL rights (the schema's owner) would do first."""
    with owner_connection() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        else:
            connection.execute(sa.text("DROP TRIGGER audit_events_no_update"))
            connection.execute(sa.text("DROP TRIGGER audit_events_no_delete"))


def test_verify_fails_when_an_event_is_altered(app, session, make):
    events = _events(session, make)
    _drop_guard()
    with owner_connection() as connection:
        connection.execute(sa.text("UPDATE audit_events SET actor_label = 'someone-else' WHERE id = :id"),
                           {"id": events[1].id})
    result = _verify(app)
    assert result.exit_code == 1
    assert f"BROKEN at event {events[1].id}" in result.output
    assert "altered" in result.output


def test_verify_fails_when_an_event_is_removed(app, session, make):
    events = _events(session, make)
    _drop_guard()
    with owner_connection() as connection:
        connection.execute(sa.text("DELETE FROM audit_events WHERE id = :id"), {"id": events[1].id})
    result = _verify(app)
    assert result.exit_code == 1
    assert f"BROKEN at event {events[2].id}" in result.output
    assert "removed" in result.output


def test_audit_log_page_shows_events_and_chain_state(client, session, make):
    admin = make.user(Role.ADMIN)
    session.commit()
    client.sign_in(admin.email)
    page = client.get("/admin/audit")
    assert "The audit chain is intact" in page.text
    assert "user.login" in page.text
