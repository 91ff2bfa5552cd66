"""HTML pages: queues."""
from reviewapp.queues import bp  # noqa: F401
