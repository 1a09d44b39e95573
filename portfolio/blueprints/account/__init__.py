from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

from portfolio.blueprints.account import views  # noqa: E402,F401  (registers the routes on bp)
