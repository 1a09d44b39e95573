"""GOV.UK-style error pages. Bad input gets a 4xx page, never a stack trace."""

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import Conflict, HTTPException

from portfolio.extensions import db

from portfolio.services.errors import NotFound

TEMPLATES = {
    403: "errors/403.html",
    404: "errors/404.html",
    413: "errors/413.html",
    429: "errors/429.html",
    500: "errors/500.html",
}


def _wants_json() -> bool:
    return request.path.endswith(".json") or request.path == "/healthz" or request.path.startswith("/api/")


def _headers(error: HTTPException) -> list[tuple[str, str]]:
    """The error's own headers (a 405's Allow), without its HTML content type."""
    return [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if _wants_json():
            return {"error": error.name, "status": error.code}, error.code, _headers(error)
        template = TEMPLATES.get(error.code, "errors/generic.html")
        return render_template(template, error=error), error.code, _headers(error)

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
        the user can simply try again. Anything else is a real fault."""
        if not _is_contention(error):
            raise error
        db.session.rollback()
        conflict = Conflict("Someone else was changing the same record at the same moment, so nothing was saved. "
                            "Go back and try again.")
        return http_error(conflict)

    @app.errorhandler(500)
    def server_error(error):
        if _wants_json():
            return {"error": "Internal Server Error", "status": 500}, 500
        return render_template("errors/500.html"), 500


def _is_contention(error: OperationalError) -> bool:
    message = str(error.orig).lower()
    return any(text in message for text in ("database is locked", "deadlock detected", "lock timeout",
                                            "could not obtain lock", "could not serialize"))
