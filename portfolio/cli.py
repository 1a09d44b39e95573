"""Flask commands: `flask seed-demo`, `flask two-factor code EMAIL`, `flask audit verify`, `flask audit checkpoint`, `flask db grant-app-role`, `flask create-admin`, `flask offers expire`,
`flask returns remind`, `flask jobs dispatch`, `flask export 360giving PATH`, `flask export subsidy-csv PATH`."""

import click
import pyotp
from flask import Flask, current_app
from flask.cli import AppGroup

from portfolio.extensions import db, queue
from portfolio.models import Role, User
from portfolio.seed import DEMO_PASSWORD, DEMO_TOTP_SECRET
from portfolio.seed import seed_demo as run_seed
from portfolio.services import accounts, audit, audit_checkpoints, database_roles, exports, monitoring, offers
from portfolio.services.audit import verify_chain
from portfolio.services.exports import ExportError
from portfolio.services.passwords import hash_password, password_problem


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(two_factor_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(create_admin)
    app.cli.add_command(returns_cli)
    app.cli.add_command(offers_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(export_cli)
    app.cli.commands["db"].add_command(grant_app_role)  # Flask-Migrate's `flask db` group


@click.command("seed-demo")
def seed_demo():
    """Create the LSIMF fund, one user per role and two demo companies (idempotent)."""
    # Demo accounts have a password (and an authenticator key) anyone can read in the README.
    _refuse_in_production("seed-demo", "demo accounts have a published password")
    result = run_seed(db.session)
    db.session.commit()
    if result.created:
        click.echo("Created:")
        for line in result.created:
            click.echo(f"  {line}")
    else:
        click.echo("Demo data already present: nothing created.")
    click.echo(f"\nSign in at /sign-in with any of these (password: {DEMO_PASSWORD}):")
    for role, email, organisation in result.accounts:
        click.echo(f"  {role:<16} {email:<38} {organisation}")
    click.echo("\nThen enter the code from their authenticator app: `flask two-factor code EMAIL` prints it "
               f"(or add the key {DEMO_TOTP_SECRET} to an authenticator app: every demo account has it).")


def _refuse_in_production(command: str, why: str) -> None:
    if current_app.config["PORTFOLIO_ENV"] == "production":
        raise click.ClickException(f"{command} refuses to run with PORTFOLIO_ENV=production: {why}")


two_factor_cli = AppGroup("two-factor", help="Two-factor sign-in commands (for the demo accounts).")


@two_factor_cli.command("code")
@click.argument("email")
def two_factor_code(email: str):
    """Print the code an account's authenticator app shows now (not in production)."""
    _refuse_in_production("two-factor code", "it would let anyone who can run a command sign in as anyone")

    user = accounts.find_user_by_email(db.session, email)
    if user is None:
        raise click.ClickException(f"no account with the email address {email}")
    if user.totp_secret is None:
        raise click.ClickException(f"{user.email} has not set up an authenticator app")
    click.echo(pyotp.TOTP(user.totp_secret).now())


audit_cli = AppGroup("audit", help="Audit trail commands.")


@audit_cli.command("verify")
def audit_verify():
    """Check the hash chain of audit events and that it still reaches every checkpoint; exit 1 if any
    event was altered or removed (the newest ones included, once a checkpoint counted them)."""
    report = verify_chain(db.session)
    if report.ok:
        click.echo(report.message)
        return
    click.echo(report.message, err=True)
    raise SystemExit(1)


@audit_cli.command("checkpoint")
def audit_checkpoint():
    """Record the audit chain's head (event count and newest hash) and e-mail it to the administrators
    (run daily from cron; safe to run at any time)."""
    checkpoint, emailed = audit_checkpoints.make(db.session, made_by="cli")
    db.session.commit()
    click.echo(f"Audit checkpoint {checkpoint.id}: {checkpoint.event_count} events, newest "
               f"{checkpoint.head_event_id or 'none'} with hash {checkpoint.head_hash}.")
    if emailed:
        click.echo(f"E-mailed to {len(emailed)} administrator{'' if len(emailed) == 1 else 's'}: {', '.join(emailed)}.")
    else:
        click.echo("No active administrator to e-mail it to: keep a copy of the line above outside the database.",
                   err=True)


@click.command("grant-app-role")
@click.argument("role", required=False)
def grant_app_role(role: str | None):
    """Give ROLE (default: DATABASE_URL's role) the application's privileges on PostgreSQL and nothing
    more: INSERT and SELECT only on the audit tables, no TRUNCATE, owns nothing. Runs as the owner
    (MIGRATION_DATABASE_URL); `flask db upgrade` does this itself. Safe to run again."""
    import sqlalchemy as sa

    role = role or database_roles.user_of(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if not role:
        raise click.ClickException("name the role: DATABASE_URL names none (database roles are a PostgreSQL feature)")
    owner_url = current_app.config.get("SQLALCHEMY_MIGRATION_URI")
    engine = sa.create_engine(owner_url, poolclass=sa.pool.NullPool) if owner_url else db.engine
    try:
        with engine.begin() as connection:
            database_roles.grant_app_role(connection, role)
    except database_roles.RoleError as error:
        raise click.ClickException(str(error)) from None
    finally:
        if owner_url:
            engine.dispose()
    click.echo(f"{role} may now use every table, and only add to and read {', '.join(database_roles.APPEND_ONLY_TABLES)}.")


@click.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.password_option()
def create_admin(email: str, name: str, password: str):
    """Create the first administrator of a new installation."""

    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise click.BadParameter(str(error), param_hint="email") from None
    problem = password_problem(password, email=email, name=name)
    if problem:
        raise click.BadParameter(problem, param_hint="password")
    if accounts.find_user_by_email(db.session, email):
        raise click.BadParameter("an account with this email address already exists", param_hint="email")
    user = User(email=accounts.normalise_email(email), name=name.strip(), role=Role.ADMIN,
                password_hash=hash_password(password))
    db.session.add(user)
    audit.record(db.session, actor=None, actor_label="cli", action="user.created", entity=user,
                 after={"email": user.email, "role": "admin"})
    db.session.commit()
    click.echo(f"Administrator {user.email} created.")


offers_cli = AppGroup("offers", help="Grant offer commands.")


@offers_cli.command("expire")
def offers_expire():
    """Expire grant offers not accepted in time (run hourly from cron; safe to run twice)."""
    expired = offers.expire_due(db.session)
    db.session.commit()
    click.echo(f"{expired} offer{'' if expired == 1 else 's'} expired.")


returns_cli = AppGroup("returns", help="Monitoring return commands.")


@returns_cli.command("remind")
def returns_remind():
    """Email companies about returns due soon, due today or overdue (run daily from cron; safe to run twice)."""
    sent = monitoring.send_reminders(db.session)
    db.session.commit()
    click.echo(f"{sent} reminder{'' if sent == 1 else 's'} sent.")


jobs_cli = AppGroup("jobs", help="Background job commands.")


@jobs_cli.command("dispatch")
def jobs_dispatch():
    """Hand the background jobs still waiting for the queue to it, and queue again any the queue
    lost (every worker does this itself; safe to run at any time, in any number of processes).
    Exit 1 if the queue does not answer."""
    from redis.exceptions import RedisError

    try:
        lost = queue.recover_lost()
        handed = queue.dispatch_waiting()
    except RedisError as error:
        click.echo(f"The queue did not answer ({error}): the jobs keep waiting.", err=True)
        raise SystemExit(1) from None
    click.echo(f"{handed} waiting job{'' if handed == 1 else 's'} handed to the queue"
               + (f" ({lost} lost by the queue and queued again)." if lost else "."))


export_cli = AppGroup("export", help="Exports of awarded grants (360Giving JSON, UK Subsidy Database CSV).")


def _write_export(make, path: str, what: str, noun: str) -> None:
    """Make the export and write it to `path`; on a broken record or an unwritable path, say why
    and exit 1 with nothing written (the file appears only once complete)."""
    import os
    import tempfile
    from pathlib import Path

    try:
        made = make(db.session)
    except ExportError as error:
        click.echo(f"{what} not written: {len(error.problems)} problem{'' if len(error.problems) == 1 else 's'}:",
                   err=True)
        for problem in error.problems:
            click.echo(f"  - {problem}", err=True)
        raise SystemExit(1) from None
    target, temporary = Path(path), None
    try:
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(made.content)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # the mode a plain write would give, not mkstemp's 0600
        os.replace(temporary, target)
    except OSError as error:
        if temporary:
            Path(temporary).unlink(missing_ok=True)
        click.echo(f"{what} not written: cannot write {path}: {error.strerror or error}", err=True)
        raise SystemExit(1) from None
    click.echo(f"{what} written to {path}: {made.count} {noun}{'' if made.count == 1 else 's'}.")


@export_cli.command("360giving")
@click.argument("path", type=click.Path(dir_okay=False))
def export_360giving(path: str):
    """Write the 360Giving JSON of awarded grants (offers accepted) to PATH, validated against the schema."""
    _write_export(exports.export_360giving, path, "360Giving file", "grant")


@export_cli.command("subsidy-csv")
@click.argument("path", type=click.Path(dir_okay=False))
def export_subsidy_csv(path: str):
    """Write the UK Subsidy Database upload file (awards whose transparency entry is due) to PATH."""
    _write_export(exports.export_subsidy_csv, path, "UK Subsidy Database file", "award")
