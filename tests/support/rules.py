"""Give a scorer's current version a passing rule in tests, written straight into the stored config (the way a
config sent with `passing_rule` is stored), so pass/fail tests do not depend on the editor's or API's checks."""
from __future__ import annotations

from typing import Any

from reviewapp.extensions import db
from reviewapp.models import ScoreDefinition


def give_rule(definition: ScoreDefinition, **keys: Any) -> ScoreDefinition:
    """Add `keys` (e.g. passing_rule={...} or true_is_failure=True) to the current version's config."""
    version = definition.live()
    version.config = {**(version.config or {}), **keys}
    db.session.commit()
    return definition
