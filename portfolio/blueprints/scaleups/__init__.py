from flask import Blueprint

bp = Blueprint("scaleups", __name__, url_prefix="/scale-ups")

from portfolio.blueprints.scaleups import views  # noqa: E402,F401  (registers the routes on bp)
