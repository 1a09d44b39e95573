"""Issue 14, least privilege: on PostgreSQL the application connects as a role that owns nothing and
may only add to and read the audit trail; the trail's head is checkpointed (daily and on demand,
e-mailed to the administrators) and `flask audit verify` fails when events behind a checkpoint are
missing, the newest ones included.

The PostgreSQL tests need the two roles .ci/run uses: DATABASE_URL for the application's role and
MIGRATION_DATABASE_URL for the schema's owner."""

import psycopg
import pytest
import sqlalchemy as sa

from portfolio.config import load_config
from portfolio.extensions import db
from portfolio.models import AuditCheckpoint, AuditEvent, Role, User
from portfolio.services import audit, audit_checkpoints, database_roles
from tests.conftest import DATABASE_URL, ON_POSTGRES, OWNER_URL, TWO_ROLES, owner_connection
from tests.helpers import link_in, path_of, sent_emails
from workers import jobs

needs_two_roles = pytest.mark.skipif(
    not TWO_ROLES,
    reason="needs PostgreSQL with two roles: DATABASE_URL as the application's role and MIGRATION_DATABASE_URL as "
           "the schema owner's (SQLite has no roles; .ci/run sets both)" if ON_POSTGRES else
           "needs PostgreSQL: SQLite has no database roles (set DATABASE_URL and MIGRATION_DATABASE_URL as .ci/run does)")


def _events(session, make, count: int) -> list[AuditEvent]:
    admin = make.user(Role.ADMIN, name="Ada Admin")
    events = [audit.record(session, actor=admin, action=f"test.step{i}", entity=admin, after={"step": i})
              for i in range(count)]
    session.commit()
    return events


def _cli(app, *args: str):
    db.session.expire_all()  # the command reads the tables afresh, as a new process would
    result = app.test_cli_runner().invoke(args=list(args))
    db.session.commit()  # end the command's transaction: it holds no lock the owner would wait for
    return result


def _remove_events_as_owner(after_id: int) -> None:
    """What the application's role could do while it owned the table: get past the append-only trigger
    and delete the newest events (the hash chain of what is left still holds)."""
    with owner_connection() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
            connection.execute(sa.text("DELETE FROM audit_events WHERE id > :id"), {"id": after_id})
            connection.execute(sa.text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
        else:
            connection.execute(sa.text("DROP TRIGGER audit_events_no_delete"))
            connection.execute(sa.text("DELETE FROM audit_events WHERE id > :id"), {"id": after_id})


# --- The application's role on PostgreSQL --------------------------------------------------------

REFUSED = [
    ("UPDATE audit_events SET action = 'rewritten'", "permission denied for table audit_events"),
    ("DELETE FROM audit_events", "permission denied for table audit_events"),
    ("TRUNCATE audit_events", "permission denied for table audit_events"),
    ("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only", "must be owner of table audit_events"),
    ("ALTER TABLE audit_events DISABLE TRIGGER ALL", "must be owner of table audit_events"),
    ("DROP TRIGGER audit_events_append_only ON audit_events", "must be owner of relation audit_events"),
    ("SET session_replication_role = replica", "permission denied to set parameter"),
    ("UPDATE audit_checkpoints SET event_count = 0", "permission denied for table audit_checkpoints"),
    ("DELETE FROM audit_checkpoints", "permission denied for table audit_checkpoints"),
    ("TRUNCATE audit_checkpoints", "permission denied for table audit_checkpoints"),
    ("ALTER TABLE audit_checkpoints DISABLE TRIGGER ALL", "must be owner of table audit_checkpoints"),
    ("CREATE TABLE shadow_audit (id integer)", "permission denied for schema public"),
]


@needs_two_roles
@pytest.mark.parametrize(("statement", "error"), REFUSED, ids=[statement for statement, _ in REFUSED])
def test_the_application_role_cannot_rewrite_or_empty_the_audit_trail(app, session, make, statement, error):
    """Found: the application's database role owns the audit table, so it can disable the append-only
    trigger or TRUNCATE it; deleting the newest events that way still passes `flask audit verify`."""
    _events(session, make, 2)
    audit_checkpoints.make(session, made_by="test")
    session.commit()
    with db.engine.connect() as connection:  # the application's own connection (DATABASE_URL)
        with pytest.raises(sa.exc.DBAPIError) as refused:
            connection.execute(sa.text(statement))
    assert isinstance(refused.value.orig, psycopg.errors.InsufficientPrivilege), refused.value.orig
    assert error in str(refused.value.orig)
    session.expire_all()
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) > 2
    assert _cli(app, "audit", "verify").exit_code == 0


