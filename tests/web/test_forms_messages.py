"""What a dashboard form says when the API refuses it: every message in words, next to the
field it is about, and an empty required field says "This field is required." (Hardening II
#21, #25). The walk covers every form class in ``adminapp/web/*/forms.py`` against every
field the API can name in its answer; the posts go through the real views, the in-process
SDK and the API behind it."""

from __future__ import annotations

import html as html_lib
import importlib
import inspect
import pkgutil
import re
from functools import partial

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

import adminapp.web
from adminapp.client import UnprocessableEntityError
from adminapp.client.resources.catalog import DataRows
from adminapp.client.resources.jobs import Jobs
from adminapp.client.types import (
    ApiKeyCreateParams,
    AuditFilterParams,
    DataRowIn,
    DatasetCreateParams,
    DatasetUpdateParams,
    GlobalKeyAssignParams,
    GlobalKeyKeysParams,
    GlobalKeyLookupParams,
    JobKindInfo,
    LoginParams,
    MemberAddParams,
    SpaceCreateParams,
    SpaceMemberParams,
    SpacePermission,
    SpaceRoleCreateParams,
    SpaceRoleUpdateParams,
    SpaceTokenCreateParams,
    SpaceUpdateParams,
)
from adminapp.client.types.accounts import (
    InvitationAcceptParams,
    InvitationCreateParams,
    PasswordChangeParams,
    PasswordResetConfirmParams,
    PasswordResetParams,
)
from adminapp.client.types.plugins import (
    PluginComponentRef,
    PluginGitInstallParams,
    PluginUpdateParams,
)
from adminapp.client.types.storage import (
    BucketConfig,
    BucketConfigCreateParams,
    BucketConfigUpdateParams,
    RepoCreateParams,
    RepoExportParams,
    RepoImportParams,
)
from adminapp.core.pagination import PageParams
from adminapp.spaces import services as space_services
from adminapp.web.accounts.forms import (
    ApiKeyCreateForm,
    InvitationAcceptForm,
    InvitationForm,
    LoginForm,
    MemberAddForm,
    PasswordChangeForm,
    PasswordResetConfirmForm,
    PasswordResetForm,
)
from adminapp.web.audit.forms import AuditFilterForm
from adminapp.web.catalog.forms import (
    DatasetForm,
    GlobalKeyAssignForm,
    GlobalKeyClearForm,
    GlobalKeyLookupForm,
    ImportForm,
    RowFilterForm,
    RowForm,
)
from adminapp.web.flow import apply_api_errors
from adminapp.web.jobs.forms import JobFilterForm
from adminapp.web.plugins.forms import (
    ArchiveForm,
    GitForm,
    MacroForm,
    StoreSearchForm,
    UpdateForm,
)
from adminapp.web.spaces.forms import RoleForm, SpaceForm, SpaceMemberForm, SpaceTokenForm
from adminapp.web.storage.forms import (
    AUTH_FIELDS,
    EXTRA_FIELDS,
    BucketConfigForm,
    RepoExportForm,
    RepoForm,
    RepoImportForm,
)
from tests.catalog.factories import make_dataset
from tests.factories import PASSWORD, add_member
from tests.spaces.factories import custom, join, make_space, predefined
from tests.storage.factories import make_bucket_config

REQUIRED = "This field is required."


def names(*models) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for model in models for name in model.model_fields))


PAGE = names(PageParams)  # a list's cursor and limit: never typed into its filter form
JOB_FILTERS = tuple(p for p in inspect.signature(Jobs.list).parameters if p != "self")
ROW_FILTERS = tuple(
    p for p in inspect.signature(DataRows.list).parameters if p not in ("self", "dataset")
)
# One row is sent as rows[0]: the API names its fields "rows.0.<field>".
ROW_FIELDS = tuple(f"rows.0.{name}" for name in names(DataRowIn)) + ("on_invalid",)
IMPORT_FIELDS = ("file", "format", "on_invalid")

