"""Reading a capture request body the way the SDKs send it: JSON, gzip or deflate (bounded, so a small
compressed body cannot expand into gigabytes), or the browser SDK's form with a base64 `data` field."""
from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Any
from urllib.parse import parse_qs

from reviewapp.http_errors import RequestError, too_large

GZIP_MAGIC = b"\x1f\x8b"


def decode_body(raw: bytes, *, content_type: str, content_encoding: str, compression: str,
                max_bytes: int) -> Any:
    """The request's JSON payload, decoded from whatever wrapping the client used."""
    encoding = content_encoding.strip().lower()
    compression = compression.strip().lower()
    if compression == "lz64":
        raise RequestError(400, "unsupported_compression",
                           "lz64 compression is not supported; send gzip-js, base64 or plain JSON.", "compression")
    if compression not in ("", "gzip-js", "gzip", "base64", "none"):
        raise RequestError(400, "unsupported_compression",
                           f'Unknown compression "{compression}"; send gzip-js, base64 or plain JSON.', "compression")

    if content_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        raw, compression = _form_data(raw, compression)
    if encoding in ("gzip", "x-gzip") or compression in ("gzip-js", "gzip") or raw[:2] == GZIP_MAGIC:
        raw = inflate(raw, max_bytes, zlib.MAX_WBITS | 16, "gzip")
    elif encoding == "deflate":
        raw = inflate(raw, max_bytes, zlib.MAX_WBITS, "deflate")
    elif encoding not in ("", "identity"):
        raise RequestError(400, "unsupported_encoding",
                           f'Content-Encoding "{encoding}" is not supported; use gzip or deflate.')
    elif compression == "base64":
        raw = _base64(raw)
    return _json(raw)


def _form_data(raw: bytes, compression: str) -> tuple[bytes, str]:
    """The browser SDK posts `data=<base64 of the JSON>`, sometimes with the compression as a field."""
    try:
        fields = parse_qs(raw.decode("ascii"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise RequestError(400, "parse_error", "Form body is not URL-encoded text.") from None
    if "data" not in fields:
        raise RequestError(400, "required", 'Form-encoded bodies need a "data" field.', "data")
    field_compression = (fields.get("compression") or [""])[0].strip().lower()
    if field_compression == "lz64":
        raise RequestError(400, "unsupported_compression",
                           "lz64 compression is not supported; send gzip-js, base64 or plain JSON.", "compression")
    data = fields["data"][0].strip()
    compression = compression or field_compression
    if data.startswith(("{", "[")):
        return data.encode(), ""
    # In a form the data is always base64; what remains to undo is gzip, if the client said so.
    return _base64(data.encode()), "gzip-js" if compression in ("gzip-js", "gzip") else ""


def _base64(raw: bytes) -> bytes:
    text = raw.strip().replace(b" ", b"+")  # a '+' that travelled unescaped through a form arrives as a space
    text += b"=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, altchars=b"-_" if b"-" in text or b"_" in text else None, validate=True)
    except (binascii.Error, ValueError):
        raise RequestError(400, "parse_error", 'The "data" field is not valid base64.', "data") from None


def inflate(raw: bytes, max_bytes: int, wbits: int, name: str) -> bytes:
    """Decompress at most `max_bytes`: beyond that the request is refused, not expanded."""
    output = bytearray()
    data = raw
    try:
        while data:
            decompressor = zlib.decompressobj(wbits)
            output += decompressor.decompress(data, max_bytes + 1 - len(output))
            if len(output) > max_bytes or decompressor.unconsumed_tail:
                raise too_large(max_bytes)
            if not decompressor.eof:
                raise RequestError(400, "parse_error", f"The {name} body is truncated.")
            data = decompressor.unused_data  # concatenated gzip members
    except zlib.error as exc:
        raise RequestError(400, "parse_error", f"The body is not valid {name}: {exc}.") from None
    return bytes(output)


def _json(raw: bytes) -> Any:
    if not raw.strip():
        raise RequestError(400, "parse_error", "The request body is empty.")
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise RequestError(400, "parse_error", "The body is not UTF-8 JSON.") from None
    except ValueError as exc:
        raise RequestError(400, "parse_error", f"The body is not valid JSON: {exc}.") from None
    except RecursionError:  # Python's parser recurses once per level: ~1,000 levels exhaust it
        raise RequestError(400, "parse_error", "The body is nested too deeply to read.") from None
