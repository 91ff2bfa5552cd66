"""HTML pages: scorers."""
from reviewapp.scorers import bp  # noqa: F401
