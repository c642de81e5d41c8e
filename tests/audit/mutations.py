"""Every public function of every domain's services, and what the audit log must say when the
API calls it: the table ``tests/audit/test_api.py`` walks (Hardening II #31).

``services()`` finds the functions itself (``adminapp/<domain>/services.py`` and
``adminapp/<domain>/services/*.py``), so a service added tomorrow fails the test until it is
given a row here: in ``AUDITED`` (how the API reaches it, which event it writes on which
target) or in ``NOT_AUDITED`` (why it writes no event of its own: a read, a helper of the
other services, the audit write itself, ...).

Each ``call(client, tenant)`` sets up what it needs through the services as the tenant's
OWNER (no request, so no request id), then makes one API request as the tenant's ADMIN and
returns the response and the id of the target the event must name.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO

from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client

import adminapp
from adminapp.accounts.models import ApiKey, Organization
from adminapp.core import crypto
from adminapp.jobs.services import job_abort
from adminapp.spaces import services as spaces
from tests.api.helpers import API
from tests.catalog.factories import make_dataset, make_rows
from tests.factories import PASSWORD, Tenant, make_user
from tests.spaces.factories import join, make_space, make_token, predefined

Call = Callable[[Client, Tenant], tuple[HttpResponse, str]]


@dataclass(frozen=True)
class Audited:
    action: str
    target_type: str
    call: Call
    # "api": the tenant's ADMIN acts through the API (the event carries the request id and
    # the client's IP); "command": a management command acts as the system.
    via: str = "api"


def services() -> list[str]:
    """``<domain>.services[.<module>].<function>`` for every public function defined in a
    services module of ``adminapp``."""
    modules = []
    for domain in pkgutil.iter_modules(adminapp.__path__):
        if not domain.ispkg:
            continue
        try:
            module = importlib.import_module(f"adminapp.{domain.name}.services")
        except ModuleNotFoundError as exc:
            if exc.name != f"adminapp.{domain.name}.services":
                raise
            continue
        modules.append(module)
        if hasattr(module, "__path__"):  # a services/ package: its modules too
            modules += [
                importlib.import_module(f"{module.__name__}.{sub.name}")
                for sub in pkgutil.iter_modules(module.__path__)
            ]
    return sorted(
        f"{module.__name__.removeprefix('adminapp.')}.{name}"
        for module in modules
        for name, fn in inspect.getmembers(module, inspect.isfunction)
        if fn.__module__ == module.__name__ and not name.startswith("_")
    )


def _admin(tenant: Tenant) -> dict[str, str]:
    return tenant.auth("ADMIN")


def _post(client, tenant, path, body=None):
    return client.post(
        f"{API}{path}", body or {}, content_type="application/json", **_admin(tenant)
    )


def _patch(client, tenant, path, body):
    return client.patch(f"{API}{path}", body, content_type="application/json", **_admin(tenant))


def _delete(client, tenant, path):
    return client.delete(f"{API}{path}", **_admin(tenant))


# --- accounts -------------------------------------------------------------------------------
def _create_organization(client, tenant):
    owner = make_user()
    call_command("create_organization", "Audited Org", owner_email=owner.email, stdout=StringIO())
    return None, Organization.objects.get(name="Audited Org").id


def _add_member(client, tenant):
    r = _post(
        client,
        tenant,
        f"/organizations/{tenant.org.id}/members",
        {"email": "added@example.com", "role": "MEMBER", "password": PASSWORD},
    )
    return r, r.json()["user"]["id"]


def _update_member(client, tenant):
    path = f"/organizations/{tenant.org.id}/members/{tenant.member.id}"
    return _patch(client, tenant, path, {"role": "ANNOTATOR"}), tenant.member.id


def _promote_an_annotator_who_is_in_a_space(client, tenant):
    """Their ANNOTATOR space role becomes READ_ONLY: said in the member.update_role event."""
    join(tenant, make_space(tenant, "Labels"), tenant.annotator, predefined("ANNOTATOR"))
    path = f"/organizations/{tenant.org.id}/members/{tenant.annotator.id}"
    return _patch(client, tenant, path, {"role": "MEMBER"}), tenant.annotator.id


def _remove_member(client, tenant):
    path = f"/organizations/{tenant.org.id}/members/{tenant.annotator.id}"
    return _delete(client, tenant, path), tenant.annotator.id


def _admin_made_owner(tenant):
    from adminapp.accounts import services as accounts

    accounts.org_member_update_role(
        actor=tenant.principal("OWNER"), org_id=tenant.org.id, user_id=tenant.admin.id, role="OWNER"
    )


def _deactivate_member(client, tenant):
    path = f"/organizations/{tenant.org.id}/members/{tenant.annotator.id}/deactivate"
    return _post(client, tenant, path), tenant.annotator.id


def _reactivate_member(client, tenant):
    from adminapp.accounts import services as accounts

    accounts.org_member_set_active(
        actor=tenant.principal("OWNER"),
        org_id=tenant.org.id,
        user_id=tenant.annotator.id,
        active=False,
    )
    path = f"/organizations/{tenant.org.id}/members/{tenant.annotator.id}/reactivate"
    return _post(client, tenant, path), tenant.annotator.id


def _transfer_ownership(client, tenant):
    _admin_made_owner(tenant)  # owners only: the ADMIN is made one first
    path = f"/organizations/{tenant.org.id}/transfer-ownership"
    return _post(client, tenant, path, {"user_id": tenant.member.id}), tenant.member.id


def _rename_organization(client, tenant):
    _admin_made_owner(tenant)
    return _patch(client, tenant, f"/organizations/{tenant.org.id}", {"name": "Renamed"}), (
        tenant.org.id
    )


def _instance_user_set_active(active: bool) -> Call:
    def call(client, tenant):
        from adminapp.accounts import services as accounts
        from adminapp.accounts.models import User

        User.objects.filter(id=tenant.admin.id).update(is_superuser=True)  # an instance admin
        if active:
            User.objects.filter(id=tenant.annotator.id).update(is_active=False)
        verb = "reactivate" if active else "deactivate"
        assert accounts  # the service the endpoint calls
        return _post(client, tenant, f"/instance/users/{tenant.annotator.id}/{verb}"), (
            tenant.annotator.id
        )

    return call


def _create_key(client, tenant):
    r = _post(client, tenant, "/api-keys", {"label": "k"})
    return r, r.json()["id"]


def _revoke_key(client, tenant):
    key_id = ApiKey.objects.get(digest=crypto.digest(tenant.keys["MEMBER"])).id
    return _post(client, tenant, f"/api-keys/{key_id}/revoke"), key_id


def _sign_in(client, tenant):
    r = client.post(
        f"{API}/auth/login",
        {"email": tenant.admin.email, "password": PASSWORD},
        content_type="application/json",
    )
    return r, tenant.admin.id


def _sign_out(client, tenant):
    client.force_login(tenant.admin)
    return client.post(f"{API}/auth/logout"), tenant.admin.id


def _invite(client, tenant):
    r = _post(
        client, tenant, f"/organizations/{tenant.org.id}/invitations", {"email": "new@example.com"}
    )
    return r, r.json()["id"]


def _pending_invitation(tenant) -> str:
    from adminapp.accounts.services import invitation_create

    invitation, _ = invitation_create(
        actor=tenant.principal(),
        org_id=tenant.org.id,
        email="pending@example.com",
        role="MEMBER",
        link_for=lambda token: token,
    )
    return invitation.id


def _resend_invitation(client, tenant):
    invitation_id = _pending_invitation(tenant)
    path = f"/organizations/{tenant.org.id}/invitations/{invitation_id}/resend"
    return _post(client, tenant, path), invitation_id


def _revoke_invitation(client, tenant):
    invitation_id = _pending_invitation(tenant)
    path = f"/organizations/{tenant.org.id}/invitations/{invitation_id}/revoke"
    return _post(client, tenant, path), invitation_id


def _change_password(client, tenant):
    client.force_login(tenant.admin)  # a session: API keys cannot change a password
    r = client.post(
        f"{API}/me/password",
        {"current_password": PASSWORD, "new_password": "a-long-new-passphrase-42"},
        content_type="application/json",
    )
    return r, tenant.admin.id


def _two_factor_on(client, tenant):
    """The ADMIN's session with two-factor on (through the API); their authenticator."""
    import time

    import pyotp

    client.force_login(tenant.admin)  # a session: two-factor is a browser's own
    setup = client.post(f"{API}/me/two-factor/setup").json()
    totp = pyotp.TOTP(setup["secret"])
    code = totp.now()
    response = client.post(
        f"{API}/me/two-factor/confirm", {"code": code}, content_type="application/json"
    )
    return response, totp, totp.at(time.time() + totp.interval)


