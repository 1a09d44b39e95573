"""The read-only JSON API, /api/v1: bearer tokens (portfolio.services.api_tokens), never sessions."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from portfolio.blueprints.api import views  # noqa: E402,F401  (registers the routes on bp)