# Each dashboard form: how the page builds it (given its data), the fields the API can name
# in its refusal (those of the request the form's values are sent in), and those of them the
# form has no field for (their messages go on top, named in words).
VOCABULARY = [SpacePermission(name="member.read", description="See the members.")]
KINDS = [JobKindInfo(name="audit_export", label="Audit log export", makes_file=True)]
# A bucket config's nested fields, as the API names them (auth_config.secret_access_key).
BUCKET_CONFIG_FIELDS = (
    names(BucketConfigCreateParams, BucketConfigUpdateParams)
    + ("auth_config.method",)
    + tuple(dict.fromkeys(f"auth_config.{n}" for names_ in AUTH_FIELDS.values() for n in names_))
    + tuple(f"extra_config.{name}" for name in EXTRA_FIELDS)
)
CONFIGS = [
    BucketConfig(
        id="bkt_1",
        nickname="lake",
        uri="gs://acme-data",
        platform="gs",
        bucket="acme-data",
        auth_config={"method": "anonymous"},
        is_default=True,
        created_at="2030-01-01T00:00:00Z",
        updated_at="2030-01-01T00:00:00Z",
    )
]
DATASETS = [("ds_1", "Frames")]  # the page groups them by space
# A macro whose form has a text, a checkbox and a select (numbers parse their text: a typed
# "x@example.com" is no number).
MACRO = PluginComponentRef(
    plugin_id="tools",
    plugin_label="Tools",
    type="macro",
    id="keys",
    label="Keys",
    params={
        "type": "object",
        "required": ["dataset_id"],
        "properties": {
            "dataset_id": {"type": "string"},
            "overwrite": {"type": "boolean"},
            "on_invalid": {"type": "string", "enum": ["reject", "sanitize"]},
        },
    },
)
# The multipart fields of an archive install or update.
ARCHIVE_FIELDS = ("file", "allow_downgrade")
FORMS = [
    pytest.param(LoginForm, names(LoginParams), (), id="login"),
    pytest.param(
        partial(ApiKeyCreateForm, allow_service=True),
        names(ApiKeyCreateParams),
        (),
        id="api-key-admin",
    ),
    pytest.param(
        partial(ApiKeyCreateForm, allow_service=False),
        names(ApiKeyCreateParams),
        ("kind", "role"),
        id="api-key-member",
    ),
    pytest.param(MemberAddForm, names(MemberAddParams), (), id="member-add"),
    pytest.param(InvitationForm, names(InvitationCreateParams), (), id="invitation"),
    pytest.param(
        partial(InvitationAcceptForm, mode="new"),
        names(InvitationAcceptParams),
        ("token",),
        id="invitation-accept",
    ),
    pytest.param(PasswordChangeForm, names(PasswordChangeParams), (), id="password-change"),
    pytest.param(PasswordResetForm, names(PasswordResetParams), (), id="password-reset"),
    pytest.param(
        PasswordResetConfirmForm,
        names(PasswordResetConfirmParams),
        ("token",),
        id="password-reset-confirm",
    ),
    pytest.param(AuditFilterForm, names(AuditFilterParams, PageParams), PAGE, id="audit"),
    pytest.param(partial(JobFilterForm, kinds=KINDS), JOB_FILTERS, PAGE, id="jobs"),
    pytest.param(
        SpaceForm, names(SpaceCreateParams, SpaceUpdateParams), ("organization_id",), id="space"
    ),
    pytest.param(
        partial(SpaceMemberForm, people=[], roles=[]),
        names(SpaceMemberParams),
        (),
        id="space-member",
    ),
    pytest.param(SpaceTokenForm, names(SpaceTokenCreateParams), (), id="token"),
    pytest.param(
        DatasetForm,
        names(DatasetCreateParams, DatasetUpdateParams),
        ("space",),
        id="dataset",
    ),
    pytest.param(RowFilterForm, ROW_FILTERS, PAGE, id="row-filters"),
    pytest.param(RowForm, ROW_FIELDS, ("rows.0.metadata", "on_invalid"), id="row"),
    # multipart fields of POST /datasets/{id}/imports (client.data_rows.import_file)
    pytest.param(ImportForm, IMPORT_FIELDS, (), id="import"),
    # the JSON variant (pasted lines) and the file variant (an upload) of each job
    pytest.param(
        GlobalKeyAssignForm,
        names(GlobalKeyAssignParams) + ("file",),
        ("dry_run",),
        id="global-key-assign",
    ),
    pytest.param(
        GlobalKeyClearForm, names(GlobalKeyKeysParams) + ("file",), ("dry_run",), id="gk-clear"
    ),
    pytest.param(GlobalKeyLookupForm, names(GlobalKeyLookupParams) + ("file",), (), id="gk-lookup"),
    # extra_config as a whole has no one field: it goes on top, named in words
    pytest.param(BucketConfigForm, BUCKET_CONFIG_FIELDS, ("extra_config",), id="bucket-config"),
    pytest.param(partial(RepoForm, configs=CONFIGS), names(RepoCreateParams), (), id="repo"),
    pytest.param(
        partial(RepoExportForm, datasets=DATASETS), names(RepoExportParams), (), id="repo-export"
    ),
    pytest.param(
        partial(RepoImportForm, datasets=DATASETS), names(RepoImportParams), (), id="repo-import"
    ),
    # the store is searched by the page, not the API: no field of it is the API's
    pytest.param(partial(StoreSearchForm, tags=["import"]), (), (), id="plugin-store"),
    pytest.param(ArchiveForm, ARCHIVE_FIELDS, (), id="plugin-archive"),
    pytest.param(GitForm, names(PluginGitInstallParams), (), id="plugin-git"),
    pytest.param(
        partial(UpdateForm, source="git"), names(PluginUpdateParams), (), id="plugin-update-git"
    ),
    pytest.param(
        partial(UpdateForm, source="archive"), ARCHIVE_FIELDS, (), id="plugin-update-archive"
    ),
    # a parameter the macro does not have goes on top, named by that parameter
    pytest.param(
        partial(MacroForm, macro=MACRO, prefix=None),  # its inputs named as its fields
        ("params.dataset_id", "params.overwrite", "params.on_invalid", "params.extra"),
        ("params.extra",),
        id="macro",
    ),
    pytest.param(
        partial(RoleForm, vocabulary=VOCABULARY),
        names(SpaceRoleCreateParams, SpaceRoleUpdateParams),
        (),
        id="role",
    ),
]