def _enable_two_factor(client, tenant):
    response, _, _ = _two_factor_on(client, tenant)
    return response, tenant.admin.id


def _disable_two_factor(client, tenant):
    _two_factor_on(client, tenant)
    r = client.post(
        f"{API}/me/two-factor/disable", {"password": PASSWORD}, content_type="application/json"
    )
    return r, tenant.admin.id


def _new_recovery_codes(client, tenant):
    _, _, next_code = _two_factor_on(client, tenant)
    r = client.post(
        f"{API}/me/two-factor/recovery-codes",
        {"code": next_code},
        content_type="application/json",
    )
    return r, tenant.admin.id


def _update_profile(client, tenant):
    client.force_login(tenant.admin)
    r = client.patch(f"{API}/me/profile", {"name": "Renamed"}, content_type="application/json")
    return r, tenant.admin.id


def _end_session(client, tenant):
    from adminapp.accounts.models import UserSession

    Client().force_login(tenant.admin)  # another browser
    other = UserSession.objects.get(user=tenant.admin)
    client.force_login(tenant.admin)
    return client.delete(f"{API}/me/sessions/{other.id}"), tenant.admin.id


def _end_other_sessions(client, tenant):
    Client().force_login(tenant.admin)
    client.force_login(tenant.admin)
    return client.post(f"{API}/me/sessions/end-others"), tenant.admin.id


# --- audit, exports, jobs -----------------------------------------------------------------------
def _custom_event(client, tenant):
    return _post(client, tenant, "/audit/custom/deploy", {"version": "1.2"}), ""


def _start_export(client, tenant):
    r = _post(client, tenant, "/audit/exports")
    return r, r.json()["id"]


