"""Routing under both PostHog prefixes, bearer/session auth with scopes and roles, body parsing, pagination,
the error format, and the serializers every resource shares."""
from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from flask import current_app, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.datastructures import MultiDict
from werkzeug.urls import iri_to_uri
from wtforms.validators import ValidationError as WTFValidationError

from reviewapp.api import bp
from reviewapp.http_errors import RequestError, request_error_json, too_large
from reviewapp.models import Membership, PersonalApiKey, Project, User
from reviewapp.services import accounts
from reviewapp.services.common import (  # past them, an id or offset would overflow in the database
    ID_MAX,
    INT64_MAX,
    clean_order,
)
from reviewapp.services.errors import ValidationError

PREFIXES = ("/environments/<int:project_id>/llm_analytics", "/projects/<int:project_id>/llm_analytics")
READ_METHODS = {"GET", "HEAD", "OPTIONS"}
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

Row = TypeVar("Row")


bp.register_error_handler(RequestError, request_error_json)


@dataclass
class ApiContext:
    """Who is calling and in which project; every view gets one."""

    user: User
    project: Project
    membership: Membership
    key: PersonalApiKey | None

    @property
    def project_id(self) -> int:
        return self.project.id


def _authenticate() -> tuple[User, PersonalApiKey | None]:
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise RequestError(401, "authentication_failed",
                               "Authorization header must be 'Bearer <personal API key>'.")
        key = accounts.authenticate_api_key(secret.strip())
        if key is None:
            raise RequestError(401, "authentication_failed", "Personal API key is invalid.")
        return key.user, key
    if current_user.is_authenticated:
        if request.method not in READ_METHODS:
            try:
                validate_csrf(request.headers.get("X-CSRFToken"))
            except (CSRFError, WTFValidationError) as exc:
                raise RequestError(403, "permission_denied", f"CSRF failed: {exc}") from None
        return current_user._get_current_object(), None
    raise RequestError(401, "not_authenticated", "Authentication credentials were not provided.")


def _authorize(project_id: int, role: str) -> ApiContext:
    user, key = _authenticate()
    membership = accounts.membership_for(user.id, project_id)
    if membership is None:
        raise RequestError(404, "not_found", "Not found.")
    if key is not None:
        if not key.allows_project(project_id):
            raise RequestError(403, "permission_denied", "This API key does not have access to this project.")
        scope = "llm_analytics:read" if request.method in READ_METHODS else "llm_analytics:write"
        if not key.has_scope(scope):
            raise RequestError(403, "permission_denied", f"API key missing required scope '{scope}'.")
    if not membership.has_role(role):
        raise RequestError(403, "permission_denied", "You do not have permission to perform this action.")
    return ApiContext(user=user, project=membership.project, membership=membership, key=key)


