"""Presentation helpers for the spaces pages (no data access)."""

from __future__ import annotations

from typing import Any

from django import template

from adminapp.web.spaces.forms import CUSTOM_PREFIX

register = template.Library()


@register.filter
def role_value(role: Any) -> str:
    """A space role as the value of the role select: "ADMIN" or "custom:<id>"."""
    if role is None:
        return ""
    if getattr(role, "type", "") == "CUSTOM":
        return f"{CUSTOM_PREFIX}{role.id}"
    return str(getattr(role.name, "value", role.name))


@register.filter
def role_text(role: Any) -> str:
    """A space role in words: "Read only", or a custom role's name."""
    if role is None:
        return ""
    if getattr(role, "type", "") == "CUSTOM":
        return role.name or role.id
    return str(getattr(role.name, "value", role.name)).replace("_", " ").capitalize()


@register.simple_tag
def token_status(token: Any) -> dict[str, str]:
    """A space token's status as text and tone."""
    if not token.is_active:
        return {"text": "Deactivated", "tone": "neutral"}
    if token.is_expired:
        return {"text": "Expired", "tone": "warning"}
    return {"text": "Active", "tone": "success"}
