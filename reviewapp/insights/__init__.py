from flask import Blueprint

bp = Blueprint("insights", __name__, url_prefix="/projects/<int:project_id>")

from reviewapp.insights import routes  # noqa: E402,F401
