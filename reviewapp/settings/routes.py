"""HTML pages: settings."""
from reviewapp.settings import bp  # noqa: F401
