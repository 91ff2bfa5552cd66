"""A small JSON client for the API tests: bearer auth, a project prefix, helpers for the error shape, and a check
of every answer against the OpenAPI document at /api/schema/."""
from __future__ import annotations

import functools
import json
import re
from typing import Any
from urllib.parse import urlsplit

from openapi_schema_validator import OAS30Validator, oas30_format_checker

from reviewapp.api.schema import PREFIX, build_schema


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
        response = self.client.open(self.url(path), method=method, data=data,
                                    content_type=content_type if data is not None else None,
                                    headers=self.headers(headers), **kwargs)
        assert_documented(method, self.url(path), response)
        return response

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw):
        return self.request("POST", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw):
        return self.request("PATCH", path, body, **kw)

    def delete(self, path: str, **kw):
        return self.request("DELETE", path, **kw)

    def as_key(self, key: str | None) -> ApiClient:
        return ApiClient(self.client, self.project_id, key, self.user, self.project, self.prefix)

    def in_project(self, project_id: int) -> ApiClient:
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


# --- the answer matches the OpenAPI document -----------------------------------------------------------

@functools.cache
def _document() -> dict[str, Any]:
    return build_schema()


@functools.cache
def _path_patterns() -> list[tuple[re.Pattern, str]]:
    """Each documented path as a pattern over both prefixes, with or without the trailing slash; literal paths
    first, so `trace_reviews/export/` is not read as the review with id "export"."""
    served_prefix = r"/api/(?:environments|projects)/[^/]+/llm_analytics"
    patterns = []
    for path in _document()["paths"]:
        tail = re.escape(path[len(PREFIX):].rstrip("/"))
        tail = tail.replace(re.escape("{trace_id}"), ".+?")
        tail = re.sub(re.escape("\\{") + r"\w+" + re.escape("\\}"), "[^/]+", tail)
        patterns.append((path.count("{"), re.compile(served_prefix + tail + "/?"), path))
    return [(pattern, path) for _, pattern, path in sorted(patterns, key=lambda row: row[0])]


def _inline(schema: Any) -> Any:
    """The schema with every `#/components/schemas/...` reference replaced by its target (none is recursive)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inline(_document()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
        return {key: _inline(value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_inline(item) for item in schema]
    return schema


@functools.cache
def _validator(path: str, method: str, status: str, media_type: str) -> OAS30Validator:
    schema = _document()["paths"][path][method]["responses"][status]["content"][media_type]["schema"]
    return OAS30Validator(_inline(schema), format_checker=oas30_format_checker)


def assert_documented(method: str, url: str, response) -> None:
    """Fail the test when the API answers what /api/schema/ does not say: an undocumented status for the
    operation, another content type, or a body outside the response schema; and a 405 without `Allow`."""
    path = urlsplit(url).path
    if response.status_code == 405 and path.startswith("/api/"):
        assert response.headers.get("Allow"), f"{method} {path}: 405 without an Allow header"
    operation_path = next((doc_path for pattern, doc_path in _path_patterns() if pattern.fullmatch(path)), None)
    operation = _document()["paths"].get(operation_path, {}).get(method.lower())
    if operation is None:
        return  # not a documented operation (the capture endpoints, an unknown path, a method it has not)
    status = str(response.status_code)
    documented = operation["responses"].get(status)
    assert documented is not None, (
        f"{method} {path} answered {status}, which /api/schema/ does not document "
        f"(it documents {sorted(operation['responses'])}): {response.get_data(as_text=True)[:300]}")
    content = documented.get("content")
    if not content:
        assert not response.get_data(), f"{method} {path} {status}: a body where the document says none"
        return
    assert response.mimetype in content, (
        f"{method} {path} {status}: {response.mimetype}, documented {sorted(content)}")
    if response.mimetype != "application/json":
        return
    errors = sorted(_validator(operation_path, method.lower(), status, response.mimetype).iter_errors(
        response.get_json()), key=lambda error: list(error.path))
    assert not errors, f"{method} {path} {status} is not as documented: " + "; ".join(
        f"{'/'.join(map(str, error.path)) or '(body)'}: {error.message[:200]}" for error in errors[:5])
