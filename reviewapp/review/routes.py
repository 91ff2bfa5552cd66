"""HTML pages: review."""
from reviewapp.review import bp  # noqa: F401