def api_route(path: str, methods: list[str], role: str = "viewer") -> Callable:
    """Register a view under both prefixes, with and without the trailing slash; it receives an ApiContext.

    `role` is the least project role that may call it; the key's scope follows from the method."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(project_id: int, **kwargs: Any):
            if project_id > ID_MAX:
                raise ValidationError(f"Ensure this value is less than or equal to {ID_MAX}.", "project_id")
            ctx = _authorize(project_id, role)
            return view(ctx, **kwargs)

        bare = path.rstrip("/")
        for prefix in PREFIXES:
            if "<path:" in bare or "<trace:" in bare:
                # A path converter would take the bare form for a redirect; one lenient rule serves both.
                bp.add_url_rule(prefix + bare + "/", endpoint=view.__name__, view_func=wrapped, methods=methods,
                                strict_slashes=False)
                continue
            for rule in (prefix + bare + "/", prefix + bare):
                bp.add_url_rule(rule, endpoint=view.__name__, view_func=wrapped, methods=methods,
                                strict_slashes=True)
        return wrapped

    return decorator


# --- request parsing ---------------------------------------------------------------------------------

def json_body() -> dict[str, Any]:
    """The request body as a dict: JSON, or form-encoded as the reference page's curl examples send."""
    limit = current_app.config["API_MAX_BODY_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise too_large(limit)
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        raise too_large(limit)
    mimetype = request.mimetype
    if not raw.strip():
        return {}
    data: Any  # whatever the client sent, until checked to be an object just below
    if mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        data = {k: v for k, v in request.form.items()}
    elif mimetype and mimetype != "application/json" and not mimetype.endswith("+json"):
        raise RequestError(400, "unsupported_media_type", f'Unsupported media type "{mimetype}" in request.')
    else:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
            data = _form_sent_as_json(raw)
            if data is None:
                raise RequestError(400, "parse_error", f"JSON parse error - {exc}") from None
    if not isinstance(data, dict):
        raise RequestError(400, "invalid_input", f"Invalid data. Expected a dictionary, but got {type(data).__name__}.")
    for key, value in data.items():
        _refuse_unstorable_text(value, key)
        _refuse_unstorable_text(key, None)
    return data


# `key=value&key2=value2`: no JSON document looks like this, so reading it as a form loses nothing.
FORM_BODY = re.compile(r"[A-Za-z_][\w.$\[\]-]*=[^&=]*(?:&[A-Za-z_][\w.$\[\]-]*=[^&=]*)*")


def _form_sent_as_json(raw: bytes) -> dict[str, str] | None:
    """The reference page's curl examples send `-d name="string"` under a JSON content type; PostHog's
    documented requests must work unchanged, so a body that is unmistakably form-encoded is read as a form."""
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None
    if not FORM_BODY.fullmatch(text):
        return None
    return dict(parse_qsl(text, keep_blank_values=True))


def _refuse_unstorable_text(value: Any, attr: str | None) -> None:
    """JSON can spell strings no database column holds: NUL ("\\u0000", refused by PostgreSQL) and lone
    surrogates ("\\ud800"). Refuse them as a 400 on the top-level field they came in."""
    stack = [value]
    while stack:  # iterative: nesting may be as deep as the JSON parser allows
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise ValidationError("Null characters are not allowed.", attr)
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ValidationError("Text must be valid Unicode (no lone surrogates).", attr) from None
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def parse_uuid(value: Any, attr: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise ValidationError(f"“{value}” is not a valid UUID.", attr) from None


def path_uuid(value: str) -> uuid.UUID:
    """An id from the URL: a malformed one is simply not found."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise RequestError(404, "not_found", "Not found.") from None


def query_param(name: str) -> str | None:
    value = request.args.get(name)  # reviewapp.guards has refused NUL characters already
    return value if value not in (None, "") else None


def query_bool(name: str) -> bool | None:
    value = query_param(name)
    if value is None:
        return None
    lowered = value.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ValidationError("Must be a valid boolean.", name)


def query_uuid(name: str) -> uuid.UUID | None:
    value = query_param(name)
    return None if value is None else parse_uuid(value, name)


def query_list(name: str) -> list[str] | None:
    value = query_param(name)
    if value is None:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def order_param(allowed: set[str]) -> str | None:
    return clean_order(query_param("order_by"), allowed)


def page_params() -> tuple[int, int]:
    """`limit` (1 or more; more than MAX_LIMIT counts as MAX_LIMIT) and `offset` (0 to INT64_MAX)."""

    def integer(name: str, default: int, minimum: int) -> int:
        raw = query_param(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:  # also more digits than int() reads (sys.get_int_max_str_digits)
            raise ValidationError("A valid integer is required.", name) from None
        if value < minimum:
            raise ValidationError(f"Ensure this value is greater than or equal to {minimum}.", name)
        return value

    limit = min(integer("limit", DEFAULT_LIMIT, 1), MAX_LIMIT)
    offset = integer("offset", 0, 0)
    if offset > INT64_MAX:
        raise ValidationError(f"Ensure this value is less than or equal to {INT64_MAX}.", "offset")
    return limit, offset


def _page_url(limit: int, offset: int) -> str:
    args = MultiDict(request.args)
    args["limit"] = str(limit)
    if offset:
        args["offset"] = str(offset)
    else:
        args.pop("offset", None)
    # base_url is an IRI (a trace id in the path may hold any character): the link must be a URI.
    return f"{iri_to_uri(request.base_url)}?{urlencode(list(args.items(multi=True)))}"


def paginated(results: list[Any], count: int, limit: int, offset: int, *, count_is_capped: bool | None = None):
    """A page in PostHog's envelope. A list that caps its count (the traces list) passes `count_is_capped`: the
    body then says whether `count` is only a floor, and while it is, a next page follows every full page."""
    more = offset + limit < count or (bool(count_is_capped) and len(results) == limit)
    capped = {} if count_is_capped is None else {"count_is_capped": count_is_capped}
    return jsonify({
        "count": count,
        **capped,
        "next": _page_url(limit, offset + limit) if more else None,
        "previous": _page_url(limit, max(offset - limit, 0)) if offset > 0 else None,
        "results": results,
    })


def list_response(
    ctx: ApiContext,
    fetch: Callable[..., tuple[Sequence[Row], int]],
    serialize: Callable[[Row], dict[str, Any]],
    orders: Iterable[str],
    filters: Callable[[], dict[str, Any]] = dict,
    count_cap: Callable[[int], tuple[int, bool]] | None = None,
):
    """A list endpoint's page: `fetch(project_id, **filters(), order=, limit=, offset=)` gives the rows and the
    total, each row is serialized, and the page goes out in PostHog's envelope. The query is read in one order on
    every list (`limit` and `offset`, then the filters, then `order_by`), so the first bad parameter is the one
    reported. `count_cap` turns the total into (count shown, whether that is only a floor)."""
    limit, offset = page_params()
    rows, count = fetch(ctx.project_id, **filters(), order=order_param(set(orders)), limit=limit, offset=offset)
    results = [serialize(row) for row in rows]
    if count_cap is None:
        return paginated(results, count, limit, offset)
    shown, capped = count_cap(count)
    return paginated(results, shown, limit, offset, count_is_capped=capped)


# --- strict read queries (PostHog's newer read endpoints) ------------------------------------------------

QueryField = Callable[[str, str], Any]  # (parameter name, its value) -> the value read, or a ValidationError
DRF_WHOLE = re.compile(r"\.0*\s*$")  # DRF's IntegerField reads "5.0" and "5.00 " as 5
INTEGER_TEXT_MAX = 1000


def query_integer(minimum: int, maximum: int) -> QueryField:
    def read(name: str, raw: str) -> int:
        if len(raw) > INTEGER_TEXT_MAX:
            raise ValidationError("String value too large.", name, "max_string_length")
        try:
            value = int(DRF_WHOLE.sub("", raw))
        except ValueError:
            raise ValidationError("A valid integer is required.", name) from None
        if value < minimum:
            raise ValidationError(f"Ensure this value is greater than or equal to {minimum}.", name, "min_value")
        if value > maximum:
            raise ValidationError(f"Ensure this value is less than or equal to {maximum}.", name, "max_value")
        return value

    return read


def query_text(max_length: int) -> QueryField:
    def read(name: str, raw: str) -> str:
        if len(raw) > max_length:
            raise ValidationError(f"Ensure this field has no more than {max_length} characters.", name,
                                  "max_length")
        return raw

    return read


def strict_query(fields: dict[str, QueryField]) -> dict[str, Any]:
    """The query read as PostHog's strict read endpoints read it: each field from its last value (an empty one
    is absent), in the order of `fields`; only once all are valid, a parameter given twice and then any other
    parameter are refused. Absent fields are left out of the answer."""
    values: dict[str, Any] = {}
    for name, read in fields.items():
        given = request.args.getlist(name)
        if given and given[-1] != "":
            values[name] = read(name, given[-1])
    for name in fields:
        if len(request.args.getlist(name)) > 1:
            raise ValidationError("Supply this parameter once.", name)
    for name in request.args:
        if name not in fields:
            raise ValidationError("Unsupported query parameter.", name)
    return values


def no_query() -> None:
    """A read that takes no query parameter refuses the first one given."""
    for name in request.args:
        raise ValidationError("This parameter is not supported.", name)


def cursor_page(results: list[Any], count: int, next_cursor: str | None):
    """A keyset page in PostHog's cursor envelope: no next/previous links, a cursor while more rows follow."""
    return jsonify({"count": count, "next_cursor": next_cursor, "results": results})


# --- shared serializers ------------------------------------------------------------------------------

def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def user_json(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {
        "id": user.id,
        "uuid": str(user.uuid),
        "distinct_id": user.distinct_id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_email_verified": user.is_email_verified,
        "hedgehog_config": user.hedgehog_config,
        "role_at_organization": user.role_at_organization,
    }
