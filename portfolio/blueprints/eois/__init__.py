from flask import Blueprint

bp = Blueprint("eois", __name__, url_prefix="/eois")

from portfolio.blueprints.eois import views  # noqa: E402,F401  (registers the routes on bp)
