"""Sign-in, sign-out, password change, server-side sessions, session cookies and safe redirects in the browser
pages (throttling has its own file, test_sign_in_throttling.py)."""
from __future__ import annotations

import pytest

from reviewapp.config import load_config
from reviewapp.extensions import db
from reviewapp.web import is_safe_next
from tests.conftest import csrf_token_from
from tests.support.factories import Factory


def _login_form(client) -> str:
    return csrf_token_from(client.get("/login").get_data(as_text=True))


def _post_login(client, email: str, password: str, **extra):
    return client.post("/login", data={"email": email, "password": password, "csrf_token": _login_form(client),
                                       **extra})


@pytest.fixture
def member(factory):
    project = factory.project("Alpha")
    return factory.user(email="ann@example.com", project=project, role="reviewer"), project


def test_anonymous_page_lands_on_sign_in_with_next(client, member):
    _, project = member
    response = client.get(f"/projects/{project.id}/queues/")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")
    page = client.get(response.location).get_data(as_text=True)
    assert "Sign in" in page and 'name="next"' in page


def test_home_sends_anonymous_to_sign_in_and_members_to_first_project_queues(client, member, login):
    user, project = member
    assert client.get("/").location == "/login"
    login(user)
    response = client.get("/")
    assert response.status_code == 302
    assert response.location == f"/projects/{project.id}/queues/"


def test_sign_in_with_wrong_password_says_so_and_keeps_email(client, member):
    response = _post_login(client, "ann@example.com", "not the password")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Email or password is not correct." in page
    assert 'value="ann@example.com"' in page
    assert client.get("/").location == "/login"  # still signed out


def test_sign_in_without_csrf_token_is_refused(client, member):
    response = client.post("/login", data={"email": "ann@example.com", "password": Factory.PASSWORD})
    assert response.status_code == 400
    assert "nothing was saved" in response.get_data(as_text=True)
    assert client.get("/").location == "/login"


