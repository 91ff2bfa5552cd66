"""Sign-in throttling: per account and per client address, counted in the database so that every worker and
process shares it, 429 with Retry-After, and the client's address taken from X-Forwarded-For only behind a
trusted proxy."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from reviewapp import create_app
from reviewapp.extensions import db
from reviewapp.models import SignInAttempt
from tests.conftest import csrf_token_from
from tests.support.factories import Factory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def throttling(app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    monkeypatch.setitem(app.config, "SIGN_IN_ATTEMPTS_PER_ACCOUNT", 10)
    monkeypatch.setitem(app.config, "SIGN_IN_ATTEMPTS_PER_ADDRESS", 100)
    monkeypatch.setitem(app.config, "SIGN_IN_WINDOW_SECONDS", 300)


@pytest.fixture
def ann(factory):
    return factory.user(email="ann@example.com", project=factory.project("Alpha"), role="reviewer")


@pytest.fixture
def bob(factory):
    return factory.user(email="bob@example.com", project=factory.project("Beta"), role="reviewer")


def sign_in(client, email: str, password: str, **kwargs):
    token = csrf_token_from(client.get("/login", **kwargs).get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token}, **kwargs)


def from_address(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def test_the_eleventh_try_on_an_account_is_429_with_retry_after(client, ann):
    for attempt in range(10):
        assert sign_in(client, ann.email, f"wrong {attempt}").status_code == 400
    response = sign_in(client, ann.email, Factory.PASSWORD)  # even the right password waits
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 300
    page = response.get_data(as_text=True)
    assert "Too many sign-in attempts for this account. Try again in 5 minutes." in page
    assert 'value="ann@example.com"' in page  # the form comes back with the email kept
    assert client.get("/login").status_code == 200


def test_a_locked_account_does_not_lock_out_others_behind_the_same_address(client, ann, bob):
    for attempt in range(15):
        sign_in(client, ann.email, f"wrong {attempt}")
    assert sign_in(client, ann.email, "wrong again").status_code == 429
    assert sign_in(client, bob.email, Factory.PASSWORD).status_code == 302


def test_an_address_over_its_own_limit_is_refused_for_every_account(app, client, factory, monkeypatch):
    monkeypatch.setitem(app.config, "SIGN_IN_ATTEMPTS_PER_ADDRESS", 5)
    victims = [factory.user(email=f"victim{n}@example.com") for n in range(6)]
    for victim in victims[:5]:
        assert sign_in(client, victim.email, "password1", **from_address("198.51.100.7")).status_code == 400
    refused = sign_in(client, victims[5].email, Factory.PASSWORD, **from_address("198.51.100.7"))
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many sign-in attempts from your network." in refused.get_data(as_text=True)
    # Another client address, and the same accounts, are not affected.
    assert sign_in(app.test_client(), victims[5].email, Factory.PASSWORD,
                   **from_address("198.51.100.8")).status_code == 302


def test_successful_sign_ins_do_not_count(client, ann):
    for _ in range(12):
        response = sign_in(client, ann.email, Factory.PASSWORD)
        assert response.status_code == 302
        token = csrf_token_from(client.get(response.location).get_data(as_text=True))
        assert client.post("/logout", data={"csrf_token": token}).location == "/login"


def test_the_right_password_clears_the_account_s_failures(client, ann):
    for attempt in range(9):
        sign_in(client, ann.email, f"wrong {attempt}")
    signed_in = sign_in(client, ann.email, Factory.PASSWORD)
    assert signed_in.status_code == 302
    token = csrf_token_from(client.get(signed_in.location).get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    for attempt in range(10):
        assert sign_in(client, ann.email, f"wrong {attempt}").status_code == 400


def test_the_lock_ends_when_the_window_has_passed(client, ann):
    for attempt in range(10):
        sign_in(client, ann.email, f"wrong {attempt}")
    assert sign_in(client, ann.email, Factory.PASSWORD).status_code == 429
    for attempt in db.session.scalars(select(SignInAttempt)):
        attempt.attempted_at -= timedelta(minutes=6)
    db.session.commit()
    assert sign_in(client, ann.email, Factory.PASSWORD).status_code == 302


def test_forwarded_for_is_ignored_unless_a_proxy_is_trusted(app, client, factory, monkeypatch):
    monkeypatch.setitem(app.config, "SIGN_IN_ATTEMPTS_PER_ADDRESS", 3)
    for n in range(3):
        user = factory.user()
        headers = {"X-Forwarded-For": f"203.0.113.{n}"}
        assert sign_in(client, user.email, "password1", headers=headers).status_code == 400
    # A client cannot name a fresh address for itself: the three counted against its real one.
    refused = sign_in(client, factory.user().email, "password1", headers={"X-Forwarded-For": "203.0.113.99"})
    assert refused.status_code == 429


@pytest.fixture
def behind_proxy(app):
    """A second app instance on the same database, configured to trust one proxy."""
    proxied = create_app({**{k: app.config[k] for k in (
        "TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "ARGON2_PARAMETERS", "SERVER_NAME")},
        "RATELIMIT_ENABLED": True, "TRUSTED_PROXIES": 1, "SIGN_IN_ATTEMPTS_PER_ADDRESS": 3})
    yield proxied
    with proxied.app_context():
        db.engine.dispose()


def test_behind_a_trusted_proxy_each_client_is_counted_on_its_own(behind_proxy, factory):
    client = behind_proxy.test_client()
    users = [factory.user() for _ in range(5)]
    for user in users[:3]:
        assert sign_in(client, user.email, "password1", headers={"X-Forwarded-For": "203.0.113.1"}).status_code == 400
    assert sign_in(client, users[3].email, "password1",
                   headers={"X-Forwarded-For": "203.0.113.1"}).status_code == 429
    assert sign_in(client, users[4].email, Factory.PASSWORD,
                   headers={"X-Forwarded-For": "203.0.113.2"}).status_code == 302


# Another process with its own app instance on the same database: what a second gunicorn worker is.
OTHER_PROCESS = textwrap.dedent("""
    import json, sys
    from reviewapp import create_app
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "x" * 32,
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True, "SERVER_NAME": "localhost",
                      "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}})
    client = app.test_client()
    codes = [client.post("/login", data={"email": sys.argv[2], "password": f"wrong {n}"}).status_code
             for n in range(int(sys.argv[3]))]
    print(json.dumps(codes))
""")


def test_the_count_is_shared_by_every_process(app, client, ann):
    for attempt in range(4):
        assert sign_in(client, ann.email, f"wrong {attempt}").status_code == 400
    done = subprocess.run([sys.executable, "-c", OTHER_PROCESS, app.config["SQLALCHEMY_DATABASE_URI"], ann.email,
                           "7"], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [400] * 6 + [429]
    assert sign_in(client, ann.email, Factory.PASSWORD).status_code == 429


def test_two_processes_at_once_get_no_more_tries_than_one(app, ann):
    """The attack the old per-worker count allowed: two workers, ten tries each. Together they get ten."""
    runs = [subprocess.Popen([sys.executable, "-c", OTHER_PROCESS, app.config["SQLALCHEMY_DATABASE_URI"], ann.email,
                              "10"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                             env={**os.environ, "PYTHONWARNINGS": "ignore"}) for _ in range(2)]
    codes = []
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        codes += json.loads(out.strip().splitlines()[-1])
    assert sorted(set(codes)) == [400, 429]
    assert codes.count(400) <= 10 and codes.count(429) >= 10
