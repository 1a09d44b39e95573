from flask import Blueprint

bp = Blueprint("exports", __name__, url_prefix="/exports")

from portfolio.blueprints.exports import views  # noqa: E402,F401  (registers the routes on bp)
