"""The main navigation shows each role only pages it may open: every link answers 200 for that role."""
from __future__ import annotations

import re

import pytest


@pytest.fixture
def project(factory):
    return factory.project("Navigation")


def nav_links(html: str) -> list[str]:
    nav = re.search(r'<nav class="mainnav"[^>]*>(.*?)</nav>', html, re.S)
    assert nav, "the page has no main navigation"
    return re.findall(r'href="([^"]+)"', nav.group(1))


@pytest.mark.parametrize("role", ["viewer", "reviewer", "admin"])
def test_every_nav_link_opens_for_the_role(client, factory, project, login, role):
    login(factory.member(project, role))
    links = nav_links(client.get(f"/projects/{project.id}/queues/").get_data(as_text=True))
    assert [link.split("/")[3] for link in links] == ["queues", "traces", "reviews", "evaluations", "insights",
                                                      "scorers", "settings"]
    for link in links:
        response = client.get(link)
        assert response.status_code == 200, (role, link, response.status_code)
        assert nav_links(response.get_data(as_text=True)) == links  # the same menu on every page
