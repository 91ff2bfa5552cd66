"""API: reviews."""
