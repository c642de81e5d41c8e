"""Your own profile: the name shown beside your email (the email is the sign-in and is not
changed here)."""

from __future__ import annotations

from django.db import transaction

from adminapp.accounts.models import User
from adminapp.accounts.services.mfa import audit_user
from adminapp.core.errors import BadRequest
from adminapp.core.principal import Principal, PrincipalKind
from adminapp.core.validation import clean_text


@transaction.atomic
def profile_update(*, actor: Principal, name: str) -> User:
    if actor.kind != PrincipalKind.USER or not actor.user_id:
        raise BadRequest("Only a person has a profile.", code="user_required")
    name = clean_text(name, field="name", max_length=150, required=False)
    user = User.objects.select_for_update().get(id=actor.user_id)
    if user.name != name:
        old = user.name
        user.name = name
        user.save(update_fields=["name", "updated_at"])
        audit_user(actor, user, "user.profile_update", {"name": name, "previous_name": old})
    return user
