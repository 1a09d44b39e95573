from flask import Blueprint

bp = Blueprint("partnerships", __name__, url_prefix="/partnerships")

from portfolio.blueprints.partnerships import views  # noqa: E402,F401  (registers the routes on bp)
