"""What the domains above accounts hold for an org member, asked when the member's account
role changes.

accounts cannot look at a member's roles in spaces (spaces is a higher layer), yet an
account role and the space roles must agree ("an ANNOTATOR account holds only the ANNOTATOR
space role"). So a domain that gives members roles of their own registers a guard at
start-up, in its ``AppConfig.ready()`` (ARCHITECTURE.md, "The layers"), and
``accounts.services.org_member_update_role`` calls every guard inside its transaction,
after it has locked the membership row. A domain that checks the account role before it
writes (``spaces.services.space_member_set``) locks the same row, so the two queue up
instead of each acting on the other's stale state.

A guard either raises an ``ApplicationError`` (the change is refused and nothing is
written) or brings its rows in line with the new role and returns what it changed, which
goes into the change's audit event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adminapp.accounts.models import OrgMembership

# guard(membership, new_role) -> audit details to add ({} when it changed nothing)
AccountRoleGuard = Callable[[OrgMembership, str], dict[str, Any]]

_guards: dict[str, AccountRoleGuard] = {}


def register_account_role_guard(name: str, guard: AccountRoleGuard) -> None:
    """Registered once per domain (``name``); registering again replaces it."""
    _guards[name] = guard


def check_account_role_change(membership: OrgMembership, role: str) -> dict[str, Any]:
    """Run every guard for ``membership`` (locked by the caller) becoming ``role``; the
    details they return, merged."""
    details: dict[str, Any] = {}
    for guard in _guards.values():
        details.update(guard(membership, role))
    return details
