"""The suite's own isolation, which lets it run in parallel (pytest-xdist) and on a loaded machine:
a PostgreSQL and a Redis database per worker process, and in-process rq workers that leave no
signal handlers behind."""

import os
import signal
from urllib.parse import urlsplit

import pytest

from portfolio.extensions import queue
from tests.conftest import (ON_POSTGRES, REDIS_URL, XDIST_WORKER, needs_redis, worker_database_url,
                            worker_redis_url)


def test_each_xdist_worker_tests_on_a_postgresql_database_of_its_own():
    url = "postgresql://postgres@127.0.0.1:5432/portfolio_ci_1_2"
    assert worker_database_url(url, None) == url  # plain `pytest`: the database it was given
    assert worker_database_url(url, "gw0") == "postgresql://postgres@127.0.0.1:5432/portfolio_ci_1_2_gw0"
    assert worker_database_url(url, "gw1") == "postgresql://postgres@127.0.0.1:5432/portfolio_ci_1_2_gw1"
    assert (worker_database_url("postgres://user:pass@db.internal/portfolio?sslmode=require", "gw2")
            == "postgres://user:pass@db.internal/portfolio_gw2?sslmode=require")
    assert worker_database_url(None, "gw0") is None  # SQLite: each test has its own file anyway


def test_each_xdist_worker_uses_a_redis_database_of_its_own():
    """Document job ids repeat between workers (`document-1-0`: each worker's documents start at id 1)
    and rq's job keys are per Redis database, not per queue."""
    assert worker_redis_url("redis://127.0.0.1:6379/0", None) == "redis://127.0.0.1:6379/0"
    assert worker_redis_url("redis://127.0.0.1:6379/0", "gw0") == "redis://127.0.0.1:6379/0"
    assert worker_redis_url("redis://127.0.0.1:6379/0", "gw2") == "redis://127.0.0.1:6379/2"
    assert worker_redis_url("redis://127.0.0.1:6379", "gw1") == "redis://127.0.0.1:6379/1"
    assert worker_redis_url("redis://:pw@cache:6380/3?socket_timeout=5", "gw1") == "redis://:pw@cache:6380/4?socket_timeout=5"
    with pytest.raises(pytest.UsageError, match="would need Redis database 16"):
        worker_redis_url("redis://127.0.0.1:6379/14", "gw2")
    assert worker_redis_url(None, "gw1") is None


def test_the_app_under_test_is_on_this_workers_databases(app):
    if not (XDIST_WORKER and (ON_POSTGRES or REDIS_URL)):
        pytest.skip("only pytest-xdist workers with PostgreSQL or Redis have databases of their own")
    if ON_POSTGRES:
        assert app.config["SQLALCHEMY_DATABASE_URI"].rsplit("/", 1)[1].endswith(f"_{XDIST_WORKER}")
    if REDIS_URL:
        given = int(urlsplit(os.environ["REDIS_URL"]).path.strip("/") or 0)
        worker = int(XDIST_WORKER.removeprefix("gw"))
        assert queue.queue.connection.connection_pool.connection_kwargs["db"] == given + worker


@needs_redis
def test_an_in_process_rq_worker_leaves_the_signal_handlers_as_they_were(run_jobs):
    """rq's worker installs SIGINT/SIGTERM handlers that raise StopRequested and never restores the
    old ones: left behind, a later signal hits whatever test is running then."""

    def ours(signum, frame) -> None:  # pragma: no cover - never called
        raise AssertionError("not expected to run")

    numbers = (signal.SIGINT, signal.SIGTERM)
    before = {number: signal.signal(number, ours) for number in numbers}
    try:
        run_jobs()
        assert [signal.getsignal(number) for number in numbers] == [ours, ours]
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