def _start_org_export(client, tenant):
    _admin_made_owner(tenant)  # owners only
    from adminapp.accounts.models import OrgMembership

    # Owners only: the acting ADMIN is made an owner first.
    OrgMembership.objects.filter(user=tenant.admin, organization=tenant.org).update(
        account_role="OWNER"
    )
    r = _post(client, tenant, f"/organizations/{tenant.org.id}/export")
    return r, r.json()["id"]


def _abort_job(client, tenant):
    job_id = _post(client, tenant, "/audit/exports").json()["id"]
    return _post(client, tenant, f"/jobs/{job_id}/abort"), job_id


# --- global keys ----------------------------------------------------------------------------
def _global_keys(path, body):
    def call(client, tenant):
        make_space(tenant, "Keys")  # the ADMIN may assign keys in it
        r = _post(client, tenant, f"/global-keys/{path}", body)
        return r, r.json()["id"]

    return call


def _revert_global_keys(client, tenant):
    from adminapp.catalog.services.global_keys import global_keys_clear
    from adminapp.jobs.engine import job_run

    make_space(tenant, "Keys")
    cleared = global_keys_clear(actor=tenant.principal("OWNER"), keys=["k"])
    job_run(job_id=cleared.id)
    r = _post(client, tenant, "/global-keys/revert", {"job_id": cleared.id})
    return r, r.json()["id"]


# --- spaces ---------------------------------------------------------------------------------
def _create_space(client, tenant):
    r = _post(client, tenant, "/spaces", {"name": "Research"})
    return r, r.json()["id"]


def _update_space(client, tenant):
    space = make_space(tenant, "Research")
    return _patch(client, tenant, f"/spaces/{space.id}", {"description": "Arms"}), space.id


def _delete_space(client, tenant):
    space = make_space(tenant, "Research")
    return _delete(client, tenant, f"/spaces/{space.id}"), space.id


def _delete_space_again(client, tenant):
    """A deletion whose job was aborted, asked for again (by id) by an org admin."""
    space = make_space(tenant, "Research")
    job = spaces.space_delete(actor=tenant.principal("OWNER"), space=space.id)
    job_abort(actor=tenant.principal("OWNER"), job_id=job.id)
    return _delete(client, tenant, f"/spaces/{space.id}"), space.id


def _add_space_member(client, tenant):
    space = make_space(tenant, "Research")
    body = {"user_id": tenant.member.id, "role": {"type": "PREDEFINED", "name": "MEMBER"}}
    return _post(client, tenant, f"/spaces/{space.id}/members", body), tenant.member.id


def _change_space_role(client, tenant):
    space = make_space(tenant, "Research")
    join(tenant, space, tenant.member, predefined("MEMBER"))
    body = {"user_id": tenant.member.id, "role": {"type": "PREDEFINED", "name": "READ_ONLY"}}
    return _post(client, tenant, f"/spaces/{space.id}/members", body), tenant.member.id


def _remove_space_member(client, tenant):
    space = make_space(tenant, "Research")
    join(tenant, space, tenant.member, predefined("MEMBER"))
    path = f"/spaces/{space.id}/members/{tenant.member.id}"
    return _delete(client, tenant, path), tenant.member.id


def _create_role(client, tenant):
    r = _post(client, tenant, "/roles", {"name": "Writer", "permissions": ["dataset.write"]})
    return r, r.json()["id"]


def _update_role(client, tenant):
    role = spaces.space_role_create(actor=tenant.principal("OWNER"), name="Writer", permissions=[])
    return _patch(client, tenant, f"/roles/{role.id}", {"permissions": ["dataset.read"]}), role.id


def _delete_role(client, tenant):
    role = spaces.space_role_create(actor=tenant.principal("OWNER"), name="Writer", permissions=[])
    return _delete(client, tenant, f"/roles/{role.id}"), role.id


def _create_token(client, tenant):
    space = make_space(tenant, "Research")
    r = _post(client, tenant, f"/spaces/{space.id}/tokens", {"label": "bot"})
    return r, r.json()["id"]


def _deactivate_token(client, tenant):
    space = make_space(tenant, "Research")
    token, _ = make_token(tenant, space)
    return _post(client, tenant, f"/spaces/{space.id}/tokens/{token.id}/deactivate"), token.id


def _delete_token(client, tenant):
    space = make_space(tenant, "Research")
    token, _ = make_token(tenant, space)
    return _delete(client, tenant, f"/spaces/{space.id}/tokens/{token.id}"), token.id


def _delete_tokens(client, tenant):
    space = make_space(tenant, "Research")
    make_token(tenant, space, permanent=True)
    make_token(tenant, space)
    return _delete(client, tenant, f"/spaces/{space.id}/tokens?permanent=true"), space.id


# --- catalog ----------------------------------------------------------------------------------
def _create_dataset(client, tenant):
    make_space(tenant, "Research")
    r = _post(client, tenant, "/datasets", {"space": "Research", "name": "Images"})
    return r, r.json()["id"]


def _update_dataset(client, tenant):
    dataset = make_dataset(space=make_space(tenant, "Research"))
    return _patch(client, tenant, f"/datasets/{dataset.id}", {"name": "Renamed"}), dataset.id


