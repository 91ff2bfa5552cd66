"""The OpenAPI document matches the routes the app really serves."""
import re

from reviewapp.api.core import PREFIXES
from reviewapp.api.schema import PREFIX


def served_operations(app) -> set[tuple[str, str]]:
    operations = set()
    prefix = PREFIXES[0]
    for rule in app.url_map.iter_rules():
        path = rule.rule
        if not path.startswith("/api" + prefix) or not path.endswith("/"):
            continue
        templated = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", path[len("/api" + prefix):])
        templated = templated.replace("{queue_id}", "{id}").replace("{item_id}", "{id}")
        templated = templated.replace("{definition_id}", "{id}").replace("{review_id}", "{id}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operations.add((templated, method.lower()))
    return operations


def documented_operations(schema) -> set[tuple[str, str]]:
    return {(path[len(PREFIX):], method) for path, methods in schema["paths"].items() for method in methods}


def test_schema_is_public_json(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.")


def test_every_route_is_documented_and_every_documented_route_exists(app, client):
    schema = client.get("/api/schema/").get_json()
    assert served_operations(app) == documented_operations(schema)
