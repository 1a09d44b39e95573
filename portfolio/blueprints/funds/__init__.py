from flask import Blueprint

bp = Blueprint("funds", __name__, url_prefix="/admin/funds")

from portfolio.blueprints.funds import views  # noqa: E402,F401  (registers the routes on bp)
