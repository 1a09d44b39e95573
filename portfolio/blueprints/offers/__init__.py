from flask import Blueprint

bp = Blueprint("offers", __name__, url_prefix="/offers")

from portfolio.blueprints.offers import views  # noqa: E402,F401  (registers the routes on bp)
