"""Configuration: defaults, then environment overrides (DATABASE_URL, SECRET_KEY, REVIEWAPP_*)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

# Settings a deployment may override with REVIEWAPP_<NAME>; the value's type follows the default.
DEFAULTS: dict[str, object] = {
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
}


def _coerce(raw: str, default: object) -> object:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    return raw


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


def load_config(instance_path: str) -> dict[str, object]:
    config: dict[str, object] = dict(DEFAULTS)
    for name, default in DEFAULTS.items():
        raw = os.environ.get(f"REVIEWAPP_{name}")
        if raw is not None:
            config[name] = _coerce(raw, default)

    config["SQLALCHEMY_DATABASE_URI"] = os.environ.get(
        "DATABASE_URL", f"sqlite:///{Path(instance_path) / 'reviewapp.sqlite'}"
    )
    production = os.environ.get("REVIEWAPP_ENV", "development") == "production"
    secret = os.environ.get("SECRET_KEY")
    if not secret:
        if production:
            raise RuntimeError("SECRET_KEY must be set when REVIEWAPP_ENV=production.")
        secret = _instance_secret(instance_path)
    config["SECRET_KEY"] = secret
    if production:
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["REMEMBER_COOKIE_HTTPONLY"] = True
    config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    config["WTF_CSRF_TIME_LIMIT"] = None
    config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(str(config["SQLALCHEMY_DATABASE_URI"]))
    return config


def engine_options(uri: str) -> dict[str, object]:
    # pool_pre_ping: a pooled connection the database dropped meanwhile is replaced before use, not handed to a
    # request (a connection dropped mid-request is a 503, errors.py).
    if uri.startswith("sqlite"):
        # Concurrent readers with one writer; wait instead of failing on a busy database.
        return {"connect_args": {"timeout": 30}, "pool_pre_ping": True}
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 20}
