"""Spaces, memberships, custom roles and space tokens: the rules, at the service layer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from adminapp import authz
from adminapp.accounts import principals
from adminapp.accounts import services as account_services
from adminapp.accounts.models import OrgMembership
from adminapp.audit.models import AuditEvent
from adminapp.core import crypto
from adminapp.core.errors import (
    AuthenticationFailed,
    BadRequest,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from adminapp.jobs.engine import job_run
from adminapp.jobs.models import Job, JobItem, JobState
from adminapp.jobs.services import job_abort
from adminapp.spaces import jobs as space_jobs
from adminapp.spaces import selectors, services
from adminapp.spaces.models import Space, SpaceMembership, SpaceRole, SpaceToken
from tests.factories import add_member, principal_for
from tests.spaces.factories import custom, expire, join, make_space, make_token, predefined

pytestmark = pytest.mark.django_db


def actions(tenant, event_prefix: str) -> list[str]:
    return list(
        AuditEvent.objects.filter(organization=tenant.org, action__startswith=event_prefix)
        .order_by("created_at", "id")
        .values_list("action", flat=True)
    )


# --- spaces -------------------------------------------------------------------------------
def test_a_space_name_is_trimmed_and_unique_per_org_in_any_case(tenant, other_tenant):
    space = make_space(tenant, "  Research  ")
    assert space.name == "Research" and space.description == ""
    with pytest.raises(Conflict) as exc:
        make_space(tenant, "RESEARCH")
    assert exc.value.fields == {"name": ["A space with this name already exists."]}
    # Another org may use the name.
    assert make_space(other_tenant, "research").organization_id == other_tenant.org.id
    assert actions(tenant, "space.") == ["space.create"]


def test_the_database_refuses_a_duplicate_name_even_past_the_service():
    """The rule is a constraint, so two racing creates cannot both win."""
    from tests.factories import make_tenant

    tenant = make_tenant()
    make_space(tenant, "Research")
    with pytest.raises(IntegrityError), transaction.atomic():
        Space.objects.create(organization=tenant.org, name="rESEARCH", name_key="research")


@pytest.mark.parametrize(
    ("name", "field_message"),
    [
        ("", "Required."),
        ("   \t ", "Required."),
        ("x" * 256, "At most 255 characters."),
        ("a/b", "Must not contain '/'."),
        ("line\nbreak", "One line."),
        ("bell\x07", "No control characters."),
        ("spc_01m8330g1p52bggm91rq8eaeva", "Looks like an id."),
        ("all", "Reserved."),
    ],
)
def test_bad_space_names_are_refused_with_a_field_message(tenant, name, field_message):
    with pytest.raises(ValidationFailed) as exc:
        make_space(tenant, name)
    assert exc.value.fields == {"name": [field_message]}
    assert not Space.objects.exists()


def test_names_of_exactly_255_characters_and_1000_character_descriptions_are_fine(tenant):
    space = make_space(tenant, "x" * 255, description="d" * 1000)
    assert len(space.name) == 255
    with pytest.raises(ValidationFailed) as exc:
        make_space(tenant, "y", description="d" * 1001)
    assert "description" in exc.value.fields


def test_only_org_owners_and_admins_create_spaces(tenant):
    with pytest.raises(PermissionDenied):
        services.space_create(actor=tenant.principal("MEMBER"), name="Mine")
    with pytest.raises(NotFound):
        services.space_create(actor=tenant.principal("ADMIN"), name="X", organization_id="org_x")
    services.space_create(
        actor=tenant.principal("OWNER"), name="Ours", organization_id=tenant.org.id
    )


def test_update_needs_a_name_or_a_description(tenant):
    space = make_space(tenant, "Research")
    with pytest.raises(BadRequest) as exc:
        services.space_update(actor=tenant.principal("ADMIN"), space=space.id)
    assert exc.value.code == "bad_request"


def test_update_renames_refuses_a_taken_name_and_allows_a_change_of_case(tenant):
    space = make_space(tenant, "Research")
    make_space(tenant, "Archive")
    admin = tenant.principal("ADMIN")
    with pytest.raises(Conflict):
        services.space_update(actor=admin, space="Research", name="archive")
    renamed = services.space_update(actor=admin, space="Research", name="RESEARCH")
    assert renamed.name == "RESEARCH"
    updated = services.space_update(actor=admin, space=space.id, description="New")
    assert (updated.name, updated.description) == ("RESEARCH", "New")
    assert actions(tenant, "space.update") == ["space.update", "space.update"]
    # Nothing changed: no write, no event.
    services.space_update(actor=admin, space=space.id, description="New")
    assert len(actions(tenant, "space.update")) == 2


def test_a_space_is_found_by_id_or_exact_name_only_in_the_callers_org(tenant, other_tenant):
    space = make_space(tenant, "Research Lab")
    admin = tenant.principal("ADMIN")
    assert selectors.space_get(actor=admin, space=space.id) == space
    assert selectors.space_get(actor=admin, space="Research Lab") == space
    for ref in ("research lab", "Research", "spc_nope", ""):
        with pytest.raises(NotFound):
            selectors.space_get(actor=admin, space=ref)
    with pytest.raises(NotFound) as exc:
        selectors.space_get(actor=other_tenant.principal("ADMIN"), space=space.id)
    assert space.id in exc.value.message


def test_people_see_only_the_spaces_they_belong_to_admins_see_all(tenant):
    mine, _theirs = make_space(tenant, "Mine"), make_space(tenant, "Theirs")
    join(tenant, mine, tenant.member, predefined("MEMBER"))
    member_sees = selectors.space_list(actor=tenant.principal("MEMBER")).items
    admin_sees = selectors.space_list(actor=tenant.principal("ADMIN")).items
    assert [s.name for s in member_sees] == ["Mine"]
    assert {s.name for s in admin_sees} == {"Mine", "Theirs"}
    assert selectors.space_all(actor=tenant.principal("MEMBER")) == [(mine.id, "Mine")]


def test_name_search_is_a_case_insensitive_substring(tenant):
    for name in ("Robot Arms", "robotics", "Kitchen", "100% Done"):
        make_space(tenant, name)
    admin = tenant.principal("ADMIN")
    found = {s.name for s in selectors.space_list(actor=admin, name="ROBOT").items}
    assert found == {"Robot Arms", "robotics"}
    assert [s.name for s in selectors.space_list(actor=admin, name="%").items] == ["100% Done"]
    assert selectors.space_list(actor=admin, name="zzz").items == []


# --- memberships --------------------------------------------------------------------------
def test_add_user_is_an_upsert(tenant):
    space = make_space(tenant, "Research")
    owner = tenant.principal("OWNER")
    first, created = services.space_member_set(
        actor=owner, space=space.id, user_id=tenant.member.id, role=predefined("READ_ONLY")
    )
    again, created_again = services.space_member_set(
        actor=owner, space="Research", user_id=tenant.member.id, role=predefined("MEMBER")
    )
    assert created and not created_again and again.id == first.id
    assert SpaceMembership.objects.get(id=first.id).role == "MEMBER"
    assert actions(tenant, "space.member") == ["space.member.add", "space.member.update_role"]
    # The same role again changes nothing and records nothing.
    services.space_member_set(
        actor=owner, space=space.id, user_id=tenant.member.id, role=predefined("MEMBER")
    )
    assert len(actions(tenant, "space.member")) == 2


def test_a_user_outside_the_org_is_refused_and_nothing_is_written(tenant, other_tenant):
    space = make_space(tenant, "Research")
    for user_id in (other_tenant.member.id, "usr_does_not_exist"):
        with pytest.raises(BadRequest) as exc:
            services.space_member_set(
                actor=tenant.principal("OWNER"),
                space=space.id,
                user_id=user_id,
                role=predefined("MEMBER"),
            )
        assert exc.value.code == "user_not_in_org"
        assert "user_id" in exc.value.fields
    assert not SpaceMembership.objects.exists()
    assert not OrgMembership.objects.filter(
        user=other_tenant.member, organization=tenant.org
    ).exists()


def test_annotator_accounts_get_only_the_annotator_role_and_only_they_get_it(tenant):
    space = make_space(tenant, "Research")
    role = services.space_role_create(
        actor=tenant.principal("OWNER"), name="Labeler", permissions=["dataset.read"]
    )
    owner = tenant.principal("OWNER")
    for user, choice in (
        (tenant.annotator, predefined("MEMBER")),
        (tenant.annotator, custom(role)),
        (tenant.member, predefined("ANNOTATOR")),
    ):
        with pytest.raises(BadRequest) as exc:
            services.space_member_set(actor=owner, space=space.id, user_id=user.id, role=choice)
        assert exc.value.code == "annotator_role_mismatch"
    services.space_member_set(
        actor=owner, space=space.id, user_id=tenant.annotator.id, role=predefined("ANNOTATOR")
    )
    assert SpaceMembership.objects.get().role == "ANNOTATOR"


def test_an_unknown_or_foreign_custom_role_is_refused(tenant, other_tenant):
    space = make_space(tenant, "Research")
    foreign = services.space_role_create(
        actor=other_tenant.principal("OWNER"), name="Theirs", permissions=[]
    )
    for role_id in ("rol_nope", foreign.id):
        with pytest.raises(ValidationFailed) as exc:
            services.space_member_set(
                actor=tenant.principal("OWNER"),
                space=space.id,
                user_id=tenant.member.id,
                role=services.RoleChoice(custom_id=role_id),
            )
        assert "role.id" in exc.value.fields
    assert not SpaceMembership.objects.exists()


def test_nobody_grants_a_role_that_can_do_more_than_they_can(tenant):
    space = make_space(tenant, "Research")
    owner = tenant.principal("OWNER")
    gatekeeper_role = services.space_role_create(
        actor=owner,
        name="Gatekeeper",
        permissions=["member.manage", "member.read", "dataset.read"],
    )
    keeper = add_member(tenant.org)
    join(tenant, space, keeper, custom(gatekeeper_role))
    actor = principal_for(keeper, tenant.org)
    # READ_ONLY is within the gatekeeper's own permissions…
    services.space_member_set(
        actor=actor, space=space.id, user_id=tenant.member.id, role=predefined("READ_ONLY")
    )
    # …ADMIN and MEMBER are not, and neither is taking them away from someone.
    for role in ("ADMIN", "MEMBER"):
        with pytest.raises(PermissionDenied) as exc:
            services.space_member_set(
                actor=actor, space=space.id, user_id=tenant.member.id, role=predefined(role)
            )
        assert exc.value.code == "role_escalation"
    boss = add_member(tenant.org)
    join(tenant, space, boss, predefined("ADMIN"))
    with pytest.raises(PermissionDenied):
        services.space_member_remove(actor=actor, space=space.id, user_id=boss.id)
    # Nor demoting the boss to READ_ONLY, a role they could hand out (Hardening II #32).
    with pytest.raises(PermissionDenied) as exc:
        services.space_member_set(
            actor=actor, space=space.id, user_id=boss.id, role=predefined("READ_ONLY")
        )
    assert exc.value.code == "role_escalation"
    assert SpaceMembership.objects.get(space=space, org_membership__user=boss).role == "ADMIN"
    assert SpaceMembership.objects.get(space=space, org_membership__user=tenant.member).role == (
        "READ_ONLY"
    )


def test_remove_user_and_removing_a_non_member_is_not_found(tenant):
    space = make_space(tenant, "Research")
    join(tenant, space, tenant.member, predefined("MEMBER"))
    owner = tenant.principal("OWNER")
    services.space_member_remove(actor=owner, space=space.id, user_id=tenant.member.id)
    assert not SpaceMembership.objects.exists()
    with pytest.raises(NotFound) as exc:
        services.space_member_remove(actor=owner, space=space.id, user_id=tenant.member.id)
    assert "not a member" in exc.value.message
    assert actions(tenant, "space.member") == ["space.member.add", "space.member.remove"]


def test_leaving_the_org_ends_every_space_membership(tenant):
    space = make_space(tenant, "Research")
    join(tenant, space, tenant.member, predefined("ADMIN"))
    account_services.org_member_remove(
        actor=tenant.principal("OWNER"), org_id=tenant.org.id, user_id=tenant.member.id
    )
    assert not SpaceMembership.objects.exists()


def test_an_annotator_account_never_gets_more_than_annotator_rights(tenant):
    """The org role change that would leave a space ADMIN an ANNOTATOR is refused (see
    tests/accounts/test_annotator_rule.py); a row in that half state written before the rule
    (or by hand) still grants no more than the ANNOTATOR role."""
    space = make_space(tenant, "Research")
    join(tenant, space, tenant.member, predefined("ADMIN"))
    with pytest.raises(Conflict):
        account_services.org_member_update_role(
            actor=tenant.principal("OWNER"),
            org_id=tenant.org.id,
            user_id=tenant.member.id,
            role="ANNOTATOR",
        )
    OrgMembership.objects.filter(user=tenant.member).update(account_role="ANNOTATOR")
    granted = authz.space_permissions(principal_for(tenant.member, tenant.org), space.id)
    assert granted == authz.SPACE_ROLE_GRANTS["ANNOTATOR"]


def test_predefined_roles_map_onto_the_one_vocabulary(tenant):
    space = make_space(tenant, "Research")
    expected = {
        "ADMIN": authz.SPACE_PERMISSIONS,
        "MEMBER": {
            "space.read",
            "member.read",
            "dataset.read",
            "dataset.write",
            "global_key.assign",
        },
        "READ_ONLY": {"space.read", "member.read", "dataset.read"},
    }
    for role, want in expected.items():
        user = add_member(tenant.org)
        join(tenant, space, user, predefined(role))
        assert authz.space_permissions(principal_for(user, tenant.org), space.id) == want
    assert authz.space_permissions(tenant.principal("ADMIN"), space.id) == authz.SPACE_PERMISSIONS
    assert authz.space_permissions(tenant.principal("MEMBER"), space.id) == frozenset()


# --- custom roles -------------------------------------------------------------------------
def test_custom_role_permissions_come_from_the_vocabulary(tenant):
    owner = tenant.principal("OWNER")
    with pytest.raises(ValidationFailed) as exc:
        services.space_role_create(
            actor=owner, name="Odd", permissions=["dataset.read", "launch.rockets", "fly"]
        )
    assert "fly, launch.rockets" in exc.value.message
    assert not SpaceRole.objects.exists()
    role = services.space_role_create(
        actor=owner, name="Writer", permissions=["dataset.write", "dataset.read", "dataset.write"]
    )
    assert role.permissions == ["dataset.read", "dataset.write"]


def test_custom_role_names_are_unique_per_org_and_not_a_predefined_name(tenant):
    owner = tenant.principal("OWNER")
    services.space_role_create(actor=owner, name="Writer", permissions=[])
    with pytest.raises(Conflict):
        services.space_role_create(actor=owner, name="WRITER", permissions=[])
    for name in ("Admin", "read-only", "Read Only", "  "):
        with pytest.raises(ValidationFailed):
            services.space_role_create(actor=owner, name=name, permissions=[])
    with pytest.raises(PermissionDenied):
        services.space_role_create(actor=tenant.principal("MEMBER"), name="Mine", permissions=[])


def test_changing_a_custom_role_changes_what_its_members_can_do(tenant):
    space = make_space(tenant, "Research")
    owner = tenant.principal("OWNER")
    role = services.space_role_create(actor=owner, name="Writer", permissions=["dataset.write"])
    join(tenant, space, tenant.member, custom(role))
    member = tenant.principal("MEMBER")
    assert authz.can_in_space(member, space.id, "dataset.write")
    services.space_role_update(actor=owner, role_id=role.id, permissions=["dataset.read"])
    assert not authz.can_in_space(member, space.id, "dataset.write")
    assert authz.can_in_space(member, space.id, "space.read")  # implied by membership
    with pytest.raises(BadRequest):
        services.space_role_update(actor=owner, role_id=role.id)


def test_a_role_in_use_cannot_be_deleted(tenant):
    space, other_space = make_space(tenant, "Research"), make_space(tenant, "Archive")
    owner = tenant.principal("OWNER")
    role = services.space_role_create(actor=owner, name="Writer", permissions=["dataset.write"])
    join(tenant, space, tenant.member, custom(role))
    join(tenant, other_space, tenant.member, custom(role))
    with pytest.raises(Conflict) as exc:
        services.space_role_delete(actor=owner, role_id=role.id)
    assert exc.value.code == "role_in_use"
    assert "2 space memberships" in exc.value.message
    join(tenant, space, tenant.member, predefined("MEMBER"))
    services.space_member_remove(actor=owner, space=other_space.id, user_id=tenant.member.id)
    services.space_role_delete(actor=owner, role_id=role.id)
    assert not SpaceRole.objects.exists()
    assert actions(tenant, "role.") == ["role.create", "role.delete"]


# --- space tokens -------------------------------------------------------------------------
def test_a_temporary_token_expires_in_24_hours_and_a_permanent_one_never(tenant):
    space = make_space(tenant, "Research")
    before = timezone.now()
    temporary, secret = make_token(tenant, space)
    permanent, _ = make_token(tenant, space, permanent=True)
    assert (
        before + timedelta(hours=24) <= temporary.expires_at <= timezone.now() + timedelta(hours=24)
    )
    assert permanent.expires_at is None
    assert temporary.role == "MEMBER"  # the default
    # Only the digest is stored; the secret is spt_ + 40 base62 characters.
    assert secret.startswith("spt_") and len(secret) == 44
    row = SpaceToken.objects.filter(id=temporary.id).values().get()
    assert secret not in {str(v) for v in row.values()}
    assert row["digest"] == crypto.digest(secret)


def test_at_most_five_active_permanent_tokens_per_space(tenant):
    space, other_space = make_space(tenant, "Research"), make_space(tenant, "Archive")
    tokens = [make_token(tenant, space, permanent=True)[0] for _ in range(5)]
    with pytest.raises(Conflict) as exc:
        make_token(tenant, space, permanent=True)
    assert exc.value.code == "permanent_token_limit"
    # Temporary tokens and other spaces are not limited by it.
    make_token(tenant, space)
    make_token(tenant, other_space, permanent=True)
    # Deactivating one frees a slot.
    services.space_token_deactivate(
        actor=tenant.principal("ADMIN"), space=space.id, token_id=tokens[0].id
    )
    make_token(tenant, space, permanent=True)
    assert SpaceToken.objects.filter(space=space, permanent=True).count() == 6


def test_a_token_role_is_member_or_read_only(tenant):
    space = make_space(tenant, "Research")
    for role in ("ADMIN", "ANNOTATOR", "OWNER"):
        with pytest.raises(ValidationFailed) as exc:
            make_token(tenant, space, role=role)
        assert "role" in exc.value.fields
    token, _ = make_token(tenant, space, role="READ_ONLY", label="reader")
    assert token.role == "READ_ONLY"


def test_token_authentication_says_why_a_token_is_refused(tenant):
    space = make_space(tenant, "Research")
    live, live_secret = make_token(tenant, space)
    assert services.space_token_authenticate(token=live_secret) == live
    old, old_secret = make_token(tenant, space)
    expire(old)
    off, off_secret = make_token(tenant, space)
    services.space_token_deactivate(
        actor=tenant.principal("ADMIN"), space=space.id, token_id=off.id
    )
    cases = {
        old_secret: "space_token_expired",
        off_secret: "space_token_inactive",
        "spt_" + "x" * 40: "invalid_api_key",
    }
    for secret, code in cases.items():
        with pytest.raises(AuthenticationFailed) as exc:
            services.space_token_authenticate(token=secret)
        assert exc.value.code == code


def test_tokens_are_deleted_one_by_one_or_by_permanence(tenant):
    space = make_space(tenant, "Research")
    admin = tenant.principal("ADMIN")
    temporary = [make_token(tenant, space)[0] for _ in range(3)]
    for _ in range(2):
        make_token(tenant, space, permanent=True)
    services.space_token_delete(actor=admin, space=space.id, token_id=temporary[0].id)
    with pytest.raises(NotFound):
        services.space_token_delete(actor=admin, space=space.id, token_id=temporary[0].id)
    assert services.space_tokens_delete(actor=admin, space=space.id, permanent=True) == 2
    assert services.space_tokens_delete(actor=admin, space=space.id, permanent=False) == 2
    make_token(tenant, space)
    assert services.space_tokens_delete(actor=admin, space=space.id) == 1
    assert not SpaceToken.objects.exists()


def test_a_space_token_acts_only_inside_its_own_space(tenant):
    space, other_space = make_space(tenant, "Research"), make_space(tenant, "Archive")
    token, _ = make_token(tenant, space)
    principal = principals.for_space_token(
        token_id=token.id, org_id=tenant.org.id, space_id=space.id, role="MEMBER", label="t"
    )
    assert authz.can_in_space(principal, space.id, "dataset.write")
    assert not authz.can_in_space(principal, space.id, "token.manage")
    assert authz.space_permissions(principal, other_space.id) == frozenset()
    assert [s.id for s in selectors.space_list(actor=principal).items] == [space.id]
    with pytest.raises(NotFound):
        selectors.space_get(actor=principal, space=other_space.id)
    # Org-level actions are not refused (403) but absent (404).
    with pytest.raises(NotFound):
        services.space_create(actor=principal, name="Mine")
    with pytest.raises(NotFound):
        selectors.space_role_list(actor=principal)


# --- deletion -----------------------------------------------------------------------------
def populated_space(tenant, members: int = 3, tokens: int = 2) -> Space:
    space = make_space(tenant, "Doomed")
    for _ in range(members):
        join(tenant, space, add_member(tenant.org), predefined("MEMBER"))
    for _ in range(tokens):
        make_token(tenant, space)
    return space


def test_delete_hides_the_space_at_once_frees_its_name_and_the_job_removes_the_rest(tenant):
    space = populated_space(tenant)
    _, secret = make_token(tenant, space, permanent=True)
    admin = tenant.principal("ADMIN")
    job = services.space_delete(actor=admin, space="Doomed")
    assert job.kind == "space_delete" and job.state == JobState.QUEUED

    # At once: gone from lookups and lists, its tokens refused, its name free.
    with pytest.raises(NotFound):
        selectors.space_get(actor=admin, space=space.id)
    assert selectors.space_list(actor=admin).items == []
    with pytest.raises(AuthenticationFailed):
        services.space_token_authenticate(token=secret)
    replacement = make_space(tenant, "Doomed")
    assert actions(tenant, "space.delete") == ["space.delete"]

    job_run(job_id=job.id)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED, job.error_message
    assert job.result["deleted"] == {"tokens": 3, "memberships": 3, "data_rows": 0, "datasets": 0}
    assert not Space.objects.filter(id=space.id).exists()
    assert not SpaceMembership.objects.filter(space_id=space.id).exists()
    assert not SpaceToken.objects.filter(space_id=space.id).exists()
    assert Space.objects.filter(id=replacement.id).exists()
    assert "space.purge" in actions(tenant, "space.purge")


def test_the_delete_job_works_in_checkpointed_chunks(tenant, monkeypatch):
    monkeypatch.setattr(space_jobs, "PURGE_CHUNK", 2)
    space = populated_space(tenant, members=5, tokens=3)
    job = services.space_delete(actor=tenant.principal("ADMIN"), space=space.id)
    job_run(job_id=job.id)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    # tokens: 2 + 1, memberships: 2 + 2 + 1 → one item per chunk that deleted rows.
    items = list(JobItem.objects.filter(job=job).order_by("seq").values_list("key", "data"))
    assert items == [
        ("tokens", {"deleted": 2}),
        ("tokens", {"deleted": 1}),
        ("memberships", {"deleted": 2}),
        ("memberships", {"deleted": 2}),
        ("memberships", {"deleted": 1}),
        ("space", {"deleted": 1}),
    ]
    assert job.progress_done == job.progress_total == 9  # 8 rows + the space itself
    assert job.checkpoint["after"] == "space"
    assert (job.outcome, job.items_succeeded) == ("SUCCESS", 6)


def test_an_aborted_deletion_can_be_set_going_again_by_an_org_admin(tenant):
    space = populated_space(tenant)
    join(tenant, space, tenant.member, predefined("ADMIN"))
    first = services.space_delete(actor=tenant.principal("MEMBER"), space=space.id)
    job_abort(actor=tenant.principal("ADMIN"), job_id=first.id)
    assert Job.objects.get(id=first.id).state == JobState.ABORTED
    assert Space.objects.get(id=space.id).deleted_at is not None
    # The space ADMIN lost access with the space; an org admin finishes the deletion.
    with pytest.raises(NotFound):
        services.space_delete(actor=tenant.principal("MEMBER"), space=space.id)
    second = services.space_delete(actor=tenant.principal("ADMIN"), space=space.id)
    assert second.id != first.id
    # While it is queued, asking again returns the same job.
    assert services.space_delete(actor=tenant.principal("ADMIN"), space=space.id).id == second.id
    job_run(job_id=second.id)
    assert not Space.objects.filter(id=space.id).exists()
    assert actions(tenant, "space.delete") == ["space.delete", "space.delete_retry"]


def test_a_retried_delete_with_the_same_idempotency_key_returns_the_same_job(tenant):
    space = make_space(tenant, "Doomed")
    admin = tenant.principal("ADMIN")
    first = services.space_delete(actor=admin, space=space.id, idempotency_key="del-1")
    again = services.space_delete(actor=admin, space=space.id, idempotency_key="del-1")
    assert again.id == first.id
    assert Job.objects.filter(kind="space_delete").count() == 1
    by_name = services.space_delete(actor=admin, space="Doomed", idempotency_key="del-1")
    assert by_name.id == first.id  # the retry may name the (now hidden) space either way


def test_the_same_idempotency_key_for_another_space_is_refused_and_deletes_nothing(tenant):
    first, second = make_space(tenant, "First"), make_space(tenant, "Second")
    admin = tenant.principal("ADMIN")
    services.space_delete(actor=admin, space=first.id, idempotency_key="del-1")
    with pytest.raises(Conflict) as exc_info:
        services.space_delete(actor=admin, space=second.id, idempotency_key="del-1")
    assert exc_info.value.code == "idempotency_key_reused"
    assert Space.objects.get(id=second.id).deleted_at is None
    assert Job.objects.filter(kind="space_delete").count() == 1


def test_deleting_an_organization_takes_its_spaces_roles_and_memberships_with_it(tenant):
    space = make_space(tenant, "Research")
    role = services.space_role_create(
        actor=tenant.principal("OWNER"), name="Writer", permissions=["dataset.write"]
    )
    join(tenant, space, tenant.member, custom(role))
    make_token(tenant, space)
    tenant.org.delete()
    assert not Space.objects.exists() and not SpaceRole.objects.exists()
    assert not SpaceMembership.objects.exists() and not SpaceToken.objects.exists()


# --- text that looks alike is the same name (Hardening I #10) --------------------------------
@pytest.mark.parametrize(
    "twin",
    ["ＲＯＢＯＴ ＡＲＭＳ", "robot arms", "ROBOT ARMS", "Ｒobot Arms"],
    ids=["fullwidth", "lower", "upper", "mixed"],
)
def test_a_name_that_only_looks_different_is_a_duplicate(tenant, twin):
    make_space(tenant, "Robot Arms")
    with pytest.raises(Conflict):
        make_space(tenant, twin)


def test_names_that_differ_only_in_letter_case_beyond_ascii_are_one_name_on_every_database(
    tenant,
):
    make_space(tenant, "Byhand Ärzte")
    with pytest.raises(Conflict):
        make_space(tenant, "Byhand ärzte")
    straße = make_space(tenant, "Straße")
    assert [
        s.id for s in selectors.space_list(actor=tenant.principal("ADMIN"), name="STRASSE").items
    ] == [straße.id]
    found = selectors.space_list(actor=tenant.principal("ADMIN"), name="ärzte").items
    assert [s.name for s in found] == ["Byhand Ärzte"]


@pytest.mark.parametrize(
    "hidden", ["\u200b", "\u200f", "\ufeff", "\u202e", "\u2066", "\u2028", "\u2029"]
)
def test_invisible_and_direction_changing_characters_are_refused_in_names_and_labels(
    tenant, hidden
):
    space = make_space(tenant, "Robot Arms")
    with pytest.raises(ValidationFailed) as exc_info:
        make_space(tenant, f"Robot{hidden}Arms")
    assert list(exc_info.value.fields) == ["name"]
    assert f"U+{ord(hidden):04X}" in exc_info.value.fields["name"][0]
    with pytest.raises(ValidationFailed):
        services.space_token_create(
            actor=tenant.principal("ADMIN"), space=space.id, label=f"evil{hidden}lebal"
        )
    with pytest.raises(ValidationFailed):
        services.space_role_create(
            actor=tenant.principal("OWNER"), name=f"Cur{hidden}ator", permissions=[]
        )
    assert Space.objects.filter(organization=tenant.org).count() == 1


def test_names_are_stored_nfkc_normalised(tenant):
    space = make_space(tenant, "ﬁeld ｓｃａｎｓ")  # a ligature and fullwidth letters
    assert space.name == "field scans"
    assert (
        selectors.space_get(actor=tenant.principal("ADMIN"), space="ﬁeld ｓｃａｎｓ").id == space.id
    )
