"""The layout every page shares: navigation, project switcher, signed-in user, flash messages."""
import os
import re

from reviewapp.static_files import Versions
from tests.conftest import csrf_token_from
from tests.traces.helpers import sign_in

NAV = ["Queues", "Traces", "Reviews", "Evaluations", "Insights", "Scorers", "Settings"]


def nav_labels(html):
    nav = re.search(r'<nav class="mainnav".*?</nav>', html, re.S).group(0)
    return re.findall(r">([A-Za-z]+)</a>", nav), nav


def test_nav_links_every_section_and_marks_the_current_one(client, factory):
    project = factory.project("Alpha")
    sign_in(client, factory.user(project=project, role="viewer"), f"/projects/{project.id}/traces/")
    labels, nav = nav_labels(client.get(f"/projects/{project.id}/traces/").get_data(as_text=True))
    assert labels == NAV
    assert f'<a href="/projects/{project.id}/traces/"\n         aria-current="page">Traces</a>' in nav
    assert nav.count("aria-current") == 1


def test_switcher_lists_my_projects_with_roles_and_the_user(client, factory):
    alpha, beta = factory.project("Alpha"), factory.project("Beta")
    factory.project("Not mine")  # exists, but the user is not in it
    user = factory.user(project=alpha, role="admin", first_name="Grace", last_name="Hopper")
    from reviewapp.services import accounts

    accounts.set_membership(user, beta, "viewer")
    sign_in(client, user, f"/projects/{beta.id}/traces/")
    html = client.get(f"/projects/{beta.id}/traces/").get_data(as_text=True)
    switcher = re.search(r'<form class="project-switcher".*?</form>', html, re.S).group(0)
    assert 'action="/switch-project"' in switcher and "data-autosubmit" in switcher
    options = re.findall(r'<option value="(\d+)" ?(selected)?>([^<]+)</option>', switcher)
    assert options == [(str(alpha.id), "", "Alpha · admin"), (str(beta.id), "selected", "Beta · viewer")]
    assert "Not mine" not in html
    assert ">Grace Hopper</a>" in html


def test_sign_out_is_a_post_and_the_flash_shows_in_the_layout(client, factory):
    project = factory.project()
    sign_in(client, factory.user(project=project), f"/projects/{project.id}/traces/")
    html = client.get(f"/projects/{project.id}/traces/").get_data(as_text=True)
    assert re.search(r'<form method="post" action="/logout" class="inline">\s*<input type="hidden" '
                     r'name="csrf_token"', html)
    response = client.post("/logout", data={"csrf_token": csrf_token_from(html)}, follow_redirects=True)
    assert '<div class="flash flash-info">You are signed out.</div>' in response.get_data(as_text=True)
    assert client.get(f"/projects/{project.id}/traces/").status_code == 302


def test_layout_loads_only_local_assets(client, factory):
    project = factory.project()
    sign_in(client, factory.user(project=project), f"/projects/{project.id}/traces/")
    html = client.get(f"/projects/{project.id}/traces/").get_data(as_text=True)
    assets = re.findall(r'<(?:link|script)[^>]*(?:src|href)="([^"?]+)\?v=[0-9a-f]{12}"', html)
    assert assets == ["/static/favicon.svg", "/static/app.css", "/static/app.js"]
    with client.get("/static/app.css") as response:  # a file response: close it
        assert response.status_code == 200 and b".btn-primary" in response.data


def test_a_page_links_its_assets_by_content_so_browsers_keep_them_and_see_a_change(client, factory, app, tmp_path):
    project = factory.project()
    sign_in(client, factory.user(project=project), f"/projects/{project.id}/traces/")
    html = client.get(f"/projects/{project.id}/traces/").get_data(as_text=True)
    css = re.search(r'href="(/static/app\.css\?v=[0-9a-f]{12})"', html).group(1)
    with client.get(css) as kept:  # the address of this content: a year, without asking again
        assert kept.status_code == 200 and "max-age=31536000" in kept.headers["Cache-Control"]
    with client.get("/static/app.css?v=000000000000") as stale:  # not this content: revalidated on each use
        assert stale.status_code == 200 and "max-age=31536000" not in stale.headers.get("Cache-Control", "")
    # A changed file gets a new address at once.
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "app.css").write_text("a { color: red }")
    versions = Versions(str(folder))
    before = versions.of("app.css")
    (folder / "app.css").write_text("a { color: blue }")
    os.utime(folder / "app.css", (1, 1))
    assert versions.of("app.css") not in (before, None) and versions.of("missing.css") is None