def _delete_dataset(client, tenant):
    dataset = make_dataset(space=make_space(tenant, "Research"))
    return _delete(client, tenant, f"/datasets/{dataset.id}"), dataset.id


def _create_data_rows(client, tenant):
    """One event for the whole request, whatever the number of rows."""
    dataset = make_dataset(space=make_space(tenant, "Research"))
    rows = [{"row_data": f"https://example.com/{i}.jpg", "global_key": f"k{i}"} for i in range(3)]
    return _post(client, tenant, f"/datasets/{dataset.id}/data-rows", {"rows": rows}), dataset.id


def _update_data_row(client, tenant):
    [row] = make_rows(dataset=make_dataset(space=make_space(tenant, "Research")), n=1)
    return _patch(client, tenant, f"/data-rows/{row.id}", {"external_id": "x-1"}), row.id


def _delete_data_rows(client, tenant):
    """One event for the request, on its job, whatever the number of ids."""
    rows = make_rows(dataset=make_dataset(space=make_space(tenant, "Research")), n=3)
    r = _post(client, tenant, "/data-rows/delete", {"data_row_ids": [row.id for row in rows]})
    return r, r.json()["id"]


def _delete_data_row(client, tenant):
    [row] = make_rows(dataset=make_dataset(space=make_space(tenant, "Research")), n=1)
    return _delete(client, tenant, f"/data-rows/{row.id}"), row.id


# --- catalog: imports ------------------------------------------------------------------------
def _forget_upload(response) -> None:
    """The job never runs here: remove the file it would have deleted when it ended."""
    from django.core.files.storage import default_storage

    from adminapp.jobs.models import Job

    if response.status_code == 202:
        default_storage.delete(Job.objects.get(id=response.json()["id"]).params["file"])


def _import_file(client, tenant):
    from django.core.files.uploadedfile import SimpleUploadedFile

    dataset = make_dataset(space=make_space(tenant, "Imports"))
    r = client.post(
        f"{API}/datasets/{dataset.id}/imports",
        {"file": SimpleUploadedFile("rows.csv", b"row_data\na\n")},
        **_admin(tenant),
    )
    _forget_upload(r)
    return r, dataset.id


def _import_json_rows(client, tenant):
    dataset = make_dataset(space=make_space(tenant, "Imports"))
    r = _post(
        client, tenant, f"/datasets/{dataset.id}/data-rows/async", {"rows": [{"row_data": "a"}]}
    )
    _forget_upload(r)
    return r, dataset.id


# --- storage --------------------------------------------------------------------------------
_HMAC = {"method": "hmac", "access_key_id": "AKIAEXAMPLE", "secret_access_key": "s3cr3t"}


def _bucket_config(tenant, nickname="primary", uri="s3://acme-data"):
    from adminapp.storage.services import bucket_config_create

    return bucket_config_create(
        actor=tenant.principal("OWNER"),
        nickname=nickname,
        uri=uri,
        extra_config={"region_name": "us-east-1"},
        auth_config=_HMAC,
    )


def _repo(tenant, name="climate"):
    from adminapp.storage.services import repo_create

    _bucket_config(tenant)
    return repo_create(actor=tenant.principal("OWNER"), name=name)


def _create_bucket_config(client, tenant):
    body = {"nickname": "primary", "uri": "gs://acme-data", "auth_config": _HMAC}
    r = _post(client, tenant, "/storage/bucket-configs", body)
    return r, r.json()["id"]


def _update_bucket_config(client, tenant):
    """A new secret: the event says it was replaced, never what it is."""
    config = _bucket_config(tenant)
    body = {"auth_config": {**_HMAC, "secret_access_key": "n3w-s3cr3t"}}
    return _patch(client, tenant, "/storage/bucket-configs/primary", body), config.id


def _set_default_bucket_config(client, tenant):
    _bucket_config(tenant)
    config = _bucket_config(tenant, "second", "s3://other-data")
    return _post(client, tenant, "/storage/bucket-configs/second/default"), config.id


def _delete_bucket_config(client, tenant):
    config = _bucket_config(tenant)
    path = "/storage/bucket-configs/primary?imsure=true&imreallysure=true"
    return _delete(client, tenant, path), config.id


def _check_bucket_config(client, tenant):
    _bucket_config(tenant)
    r = _post(client, tenant, "/storage/bucket-configs/primary/check")
    return r, r.json()["id"]


def _create_repo(client, tenant):
    _bucket_config(tenant)
    r = _post(client, tenant, "/storage/repos", {"name": "climate"})
    return r, r.json()["id"]


def _get_or_create_repo(client, tenant):
    _bucket_config(tenant)
    r = _post(client, tenant, "/storage/repos/get-or-create", {"name": "climate"})
    return r, r.json()["id"]


def _delete_repo(immediate: bool):
    def call(client, tenant):
        repo = _repo(tenant)
        query = "imsure=true&imreallysure=true" + ("&immediate=true" if immediate else "")
        return _delete(client, tenant, f"/storage/repos/climate?{query}"), repo.id

    return call