@needs_two_roles
def test_the_application_role_owns_nothing_and_still_adds_to_and_reads_the_trail(app, session, make):
    app_role = database_roles.user_of(DATABASE_URL)
    with db.engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT current_user")) == app_role
        assert database_roles.tables_owned_by(connection, app_role) == []
        assert not connection.scalar(sa.text("SELECT rolsuper OR rolcreaterole OR rolbypassrls FROM pg_roles "
                                             "WHERE rolname = current_user"))
    with owner_connection() as connection:
        owner = connection.scalar(sa.text("SELECT current_user"))
        assert "audit_events" in database_roles.tables_owned_by(connection, owner)
    events = _events(session, make, 3)  # INSERT and SELECT, and the ordinary tables (users) as before
    checkpoint, _ = audit_checkpoints.make(session, made_by="test")
    session.commit()
    assert checkpoint.head_hash == events[-1].hash and checkpoint.head_event_id == events[-1].id
    assert checkpoint.event_count == session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) - 1  # its own


@needs_two_roles
def test_granting_the_application_role_is_repeatable_and_refuses_the_owner_and_unknown_roles(app):
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["db", "grant-app-role"])
        assert result.exit_code == 0, result.output
        assert f"{database_roles.user_of(DATABASE_URL)} may now use every table" in result.output
    owner = runner.invoke(args=["db", "grant-app-role", database_roles.user_of(OWNER_URL)])
    assert owner.exit_code == 1 and "the application needs a role of its own" in owner.output
    missing = runner.invoke(args=["db", "grant-app-role", "no_such_role_for_portfolio"])
    assert missing.exit_code == 1 and "there is no PostgreSQL role 'no_such_role_for_portfolio'" in missing.output
    with db.engine.connect() as connection:  # still only INSERT and SELECT on the trail
        with pytest.raises(sa.exc.DBAPIError, match="permission denied for table audit_events"):
            connection.execute(sa.text("DELETE FROM audit_events"))


def test_migrations_use_the_owners_url_when_one_is_given(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTFOLIO_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgres://portfolio_app@db.internal/portfolio")
    monkeypatch.setenv("MIGRATION_DATABASE_URL", "postgres://portfolio_owner@db.internal/portfolio")
    config = load_config()
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://portfolio_app@db.internal/portfolio"
    assert config["SQLALCHEMY_MIGRATION_URI"] == "postgresql+psycopg://portfolio_owner@db.internal/portfolio"
    monkeypatch.delenv("MIGRATION_DATABASE_URL")
    assert load_config()["SQLALCHEMY_MIGRATION_URI"] is None  # one role, as in the embedded default


def test_production_migrations_refuse_to_run_as_the_application_role(app_config, make_app, capsys):
    """Without MIGRATION_DATABASE_URL the tables would belong to DATABASE_URL's role: refused before
    connecting (the URL below leads nowhere)."""
    from flask_migrate import upgrade

    production = make_app(PORTFOLIO_ENV="production", SQLALCHEMY_MIGRATION_URI=None,
                          SQLALCHEMY_DATABASE_URI="postgresql+psycopg://portfolio_app@127.0.0.1:1/portfolio")
    with production.app_context(), pytest.raises(SystemExit):  # Flask-Migrate logs the error and exits 1
        upgrade()
    assert "PORTFOLIO_ENV=production: set MIGRATION_DATABASE_URL to the schema owner's URL" in capsys.readouterr().err


# --- Checkpoints (SQLite and PostgreSQL) -----------------------------------------------------------

def test_a_removed_tail_is_reported_by_audit_verify(app, session, make):
    """Found: the application's database role owns the audit table, so it can disable the append-only
    trigger or TRUNCATE it; deleting the newest events that way still passes `flask audit verify`."""
    events = _events(session, make, 5)
    made = _cli(app, "audit", "checkpoint")
    assert made.exit_code == 0, made.output
    checkpoint = session.scalars(sa.select(AuditCheckpoint)).one()
    kept = events[2]
    _remove_events_as_owner(after_id=kept.id)
    result = _cli(app, "audit", "verify")
    assert result.exit_code == 1
    assert result.output.startswith(f"Audit chain BROKEN: events are missing: checkpoint {checkpoint.id} of ")
    assert f"({checkpoint.event_count} events, the newest with hash {checkpoint.head_hash[:12]}" in result.output
    remaining = checkpoint.event_count - 2
    assert f"but only {remaining} remain (the newest 2 were removed)" in result.output


def test_a_replaced_tail_is_reported_by_audit_verify(app, session, make):
    """Deleting the newest events and writing as many new ones (a valid chain again, as long as the
    checkpoint counted) is caught too: the event at the checkpoint's position has another hash."""
    events = _events(session, make, 4)
    assert _cli(app, "audit", "checkpoint").exit_code == 0
    checkpoint = session.scalars(sa.select(AuditCheckpoint)).one()
    _remove_events_as_owner(after_id=events[1].id)
    for i in range(6):
        audit.record(session, actor=None, actor_label="forger", action=f"forged.{i}", entity_type="user",
                     entity_id=1)
    session.commit()
    result = _cli(app, "audit", "verify")
    assert result.exit_code == 1
    assert f"it is event number {checkpoint.event_count} but does not have the hash of checkpoint {checkpoint.id}" \
        in result.output


def test_the_checkpoint_command_records_the_head_and_emails_the_administrators(app, session, make, run_jobs):
    events = _events(session, make, 3)
    other_admin = make.user(Role.ADMIN, name="Bea Admin")
    gone = make.user(Role.ADMIN, name="Gone Admin", is_active=False)
    finance = make.user(Role.FINANCE)
    session.commit()
    head = session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    count = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    result = _cli(app, "audit", "checkpoint")
    assert result.exit_code == 0, result.output
    checkpoint = session.scalars(sa.select(AuditCheckpoint)).one()
    assert (checkpoint.event_count, checkpoint.head_event_id, checkpoint.head_hash) == (count, head.id, head.hash)
    first_admin = events[0].actor_label
    assert result.output.splitlines() == [
        f"Audit checkpoint {checkpoint.id}: {count} events, newest {head.id} with hash {head.hash}.",
        f"E-mailed to 2 administrators: {first_admin}, {other_admin.email}."]
    recorded = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "audit.checkpointed")).one()
    assert recorded.after["head_hash"] == head.hash and recorded.actor_label == "cli"
    run_jobs()
    mail = {message["To"]: message for message in sent_emails(app)}
    assert set(mail) == {first_admin, other_admin.email}  # active administrators only
    assert gone.email not in mail and finance.email not in mail
    message = mail[other_admin.email]
    assert message["Subject"] == f"Audit checkpoint {checkpoint.id}: {count} events"
    body = message.get_payload(decode=True).decode()
    assert f"Events in the audit trail: {count}" in body and f"Its hash: {head.hash}" in body
    assert path_of(link_in(message, "/admin/audit")) == "/admin/audit"
    assert _cli(app, "audit", "verify").exit_code == 0  # the checkpoint's own event and e-mails come after it


