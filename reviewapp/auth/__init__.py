"""Sign-in, sign-out and password change for browser sessions."""
from flask import Blueprint

bp = Blueprint("auth", __name__)

from reviewapp.auth import routes  # noqa: E402,F401
