from flask import Blueprint

bp = Blueprint("applications", __name__, url_prefix="/applications")

from portfolio.blueprints.applications import views  # noqa: E402,F401  (registers the routes on bp)
