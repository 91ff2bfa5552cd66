"""Configuration from the environment: every setting README documents (and every other REVIEWAPP_* one) reaches
the app with its type, a value of the wrong type stops the start, and production's rules hold."""
from __future__ import annotations

import os
import stat

import pytest

from reviewapp import create_app
from reviewapp.auth.session import throttle_limits
from reviewapp.config import DEFAULTS, load_config


@pytest.fixture(autouse=True)
def environment(monkeypatch, tmp_path):
    """Only what each test sets: none of the runner's REVIEWAPP_* variables, a throwaway database and secret."""
    for name in list(os.environ):
        if name.startswith("REVIEWAPP_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'config.sqlite'}")
    monkeypatch.setenv("SECRET_KEY", "a-secret-for-the-config-tests")


# (variable, as a deployment writes it, config key, what the app reads)
SETTINGS = [
    ("REVIEWAPP_ENV", "production", "ENV", "production"),
    ("REVIEWAPP_MAX_CONTENT_LENGTH", "1000", "MAX_CONTENT_LENGTH", 1000),
    ("REVIEWAPP_CAPTURE_MAX_DECOMPRESSED_BYTES", "2000", "CAPTURE_MAX_DECOMPRESSED_BYTES", 2000),
    ("REVIEWAPP_API_MAX_BODY_BYTES", "3000", "API_MAX_BODY_BYTES", 3000),
    ("REVIEWAPP_CLAIM_LEASE_SECONDS", "900", "CLAIM_LEASE_SECONDS", 900),
    ("REVIEWAPP_RATELIMIT_ENABLED", "false", "RATELIMIT_ENABLED", False),
    ("REVIEWAPP_SIGN_IN_ATTEMPTS_PER_ACCOUNT", "5", "SIGN_IN_ATTEMPTS_PER_ACCOUNT", 5),
    ("REVIEWAPP_SIGN_IN_ATTEMPTS_PER_ADDRESS", "50", "SIGN_IN_ATTEMPTS_PER_ADDRESS", 50),
    ("REVIEWAPP_SIGN_IN_WINDOW_SECONDS", " 60 ", "SIGN_IN_WINDOW_SECONDS", 60),
    ("REVIEWAPP_TRUSTED_PROXIES", "2", "TRUSTED_PROXIES", 2),
    ("REVIEWAPP_SESSION_IDLE_DAYS", "1", "SESSION_IDLE_DAYS", 1),
    ("REVIEWAPP_SESSION_COOKIE_SECURE", "true", "SESSION_COOKIE_SECURE", True),
    ("REVIEWAPP_PAGE_SIZE", "20", "PAGE_SIZE", 20),
    ("REVIEWAPP_SITE_URL", "https://reviews.example.com/", "SITE_URL", "https://reviews.example.com"),
    ("REVIEWAPP_RETENTION_DAYS", "30", "RETENTION_DAYS", 30),
    ("DATABASE_URL", "postgresql+psycopg://u:pw@db.example/reviews", "SQLALCHEMY_DATABASE_URI",
     "postgresql+psycopg://u:pw@db.example/reviews"),
    ("SECRET_KEY", "the-deployment-secret", "SECRET_KEY", "the-deployment-secret"),
]


def test_every_setting_has_a_row_here():
    assert {key for _, _, key, _ in SETTINGS} >= set(DEFAULTS)


@pytest.mark.parametrize("variable, raw, key, expected", SETTINGS, ids=[row[0] for row in SETTINGS])
def test_each_variable_reaches_the_app_with_its_type(monkeypatch, variable, raw, key, expected):
    assert create_app().config[key] != expected  # the default differs, so the variable is what changed it
    monkeypatch.setenv(variable, raw)
    value = create_app().config[key]
    assert value == expected and type(value) is type(expected)


def test_the_database_engine_follows_the_database_url(monkeypatch):
    assert create_app().config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"timeout": 30}
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u:pw@db.example/reviews")
    assert create_app().config["SQLALCHEMY_ENGINE_OPTIONS"] == {
        "pool_pre_ping": True, "pool_size": 10, "max_overflow": 20}


