"""API: schema."""
