from flask import Blueprint

bp = Blueprint("scorers", __name__, url_prefix="/projects/<int:project_id>")

from reviewapp.scorers import routes  # noqa: E402,F401