def dashboard_form_classes() -> set[type[forms.Form]]:
    found = set()
    for package in pkgutil.iter_modules(adminapp.web.__path__):
        try:
            module = importlib.import_module(f"adminapp.web.{package.name}.forms")
        except ModuleNotFoundError:
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.Form) and cls.__module__ == module.__name__:
                found.add(cls)
    return found


def filled_in(build) -> forms.Form:
    """The form with a value typed or picked in every field, validated."""
    data, files = {}, {}
    for name, field in build().fields.items():
        if isinstance(field, forms.FileField):
            files[name] = SimpleUploadedFile("x.csv", b"x\n")
            continue
        if isinstance(field, forms.MultipleChoiceField):
            value = [field.choices[0][0]]
        elif isinstance(field, forms.ChoiceField):
            value = next(v for v, _ in field.choices if v)
        elif isinstance(field, forms.BooleanField):
            value = "on"
        elif isinstance(field, forms.DateTimeField):
            value = "2030-01-01T00:00"
        elif isinstance(field, forms.DateField):
            value = "2030-01-01"
        elif hasattr(field, "example"):  # a field that parses its text (key=value lines)
            value = field.example
        else:
            value = "x@example.com"
        data[name] = value
    form = build(data, files) if files else build(data)
    assert form.is_valid(), form.errors
    return form


def shown(form: forms.Form) -> list[str]:
    """Every error message the page shows for ``form``: the banner, then each field's."""
    return [str(e) for e in form.non_field_errors()] + [
        str(e) for field in form if field.name in form.errors for e in field.errors
    ]


def raw_names(text: str, api_names) -> list[str]:
    """The API field names ``text`` shows as such: a snake_case or dotted name anywhere, or
    any name introducing a message ("label: ...")."""
    return [
        name
        for name in api_names
        if re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", text)
        and ("_" in name or re.search(rf"(?<![\w.]){re.escape(name)}\s*:", text))
    ] + re.findall(r"\b[a-z]+(?:_[a-z0-9]+)+\b", text)


def test_the_walk_covers_every_dashboard_form():
    covered = {param.values[0]().__class__ for param in FORMS}
    assert dashboard_form_classes() == covered


