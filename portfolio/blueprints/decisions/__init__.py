from flask import Blueprint

bp = Blueprint("decisions", __name__, url_prefix="/decisions")

from portfolio.blueprints.decisions import views  # noqa: E402,F401  (registers the routes on bp)