def test_a_checkpoint_with_no_administrator_to_email_says_so(app, session, make):
    _events(session, make, 1)
    session.execute(sa.update(User).where(User.role == Role.ADMIN).values(is_active=False))
    session.commit()
    result = _cli(app, "audit", "checkpoint")
    assert result.exit_code == 0
    assert "No active administrator to e-mail it to: keep a copy of the line above outside the database." \
        in result.output


def test_checkpoints_are_append_only_in_the_database(app, session, make):
    _events(session, make, 1)
    audit_checkpoints.make(session, made_by="test")
    session.commit()
    for statement in ("UPDATE audit_checkpoints SET event_count = 0", "DELETE FROM audit_checkpoints"):
        with owner_connection() as connection:  # even the owner, as for the events
            with pytest.raises(sa.exc.DatabaseError, match="audit_checkpoints is append-only"):
                connection.execute(sa.text(statement))


def test_the_daily_job_is_scheduled_and_makes_a_checkpoint(app, session, make, run_jobs):
    import fakeredis
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=fakeredis.FakeRedis())
    scheduler.load_config_from_file("workers.cron")  # what `rq cron workers.cron` does
    daily = [job for job in scheduler.get_jobs() if job.args == ("checkpoint_audit",)]
    assert [(job.func, job.cron) for job in daily] == [(jobs.run, "30 6 * * *")]
    events = _events(session, make, 2)
    checkpoint_id = jobs.run("checkpoint_audit")
    session.expire_all()
    checkpoint = session.get(AuditCheckpoint, checkpoint_id)
    assert checkpoint.made_by == "daily checkpoint" and checkpoint.head_hash == events[-1].hash
    run_jobs()
    assert [m["Subject"] for m in sent_emails(app)] == [f"Audit checkpoint {checkpoint_id}: {checkpoint.event_count} events"]


def test_the_audit_page_lists_checkpoints_and_names_a_missing_tail(client, session, make):
    events = _events(session, make, 3)
    admin = make.user(Role.ADMIN)
    session.commit()
    checkpoint, _ = audit_checkpoints.make(session, made_by="test")
    session.commit()
    client.sign_in(admin.email)
    page = client.get("/admin/audit")
    row = page.html.select_one("table tbody tr").text
    assert str(checkpoint.event_count) in row and checkpoint.head_hash[:16] in row
    assert "The audit chain is intact" in page.text
    session.commit()
    _remove_events_as_owner(after_id=events[0].id)
    page = client.get("/admin/audit")
    warning = page.html.select_one(".govuk-warning-text").text
    assert f"The audit chain is broken: events are missing: checkpoint {checkpoint.id}" in warning