def _restore_repo(client, tenant):
    from adminapp.storage.services import repo_delete

    repo = _repo(tenant)
    repo_delete(actor=tenant.principal("OWNER"), name="climate", imsure=True, imreallysure=True)
    return _post(client, tenant, "/storage/repos/climate/restore"), repo.id


def _transfer(path, body):
    """An export or import job started on an S3-compatible repo (the job never runs here)."""

    def call(client, tenant):
        from adminapp.storage.services import bucket_config_create, repo_create

        owner = tenant.principal("OWNER")
        bucket_config_create(
            actor=owner,
            nickname="lake",
            uri="s3://acme-data",
            extra_config={"endpoint_url": "http://127.0.0.1:9"},
            auth_config=_HMAC,
        )
        repo = repo_create(actor=owner, name="climate")
        dataset = make_dataset(space=make_space(tenant, "Research"))
        r = _post(
            client, tenant, f"/storage/repos/climate/{path}", {**body, "dataset_id": dataset.id}
        )
        return r, repo.id

    return call


# --- the table ------------------------------------------------------------------------------


# --- plugins (instance admins: the tenant's ADMIN is made one for these calls) ----------------
def _instance_admin(tenant) -> None:
    from adminapp.accounts.models import User

    User.objects.filter(id=tenant.admin.id).update(is_superuser=True)


def _plugin_store() -> str:
    """A store (a folder) with plugin "demo" 2.0.0, built by the store's build tool."""
    import json
    import tempfile
    from pathlib import Path

    from django.conf import settings

    from adminapp.plugins.store import build

    # in the run's own folder, which the run removes when it ends
    root = Path(tempfile.mkdtemp(prefix="audit-store-", dir=settings.TEST_RUN_DIR))
    src = root / "src" / "demo"
    src.mkdir(parents=True)
    manifest = {"id": "demo", "version": "2.0.0", "meta": {"label": "Demo"}, "components": []}
    (src / "plugin.json").write_text(json.dumps(manifest))
    build.build(root / "src", root / "store")
    return str(root / "store")


def _installed_plugin(**source):
    from adminapp.plugins.models import Plugin, PluginVersion

    plugin = Plugin.objects.create(plugin_id="demo", source=source or {"kind": "archive"})
    version = PluginVersion.objects.create(
        plugin=plugin, version="1.0.0", manifest={}, sha256="0" * 64, archive="plugins/none.zip"
    )
    Plugin.objects.filter(id=plugin.id).update(current=version)
    return plugin


def _install_plugin_from(path: str, body=None, **settings):
    def call(client, tenant):
        from django.test import override_settings

        _instance_admin(tenant)
        store = _plugin_store()
        with override_settings(PLUGINS_STORE_URL=store, PLUGINS_ALLOW_FILE_GIT=True, **settings):
            if path == "archive":
                import io
                import zipfile

                buffer = io.BytesIO()
                with zipfile.ZipFile(buffer, "w") as zf:
                    zf.writestr("plugin.json", "{}")
                buffer.seek(0)
                buffer.name = "demo.zip"
                r = client.post(
                    f"{API}/plugins/install/archive", {"file": buffer}, **_admin(tenant)
                )
                _forget_plugin_upload(r)
            elif path == "update":
                plugin = _installed_plugin(kind="store", store=store)
                r = _post(client, tenant, f"/plugins/{plugin.plugin_id}/update", {})
            else:
                r = _post(client, tenant, f"/plugins/install/{path}", body)
        return r, r.json()["id"]

    return call


def _forget_plugin_upload(response) -> None:
    from django.core.files.storage import default_storage

    from adminapp.jobs.models import Job

    if response.status_code == 202:
        default_storage.delete(Job.objects.get(id=response.json()["id"]).params["input"])


def _delete_plugin(client, tenant):
    _instance_admin(tenant)
    plugin = _installed_plugin()
    return _delete(client, tenant, "/plugins/demo"), plugin.id


def _set_plugin_enabled(action):
    def call(client, tenant):
        _instance_admin(tenant)
        plugin = _installed_plugin()
        if action == "enable":
            type(plugin).objects.filter(id=plugin.id).update(enabled=False)
        return _post(client, tenant, f"/plugins/demo/{action}"), plugin.id

    return call


