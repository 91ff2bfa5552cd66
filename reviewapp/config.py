"""Configuration: defaults, then the environment (DATABASE_URL, SECRET_KEY, REVIEWAPP_*), then the caller's."""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Config

PREFIX = "REVIEWAPP"

# Settings a deployment may override with REVIEWAPP_<NAME>. Flask reads each value as JSON when it can (600 is a
# number, true a boolean) and as plain text otherwise; a value of another type than its default's is refused.
DEFAULTS: dict[str, Any] = {
    "ENV": "development",  # "production" requires SECRET_KEY and makes cookies Secure
    "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,  # request bodies, compressed or not
    "CAPTURE_MAX_DECOMPRESSED_BYTES": 50 * 1024 * 1024,
    "API_MAX_BODY_BYTES": 1024 * 1024,
    "CLAIM_LEASE_SECONDS": 600,
    # Sign-in throttling, counted in the database (shared by every worker and process): password checks per
    # account and per client address within the window.
    "RATELIMIT_ENABLED": True,
    "SIGN_IN_ATTEMPTS_PER_ACCOUNT": 10,
    "SIGN_IN_ATTEMPTS_PER_ADDRESS": 100,
    "SIGN_IN_WINDOW_SECONDS": 300,
    # How many proxies in front of the app set X-Forwarded-For/-Proto; 0 trusts no such header.
    "TRUSTED_PROXIES": 0,
    # A browser session unused for this long is signed out.
    "SESSION_IDLE_DAYS": 14,
    "SESSION_COOKIE_SECURE": False,
    "PAGE_SIZE": 50,
    # The app's public address (scheme and host, and a path prefix if it has one), for the absolute links the API
    # hands out (a review's trace_url). Unset: the address each request came to (scheme as REVIEWAPP_TRUSTED_PROXIES
    # lets the proxy say).
    "SITE_URL": None,
    # `reviewapp prune` without --older-than deletes traces nobody reviewed, judged or queued after this many days
    # (services.retention); 0 keeps every trace.
    "RETENTION_DAYS": 0,
}

# Not for the environment to loosen: cookies that scripts cannot read and other sites' pages do not send; a CSRF
# token lives as long as the session.
FIXED: dict[str, Any] = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,
}


def load_config(instance_path: str, overrides: Mapping[str, Any] | None = None) -> Config:
    """The app's settings: DEFAULTS, the environment, then `overrides` (the tests'); then what follows from them
    (the production rules, the secret key, the database engine's options)."""
    config = Config(instance_path, DEFAULTS)
    config["SQLALCHEMY_DATABASE_URI"] = os.environ.get(
        "DATABASE_URL", f"sqlite:///{Path(instance_path) / 'reviewapp.sqlite'}")
    config["SECRET_KEY"] = os.environ.get("SECRET_KEY")
    config.from_prefixed_env(PREFIX)
    check_types(config)
    config["SITE_URL"] = site_url(config["SITE_URL"])
    config.update(FIXED)
    config.update(overrides or {})

    production = config["ENV"] == "production"
    if production:
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
    if not config["SECRET_KEY"]:
        if production:
            raise RuntimeError("SECRET_KEY must be set when REVIEWAPP_ENV=production.")
        config["SECRET_KEY"] = _instance_secret(instance_path)
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(config["SQLALCHEMY_DATABASE_URI"]))
    return config


def check_types(config: Mapping[str, Any]) -> None:
    """Refuse, at startup, a REVIEWAPP_* value of another type than its setting's (`REVIEWAPP_PAGE_SIZE=fifty`,
    `REVIEWAPP_RATELIMIT_ENABLED=yes`): read as text, it would fail in a request or pass as true."""
    for name, default in DEFAULTS.items():
        value = config[name]
        if default is None:  # an optional text setting
            fits, expected = value is None or isinstance(value, str), "text"
        elif isinstance(default, bool):
            fits, expected = isinstance(value, bool), "true or false"
        elif isinstance(default, int):
            fits, expected = isinstance(value, int) and not isinstance(value, bool), "a whole number"
        else:
            fits, expected = isinstance(value, str), "text"
        if not fits:
            raise RuntimeError(f"{PREFIX}_{name} must be {expected}, not {os.environ.get(f'{PREFIX}_{name}')!r}.")


def site_url(value: str | None) -> str | None:
    """The site URL without its trailing slash; None when unset or empty. Anything but an absolute http(s) URL
    stops the start: the links built from it would lead nowhere."""
    if value is None or not value.strip():
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise RuntimeError(f"{PREFIX}_SITE_URL must be an absolute http(s) URL such as https://reviews.example.com, "
                           f"not {value!r}.")
    return value.strip().rstrip("/")


def _instance_secret(instance_path: str) -> str:
    """A development secret kept in the instance folder, so sessions survive restarts."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def engine_options(uri: str) -> dict[str, Any]:
    # pool_pre_ping: a pooled connection the database dropped meanwhile is replaced before use, not handed to a
    # request (a connection dropped mid-request is a 503, errors.py).
    if uri.startswith("sqlite"):
        # Concurrent readers with one writer; wait instead of failing on a busy database.
        return {"connect_args": {"timeout": 30}, "pool_pre_ping": True}
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 20}
