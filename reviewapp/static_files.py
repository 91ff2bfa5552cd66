"""The app's own CSS and JavaScript, cached by browsers for a year under an address that changes with the file.

Every page links its stylesheet and scripts as `/static/<file>?v=<hash of the file>`. A browser that has the file
under that address uses it without asking again, so a page paints as soon as its HTML is parsed instead of after a
revalidation round trip per file (the stylesheet blocks the first paint; on the review page of a long trace those
round trips were a third of the time to first paint). A changed file gets a new address, so a deploy is seen at
once. A request without the current `v` (an old page, a hand-typed address) is answered as before: revalidated
each time."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import Flask, request

ONE_YEAR = 365 * 24 * 3600


class Versions:
    """The short hash of each static file, read once per file and again when its modification time changes (a
    file edited while `make run` serves)."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)
        self._known: dict[str, tuple[float, str]] = {}

    def of(self, filename: str) -> str | None:
        path = self.folder / filename
        try:
            mtime = path.stat().st_mtime
        except (OSError, ValueError):
            return None
        known = self._known.get(filename)
        if known is None or known[0] != mtime:
            known = (mtime, hashlib.sha256(path.read_bytes()).hexdigest()[:12])
            self._known[filename] = known
        return known[1]


def register(app: Flask) -> None:
    assert app.static_folder is not None
    versions = Versions(app.static_folder)

    @app.url_defaults
    def versioned(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = versions.of(values["filename"])
            if version is not None:
                values["v"] = version

    def max_age(filename: str | None) -> int | None:
        if filename is not None and request.args.get("v") == versions.of(filename):
            return ONE_YEAR
        return None  # revalidated on each use (Flask's default)

    # Flask asks this for every static file it sends; the app has no other send_file.
    app.get_send_file_max_age = max_age  # type: ignore[method-assign]
