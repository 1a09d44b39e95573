from flask import Blueprint

bp = Blueprint("organisations", __name__, url_prefix="/organisations")

from portfolio.blueprints.organisations import views  # noqa: E402,F401  (registers the routes on bp)
