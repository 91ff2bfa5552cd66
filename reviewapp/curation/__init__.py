from flask import Blueprint

bp = Blueprint("curation", __name__, url_prefix="/projects/<int:project_id>")

from reviewapp.curation import routes  # noqa: E402,F401