@pytest.mark.parametrize("variable, raw, message", [
    ("REVIEWAPP_PAGE_SIZE", "fifty", "REVIEWAPP_PAGE_SIZE must be a whole number, not 'fifty'."),
    ("REVIEWAPP_CLAIM_LEASE_SECONDS", "600.5", "REVIEWAPP_CLAIM_LEASE_SECONDS must be a whole number, not '600.5'."),
    ("REVIEWAPP_TRUSTED_PROXIES", "true", "REVIEWAPP_TRUSTED_PROXIES must be a whole number, not 'true'."),
    ("REVIEWAPP_RATELIMIT_ENABLED", "yes", "REVIEWAPP_RATELIMIT_ENABLED must be true or false, not 'yes'."),
    ("REVIEWAPP_SESSION_COOKIE_SECURE", "1", "REVIEWAPP_SESSION_COOKIE_SECURE must be true or false, not '1'."),
    ("REVIEWAPP_ENV", "1", "REVIEWAPP_ENV must be text, not '1'."),
])
def test_a_value_of_the_wrong_type_stops_the_start(monkeypatch, variable, raw, message):
    """Read as text, `fifty` would fail in the first request and `no` would pass as true: refuse them at start."""
    monkeypatch.setenv(variable, raw)
    with pytest.raises(RuntimeError) as refused:
        create_app()
    assert str(refused.value) == message


@pytest.mark.parametrize("raw", ["reviews.example.com", "ftp://reviews.example.com", "https://",
                                 "https://reviews.example.com/?a=1", "https://reviews.example.com/#top", "42"])
def test_a_site_url_that_is_no_absolute_http_url_stops_the_start(monkeypatch, raw):
    monkeypatch.setenv("REVIEWAPP_SITE_URL", raw)
    with pytest.raises(RuntimeError) as refused:
        create_app()
    assert str(refused.value).startswith("REVIEWAPP_SITE_URL must be")


@pytest.mark.parametrize("raw, expected", [("", None), ("  ", None), ("http://10.0.0.5:8000", "http://10.0.0.5:8000"),
                                           ("https://example.com/reviews/", "https://example.com/reviews")])
def test_the_site_url_is_kept_without_its_trailing_slash(monkeypatch, raw, expected):
    monkeypatch.setenv("REVIEWAPP_SITE_URL", raw)
    assert create_app().config["SITE_URL"] == expected


def test_production_requires_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("REVIEWAPP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY")
    with pytest.raises(RuntimeError, match=r"^SECRET_KEY must be set when REVIEWAPP_ENV=production\.$"):
        create_app()
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        load_config(str(tmp_path), {"SECRET_KEY": ""})
    assert not (tmp_path / "secret_key").exists()


def test_production_cookies_are_secure_whatever_else_is_set(monkeypatch):
    monkeypatch.setenv("REVIEWAPP_ENV", "production")
    monkeypatch.setenv("REVIEWAPP_SESSION_COOKIE_SECURE", "false")
    config = create_app({"SESSION_COOKIE_SECURE": False}).config
    assert config["SESSION_COOKIE_SECURE"] is True and config["REMEMBER_COOKIE_SECURE"] is True


def test_a_browser_gets_a_secure_cookie_in_production(monkeypatch):
    monkeypatch.setenv("REVIEWAPP_ENV", "production")
    app = create_app({"TESTING": True})
    with app.test_client() as client:
        client.get("/login")  # the sign-in form puts its CSRF token in the session
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.secure and cookie.http_only and cookie.same_site == "Lax"


def test_cookie_protections_cannot_be_loosened_from_the_environment(monkeypatch):
    monkeypatch.setenv("REVIEWAPP_SESSION_COOKIE_HTTPONLY", "false")
    monkeypatch.setenv("REVIEWAPP_SESSION_COOKIE_SAMESITE", "None")
    config = create_app().config
    assert config["SESSION_COOKIE_HTTPONLY"] is True and config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["SESSION_COOKIE_SECURE"] is False  # development: plain http works


def test_development_keeps_a_generated_secret_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY")
    first = load_config(str(tmp_path))["SECRET_KEY"]
    assert len(first) == 64 and load_config(str(tmp_path))["SECRET_KEY"] == first  # sessions survive a restart
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_the_callers_settings_win_over_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("REVIEWAPP_PAGE_SIZE", "20")
    config = create_app({"PAGE_SIZE": 5, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.sqlite'}"}).config
    assert config["PAGE_SIZE"] == 5
    assert config["SQLALCHEMY_DATABASE_URI"].endswith("other.sqlite")
    assert config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"timeout": 30}


def test_each_app_keeps_its_own_sign_in_throttling(monkeypatch):
    """Two apps in one process (as the tests make them) do not share a switch: nothing module-global is toggled."""
    throttled = create_app({"SIGN_IN_ATTEMPTS_PER_ADDRESS": 3})
    unthrottled = create_app({"RATELIMIT_ENABLED": False})
    with throttled.app_context():
        limits = throttle_limits()
        assert limits is not None and (limits.per_account, limits.per_address) == (10, 3)
    with unthrottled.app_context():
        assert throttle_limits() is None
