"""GOV.UK-style error pages. Bad input gets a 4xx page, never a stack trace.

The pages for faults (500, and 503 when the database or the queue is unavailable) need neither:
they are rendered from the templates alone (`_standalone`), without the context processor that
would load the signed-in user.
"""

import math
import time

import redis.exceptions
import sqlalchemy.exc
from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import Conflict, HTTPException

from portfolio.extensions import db, limiter

from portfolio.services.errors import NotFound

TEMPLATES = {
    403: "errors/403.html",
    404: "errors/404.html",
    413: "errors/413.html",
    429: "errors/429.html",
    500: "errors/500.html",
}
STANDALONE = {500: "errors/500.html", 503: "errors/503.html"}


def _wants_json() -> bool:
    return request.path.endswith(".json") or request.path == "/healthz" or request.path.startswith("/api/")


def _headers(error: HTTPException) -> list[tuple[str, str]]:
    """The error's own headers (a 405's Allow), without its HTML content type."""
    return [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]


def _standalone(status: int):
    """The fault page for `status`, from the templates alone: no database, no Redis."""
    return current_app.jinja_env.get_template(STANDALONE[status]).render(), status


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if _wants_json():
            return {"error": error.name, "status": error.code}, error.code, _headers(error)
        if error.code in STANDALONE:
            page, status = _standalone(error.code)
            return page, status, _headers(error)
        template = TEMPLATES.get(error.code, "errors/generic.html")
        wait = _wait_text() if error.code == 429 else None
        return render_template(template, error=error, wait=wait), error.code, _headers(error)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_template("errors/csrf.html", error=error), 400

    @app.errorhandler(NotFound)
    def not_found(error: NotFound):
        if _wants_json():
            return {"error": "Not Found", "status": 404}, 404
        message = error.message if error.message != "Not found" else None
        return render_template("errors/404.html", message=message), 404

    @app.errorhandler(OperationalError)
    def busy(error: OperationalError):
        """Two requests changed the same rows at the same moment and the database gave up on one
        (SQLite "database is locked", PostgreSQL deadlock or lock timeout): nothing was saved, so
        the user can simply try again. The database out of reach is a 503; anything else is a real fault."""
        if not _is_contention(error):  # (first: "database is locked" at COMMIT has no statement either)
            if _is_unavailable(error):
                return unavailable(error)
            raise error
        db.session.rollback()
        conflict = Conflict("Someone else was changing the same record at the same moment, so nothing was saved. "
                            "Go back and try again.")
        return http_error(conflict)

    @app.errorhandler(sqlalchemy.exc.TimeoutError)  # every connection in the pool is in use
    @app.errorhandler(redis.exceptions.ConnectionError)
    @app.errorhandler(redis.exceptions.TimeoutError)
    def unavailable(error: Exception):
        """The database (or the queue, for anything that still needs it) is out of reach or out of
        connections: a 503 page that needs neither."""
        current_app.logger.error("service unavailable: %s: %s", type(error).__name__, error)
        if _wants_json():
            return {"error": "Service Unavailable", "status": 503}, 503
        return _standalone(503)

    @app.errorhandler(500)
    def server_error(error):
        if _wants_json():
            return {"error": "Internal Server Error", "status": 500}, 500
        return _standalone(500)


def _wait_text() -> str | None:
    """How long until the rate limit this request broke lets the person try again: "45 seconds",
    "5 minutes". None when the limiter cannot say (its storage out of reach, say)."""
    try:
        resets = [limit.reset_at for limit in limiter.current_limits if limit.breached]
    except Exception:  # noqa: BLE001 - the page must still render, with the general advice
        return None
    if not resets:
        return None
    seconds = max(1, math.ceil(max(resets) - time.time()))
    if seconds <= 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes"


def _is_unavailable(error: OperationalError) -> bool:
    """No connection to the database: refused, out of connections, or lost mid-request. (An error
    raised while connecting has no SQL statement.)"""
    return error.statement is None or error.connection_invalidated


def _is_contention(error: OperationalError) -> bool:
    message = str(error.orig).lower()
    return any(text in message for text in ("database is locked", "deadlock detected", "lock timeout",
                                            "could not obtain lock", "could not serialize"))
