"""The JSON API: a drop-in for PostHog's LLM-analytics review endpoints, plus this app's extensions."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from reviewapp.api import core  # noqa: E402,F401  (error handlers and auth)
from reviewapp.api import queues, reviews, scorers, traces, schema  # noqa: E402,F401
