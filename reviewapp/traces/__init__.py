from flask import Blueprint

bp = Blueprint("traces", __name__, url_prefix="/projects/<int:project_id>")

from reviewapp.traces import routes  # noqa: E402,F401
