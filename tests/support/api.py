"""A small JSON client for the API tests: bearer auth, a project prefix, and helpers for the error shape."""
from __future__ import annotations

import json
from typing import Any


class ApiClient:
    def __init__(self, client, project_id: int, key: str | None, user=None, project=None,
                 prefix: str = "environments"):
        self.client = client
        self.project_id = project_id
        self.key = key
        self.user = user
        self.project = project
        self.prefix = prefix

    def url(self, path: str) -> str:
        if path.startswith(("/", "http://", "https://")):
            return path
        return f"/api/{self.prefix}/{self.project_id}/llm_analytics/{path}"

    def headers(self, extra: dict | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        headers.update(extra or {})
        return headers

    def request(self, method: str, path: str, body: Any = None, raw: bytes | str | None = None,
                content_type: str = "application/json", headers: dict | None = None, **kwargs):
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        return self.client.open(self.url(path), method=method, data=data,
                                content_type=content_type if data is not None else None,
                                headers=self.headers(headers), **kwargs)

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw):
        return self.request("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw):
        return self.request("PATCH", path, body, **kw)

    def delete(self, path: str, **kw):
        return self.request("DELETE", path, **kw)

    def as_key(self, key: str | None) -> "ApiClient":
        return ApiClient(self.client, self.project_id, key, self.user, self.project, self.prefix)

    def in_project(self, project_id: int) -> "ApiClient":
        return ApiClient(self.client, project_id, self.key, self.user, self.project, self.prefix)


def assert_error(response, status: int, code: str | None = None, attr: Any = "__any__", detail: str | None = None):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert body is not None, response.get_data(as_text=True)
    assert set(body) >= {"type", "code", "detail", "attr"}, body
    if code is not None:
        assert body["code"] == code, body
    if attr != "__any__":
        assert body["attr"] == attr, body
    if detail is not None:
        assert body["detail"] == detail, body
    return body
