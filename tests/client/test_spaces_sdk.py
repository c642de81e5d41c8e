"""``client.spaces``, ``client.spaces.tokens`` and ``client.roles`` over real HTTP against a
live server on loopback (STYLE 18)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from adminapp.client import (
    AdminClient,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    CursorPage,
    CustomSpaceRole,
    HTTPTransport,
    Job,
    NotFoundError,
    PredefinedSpaceRole,
    SpaceRoleName,
    SpaceToken,
    UnprocessableEntityError,
)
from adminapp.client._client import API_PREFIX
from adminapp.client.types import JobState
from tests.factories import add_member

pytestmark = [pytest.mark.live]

ROOT = Path(__file__).resolve().parents[2]


class CountingTransport(HTTPTransport):
    """The real HTTP transport, counting the requests it sends."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sent: list[tuple[str, str]] = []

    def send(self, request):
        self.sent.append((request.method, request.path))
        return super().send(request)


@pytest.fixture
def sdk(live_server, tenant):
    """``sdk("ADMIN")``: a client over HTTP with that role's personal key in ``tenant``."""
    clients: list[AdminClient] = []

    def make(role: str = "OWNER", *, key: str | None = None, **kwargs) -> AdminClient:
        client = AdminClient(api_key=key or tenant.keys[role], base_url=live_server.url, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


# --- spaces -------------------------------------------------------------------------------
def test_list_and_iter_page_through_spaces_filtered_by_name(sdk, tenant, other_tenant):
    client = sdk("ADMIN")
    alphas = [client.spaces.create(name=f"Alpha {n}").id for n in range(5)]
    client.spaces.create(name="Beta")

    first = client.spaces.list(name="alpha", limit=2)
    second = client.spaces.list(name="alpha", limit=2, cursor=first.pagination.next_cursor)
    every_alpha = list(client.spaces.list(name="ALPHA", limit=2))
    in_org = client.spaces.list(organization_id=tenant.org.id)

    assert isinstance(first, CursorPage)
    assert len(first.items) == 2 and first.pagination.has_more and first.pagination.next_cursor
    assert {s.id for s in first.items}.isdisjoint(s.id for s in second.items)
    assert [s.id for s in every_alpha] == alphas[::-1]  # newest first, no gaps, no repeats
    assert [s.name for s in in_org][0] == "Beta" and len(in_org.items) == 6
    assert in_org.pagination.has_more is False and in_org.items[0].permissions is None
    with pytest.raises(NotFoundError):
        client.spaces.list(organization_id=other_tenant.org.id)


def test_all_lists_every_visible_space_by_name_with_id_and_name_only(sdk):
    client = sdk("ADMIN")
    made = {client.spaces.create(name=name).id: name for name in ("zeta", "Alpha", "mid")}

    refs = client.spaces.all()

    assert [r.name for r in refs] == ["Alpha", "mid", "zeta"]
    assert {r.id: r.name for r in refs} == made
    assert set(type(refs[0]).model_fields) == {"id", "name"}


def test_get_a_space_by_id_or_by_its_exact_name(sdk, other_tenant):
    client = sdk("ADMIN")
    created = client.spaces.create(name="Team Space: 100% done?", description="quarterly")
    foreign = sdk(key=other_tenant.keys["ADMIN"]).spaces.create(name="Theirs")

    by_id = client.spaces.get(created.id)
    by_name = client.spaces.get("Team Space: 100% done?")

    assert by_id == by_name
    assert (by_id.name, by_id.description) == ("Team Space: 100% done?", "quarterly")
    assert "space.delete" in by_id.permissions  # single-space answers carry the caller's
    for missing in ("team space: 100% done?", "nope", foreign.id, "Theirs"):
        with pytest.raises(NotFoundError):
            client.spaces.get(missing)


def test_create_returns_the_space_and_a_duplicate_name_in_any_case_is_a_conflict(sdk, tenant):
    client = sdk("OWNER")

    space = client.spaces.create(name="Research", description="lab work")
    with pytest.raises(ConflictError) as exc_info:
        client.spaces.create(name="RESEARCH")

    assert space.id.startswith("spc_") and space.organization_id == tenant.org.id
    assert (space.name, space.description) == ("Research", "lab work")
    err = exc_info.value
    assert (err.status_code, err.code) == (409, "conflict")
    assert err.fields == {"name": ["A space with this name already exists."]}
    assert [s.name for s in client.spaces.list()] == ["Research"]  # nothing half-written


def test_update_renames_and_redescribes_and_refuses_nothing_to_change_without_sending(
    live_server, sdk, tenant
):
    transport = CountingTransport(live_server.url + API_PREFIX, timeout=10)
    client = sdk("ADMIN", transport=transport)
    space = client.spaces.create(name="Old name")
    client.spaces.create(name="Taken")

    renamed = client.spaces.update("Old name", name="New name")
    described = client.spaces.update(space.id, description="now with words")
    sent_before = len(transport.sent)
    with pytest.raises(ValueError, match="name or description"):
        client.spaces.update(space.id)
    with pytest.raises(ConflictError):
        client.spaces.update(space.id, name="taken")

    assert (renamed.id, renamed.name) == (space.id, "New name")
    assert (described.name, described.description) == ("New name", "now with words")
    assert transport.sent[sent_before] == ("PATCH", f"/spaces/{space.id}")  # the conflict one
    assert len(transport.sent) == sent_before + 1
    with pytest.raises(NotFoundError):
        client.spaces.get("Old name")


def test_a_space_named_with_spaces_and_escapable_characters_is_addressable_by_name(sdk):
    client = sdk("ADMIN")
    names = ["a b", "x%2Fy", "what?#now", "ünïcode", "a+b", "members"]
    created = {name: client.spaces.create(name=name).id for name in names}

    for name, space_id in created.items():
        assert client.spaces.get(name).id == space_id
        assert client.spaces.update(name, description="d").id == space_id
        assert len(client.spaces.list_users(name).items) == 0


def test_a_name_with_a_slash_is_refused_so_every_space_stays_addressable(sdk):
    client = sdk("ADMIN")

    with pytest.raises(UnprocessableEntityError) as exc_info:
        client.spaces.create(name="a/b")
    with pytest.raises(NotFoundError):
        client.spaces.get("a/b")

    assert exc_info.value.status_code == 422 and exc_info.value.fields == {
        "name": ["Must not contain '/'."]
    }


@pytest.mark.parametrize("name", ["all", ".", ".."])
def test_every_space_name_the_api_accepts_is_addressable_by_name(sdk, name):
    client = sdk("ADMIN")
    try:
        space = client.spaces.create(name=name)
    except UnprocessableEntityError:
        return  # refused up front: fine, every space that exists stays addressable

    assert client.spaces.get(name).id == space.id
    assert client.spaces.update(name, description="d").id == space.id


def test_a_dot_space_argument_never_reaches_another_space(sdk, worker_queue):
    client = sdk("ADMIN")
    bystander = client.spaces.create(name="tokens")

    with pytest.raises(NotFoundError):
        client.spaces.tokens.delete_all(".")

    assert client.spaces.get(bystander.id).id == bystander.id


def test_delete_returns_a_bound_job_and_the_space_is_gone_at_once(sdk, worker_queue):
    client = sdk("ADMIN")  # worker_queue: no worker consumes the job here
    space = client.spaces.create(name="Doomed")

    job = client.spaces.delete("Doomed", idempotency_key="delete-doomed-1")
    again = client.spaces.delete(space.id, idempotency_key="delete-doomed-1")

    assert isinstance(job, Job) and job.kind == "space_delete"
    assert job.state == JobState.QUEUED and again.id == job.id  # one job per key
    with pytest.raises(NotFoundError):
        client.spaces.get(space.id)
    assert client.spaces.create(name="Doomed").id != space.id  # the name is free again
    assert job.refresh().id == job.id  # bound to the client


@pytest.mark.worker
def test_a_deleted_space_job_runs_to_succeeded(sdk, tenant, celery_worker_process):
    client = sdk("ADMIN")
    space = client.spaces.create(name="Short-lived")
    client.spaces.add_user(space.id, user_id=tenant.member.id, role="MEMBER")
    client.spaces.tokens.create(space.id, permanent=True)

    job = client.spaces.delete("Short-lived").wait(timeout=60)

    assert job.state == JobState.SUCCEEDED, job.error
    assert job.result["deleted"] == {"tokens": 1, "memberships": 1, "data_rows": 0, "datasets": 0}
    with pytest.raises(NotFoundError):
        client.spaces.get(space.id)
    assert space.id not in {r.id for r in client.spaces.all()}


# --- members ------------------------------------------------------------------------------
def test_add_user_is_an_upsert_with_predefined_and_custom_roles(sdk, tenant):
    client = sdk("ADMIN")
    space = client.spaces.create(name="Lab")
    reviewer = client.roles.create(name="Reviewer", permissions=["space.read", "member.read"])
    user_id = tenant.member.id

    added = client.spaces.add_user("Lab", user_id=user_id, role="MEMBER")
    as_model = client.spaces.add_user(
        space.id, user_id=user_id, role=PredefinedSpaceRole(name="READ_ONLY")
    )
    as_enum = client.spaces.add_user(space.id, user_id=user_id, role=SpaceRoleName.ADMIN)
    as_custom = client.spaces.add_user(
        space.id, user_id=user_id, role=CustomSpaceRole(id=reviewer.id, name="ignored")
    )
    as_dict = client.spaces.add_user(
        space.id, user_id=user_id, role={"type": "PREDEFINED", "name": "MEMBER"}
    )
    annotator = client.spaces.add_user(space.id, user_id=tenant.annotator.id, role="ANNOTATOR")

    assert added.role == PredefinedSpaceRole(name="MEMBER")
    assert (added.user.email, added.account_role) == (tenant.member.email, "MEMBER")
    assert as_model.id == as_enum.id == as_custom.id == as_dict.id == added.id  # one membership
    assert as_model.role.name == SpaceRoleName.READ_ONLY
    assert as_enum.role == PredefinedSpaceRole(name="ADMIN")
    assert as_custom.role == CustomSpaceRole(id=reviewer.id, name="Reviewer")
    assert as_dict.role == PredefinedSpaceRole(name="MEMBER")
    assert annotator.role == PredefinedSpaceRole(name="ANNOTATOR")
    members = {m.user_id: m.role for m in client.spaces.list_users(space.id)}
    assert members == {user_id: as_dict.role, tenant.annotator.id: annotator.role}


def test_add_user_refuses_a_user_outside_the_org_and_a_role_of_the_wrong_kind(
    sdk, tenant, other_tenant
):
    client = sdk("ADMIN")
    client.spaces.create(name="Lab")

    with pytest.raises(BadRequestError) as outsider:
        client.spaces.add_user("Lab", user_id=other_tenant.member.id, role="MEMBER")
    with pytest.raises(BadRequestError):  # an ANNOTATOR account only as an ANNOTATOR
        client.spaces.add_user("Lab", user_id=tenant.annotator.id, role="MEMBER")
    with pytest.raises(TypeError, match="role must be"):
        client.spaces.add_user("Lab", user_id=tenant.member.id, role=42)  # type: ignore[arg-type]

    assert outsider.value.code == "user_not_in_org"
    assert outsider.value.fields == {"user_id": ["Not a member of the organization."]}
    assert len(client.spaces.list_users("Lab").items) == 0


def test_remove_user_and_not_found_for_a_non_member(sdk, tenant):
    client = sdk("ADMIN")
    client.spaces.create(name="Lab")
    client.spaces.add_user("Lab", user_id=tenant.member.id, role="MEMBER")

    assert client.spaces.remove_user("Lab", user_id=tenant.member.id) is None
    with pytest.raises(NotFoundError) as exc_info:
        client.spaces.remove_user("Lab", user_id=tenant.member.id)

    assert exc_info.value.code == "not_found"
    assert len(client.spaces.list_users("Lab").items) == 0


def test_list_users_pages_and_iter_users_reads_every_page(sdk, tenant):
    client = sdk("ADMIN")
    client.spaces.create(name="Crowd")
    user_ids = {add_member(tenant.org).id for _ in range(4)}
    for user_id in user_ids:
        client.spaces.add_user("Crowd", user_id=user_id, role="READ_ONLY")

    first = client.spaces.list_users("Crowd", limit=3)
    everyone = list(client.spaces.list_users("Crowd", limit=3))

    assert isinstance(first, CursorPage)
    assert len(first.items) == 3 and first.pagination.has_more
    assert {m.user_id for m in everyone} == user_ids and len(everyone) == 4
    assert {m.role.name for m in everyone} == {SpaceRoleName.READ_ONLY}


# --- tokens -------------------------------------------------------------------------------
def test_a_token_secret_is_shown_once_and_the_token_works_until_deactivated(sdk):
    client = sdk("ADMIN")
    space = client.spaces.create(name="Tokened")
    client.spaces.create(name="Elsewhere")

    created = client.spaces.tokens.create("Tokened", label="ci", role="READ_ONLY")
    listed = client.spaces.tokens.list("Tokened")
    as_token = sdk(key=created.secret)
    seen = [s.id for s in as_token.spaces.list()]
    deactivated = client.spaces.tokens.deactivate("Tokened", created.id)

    assert created.secret.startswith(created.prefix) and created.secret.startswith("spt_")
    assert (created.label, created.role, created.permanent) == ("ci", "READ_ONLY", False)
    assert created.expires_at is not None and created.is_active
    assert isinstance(listed, CursorPage) and [t.id for t in listed] == [created.id]
    assert type(listed.items[0]) is SpaceToken and not hasattr(listed.items[0], "secret")
    assert seen == [space.id]  # a token sees its own space only
    assert deactivated.is_active is False
    with pytest.raises(AuthenticationError):
        as_token.spaces.get(space.id)
    assert client.spaces.tokens.list("Tokened").items[0].is_active is False


def test_tokens_delete_one_and_delete_all_by_permanence(sdk):
    client = sdk("ADMIN")
    client.spaces.create(name="Keys")
    tokens = client.spaces.tokens
    permanent = [tokens.create("Keys", permanent=True, label=f"p{n}").id for n in range(3)]
    temporary = [tokens.create("Keys", label=f"t{n}").id for n in range(3)]

    tokens.delete("Keys", temporary[0])
    with pytest.raises(NotFoundError):
        tokens.delete("Keys", temporary[0])
    everything = list(tokens.list("Keys", limit=2))
    deleted_permanent = tokens.delete_all("Keys", permanent=True)
    left = {t.id for t in tokens.list("Keys")}
    deleted_temporary = tokens.delete_all("Keys", permanent=False)
    tokens.create("Keys")
    tokens.create("Keys", permanent=True)
    deleted_rest = tokens.delete_all("Keys")

    assert len(everything) == 5 and {t.id for t in everything} == {*permanent, *temporary[1:]}
    assert (deleted_permanent, deleted_temporary, deleted_rest) == (3, 2, 2)
    assert left == set(temporary[1:])
    assert len(tokens.list("Keys").items) == 0


def test_a_sixth_active_permanent_token_is_a_conflict(sdk):
    client = sdk("ADMIN")
    client.spaces.create(name="Busy")
    for _ in range(5):
        client.spaces.tokens.create("Busy", permanent=True)

    with pytest.raises(ConflictError) as exc_info:
        client.spaces.tokens.create("Busy", permanent=True)

    assert exc_info.value.code == "permanent_token_limit"


# --- custom roles -------------------------------------------------------------------------
def test_roles_create_get_list_update_and_delete(sdk):
    client = sdk("ADMIN")
    vocabulary = {p.name for p in client.roles.permissions()}

    role = client.roles.create(
        name="Curator", permissions=("space.read", "dataset.write"), description="curates"
    )
    fetched = client.roles.get(role.id)
    for n in range(2):
        client.roles.create(name=f"Extra {n}", permissions=["space.read"])
    first = client.roles.list(limit=2)
    every = list(client.roles.list(limit=2))
    renamed = client.roles.update(role.id, name="Chief curator", permissions=["space.read"])
    redescribed = client.roles.update(role.id, description="")
    with pytest.raises(ConflictError):
        client.roles.create(name="chief CURATOR", permissions=[])
    client.roles.delete(role.id)

    assert {"space.read", "member.manage", "token.manage", "dataset.write"} <= vocabulary
    assert fetched == role and set(role.permissions) == {"space.read", "dataset.write"}
    assert isinstance(first, CursorPage) and len(first.items) == 2 and first.pagination.has_more
    assert len(every) == 3 and role.id in {r.id for r in every}
    assert (renamed.name, renamed.permissions) == ("Chief curator", ["space.read"])
    assert (redescribed.name, redescribed.description) == ("Chief curator", "")
    with pytest.raises(NotFoundError):
        client.roles.get(role.id)


def test_a_role_in_use_cannot_be_deleted(sdk, tenant):
    client = sdk("ADMIN")
    client.spaces.create(name="Lab")
    role = client.roles.create(name="Reviewer", permissions=["space.read"])
    client.spaces.add_user("Lab", user_id=tenant.member.id, role=CustomSpaceRole(id=role.id))

    with pytest.raises(ConflictError) as exc_info:
        client.roles.delete(role.id)
    client.spaces.remove_user("Lab", user_id=tenant.member.id)
    client.roles.delete(role.id)

    assert exc_info.value.code == "role_in_use"
    assert "1 space membership" in exc_info.value.message
    assert role.id not in {r.id for r in client.roles.list()}


def test_a_custom_role_unknown_permission_and_empty_update_are_refused_by_the_server(sdk):
    client = sdk("ADMIN")
    role = client.roles.create(name="Plain", permissions=[])

    with pytest.raises(UnprocessableEntityError) as unknown:
        client.roles.create(name="Odd", permissions=["space.read", "rocket.launch"])
    with pytest.raises(BadRequestError):
        client.roles.update(role.id)

    assert unknown.value.status_code == 422 and "permissions" in unknown.value.fields


# --- pages as DataFrames ------------------------------------------------------------------
def test_to_df_needs_pandas_and_says_how_to_get_it(sdk, monkeypatch):
    client = sdk("ADMIN")
    client.spaces.create(name="Frame")
    pages = [
        client.spaces.list(),
        client.spaces.list_users("Frame"),
        client.spaces.tokens.list("Frame"),
        client.roles.list(),
    ]
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if pandas were not installed

    for page in pages:
        with pytest.raises(ImportError, match="pip install pandas"):
            page.to_df()


def test_to_df_gives_one_row_per_item_when_pandas_is_installed(sdk):
    pytest.importorskip("pandas")
    client = sdk("ADMIN")
    for name in ("one", "two"):
        client.spaces.create(name=name)

    frame = client.spaces.list().to_df()

    assert list(frame["name"]) == ["two", "one"]


# --- packaging ----------------------------------------------------------------------------
def test_the_spaces_and_roles_resources_import_neither_django_nor_celery():
    code = (
        "import sys\n"
        "from adminapp.client import AdminClient, CustomSpaceRole, PredefinedSpaceRole\n"
        "c = AdminClient(api_key='adm_x')\n"
        "c.spaces, c.spaces.tokens, c.roles\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'celery', 'ninja'))\n"
        "print(','.join(bad))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}  # no DJANGO_SETTINGS_MODULE
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"imported: {result.stdout.strip()}"
