"""Input rules shared by every domain's services: one text cleaner, and the key names are
compared by."""

from __future__ import annotations

import re
import unicodedata

from adminapp.core.errors import ValidationFailed

# Characters that change how text looks without being seen: zero-width characters, the BOM,
# bidirectional overrides and isolates, line and paragraph separators. "Robot\u200bArms"
# would sit beside "Robot Arms"; a U+202E label would reverse the text after it.
INVISIBLE = re.compile("[\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]")


def clean_text(value: str | None, *, field: str, max_length: int, required: bool = True) -> str:
    """Trimmed, NFKC-normalised text of at most ``max_length`` characters, without control
    characters (newlines and tabs allowed) or invisible and direction-changing ones;
    ``required`` refuses empty or whitespace-only text."""
    value = unicodedata.normalize("NFKC", value or "").strip()
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
    found = INVISIBLE.search(value)
    if found:
        code = f"U+{ord(found.group()):04X}"
        raise ValidationFailed(
            f"{field} must not contain invisible or direction-changing characters (found {code}).",
            fields={field: [f"No invisible or direction-changing characters ({code})."]},
        )
    return value


# Names as long as they may get (255) casefold to at most three times as many characters.
NAME_KEY_MAX = 800


def name_key(name: str) -> str:
    """What names are unique by and searched by, on every database alike: NFKC-normalised
    and casefolded ("ＲＯＢＯＴ Arms", "robot arms" and "ROBOT ARMS" share one key, and so do
    "Ärzte" and "ärzte", which SQLite's LOWER() would tell apart)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
