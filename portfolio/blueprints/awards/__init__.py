from flask import Blueprint

bp = Blueprint("awards", __name__, url_prefix="/awards")

from portfolio.blueprints.awards import views  # noqa: E402,F401  (registers the routes on bp)
