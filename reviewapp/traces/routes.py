"""HTML pages: traces."""
from reviewapp.traces import bp  # noqa: F401
