"""What the HTML forms share: putting a service's refusal beside the field it names."""
from __future__ import annotations

from typing import ClassVar


class ShowsServiceErrors:
    """A form mixin: `show_error(attr, detail)` shows a service's refusal beside the field its `attr` names.

    ERROR_FIELDS maps each attr the form shows in place to the name of its field. A refusal naming any other attr
    goes beside the field ERROR_FIELD_DEFAULT, or, when there is none, is left to the caller (the answer is
    False)."""

    ERROR_FIELDS: ClassVar[dict[str, str]] = {}
    ERROR_FIELD_DEFAULT: ClassVar[str | None] = None

    def show_error(self, attr: str | None, detail: str) -> bool:
        name = self.ERROR_FIELDS.get(attr or "", self.ERROR_FIELD_DEFAULT)
        if name is None:
            return False
        field = getattr(self, name)
        field.errors = list(field.errors) + [detail]
        return True
