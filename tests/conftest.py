"""Shared fixtures. The same suite runs on SQLite with no services, and on PostgreSQL +
Redis when DATABASE_URL and REDIS_URL are set (CI runs both).

Isolation: the schema is built once per run with the real Alembic migrations; each test
then gets an empty database (SQLite: a copy of the migrated file; PostgreSQL: TRUNCATE).
"""

import os
import shutil
import socket
import subprocess
import time
import uuid
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from portfolio import create_app
from portfolio.extensions import db, queue
from tests.helpers import PageClient

DATABASE_URL = os.environ.get("DATABASE_URL")
REDIS_URL = os.environ.get("REDIS_URL")
ON_POSTGRES = bool(DATABASE_URL and DATABASE_URL.startswith("postgres"))

needs_postgres = pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (set DATABASE_URL)")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="needs a Redis server (set REDIS_URL)")


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
    }


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """A database URL whose schema was built by `flask db upgrade` from empty."""
    tmp = tmp_path_factory.mktemp("schema")
    if ON_POSTGRES:
        uri = DATABASE_URL
        app = create_app(_base_config(tmp, uri))
        with app.app_context():
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE"))
                connection.execute(sa.text("CREATE SCHEMA public"))
            upgrade()
            with db.engine.connect() as connection:
                for table in REFERENCE_TABLES:
                    _reference_rows[table] = [dict(row._mapping) for row in
                                              connection.execute(sa.text(f"SELECT * FROM {table}"))]
            db.engine.dispose()
        return uri
    template = tmp / "template.sqlite"
    app = create_app(_base_config(tmp, f"sqlite:///{template}"))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return template


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
    with db.engine.begin() as connection:
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
    from rq import SimpleWorker

    def run() -> None:
        if queue.embedded:
            return
        with app.app_context():
            SimpleWorker([queue.queue], connection=queue.queue.connection).work(burst=True)
        db.session.expire_all()

    return run


@pytest.fixture
def make(session):
    from tests import builders

    return builders.Builders(session)


@pytest.fixture
def fund(session, make):
    """The LSIMF (default rules) with Round 1 open and £50m allocated: where assessment, decision,
    offer and claim tests start. Modules that need another shape of fund define their own `fund`."""
    fund = make.fund()
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