def test_a_form_sent_after_the_session_ended_says_so_and_signs_in_back_to_that_page(client, member):
    response = client.post("/projects/1/review/abc", data={"comment": "typed"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Your session ended before this form was sent, so nothing was saved." in page
    assert 'href="/login?next=/projects/1/review/abc"' in page


def test_a_stale_form_of_a_signed_in_user_says_nothing_was_saved(client, member, login):
    login(member[0])
    response = client.post("/account/password", data={"current_password": "x"})
    assert response.status_code == 400
    assert "This form was out of date, so nothing was saved." in response.get_data(as_text=True)


def test_sign_in_follows_a_local_next(client, member):
    _, project = member
    target = f"/projects/{project.id}/queues/?search=x"
    response = _post_login(client, "ann@example.com", Factory.PASSWORD, next=target)
    assert response.status_code == 302
    assert response.location == target


@pytest.mark.parametrize("target", [
    "//evil.com", "https://evil.com", "http://evil.com/x", "/\\evil.com", "\\\\evil.com", "/\t/evil.com",
    "javascript:alert(1)", "evil.com", "",
])
def test_sign_in_ignores_a_foreign_next(client, member, target):
    _, project = member
    response = _post_login(client, "ann@example.com", Factory.PASSWORD, next=target)
    assert response.status_code == 302
    assert response.location == f"/projects/{project.id}/queues/"


@pytest.mark.parametrize("target,safe", [
    ("/projects/1/queues/", True), ("/", True), ("//evil.com", False), ("https://evil.com", False),
    ("/\\evil.com", False), ("/\t/evil.com", False), ("/\n/evil.com", False), (None, False),
])
def test_is_safe_next(target, safe):
    assert is_safe_next(target) is safe


def test_sign_out_is_a_post_with_csrf(client, member, login):
    user, _ = member
    token = login(user)
    assert client.get("/logout").status_code == 405
    refused = client.post("/logout")
    assert refused.status_code == 400
    assert client.get("/").location != "/login"  # still signed in
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.location == "/login"
    assert "You are signed out." in client.get("/login").get_data(as_text=True)
    assert client.get("/").location == "/login"


def test_session_cookie_is_httponly_and_samesite_lax(client, member):
    response = _post_login(client, "ann@example.com", Factory.PASSWORD)
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development: plain http works


def test_production_cookies_are_secure(monkeypatch, tmp_path):
    monkeypatch.setenv("REVIEWAPP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a-production-secret")
    config = load_config(str(tmp_path))
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    monkeypatch.delenv("SECRET_KEY")
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        load_config(str(tmp_path))


def test_password_change_needs_the_current_password(client, member, login):
    user, _ = member
    token = login(user)
    response = client.post("/account/password", data={
        "csrf_token": token, "current_password": "wrong password", "new_password": "a new password",
        "confirm": "a new password"})
    assert response.status_code == 400
    assert "Your current password is not correct." in response.get_data(as_text=True)


def test_password_change_checks_length_and_repeat(client, member, login):
    user, _ = member
    token = login(user)
    short = client.post("/account/password", data={
        "csrf_token": token, "current_password": Factory.PASSWORD, "new_password": "short", "confirm": "short"})
    assert short.status_code == 400
    assert "at least 8 characters" in short.get_data(as_text=True)
    differ = client.post("/account/password", data={
        "csrf_token": token, "current_password": Factory.PASSWORD, "new_password": "a new password",
        "confirm": "another password"})
    assert differ.status_code == 400
    assert "Passwords differ." in differ.get_data(as_text=True)


def test_password_change_signs_out_other_sessions_and_keeps_this_one(app, client, member, login):
    user, project = member
    other = app.test_client()
    other_token = csrf_token_from(other.get("/login").get_data(as_text=True))
    other.post("/login", data={"email": user.email, "password": Factory.PASSWORD, "csrf_token": other_token})
    assert other.get(f"/projects/{project.id}/queues/").status_code == 200

    token = login(user)
    response = client.post("/account/password", data={
        "csrf_token": token, "current_password": Factory.PASSWORD, "new_password": "a new password",
        "confirm": "a new password"})
    assert response.status_code == 302
    assert client.get(f"/projects/{project.id}/queues/").status_code == 200
    assert other.get(f"/projects/{project.id}/queues/").location.startswith("/login")
    assert _post_login(app.test_client(), user.email, Factory.PASSWORD).status_code == 400
    assert _post_login(app.test_client(), user.email, "a new password").status_code == 302


def _copy_of_cookie(app, client):
    """A second browser holding a saved copy of this browser's session cookie, as a thief would."""
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session", domain="localhost").value, domain="localhost")
    return copy


def _is_signed_in(client, project) -> bool:
    response = client.get(f"/projects/{project.id}/queues/")
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200


def test_a_saved_cookie_stops_working_after_sign_out(app, client, member, login):
    user, project = member
    token = login(user)
    saved = _copy_of_cookie(app, client)
    assert _is_signed_in(saved, project)
    assert client.post("/logout", data={"csrf_token": token}).location == "/login"
    assert not _is_signed_in(saved, project)
    assert saved.get("/").location == "/login"
    api = saved.get(f"/api/projects/{project.id}/llm_analytics/review_queues/")
    assert api.status_code == 401 and api.get_json()["code"] == "not_authenticated"


def test_sign_out_ends_only_that_browser_s_session(app, client, member, login):
    user, project = member
    token = login(user)
    phone = app.test_client()
    assert _post_login(phone, user.email, Factory.PASSWORD).status_code == 302
    client.post("/logout", data={"csrf_token": token})
    assert not _is_signed_in(client, project)
    assert _is_signed_in(phone, project)


def test_signing_in_issues_a_new_session_each_time(app, client, member, login):
    user, project = member
    login(user)
    first = client.get_cookie("session", domain="localhost").value
    token = csrf_token_from(client.get(f"/projects/{project.id}/queues/").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    login(user)
    assert client.get_cookie("session", domain="localhost").value != first


def test_password_change_ends_saved_copies_of_other_sessions_but_not_this_one(app, client, member, login):
    user, project = member
    other = app.test_client()
    assert _post_login(other, user.email, Factory.PASSWORD).status_code == 302
    saved_other = _copy_of_cookie(app, other)
    token = login(user)
    saved_this = _copy_of_cookie(app, client)
    response = client.post("/account/password", data={
        "csrf_token": token, "current_password": Factory.PASSWORD, "new_password": "a new password",
        "confirm": "a new password"})
    assert response.status_code == 302
    assert _is_signed_in(client, project) and _is_signed_in(saved_this, project)
    assert not _is_signed_in(other, project) and not _is_signed_in(saved_other, project)


def test_a_deactivated_account_is_signed_out_everywhere(app, client, member, login):
    user, project = member
    login(user)
    saved = _copy_of_cookie(app, client)
    user.is_active_user = False
    db.session.commit()
    assert not _is_signed_in(client, project)
    assert not _is_signed_in(saved, project)
    assert _post_login(app.test_client(), user.email, Factory.PASSWORD).status_code == 400


def test_a_session_idle_for_longer_than_its_lifetime_is_signed_out(app, client, member, login):
    from datetime import timedelta

    from reviewapp.models import UserSession, utcnow

    user, project = member
    login(user)
    record = db.session.scalar(db.select(UserSession).where(UserSession.user_id == user.id))
    record.last_seen_at = utcnow() - timedelta(days=app.config["SESSION_IDLE_DAYS"], minutes=1)
    db.session.commit()
    assert not _is_signed_in(client, project)


def test_a_session_seen_a_while_ago_is_kept_alive_and_its_project_pages_still_open(app, client, member, login):
    """Reading the session writes its last-seen time now and then (a commit): the memberships read with the
    session are read again afterwards, so the project page opens with the project switcher as usual."""
    from datetime import timedelta

    from reviewapp.models import UserSession, utcnow

    user, project = member
    login(user)
    record = db.session.scalar(db.select(UserSession).where(UserSession.user_id == user.id))
    record.last_seen_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    page = client.get(f"/projects/{project.id}/traces/")
    assert page.status_code == 200 and f'<option value="{project.id}" selected>' in page.get_data(as_text=True)
    db.session.refresh(record)
    assert record.last_seen_at > utcnow() - timedelta(minutes=1)


def test_a_remember_cookie_carries_the_revocable_session_not_the_user(app, client, member, login):
    """No remember cookie is issued, but Flask-Login reads one if sent: it names the session record, so an
    ended session cannot be restored from one either."""
    from flask_login.utils import encode_cookie

    user, project = member
    token = login(user)
    with client.session_transaction() as session:
        session_token = session["_user_id"]
    assert session_token != str(user.id)
    with app.test_request_context():
        remember = encode_cookie(session_token)
    restored = app.test_client()
    restored.set_cookie("remember_token", remember, domain="localhost")
    assert _is_signed_in(restored, project)
    client.post("/logout", data={"csrf_token": token})
    replay = app.test_client()
    replay.set_cookie("remember_token", remember, domain="localhost")
    assert not _is_signed_in(replay, project)
