from flask import Blueprint

bp = Blueprint("evaluations", __name__, url_prefix="/projects/<int:project_id>")

from reviewapp.evaluations import routes  # noqa: E402,F401
