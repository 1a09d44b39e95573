from flask import Blueprint

bp = Blueprint("claims", __name__, url_prefix="/claims")

from portfolio.blueprints.claims import views  # noqa: E402,F401  (registers the routes on bp)
