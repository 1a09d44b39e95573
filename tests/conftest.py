"""Shared fixtures. The same suite runs on SQLite with no services, and on PostgreSQL +
Redis when DATABASE_URL and REDIS_URL are set (CI runs both).

Isolation: the schema is built once per run with the real Alembic migrations; each test
then gets an empty database (SQLite: a copy of the migrated file; PostgreSQL: TRUNCATE).
Under pytest-xdist (`make test` runs `pytest -n ...`) each worker process has its own
PostgreSQL database, DATABASE_URL's name + "_gw0", "_gw1"... (created if missing, its schema
rebuilt at the start; .ci/run drops them), and its own Redis database (REDIS_URL's number + 0,
1, 2...; queues are also per test). With MIGRATION_DATABASE_URL set too (.ci/run does), the schema
is built and emptied as that owner role and the app under test connects as DATABASE_URL's role,
which owns nothing (portfolio/services/database_roles.py), as in production. Live servers take a free port, and files go under each
test's tmp_path.

Shared data: `make` (tests/builders.py), `people` (the usual cast), `fund` (the LSIMF with
Round 1 open; `pytest.mark.fund_without_rounds` for the fund alone).
"""

import os
import shutil
import socket
import subprocess
import time
import uuid
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import jinja2
import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from portfolio import create_app
from portfolio.extensions import db, queue
from tests.helpers import PageClient, work_burst
from tests import builders

XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # "gw0", "gw1"... in a pytest-xdist worker


def worker_database_url(url: str | None, worker: str | None) -> str | None:
    """The PostgreSQL database this test process uses: DATABASE_URL's own, or under pytest-xdist
    one per worker next to it (portfolio_ci -> portfolio_ci_gw0), so workers never share tables."""
    if not (url and worker and url.startswith("postgres")):
        return url
    parsed = sa.engine.make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


def worker_redis_url(url: str | None, worker: str | None) -> str | None:
    """The Redis database this test process uses: REDIS_URL's, or under pytest-xdist the next ones
    (/0 for gw0, /1 for gw1...). Queues are per test, but rq's job ids are global in a database
    and a document's job id comes from its id (`document-1-0`), which every worker's database
    numbers from 1: two workers sharing a Redis database would run and delete each other's jobs."""
    if not (url and worker):
        return url
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    number = base + int(worker.removeprefix("gw"))
    if number > 15:
        raise pytest.UsageError(f"REDIS_URL {url}: worker {worker} would need Redis database {number}; "
                                "give a lower database number or fewer workers (-n)")
    return urlunsplit(parts._replace(path=f"/{number}"))


REDIS_URL = worker_redis_url(os.environ.get("REDIS_URL"), XDIST_WORKER)
SERVER_DATABASE_URL = os.environ.get("DATABASE_URL")  # what the run was given
DATABASE_URL = worker_database_url(SERVER_DATABASE_URL, XDIST_WORKER)  # what this process tests on
ON_POSTGRES = bool(DATABASE_URL and DATABASE_URL.startswith("postgres"))
# The schema owner's URL (PostgreSQL only): what migrations run as and the tests empty tables with.
# Without MIGRATION_DATABASE_URL, DATABASE_URL's role owns the schema itself.
SERVER_OWNER_URL = (os.environ.get("MIGRATION_DATABASE_URL") or SERVER_DATABASE_URL) if ON_POSTGRES else None
OWNER_URL = worker_database_url(SERVER_OWNER_URL, XDIST_WORKER)
TWO_ROLES = bool(ON_POSTGRES and os.environ.get("MIGRATION_DATABASE_URL")
                 and sa.engine.make_url(OWNER_URL).username != sa.engine.make_url(DATABASE_URL).username)

needs_postgres = pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (set DATABASE_URL)")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="needs a Redis server (set REDIS_URL)")


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config, items) -> None:
    """Browser journeys count as slow. Slow tests go first: pytest-xdist hands tests out in this
    order, so the long ones start while quick ones keep the other workers busy, rather than
    one of them running alone at the end of the run."""
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: same order otherwise


def _base_config(tmp: Path, database_uri: str) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "INSTANCE_PATH": str(tmp / "instance"),
        "SECRET_KEY": "test-secret-key-not-for-production",
        "MAIL_FOLDER": str(tmp / "mail"),
        "STORAGE_PATH": str(tmp / "files"),
        "RATELIMIT_STORAGE_URI": "memory://",
        "RQ_QUEUE": f"test-{uuid.uuid4().hex[:12]}",
        "SERVER_NAME": None,
        "SQLALCHEMY_MIGRATION_URI": _psycopg(OWNER_URL) if TWO_ROLES else None,
    }


