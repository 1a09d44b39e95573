from flask import Blueprint

bp = Blueprint("documents", __name__, url_prefix="/documents")

from portfolio.blueprints.documents import views  # noqa: E402,F401  (registers the routes on bp)