@pytest.mark.parametrize(("build", "api_fields", "off_form"), FORMS)
def test_every_api_field_error_is_shown_in_words_next_to_its_field(build, api_fields, off_form):
    for name in api_fields:
        for path in (name, f"{name}.0"):  # a field, and a part of it (a list item, a member)
            form = filled_in(build)
            error = UnprocessableEntityError(
                f"The request is not valid. {path}: Must be in the future.",
                status_code=422,
                code="validation_error",
                fields={path: ["Must be in the future."]},
            )
            apply_api_errors(form, error)
            (message,) = shown(form)
            assert not raw_names(message, api_fields), f"{path}: {message!r}"
            if name in off_form:
                assert form.non_field_errors() == [message]
                assert re.fullmatch(r"[A-Z][a-z ]+: Must be in the future\.", message)
            else:
                assert not form.non_field_errors(), f"{path} is a form field, shown on top"
                assert message == "Must be in the future."


# --- through the real views ---------------------------------------------------------------
def errors_shown(response) -> list[str]:
    """The error messages a page shows: next to fields, and in the form's banner."""
    page = response.content.decode()
    found = re.findall(r'<p class="field__error[^"]*"[^>]*>(.*?)</p>', page, re.S)
    for banner in re.findall(
        r'<div class="alert alert--danger" role="alert">(.*?)</div>', page, re.S
    ):
        found += re.findall(r"<p>(.*?)</p>", banner, re.S)
    return [html_lib.unescape(re.sub(r"\s+", " ", text)).strip() for text in found]


def field_error(response, label: str) -> list[str]:
    """The messages shown under the fields labelled ``label`` (a page can have several
    forms with a "Name": a space's page, its datasets' and its own)."""
    page = response.content.decode()
    blocks = re.finditer(
        rf'<(div|fieldset) class="field[^"]*">\s*<(label|legend)[^>]*>{re.escape(label)}\b.*?</\1>',
        page,
        re.S,
    )
    found = [block.group(0) for block in blocks]
    assert found, f"no field labelled {label!r}"
    return [
        html_lib.unescape(t).strip()
        for block in found
        for t in re.findall(r'<p class="field__error"[^>]*>(.*?)</p>', block, re.S)
    ]


@pytest.fixture
def owner(tenant) -> Client:
    client = Client()
    client.force_login(tenant.owner)
    return client


@pytest.mark.django_db
def test_a_past_expiry_date_is_an_inline_error_on_the_expiry_field(owner):
    response = owner.post(reverse("web:api_keys"), {"label": "old", "expires_on": "2001-01-01"})
    assert response.status_code == 422
    assert field_error(response, "Expires on") == ["Must be in the future."]
    assert errors_shown(response) == ["Must be in the future."]  # no banner besides
    assert "expires_at" not in response.content.decode()


@pytest.mark.django_db
def test_a_refused_filter_or_export_is_named_in_words(owner):
    listing = owner.get(
        reverse("web:audit"), {"since": "2030-01-02T00:00", "until": "2030-01-01T00:00"}
    )
    assert listing.status_code == 422
    assert field_error(listing, "Since") == ["Must be before until."]
    stale = owner.get(reverse("web:jobs"), {"cursor": "not-a-cursor"})
    assert errors_shown(stale) == ["Cursor: Invalid cursor."]

    export = owner.post(
        reverse("web:audit_export"),
        {"since": "2030-01-02T00:00", "until": "2030-01-01T00:00"},
        follow=True,
    )
    toasts = [str(m) for m in export.context["messages"]]
    assert toasts == ["Since: Must be before until."]


