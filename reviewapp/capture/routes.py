"""Capture routes."""
from reviewapp.capture import bp  # noqa: F401
