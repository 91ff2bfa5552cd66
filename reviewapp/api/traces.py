"""API: traces."""
