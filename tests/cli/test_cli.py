"""The account commands of the CLI, as an operator uses them."""
import re

from reviewapp.cli import create_api_key, create_project, create_user
from reviewapp.services import accounts


def test_create_project_prints_id_and_token(app):
    result = app.test_cli_runner().invoke(create_project, ["Support bot"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert re.fullmatch(r"id: \d+", lines[0])
    assert re.fullmatch(r"token: phc_[A-Za-z0-9]{20,}", lines[1])
    project = accounts.find_project_by_token(lines[1].split(": ")[1])
    assert project.name == "Support bot" and project.id == int(lines[0].split(": ")[1])


def test_create_user_with_project_and_role(app):
    runner = app.test_cli_runner()
    result = runner.invoke(create_user, ["Ada@Example.com", "--password", "long enough", "--first-name", "Ada",
                                         "--project", "New project", "--role", "reviewer"])
    assert result.exit_code == 0, result.output
    user = accounts.find_user_by_email("ada@example.com")
    assert user.first_name == "Ada"
    [(project, role)] = accounts.projects_of(user)
    assert (project.name, role) == ("New project", "reviewer")
    assert accounts.authenticate_user("ada@example.com", "long enough") == user
    assert user.password_hash.startswith("$argon2id$")


def test_create_user_refusals_write_nothing(app):
    runner = app.test_cli_runner()
    short = runner.invoke(create_user, ["b@example.com", "--password", "short", "--project", "P"])
    assert short.exit_code != 0 and "at least 8" in short.output
    assert accounts.find_user_by_email("b@example.com") is None
    assert accounts.find_project_by_name("P") is None
    runner.invoke(create_user, ["c@example.com", "--password", "long enough"])
    dup = runner.invoke(create_user, ["C@example.com", "--password", "long enough"])
    assert dup.exit_code != 0 and "already exists" in dup.output


def test_create_api_key_prints_the_key_last_and_stores_only_a_hash(app, client):
    runner = app.test_cli_runner()
    runner.invoke(create_user, ["k@example.com", "--password", "long enough", "--project", "K"])
    result = runner.invoke(create_api_key, ["k@example.com", "--scopes", "llm_analytics:read", "--label", "ci"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("phx_") and len(secret) > 30
    [key] = accounts.api_keys_of(accounts.find_user_by_email("k@example.com"))
    assert secret not in (key.secure_value, key.mask_value) and key.scopes == ["llm_analytics:read"]
    project_id = accounts.find_project_by_name("K").id
    response = client.get(f"/api/projects/{project_id}/llm_analytics/review_queues/",
                          headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert accounts.api_keys_of(accounts.find_user_by_email("k@example.com"))[0].last_used_at is not None


def test_create_api_key_refusals(app):
    runner = app.test_cli_runner()
    assert "No user" in runner.invoke(create_api_key, ["nobody@example.com", "--scopes", "*"]).output
    runner.invoke(create_user, ["s@example.com", "--password", "long enough"])
    bad = runner.invoke(create_api_key, ["s@example.com", "--scopes", "admin:all"])
    assert bad.exit_code != 0 and "not a valid scope" in bad.output
