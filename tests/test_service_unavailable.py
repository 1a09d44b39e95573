"""With the database out of reach or out of connections, users get the GOV.UK "Sorry, the service
is unavailable" page with a 503, signed in or not: the error pages themselves need no database
(they used to load the signed-in user for the navigation, and failed into a bare error)."""

import socket

import pytest

from portfolio.extensions import db
from portfolio.models import Role
from tests.helpers import PageClient
from portfolio.access import public


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe is closed


UNREACHABLE = {
    "postgresql-refused": lambda tmp: f"postgresql+psycopg://portfolio@127.0.0.1:{_closed_port()}/portfolio",
    "sqlite-unopenable": lambda tmp: f"sqlite:///{tmp / 'no-such-folder' / 'portfolio.sqlite'}",
}


@pytest.fixture
def signed_in_cookie(client, make, session) -> str:
    """The session cookie of a signed-in finance user, made while the database was up."""
    user = make.user(Role.FINANCE)
    session.commit()
    client.sign_in(user.email)
    return client.http.get_cookie("session").value


def _assert_unavailable_page(page) -> None:
    assert page.status == 503
    assert page.h1 == "Sorry, the service is unavailable"
    assert page.title.startswith("Sorry, the service is unavailable – Portfolio")
    assert page.html.select_one("header .govuk-header") is not None  # the GOV.UK page, not a bare error
    assert page.html.select_one("footer .govuk-footer") is not None
    assert "Sign out" not in page.text


@pytest.mark.parametrize("database", UNREACHABLE)
def test_database_out_of_reach_shows_the_unavailable_page(make_app, signed_in_cookie, tmp_path, database):
    broken = make_app(SQLALCHEMY_DATABASE_URI=UNREACHABLE[database](tmp_path), PROPAGATE_EXCEPTIONS=False)
    visitor = PageClient(broken)
    assert visitor.get("/").status == 200  # the start page needs no database
    signed_in = PageClient(broken)
    signed_in.http.set_cookie("session", signed_in_cookie)
    for url in ("/home", "/", "/claims/"):
        _assert_unavailable_page(signed_in.get(url))
    assert signed_in.get("/healthz").response.get_json()["database"].startswith("error")
    api = signed_in.get("/api/v1/awards", headers={"Authorization": "Bearer pft_" + "x" * 43}).response
    assert (api.status_code, api.get_json()) == (503, {"error": "Service Unavailable", "status": 503})


def test_a_pool_with_no_free_connection_shows_the_unavailable_page(make_app, signed_in_cookie):
    """Every connection in use (a pool of one, held by someone else): 503 once the pool gives up."""
    busy = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.5},
                    PROPAGATE_EXCEPTIONS=False)
    signed_in = PageClient(busy)
    signed_in.http.set_cookie("session", signed_in_cookie)
    with busy.app_context():
        held = db.engine.connect()
        try:
            _assert_unavailable_page(signed_in.get("/home"))
        finally:
            held.close()
    assert signed_in.get("/home").status == 200  # and the service is back once a connection is free


def test_other_faults_keep_their_page_without_the_database(make_app, signed_in_cookie, tmp_path):
    """A fault that is not the database's, for a signed-in user while the database is out of
    reach: the 500 page, which needs no database either."""
    broken = make_app(SQLALCHEMY_DATABASE_URI=UNREACHABLE["sqlite-unopenable"](tmp_path), PROPAGATE_EXCEPTIONS=False)

    @broken.get("/boom")
    @public
    def boom():
        raise RuntimeError("boom")

    signed_in = PageClient(broken)
    signed_in.http.set_cookie("session", signed_in_cookie)
    page = signed_in.get("/boom")
    assert page.status == 500 and page.h1 == "Sorry, there is a problem with the service"
    assert page.response.headers["Cache-Control"] == "no-store"  # still a signed-in browser's page


def test_a_page_that_needs_the_queue_while_redis_is_down_shows_the_unavailable_page(make_app, signed_in_cookie):
    """Nothing a user does needs Redis any more (jobs wait in the outbox), but should a page
    need it, Redis out of reach is the same 503 page, not a 500."""
    import redis

    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/needs-the-queue")
    @public
    def needs_the_queue():
        redis.Redis(port=_closed_port()).ping()

    signed_in = PageClient(app)
    signed_in.http.set_cookie("session", signed_in_cookie)
    _assert_unavailable_page(signed_in.get("/needs-the-queue"))


def test_a_write_conflict_at_commit_stays_a_409_not_a_503(app):
    """SQLite refuses a COMMIT with "database is locked" (an error with no statement, as a failed
    connection has): still the contention page asking to try again."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    @public
    def contended_commit():
        raise OperationalError(None, None, sqlite3.OperationalError("database is locked"))

    app.add_url_rule("/test-contended-commit", "test_contended_commit", contended_commit)
    response = app.test_client().get("/test-contended-commit")
    assert response.status_code == 409 and b"try again" in response.data
