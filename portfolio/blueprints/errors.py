"""GOV.UK-style error pages. Bad input gets a 4xx page, never a stack trace."""

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portfolio.services.errors import NotFound

TEMPLATES = {
    403: "errors/403.html",
    404: "errors/404.html",
    413: "errors/413.html",
    429: "errors/429.html",
    500: "errors/500.html",
}


def _wants_json() -> bool:
    return request.path.endswith(".json") or request.path == "/healthz"


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if _wants_json():
            return {"error": error.name, "status": error.code}, error.code
        template = TEMPLATES.get(error.code, "errors/generic.html")
        return render_template(template, error=error), error.code

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_template("errors/csrf.html", error=error), 400

    @app.errorhandler(NotFound)
    def not_found(error: NotFound):
        if _wants_json():
            return {"error": "Not Found", "status": 404}, 404
        message = error.message if error.message != "Not found" else None
        return render_template("errors/404.html", message=message), 404

    @app.errorhandler(500)
    def server_error(error):
        return render_template("errors/500.html"), 500