def _psycopg(url: str) -> str:
    return sa.engine.make_url(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


_owner = None


def owner_engine() -> sa.Engine:
    """The schema owner's connection to this process's PostgreSQL database (made once)."""
    global _owner
    if _owner is None:
        _owner = sa.create_engine(_psycopg(OWNER_URL), pool_size=1)
    return _owner


def owner_connection():
    """A transaction as the schema's owner (what an attacker holding it could do): on PostgreSQL the
    owner's own connection, on SQLite the test's database (it has no roles)."""
    return owner_engine().begin() if ON_POSTGRES else db.engine.begin()


def _create_if_missing(name: str) -> None:
    """Create a database on the server of the run's DATABASE_URL (connected to that database, outside
    a transaction as CREATE DATABASE needs). It is kept after the run: the next run empties its
    schema, and .ci/run drops it. (Not DROP DATABASE here: that forces a checkpoint of the whole
    server, which took 40-50 s on a busy machine.)"""
    url = sa.engine.make_url(SERVER_OWNER_URL).set(drivername="postgresql+psycopg")  # the owner: it owns the new one
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            exists = connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()


def _migrate(tmp: Path, uri: str) -> None:
    """Build the schema with the real migrations (`flask db upgrade`) from empty."""
    app = create_app(_base_config(tmp, uri))
    with app.app_context():
        if ON_POSTGRES:
            with owner_engine().begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE"))
                connection.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        if ON_POSTGRES:
            with owner_engine().connect() as connection:
                for table in REFERENCE_TABLES:
                    _reference_rows[table] = [dict(row._mapping) for row in
                                              connection.execute(sa.text(f"SELECT * FROM {table}"))]
        db.engine.dispose()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """A database URL whose schema was built by `flask db upgrade` from empty (SQLite: the path of
    the migrated file each test copies)."""
    tmp = tmp_path_factory.mktemp("schema")
    if not ON_POSTGRES:
        template = tmp / "template.sqlite"
        _migrate(tmp, f"sqlite:///{template}")
        yield template
        return
    if DATABASE_URL != SERVER_DATABASE_URL:  # this xdist worker's own database
        _create_if_missing(sa.engine.make_url(DATABASE_URL).database)
    _migrate(tmp, DATABASE_URL)  # from an empty schema
    yield DATABASE_URL


def _database_for_test(migrated_database, tmp_path) -> str:
    if ON_POSTGRES:
        return migrated_database
    path = tmp_path / "test.sqlite"
    shutil.copyfile(migrated_database, path)
    return f"sqlite:///{path}"


# Rows the migrations load (dated subsidy thresholds): each PostgreSQL test starts with them, as
# each SQLite test does with its copy of the migrated file.
REFERENCE_TABLES = ("subsidy_thresholds",)
_reference_rows: dict[str, list[dict]] = {}


def _empty_postgres() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with owner_engine().begin() as connection:  # TRUNCATE: the application role may not
        connection.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        for table, rows in _reference_rows.items():
            if rows:
                connection.execute(db.metadata.tables[table].insert(), rows)
                connection.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                           f"(SELECT max(id) FROM {table}))"))


@pytest.fixture
def app_config(tmp_path, migrated_database) -> dict:
    """Settings for the app under test; a test may change them before using `app`."""
    config = _base_config(tmp_path, _database_for_test(migrated_database, tmp_path))
    config["REDIS_URL"] = REDIS_URL
    return config


class _SharedBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept between the tests' apps: each test still gets a new app, but
    the GOV.UK macros are compiled once per run instead of once per test (~0.3 s each)."""

    compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    app.jinja_env.bytecode_cache = _SharedBytecodeCache()
    with app.app_context():
        if ON_POSTGRES:
            _empty_postgres()
        yield app
        db.session.remove()
        if not queue.embedded:
            from redis.exceptions import ConnectionError

            try:
                queue.queue.empty()
            except ConnectionError:  # a test that stopped its own Redis and failed before starting it
                pass
        db.engine.dispose()


@pytest.fixture
def make_app(app_config):
    """Build another app on the test's database (say, with other settings); cleaned up after."""
    made = []

    def build(**overrides):
        other = create_app({**app_config, **overrides})
        made.append(other)
        return other

    yield build
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def client(app) -> PageClient:
    return PageClient(app)


@pytest.fixture
def run_jobs(app):
    """Run whatever is queued. Embedded mode already ran it at commit; with Redis, an
    in-process rq worker drains the real queue in a fresh app context (its own session)."""

    def run() -> None:
        if queue.embedded:
            return
        with app.app_context():
            work_burst(queue.queue)
        db.session.expire_all()

    return run


@pytest.fixture
def make(session):
    return builders.Builders(session)


@pytest.fixture
def people(make, session):
    """The usual cast, one user per part, by name: people["finance"], people["am"]... (see
    Builders.cast for who is who). Committed."""
    people = make.cast()
    session.commit()
    return people


@pytest.fixture
def fund(request, session, make):
    """The LSIMF (default rules) with Round 1 open and £50m allocated: where application, assessment,
    decision, offer and claim tests start. Tests (or a module, with `pytestmark`) marked
    `fund_without_rounds` get the LSIMF alone, and add the rounds they need."""
    fund = make.fund()
    if request.node.get_closest_marker("fund_without_rounds") is None:
        make.open_round(fund, allocation=Decimal("50000000.00"))
    session.commit()
    return fund


REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class RedisServer:
    """A real redis-server of the test's own, on a free port, that the test stops and starts
    again (on the same port, with no data kept, as after a crash)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        from redis import Redis

        deadline = time.monotonic() + 10
        while True:
            try:
                with Redis.from_url(self.url) as client:
                    client.ping()
                return
            except Exception:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def redis_server(tmp_path):
    """A running redis-server the test may stop and start (needs the Debian package redis-server)."""
    if not os.access(REDIS_SERVER, os.X_OK):
        pytest.skip("needs the redis-server binary (Debian package redis-server: `make test` installs it)")
    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer(folder)
    server.start()
    yield server
    server.stop()
