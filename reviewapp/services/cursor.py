"""Continuation cursors for keyset pages, spelled as PostHog's read pagination spells them: a list of strings as
compact JSON, base64url-encoded without its `=` padding. Decoding refuses anything else with one message."""
from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence

from reviewapp.services.common import ID_MAX
from reviewapp.services.errors import ValidationError

CURSOR_MAX_LENGTH = 2048
INVALID_CURSOR = "Provide a valid continuation cursor."


def encode_cursor(parts: Sequence[str]) -> str:
    text = json.dumps(list(parts), separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(raw: str, size: int, attr: str = "cursor") -> list[str]:
    """The `size` strings inside `raw`, or a ValidationError on `attr`: too long, not base64url (strictly), not
    JSON, or not a list of exactly `size` strings."""
    invalid = ValidationError(INVALID_CURSOR, attr)
    if len(raw) > CURSOR_MAX_LENGTH:
        raise invalid
    padded = raw + "=" * (-len(raw) % 4)
    try:  # a non-ASCII character is as malformed as any other
        decoded = base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True)
        parts = json.loads(decoded.decode("utf-8"))
    except (binascii.Error, UnicodeError, ValueError, RecursionError):
        raise invalid from None
    if not isinstance(parts, list) or len(parts) != size or not all(isinstance(part, str) for part in parts):
        raise invalid
    return parts


def encode_version_cursor(version: int, version_id: uuid.UUID) -> str:
    return encode_cursor([str(version), str(version_id)])


def decode_version_cursor(raw: str, attr: str = "cursor") -> tuple[int, uuid.UUID]:
    """(version number, version id) of the last version on the previous page: a number from 1 to the largest
    integer column, and a UUID."""
    number_text, id_text = decode_cursor(raw, 2, attr)
    try:
        number = int(number_text)
        version_id = uuid.UUID(id_text)
    except ValueError:
        raise ValidationError(INVALID_CURSOR, attr) from None
    if not 1 <= number <= ID_MAX:
        raise ValidationError(INVALID_CURSOR, attr)
    return number, version_id
