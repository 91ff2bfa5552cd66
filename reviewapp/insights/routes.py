"""HTML pages: insights."""
from reviewapp.insights import bp  # noqa: F401