AUDITED: dict[str, list[Audited]] = {
    "accounts.services.organizations.organization_create": [
        Audited("organization.create", "organization", _create_organization, via="command")
    ],
    "accounts.services.members.org_member_add": [Audited("member.add", "user", _add_member)],
    "accounts.services.members.org_member_update_role": [
        Audited("member.update_role", "user", _update_member)
    ],
    "accounts.services.members.org_member_remove": [
        Audited("member.remove", "user", _remove_member)
    ],
    "accounts.services.members.org_member_set_active": [
        Audited("user.deactivate", "user", _deactivate_member),
        Audited("user.reactivate", "user", _reactivate_member),
    ],
    "accounts.services.members.organization_transfer_ownership": [
        Audited("organization.transfer_ownership", "user", _transfer_ownership)
    ],
    "accounts.services.organizations.organization_rename": [
        Audited("organization.rename", "organization", _rename_organization)
    ],
    "accounts.services.organizations.instance_user_set_active": [
        Audited("user.deactivate", "user", _instance_user_set_active(False)),
        Audited("user.reactivate", "user", _instance_user_set_active(True)),
    ],
    "accounts.services.keys.api_key_create": [Audited("api_key.create", "api_key", _create_key)],
    "accounts.services.invitations.invitation_create": [
        Audited("invitation.create", "invitation", _invite)
    ],
    "accounts.services.invitations.invitation_resend": [
        Audited("invitation.resend", "invitation", _resend_invitation)
    ],
    "accounts.services.invitations.invitation_revoke": [
        Audited("invitation.revoke", "invitation", _revoke_invitation)
    ],
    "accounts.services.passwords.password_change": [
        Audited("user.password_change", "user", _change_password)
    ],
    "accounts.services.keys.api_key_revoke": [Audited("api_key.revoke", "api_key", _revoke_key)],
    "accounts.services.mfa.enrolment_confirm": [
        Audited("user.two_factor_enable", "user", _enable_two_factor)
    ],
    "accounts.services.mfa.disable": [
        Audited("user.two_factor_disable", "user", _disable_two_factor)
    ],
    "accounts.services.mfa.recovery_codes_regenerate": [
        Audited("user.recovery_codes_regenerate", "user", _new_recovery_codes)
    ],
    "accounts.services.profile.profile_update": [
        Audited("user.profile_update", "user", _update_profile)
    ],
    "accounts.services.sessions.session_end": [Audited("auth.session_end", "user", _end_session)],
    "accounts.services.sessions.sessions_end_others": [
        Audited("auth.sessions_end_others", "user", _end_other_sessions)
    ],
    "accounts.services.signin.session_record": [
        Audited("auth.login", "user", _sign_in),
        Audited("auth.logout", "user", _sign_out),
    ],
    "audit.services.audit_record_custom": [Audited("custom.deploy", "", _custom_event)],
    "catalog.services.datasets.dataset_create": [
        Audited("dataset.create", "dataset", _create_dataset)
    ],
    "catalog.services.datasets.dataset_update": [
        Audited("dataset.update", "dataset", _update_dataset)
    ],
    "catalog.services.datasets.dataset_delete": [
        Audited("dataset.delete", "dataset", _delete_dataset)
    ],
    "catalog.services.rows.data_rows_create": [
        Audited("data_rows.create", "dataset", _create_data_rows)
    ],
    "catalog.services.rows.data_row_update": [
        Audited("data_row.update", "data_row", _update_data_row)
    ],
    "catalog.services.rows.data_row_delete": [
        Audited("data_row.delete", "data_row", _delete_data_row)
    ],
    "catalog.services.rows_bulk.data_rows_delete_many": [
        Audited("data_rows.delete_many", "job", _delete_data_rows)
    ],
    "catalog.services.imports.data_rows_import_file": [
        Audited("data_rows.import", "dataset", _import_file)
    ],
    "catalog.services.imports.data_rows_import_rows": [
        Audited("data_rows.import", "dataset", _import_json_rows)
    ],
    "exports.services.audit_export_start": [Audited("job.create", "job", _start_export)],
    "exports.services.org_data_export_start": [Audited("job.create", "job", _start_org_export)],
    "jobs.services.job_create": [Audited("job.create", "job", _start_export)],
    "jobs.services.job_abort": [Audited("job.abort", "job", _abort_job)],
    "catalog.services.global_keys.global_keys_assign": [
        Audited("global_keys.assign", "job", _global_keys("assign", {"items": []})),
        Audited(
            "global_keys.preview", "job", _global_keys("assign", {"items": [], "dry_run": True})
        ),
    ],
    "catalog.services.global_keys.global_keys_clear": [
        Audited("global_keys.clear", "job", _global_keys("clear", {"global_keys": ["k"]})),
        Audited(
            "global_keys.clear_preview",
            "job",
            _global_keys("clear", {"global_keys": ["k"], "dry_run": True}),
        ),
    ],
    "catalog.services.global_keys.global_keys_lookup": [
        Audited("global_keys.lookup", "job", _global_keys("lookup", {"global_keys": ["k"]}))
    ],
    "catalog.services.global_keys.global_keys_revert": [
        Audited("global_keys.revert", "job", _revert_global_keys)
    ],
    "spaces.services.spaces.space_create": [Audited("space.create", "space", _create_space)],
    "spaces.services.spaces.space_update": [Audited("space.update", "space", _update_space)],
    "spaces.services.spaces.space_delete": [
        Audited("space.delete", "space", _delete_space),
        Audited("space.delete_retry", "space", _delete_space_again),
    ],
    "spaces.services.members.space_member_set": [
        Audited("space.member.add", "user", _add_space_member),
        Audited("space.member.update_role", "user", _change_space_role),
    ],
    "spaces.services.members.space_member_remove": [
        Audited("space.member.remove", "user", _remove_space_member)
    ],
    "spaces.services.members.account_role_guard": [
        Audited("member.update_role", "user", _promote_an_annotator_who_is_in_a_space)
    ],
    "spaces.services.roles.space_role_create": [Audited("role.create", "space_role", _create_role)],
    "spaces.services.roles.space_role_update": [Audited("role.update", "space_role", _update_role)],
    "spaces.services.roles.space_role_delete": [Audited("role.delete", "space_role", _delete_role)],
    "spaces.services.tokens.space_token_create": [
        Audited("space.token.create", "space_token", _create_token)
    ],
    "spaces.services.tokens.space_token_deactivate": [
        Audited("space.token.deactivate", "space_token", _deactivate_token)
    ],
    "spaces.services.tokens.space_token_delete": [
        Audited("space.token.delete", "space_token", _delete_token)
    ],
    "spaces.services.tokens.space_tokens_delete": [
        Audited("space.token.delete_many", "space", _delete_tokens)
    ],
    "storage.services.bucket_configs.bucket_config_create": [
        Audited("bucket_config.create", "bucket_config", _create_bucket_config)
    ],
    "storage.services.bucket_configs.bucket_config_update": [
        Audited("bucket_config.update", "bucket_config", _update_bucket_config)
    ],
    "storage.services.bucket_configs.bucket_config_set_default": [
        Audited("bucket_config.set_default", "bucket_config", _set_default_bucket_config)
    ],
    "storage.services.bucket_configs.bucket_config_delete": [
        Audited("bucket_config.delete", "bucket_config", _delete_bucket_config)
    ],
    "storage.services.bucket_configs.bucket_config_check": [
        Audited("job.create", "job", _check_bucket_config)
    ],
    "storage.services.repos.repo_create": [Audited("repo.create", "repo", _create_repo)],
    "storage.services.repos.repo_get_or_create": [
        Audited("repo.create", "repo", _get_or_create_repo)
    ],
    "storage.services.repos.repo_delete": [
        Audited("repo.delete", "repo", _delete_repo(immediate=False)),
        Audited("repo.delete", "repo", _delete_repo(immediate=True)),
    ],
    "storage.services.repos.repo_restore": [Audited("repo.restore", "repo", _restore_repo)],
    "storage.services.transfers.repo_export_dataset": [
        Audited("repo.export", "repo", _transfer("exports", {}))
    ],
    "storage.services.transfers.repo_import_rows": [
        Audited("repo.import", "repo", _transfer("imports", {"prefix": "in"}))
    ],
    "plugins.services.installs.plugin_install_from_store": [
        Audited(
            "plugin.install_requested", "job", _install_plugin_from("store", {"plugin_id": "demo"})
        )
    ],
    "plugins.services.installs.plugin_install_from_archive": [
        Audited("plugin.install_requested", "job", _install_plugin_from("archive"))
    ],
    "plugins.services.installs.plugin_install_from_git": [
        Audited(
            "plugin.install_requested",
            "job",
            _install_plugin_from("git", {"url": "file:///srv/plugins/demo.git"}),
        )
    ],
    "plugins.services.installs.plugin_update": [
        Audited("plugin.install_requested", "job", _install_plugin_from("update"))
    ],
    "plugins.services.installs.plugin_delete": [
        Audited("plugin.delete_requested", "plugin", _delete_plugin)
    ],
    "plugins.services.lifecycle.plugin_set_enabled": [
        Audited("plugin.disable", "plugin", _set_plugin_enabled("disable")),
        Audited("plugin.enable", "plugin", _set_plugin_enabled("enable")),
    ],
}

