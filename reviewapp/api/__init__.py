"""The JSON API: a drop-in for PostHog's LLM-analytics review endpoints, plus this app's extensions."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

# Imported for their route registrations (core holds the error handlers and auth), after bp exists.
from reviewapp.api import (  # noqa: E402,F401
    agreement,
    core,
    decisions,
    evaluations,
    judgments,
    queues,
    reviews,
    rules,
    schema,
    scorers,
    traces,
)
