"""API: scorers."""