_ROWS_HELPER = "a helper of the data-row services (validation); no API calls it alone"
_ROWS_INSERT = (
    "the set-based insert step; its callers (data_rows.create, the import job) write the one "
    "event of the request or job, never one per row"
)
_NAMING_HELPER = "a helper of the spaces services (names and locks); no API calls it alone"
NOT_AUDITED: dict[str, str] = {
    "accounts.services.members.user_set_active": (
        "a helper of org_member_set_active and instance_user_set_active, which name the "
        "organizations it records user.deactivate / user.reactivate in"
    ),
    "accounts.services.organizations.organization_create_with_owner": (
        "audited as organization.create (and invitation.create) in the organization it "
        "creates, which the acting instance admin is no member of: "
        "tests/accounts/test_instance_admin.py"
    ),
    "accounts.services.keys.api_key_authenticate": (
        "a read: resolves a bearer key (last_used_at is refreshed at most once a minute)"
    ),
    "accounts.services.signin.user_login_check": (
        "a read: checks a password; the session it opens is audited as auth.login"
    ),
    "accounts.services.invitations.invitation_accept": (
        "audited as the invitee (invitation.accept, or invitation.accept_refused with the "
        "reason), who is no ADMIN of the org yet: tests/accounts/test_invitations.py"
    ),
    "accounts.services.invitations.invitation_inspect": (
        "a read of a link; a refused one is audited as invitation.accept_refused "
        "(tests/accounts/test_invitations.py)"
    ),
    "accounts.services.invitations.invitation_status": "not a mutation: an invitation's status",
    "accounts.services.passwords.password_reset_request": (
        "audited as user.password_reset_request, by a visitor who is not signed in "
        "(tests/accounts/test_passwords.py)"
    ),
    "accounts.services.passwords.password_reset_inspect": "a read: the account of a reset link",
    "accounts.services.passwords.password_validate": (
        "not a mutation: the password validators' check of the services that set a password"
    ),
    "accounts.services.passwords.password_reset_confirm": (
        "audited as user.password_reset, by a visitor who is not signed in "
        "(tests/accounts/test_passwords.py)"
    ),
    "accounts.services.mfa.audit_user": "the audit write of the user's own events above",
    "accounts.services.mfa.two_factor_status": "a read: whether two-factor is on",
    "accounts.services.mfa.has_two_factor": "a read: whether sign-in takes a code",
    "accounts.services.mfa.enrolment_pending": "a read: the setup waiting for its first code",
    "accounts.services.mfa.enrolment_start": (
        "a secret waiting for its first code, not in force: turning it on is audited as "
        "user.two_factor_enable"
    ),
    "accounts.services.mfa.challenge_issue": "not a mutation: signs sign-in's second step",
    "accounts.services.mfa.challenge_complete": (
        "sign-in's second step: the session it opens is audited as auth.login, a wrong code "
        "as auth.two_factor_failed by the visitor (tests/accounts/test_two_factor.py)"
    ),
    "accounts.services.mfa.login_password_step": "not a mutation: raises mfa_required",
    "accounts.services.mfa.setup_required": "a read: whether the org's rule stops a session",
    "accounts.services.mfa.org_require_set": (
        "audited as org.two_factor_policy by an OWNER, the only role allowed "
        "(tests/accounts/test_two_factor.py)"
    ),
    "accounts.services.sessions.opened": (
        "the listing row of a session whose opening is audited as auth.login"
    ),
    "accounts.services.sessions.closed": "drops the row of a session audited as auth.logout",
    "accounts.services.sessions.touch": "a session's last-seen time, at most once a minute",
    "accounts.services.sessions.session_list": "a read: your sessions",
    "accounts.services.signin.seed_user": (
        "system setup of the demo seed, the CLI and tests; no API reaches it"
    ),
    "audit.services.audit_record": "the audit write itself, called by every row above",
    "audit.services.audit_records": "the audit write itself, several events in one INSERT",
    "catalog.services.datasets.dataset_name_taken": "not a mutation: builds the 409",
    "catalog.services.datasets.lock_dataset": "a helper: locks a live dataset (404 if gone)",
    "catalog.services.rows_checks.clean_external_id": _ROWS_HELPER,
    "catalog.services.rows_checks.clean_metadata": _ROWS_HELPER,
    "catalog.services.rows_checks.clean_row_data": _ROWS_HELPER,
    "catalog.services.rows_checks.prepare_rows": _ROWS_HELPER,
    "catalog.services.rows.outcome_status": "not a mutation: SUCCESS / PARTIAL / FAILURE",
    "catalog.services.rows.too_many_rows": "not a mutation: builds the 413",
    "catalog.services.rows_insert.rows_insert": _ROWS_INSERT,
    "catalog.services.rows_insert.insert_checked": _ROWS_INSERT,
    "catalog.services.rows_insert.insert_prepared": _ROWS_INSERT,
    "catalog.services.imports.import_format": "not a mutation: an import's format from its name",
    "jobs.services.queue_name": "not a mutation: a queue's broker name",
    "catalog.services.global_keys.global_keys_exists": "a read: whether keys are held",
    "jobs.services.job_for_idempotency_key": "a read: the job an Idempotency-Key started",
    "jobs.services.idempotency_key_reused": "not a mutation: builds the 409",
    "jobs.services.job_publish": (
        "sends a created job's id to the broker after job.create commits; changes no row"
    ),
    "jobs.services.jobs_reap_orphans": (
        "a worker's start-up maintenance: jobs_reap for the jobs of processes gone from its host"
    ),
    "jobs.services.jobs_reap": (
        "beat's maintenance (re-publishes lost jobs, fails stalled ones); no principal acts, "
        "and the job row says what happened"
    ),
    "spaces.services.roles.permission_descriptions": "a read: the permission vocabulary",
    "spaces.services.tokens.space_token_authenticate": (
        "a read: resolves a bearer token (last_used_at is refreshed at most once a minute)"
    ),
    "spaces.services.naming.clean_name": _NAMING_HELPER,
    "spaces.services.naming.clean_space_name": _NAMING_HELPER,
    "spaces.services.naming.describe": _NAMING_HELPER,
    "spaces.services.naming.lock_space": _NAMING_HELPER,
    "spaces.services.naming.name_in_use": _NAMING_HELPER,
    "spaces.services.naming.rename": _NAMING_HELPER,
    "spaces.services.naming.save_named": _NAMING_HELPER,
    "spaces.services.naming.update_name_and_description": (
        "a helper of space_update and dataset_update: writes their events (rows above)"
    ),
    "spaces.services.naming.space_name_taken": _NAMING_HELPER,
    "storage.services.bucket_configs.require_confirmation": (
        "not a mutation: the imsure/imreallysure 422 of the deletes"
    ),
    "storage.services.transfers.start_once": (
        "a helper: job_create (job.create) with the Idempotency-Key rule; its callers' rows"
    ),
    "plugins.services.common.installed": "a read: the installed plugin by its id (404 if none)",
    "plugins.services.common.require_manage": "not a mutation: the plugin.manage check",
    "storage.services.repos.repos_purge_start": (
        "beat's maintenance: starts repo_purge jobs as the system (job.create is recorded by "
        "job_create; each purged repo by the job as repo.purge)"
    ),
}

CASES = [(service, case) for service, cases in AUDITED.items() for case in cases]
