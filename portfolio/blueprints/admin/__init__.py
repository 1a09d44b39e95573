from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from portfolio.blueprints.admin import views  # noqa: E402,F401  (registers the routes on bp)