@pytest.mark.django_db
def test_a_malformed_role_change_is_named_in_words(owner, tenant):
    """A role no select offers (a hand-made post): the API's 422 summary names the raw
    field path, the row and the toast do not."""
    space = make_space(tenant, "Words")
    join(tenant, space, tenant.member, predefined("MEMBER"))
    row = owner.post(
        reverse("web:space_member_role", args=[space.id, tenant.member.id]),
        {"role": "OWNER"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"member-{tenant.member.id}",
    )
    assert row.status_code == 422
    (message,) = re.findall(
        r'<p class="field__error cell-error"[^>]*>(.*?)</p>', row.content.decode()
    )
    assert html_lib.unescape(message).startswith("Role: Input should be 'ADMIN'")
    assert not raw_names(html_lib.unescape(message), ["role.PREDEFINED.name", "PREDEFINED"])

    org = owner.post(
        reverse("web:member_role", args=[tenant.member.id]), {"role": "KING"}, follow=True
    )
    toasts = [str(m) for m in org.context["messages"]]
    assert toasts == ["Role: Input should be 'OWNER', 'ADMIN', 'MEMBER' or 'ANNOTATOR'"]


# --- empty required fields, posted as a browser sends them (every field, empty) -------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("page", "data", "label"),
    [
        ("api_keys", {"label": "", "description": "", "expires_on": ""}, "Label"),
        ("members", {"email": "", "role": "MEMBER", "name": "", "password": ""}, "Email"),
        ("spaces", {"create-name": "", "create-description": ""}, "Name"),
        ("space_edit", {"name": "", "description": ""}, "Name"),
        ("space_member_add", {"user_id": "", "role": "MEMBER", "person": ""}, "Person"),
        ("space_member_add", {"user_id": "{member}", "role": ""}, "Space role"),
        ("roles", {"name": "", "description": ""}, "Name"),
        ("role_edit", {"name": "", "description": ""}, "Name"),
        ("datasets", {"dataset-name": "", "dataset-description": ""}, "Name"),
        ("dataset_edit", {"edit-name": "", "edit-description": ""}, "Name"),
        ("data_row_add", {"row_data": "", "external_id": "", "global_key": ""}, "Row data"),
        ("data_row_import", {"format": "", "on_invalid": "reject"}, "File"),
        ("bucket_configs", {"nickname": "", "uri": "", "auth_method": "anonymous"}, "Nickname"),
        ("repos", {"name": "", "kind": "icechunk", "metadata": ""}, "Name"),
    ],
)
def test_an_empty_required_field_says_it_is_required(owner, tenant, page, data, label):
    space = make_space(tenant, "Empty Fields")
    role = space_services.space_role_create(
        actor=tenant.principal(), name="Curator", permissions=[]
    )
    dataset = make_dataset(space=space, name="Frames")
    if page == "repos":  # the form to create one shows once there is a bucket config
        make_bucket_config(tenant, "primary", "gs://acme-data", extra_config={})
    args = {
        "space_edit": [space.id],
        "space_member_add": [space.id],
        "role_edit": [role.id],
        "datasets": [space.id],
        "dataset_edit": [dataset.id],
        "data_row_add": [dataset.id],
        "data_row_import": [dataset.id],
    }
    data = {k: v.format(member=tenant.member.id) for k, v in data.items()}
    response = owner.post(reverse(f"web:{page}", args=args.get(page, [])), data)
    assert response.status_code == 422
    if label == "Person":  # radio buttons, with the picker's errors after them
        assert errors_shown(response) == [REQUIRED]
        assert 'class="field typeahead field--invalid"' in response.content.decode()
    else:
        assert field_error(response, label) == [REQUIRED]
        assert errors_shown(response) == [REQUIRED]


@pytest.mark.django_db
def test_an_empty_email_on_sign_in_says_it_is_required():
    response = Client().post(reverse("web:login"), {"email": "", "password": PASSWORD})
    assert field_error(response, "Email") == [REQUIRED]
    assert errors_shown(response) == [REQUIRED]


@pytest.mark.django_db
def test_a_role_above_your_own_is_refused_next_to_the_role_picked(tenant):
    manager_role = space_services.space_role_create(
        actor=tenant.principal(),
        name="People manager",
        permissions=["member.manage", "member.read"],
    )
    manager = add_member(tenant.org)
    space = make_space(tenant, "Escalation")
    join(tenant, space, manager, custom(manager_role))
    client = Client()
    client.force_login(manager)
    response = client.post(
        reverse("web:space_member_add", args=[space.id]),
        {"user_id": tenant.member.id, "role": "ADMIN"},
    )
    assert response.status_code == 403
    (message,) = field_error(response, "Space role")
    assert message.startswith("You cannot grant or change a role with permissions you do not")
    assert errors_shown(response) == [message]  # and no banner
