from flask import Blueprint

bp = Blueprint("queues", __name__, url_prefix="/projects/<int:project_id>")

from reviewapp.queues import routes  # noqa: E402,F401
