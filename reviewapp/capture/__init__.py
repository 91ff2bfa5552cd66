"""PostHog-compatible capture endpoints: the official SDKs send traces here with the project token."""
from flask import Blueprint

bp = Blueprint("capture", __name__)

from reviewapp.capture import otel, routes  # noqa: E402,F401
