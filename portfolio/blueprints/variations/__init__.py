from flask import Blueprint

bp = Blueprint("variations", __name__, url_prefix="/variations")

from portfolio.blueprints.variations import views  # noqa: E402,F401  (registers the routes on bp)
