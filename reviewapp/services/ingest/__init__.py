"""Ingestion (being split into modules by job; for now all in posthog.py)."""
from reviewapp.services.ingest.posthog import *  # noqa: F401,F403
