from flask import Blueprint

bp = Blueprint("settings", __name__, url_prefix="/projects/<int:project_id>")

from reviewapp.settings import routes  # noqa: E402,F401
