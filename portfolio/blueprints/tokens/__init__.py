"""API tokens: finance and administrators create, list and revoke the tokens of /api/v1."""

from flask import Blueprint

bp = Blueprint("tokens", __name__, url_prefix="/api-tokens")

from portfolio.blueprints.tokens import views  # noqa: E402,F401  (registers the routes on bp)
