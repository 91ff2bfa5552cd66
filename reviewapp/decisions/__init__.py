from flask import Blueprint

bp = Blueprint("decisions", __name__, url_prefix="/projects/<int:project_id>")

from reviewapp.decisions import routes  # noqa: E402,F401
