"""Reads for tenancy and identity. Every read is scoped to the caller's organization."""

from __future__ import annotations

from django.db.models import Count, F, Q, QuerySet

from adminapp import authz
from adminapp.accounts import principals
from adminapp.accounts.models import (
    ROLE_RANK,
    ApiKey,
    ApiKeyKind,
    Invitation,
    Organization,
    OrgMembership,
    User,
    last_login_sort,
    name_sort,
)
from adminapp.authz import Permission
from adminapp.core.errors import NotFound, PermissionDenied, ValidationFailed
from adminapp.core.pagination import Page, paginate, paginate_sorted
from adminapp.core.principal import Principal


def user_get(*, user_id: str) -> User:
    try:
        return User.objects.get(id=user_id)
    except User.DoesNotExist:
        raise NotFound(f"User {user_id} not found.") from None


def organizations_for_user(*, user_id: str) -> list[OrgMembership]:
    """Every org the user belongs to, with their role in it (org switcher, ``/organizations``)."""
    return list(
        OrgMembership.objects.filter(user_id=user_id)
        .select_related("organization")
        .order_by("organization__name", "organization_id")
    )


def organization_get(*, actor: Principal, org_id: str) -> Organization:
    """A user sees the orgs they belong to; a key sees only its own org. Others are 404."""
    if actor.user_id and actor.kind == "user" and not actor.key_id:  # a session, not a key
        membership = (
            OrgMembership.objects.select_related("organization")
            .filter(user_id=actor.user_id, organization_id=org_id)
            .first()
        )
        if membership:
            return membership.organization
    elif actor.org_id == org_id:
        return Organization.objects.get(id=org_id)
    raise NotFound(f"Organization {org_id} not found.")


def membership_get(*, user_id: str, org_id: str) -> OrgMembership | None:
    return OrgMembership.objects.filter(user_id=user_id, organization_id=org_id).first()


MEMBER_SORTS = ("joined", "name", "email", "role", "last_login")
USER_SORTS = ("name", "email", "last_login")  # the user's columns, the others the membership's


def _member_sort_key(sort: str):
    """The key of a sort of the membership's own (``joined``, ``role``) or, for
    ``USER_SORTS``, of the user's (a list of the org's users, see ``org_member_list``)."""
    return {
        "joined": F("created_at"),
        "name": name_sort(),
        "email": F("email"),
        "role": ROLE_RANK,  # OWNER, ADMIN, MEMBER, ANNOTATOR
        "last_login": last_login_sort(),  # never signed in: first
    }[sort]


