"""Input rules shared by every domain's services."""

from __future__ import annotations

import unicodedata

from adminapp.core.errors import ValidationFailed


def clean_text(value: str | None, *, field: str, max_length: int, required: bool = True) -> str:
    """Trimmed text of at most ``max_length`` characters, without control characters
    (newlines and tabs allowed); ``required`` refuses empty or whitespace-only text."""
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(
            f"{field} must not be empty or only whitespace.", fields={field: ["Required."]}
        )
    if len(value) > max_length:
        raise ValidationFailed(
            f"{field} must be at most {max_length} characters (got {len(value)}).",
            fields={field: [f"At most {max_length} characters."]},
        )
    if any(unicodedata.category(ch) == "Cc" for ch in value if ch not in "\n\t"):
        raise ValidationFailed(
            f"{field} must not contain control characters.",
            fields={field: ["No control characters."]},
        )
    return value