def org_member_list(
    *,
    actor: Principal,
    org_id: str,
    email: str | None = None,
    search: str | None = None,
    sort: str = "joined",
    descending: bool = False,
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    """Oldest first by default, or by ``sort`` (one of ``MEMBER_SORTS``), each a keyset on
    (that column, id); ``email`` is a substring of the email, ``search`` of the email or the
    name (a picker's typeahead, the members table's search)."""
    if org_id != actor.org_id:
        raise NotFound(f"Organization {org_id} not found.")
    authz.require(actor, Permission.MEMBER_READ)
    if sort not in MEMBER_SORTS:
        raise ValidationFailed(
            f"Unknown sort {sort!r}.", fields={"sort": [f"One of {', '.join(MEMBER_SORTS)}."]}
        )
    user = "" if sort in USER_SORTS else "user__"  # the filters' path to the user's fields
    if sort in USER_SORTS:
        qs = User.objects.filter(org_memberships__organization_id=org_id)
    else:
        qs = OrgMembership.objects.filter(organization_id=org_id).select_related("user")
    if email:
        qs = qs.filter(**{f"{user}email__icontains": email.strip()})
    if search and search.strip():
        term = search.strip()
        qs = qs.filter(
            Q(**{f"{user}email__icontains": term}) | Q(**{f"{user}name__icontains": term})
        )
    if sort == "joined" and not descending:
        return paginate(qs, limit=limit, cursor=cursor, newest_first=False)
    page = paginate_sorted(
        qs,
        key=_member_sort_key(sort),
        name=sort,
        descending=descending,
        limit=limit,
        cursor=cursor,
        # A user's column: the org's users are paged on the users' own index (key, id),
        # found without sorting the org and sought directly inside a tie (thousands never
        # signed in); their cursors say user_id, as a list of memberships would.
        tiebreak_name="user_id" if sort in USER_SORTS else None,
    )
    if sort in USER_SORTS:
        page.items = _memberships_of(org_id, page.items)
    return page


def _memberships_of(org_id: str, users: list[User]) -> list[OrgMembership]:
    """The org's memberships of ``users``, in their order, each with its user attached (a
    user whose membership ended since the page was read is left out)."""
    found = OrgMembership.objects.filter(organization_id=org_id, user_id__in=[u.id for u in users])
    by_user = {m.user_id: m for m in found}
    memberships = []
    for u in users:
        if (m := by_user.get(u.id)) is not None:
            m.user = u
            memberships.append(m)
    return memberships


def org_member_get(*, actor: Principal, org_id: str, user_id: str) -> OrgMembership:
    if org_id != actor.org_id:
        raise NotFound(f"Organization {org_id} not found.")
    authz.require(actor, Permission.MEMBER_READ)
    membership = (
        OrgMembership.objects.filter(organization_id=org_id, user_id=(user_id or "").strip())
        .select_related("user")
        .first()
    )
    if membership is None:
        raise NotFound(f"User {user_id} is not a member of this organization.")
    return membership


def api_key_queryset(*, actor: Principal) -> QuerySet[ApiKey]:
    """Org admins see every key of the org; others only their own personal keys."""
    qs = ApiKey.objects.filter(organization_id=actor.org_id).select_related("user", "created_by")
    if not authz.can(actor, Permission.API_KEY_MANAGE):
        qs = qs.filter(kind=ApiKeyKind.PERSONAL, user_id=actor.user_id or "-")
    return qs


def api_key_list(
    *,
    actor: Principal,
    include_revoked: bool = False,
    user_id: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> Page:
    """``user_id``: only that person's personal keys (a member's page)."""
    qs = api_key_queryset(actor=actor)
    if user_id:
        qs = qs.filter(kind=ApiKeyKind.PERSONAL, user_id=user_id.strip())
    if not include_revoked:
        qs = qs.filter(revoked_at__isnull=True)
    return paginate(qs, limit=limit, cursor=cursor)


def api_key_get(*, actor: Principal, key_id: str) -> ApiKey:
    key = api_key_queryset(actor=actor).filter(id=key_id).first()
    if key is None:
        raise NotFound(f"API key {key_id} not found.")
    return key


def permission_check(
    *, actor: Principal, principal_ref: str, action: str, resource: str | None = None
) -> bool:
    """May ``principal_ref`` do ``action`` (on ``resource``)? Org admins only."""
    authz.require(actor, Permission.PERMISSION_CHECK, "Only org admins can check permissions.")
    if action not in set(Permission):
        raise ValidationFailed(
            f"Unknown action {action!r}.",
            fields={"action": [f"One of: {', '.join(sorted(Permission))}."]},
        )
    target = principals.for_ref(org_id=actor.org_id, ref=principal_ref)
    if resource and not authz.resource_in_org(resource.strip(), actor.org_id):
        raise NotFound(f"Resource {resource} not found.")
    return authz.can_on(target, action, resource.strip() if resource else None)


def invitation_list(
    *, actor: Principal, org_id: str, limit: int = 50, cursor: str | None = None
) -> Page:
    """The organization's open invitations (pending or expired, not accepted or revoked),
    newest first; for those who manage members."""
    if org_id != actor.org_id:
        raise NotFound(f"Organization {org_id} not found.")
    authz.require(actor, Permission.MEMBER_MANAGE)
    rows = Invitation.objects.filter(
        organization_id=org_id, accepted_at__isnull=True, revoked_at__isnull=True
    )
    return paginate(rows, limit=limit, cursor=cursor)


def invitation_get(*, actor: Principal, org_id: str, invitation_id: str) -> Invitation:
    if org_id != actor.org_id:
        raise NotFound(f"Organization {org_id} not found.")
    authz.require(actor, Permission.MEMBER_MANAGE)
    invitation = Invitation.objects.filter(organization_id=org_id, id=invitation_id).first()
    if invitation is None:
        raise NotFound(f"Invitation {invitation_id} not found.")
    return invitation


# --- the instance (instance admins only) ------------------------------------------------------
def _require_instance_admin(actor: Principal) -> None:
    if not actor.is_superuser:
        raise PermissionDenied(
            "Only instance admins can see the instance's organizations and users."
        )


def instance_organization_list(
    *, actor: Principal, search: str | None = None, limit: int = 50, cursor: str | None = None
) -> Page:
    """Every organization, newest first, each with its member count (counted for the rows
    of the page only); ``search`` is a substring of the name or the slug."""
    _require_instance_admin(actor)
    qs = Organization.objects.all()
    if search and search.strip():
        term = search.strip()
        qs = qs.filter(Q(name__icontains=term) | Q(slug__icontains=term))
    page = paginate(qs, limit=limit, cursor=cursor)
    counts = dict(
        OrgMembership.objects.filter(organization_id__in=[o.id for o in page.items])
        .values("organization_id")
        .annotate(n=Count("id"))
        .values_list("organization_id", "n")
    )
    for org in page.items:
        org.member_count = counts.get(org.id, 0)
    return page


def instance_user_list(
    *, actor: Principal, search: str | None = None, limit: int = 50, cursor: str | None = None
) -> Page:
    """Every account, newest first; ``search`` is a substring of the email or the name."""
    _require_instance_admin(actor)
    qs = User.objects.all()
    if search and search.strip():
        term = search.strip()
        qs = qs.filter(Q(email__icontains=term) | Q(name__icontains=term))
    return paginate(qs, limit=limit, cursor=cursor)


def instance_user_get(*, actor: Principal, user_id: str) -> tuple[User, list[OrgMembership]]:
    """One account and its organizations (with its role in each)."""
    _require_instance_admin(actor)
    user = User.objects.filter(id=(user_id or "").strip()).first()
    if user is None:
        raise NotFound(f"User {user_id} not found.")
    return user, organizations_for_user(user_id=user.id)
