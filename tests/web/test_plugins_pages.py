"""The Plugins and Macros pages as a browser without JavaScript (and as htmx) sees them:
Django's test client against the real views, the in-process SDK and the API behind it; the
store is the one the project ships, installs run through the real job engine in process,
archives are real zips. Nothing is mocked."""

from __future__ import annotations

import html as html_lib
import io
import re
import zipfile

import pytest
from django.urls import reverse

from adminapp.jobs.engine import job_run
from adminapp.jobs.models import Job
from adminapp.plugins.models import Plugin
from adminapp.plugins.runtime.services import macro_run_start
from tests.factories import add_member, make_user, principal_for
from tests.plugins.factories import install_archive, plugin_files, zip_of
from tests.web.test_catalog_views import client_for, hx, main_of
from tests.web.test_csp import INLINE
from tests.web.test_storage_pages import field_error, text_of

pytestmark = pytest.mark.django_db

STORE_IDS = ["coco-importer", "global-key-template", "membership-report"]

# A macro of every parameter type the schema allows.
EVERY_TYPE = {
    "type": "object",
    "required": ["dataset", "count"],
    "properties": {
        "dataset": {"type": "string", "title": "Dataset id", "description": "Whose rows."},
        "template": {"type": "string", "default": "{dataset}/{external_id}", "maxLength": 12},
        "count": {"type": "integer", "title": "How many", "minimum": 1, "maximum": 10},
        "ratio": {"type": "number", "default": 0.5},
        "overwrite": {"type": "boolean", "title": "Overwrite keys", "default": True},
        "mode": {"type": "string", "enum": ["fast", "safe"], "default": "safe"},
        "level": {"type": "integer", "enum": [1, 2, 3]},
        "strict": {"type": "boolean", "enum": [True, False], "default": False},
    },
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PLUGINS_CACHE_DIR = tmp_path / "plugin-cache"


@pytest.fixture
def admin_user(tenant):
    """An instance admin who is a plain MEMBER of the organization."""
    user = make_user(superuser=True)
    add_member(tenant.org, role="MEMBER", user=user)
    return user


@pytest.fixture
def admin(admin_user):
    return client_for(admin_user)


@pytest.fixture
def owner(tenant):
    return client_for(tenant.owner)


def _tools(tenant, admin_user, tmp_path, params=EVERY_TYPE, plugin_id="tools"):
    """Install (through the real archive install job) a plugin with an importer and a
    macro taking ``params``."""
    components = [
        {"type": "importer", "id": "lines", "label": "Lines", "entry": "lines.py",
         "extensions": [".txt", ".log"]},
        {"type": "macro", "id": "keys", "label": "Keys from a template",
         "description": "Assigns keys.", "entry": "macros/hello.py", "params": params,
         "result": "csv"},
    ]  # fmt: skip
    path = zip_of(
        tmp_path / f"{plugin_id}.zip", plugin_files(plugin_id, "1.0.0", components=components)
    )
    job = install_archive(principal_for(admin_user, tenant.org), path)
    assert job.state == "SUCCEEDED", job.error_message
    return Plugin.objects.get(plugin_id=plugin_id)


def _store_install(admin, plugin_id: str) -> Job:
    response = admin.post(
        reverse("web:plugin_store_install", args=[plugin_id]),
        {"idempotency_key": f"key-{plugin_id}"},
    )
    assert response.status_code == 302
    job = Job.objects.get(kind="plugin_install", params__plugin_id=plugin_id)
    assert response["Location"] == reverse("web:job_detail", args=[job.id])
    job_run(job_id=job.id)
    job.refresh_from_db()
    assert job.state == "SUCCEEDED", job.error_message
    return job


def assert_no_inline(html: str) -> None:
    for pattern, what in INLINE:
        match = pattern.search(html)
        assert match is None, f"{what}: {html[match.start() : match.start() + 120]}"


def nav_links(response) -> list[str]:
    nav = re.search(r'<nav[^>]*aria-label="Main".*?</nav>', response.content.decode(), re.S)
    return [text_of(a).strip() for a in re.findall(r"<a [^>]*>(.*?)</a>", nav.group(0), re.S)]


# --- who sees what ----------------------------------------------------------------------------
def test_only_instance_admins_get_the_instance_link_and_only_owners_and_admins_macros(
    tenant, admin, owner
):
    # Plugins are a section of the instance-admin area (one "Instance" link, then tabs).
    assert "Instance" in nav_links(admin.get("/")) and "Macros" not in nav_links(admin.get("/"))
    assert "Macros" in nav_links(owner.get("/")) and "Instance" not in nav_links(owner.get("/"))
    admin_of_org = client_for(tenant.admin)
    assert "Macros" in nav_links(admin_of_org.get("/"))
    member = client_for(tenant.member)
    assert not {"Instance", "Macros"} & set(nav_links(member.get("/")))
    tabs = admin.get(reverse("web:operations")).content.decode()
    assert reverse("web:plugins") in tabs


@pytest.mark.parametrize(
    "url",
    ["web:plugins", "web:plugins_installed", "web:plugin_upload", "web:plugin_git"],
)
def test_the_plugins_pages_are_refused_to_an_org_owner_who_is_no_instance_admin(owner, url):
    response = owner.get(reverse(url))
    assert response.status_code == 403
    assert "Your role cannot do this" in response.content.decode()


def test_the_macros_page_is_refused_to_a_member(tenant):
    member = client_for(tenant.member)
    response = member.get(reverse("web:macros"))
    assert response.status_code == 403
    assert "Only organization owners and admins can run macros." in text_of(
        response.content.decode()
    )


# --- the store ----------------------------------------------------------------------------------
def test_the_store_lists_the_shipped_plugins_each_to_install(admin):
    html = main_of(admin.get(reverse("web:plugins")))
    rows = dict(re.findall(r'<tr id="store-([\w-]+)" data-state="(\w+)"', html))
    assert rows == dict.fromkeys(STORE_IDS, "install")
    assert "Membership report" in html and "MIT" not in html  # label, not the license
    assert_no_inline(html)


def test_the_store_is_searched_by_words_and_by_tag(admin):
    found = main_of(admin.get(reverse("web:plugins"), {"q": "membership CSV"}))
    assert re.findall(r'<tr id="store-([\w-]+)"', found) == ["membership-report"]
    tagged = main_of(admin.get(reverse("web:plugins"), {"tag": "import"}))
    assert re.findall(r'<tr id="store-([\w-]+)"', tagged) == ["coco-importer"]
    none = admin.get(reverse("web:plugins"), {"q": "no such plugin"})
    assert "No plugin matches" in text_of(main_of(none))
    # htmx: the results only
    partial = admin.get(reverse("web:plugins"), {"q": "coco"}, **hx("store-results"))
    body = partial.content.decode()
    assert body.lstrip().startswith('<section id="store-results"') and "store-coco-importer" in body


def test_installing_from_the_store_goes_to_the_job_and_then_the_entry_says_installed(admin):
    job = _store_install(admin, "membership-report")
    job_page = admin.get(reverse("web:job_detail", args=[job.id]))
    assert "Install of Membership report 1.0.0 started" in text_of(job_page.content.decode())
    html = main_of(admin.get(reverse("web:plugins")))
    states = dict(re.findall(r'<tr id="store-([\w-]+)" data-state="(\w+)"', html))
    assert states["membership-report"] == "installed"
    assert states["coco-importer"] == "install"


def test_an_older_installed_version_is_offered_as_an_update(tenant, admin, admin_user, tmp_path):
    path = zip_of(tmp_path / "old.zip", plugin_files("membership-report", "0.9.0"))
    install_archive(principal_for(admin_user, tenant.org), path)
    html = main_of(admin.get(reverse("web:plugins")))
    row = re.search(r'<tr id="store-membership-report" data-state="update">(.*?)</tr>', html, re.S)
    assert "0.9.0 installed" in text_of(row.group(1)) and ">Update</button>" in row.group(1)


def test_without_javascript_a_get_of_install_asks_first(admin):
    response = admin.get(reverse("web:plugin_store_install", args=["coco-importer"]))
    assert response.status_code == 200
    page = text_of(response.content.decode())
    assert "Install COCO importer 1.0.0?" in page
    assert not Job.objects.exists()


# --- installed plugins --------------------------------------------------------------------------
def test_the_installed_list_disables_and_enables_without_javascript_and_with_htmx(
    tenant, admin, admin_user, tmp_path
):
    assert "No plugins installed yet" in text_of(
        main_of(admin.get(reverse("web:plugins_installed")))
    )
    _tools(tenant, admin_user, tmp_path)
    listed = main_of(admin.get(reverse("web:plugins_installed")))
    assert 'id="plugin-tools"' in listed and 'data-enabled="true"' in listed
    disable = reverse("web:plugin_disable", args=["tools"])
    assert "Disable tools plugin?" in text_of(admin.get(disable).content.decode())
    response = admin.post(disable, {"next": "list"})
    assert response["Location"] == reverse("web:plugins_installed")
    assert Plugin.objects.get().enabled is False
    row = admin.post(reverse("web:plugin_enable", args=["tools"]), **hx("plugin-tools"))
    body = row.content.decode()
    assert body.lstrip().startswith('<tr id="plugin-tools"') and 'data-enabled="true"' in body
    assert "Enabled tools plugin." in body  # the toast, out of band
    assert Plugin.objects.get().enabled is True
    # from the plugin's own page, back to it
    back = admin.post(disable, {"next": "detail"})
    assert back["Location"] == reverse("web:plugin_detail", args=["tools"])
    assert 'id="plugin-state">Disabled' in admin.get(back["Location"]).content.decode()


# --- upload and git -----------------------------------------------------------------------------
def test_an_upload_is_required_checked_by_the_api_and_installs_as_a_job(admin, tmp_path):
    url = reverse("web:plugin_upload")
    empty = admin.post(url, {})
    assert empty.status_code == 422
    assert field_error(empty, "Plugin zip file") == ["This field is required."]
    bad = admin.post(url, {"file": io.BytesIO(b"not a zip at all")})
    assert bad.status_code == 422
    assert field_error(bad, "Plugin zip file") != []  # the API's words
    assert not Job.objects.exists()
    path = zip_of(tmp_path / "demo.zip", plugin_files("demo", "1.2.0"))
    with open(path, "rb") as fh:
        started = admin.post(url, {"file": fh, "idempotency_key": "upload-key-1"})
    job = Job.objects.get(kind="plugin_install")
    assert started["Location"] == reverse("web:job_detail", args=[job.id])
    job_run(job_id=job.id)
    assert Plugin.objects.get(plugin_id="demo").current.version == "1.2.0"


@pytest.mark.parametrize(
    ("given", "label"),
    [
        ({"url": ""}, "Repository URL"),
        ({"url": "ext::sh -c touch% /tmp/pwned"}, "Repository URL"),
        ({"url": "https://user:secret@example.com/p.git"}, "Repository URL"),
        ({"url": "https://example.com/p.git", "checkout": "--upload-pack=evil"}, "Checkout"),
        ({"url": "https://example.com/p.git", "subpath": "../../etc"}, "Subpath"),
    ],
)
def test_a_refused_git_install_is_said_next_to_its_field(admin, given, label):
    response = admin.post(reverse("web:plugin_git"), given)
    assert response.status_code == 422
    errors = field_error(response, label)
    assert errors != []
    assert "secret" not in response.content.decode()  # credentials typed: never echoed back
    assert not Job.objects.exists()


def test_a_refused_git_install_with_htmx_swaps_the_form_only(admin):
    response = admin.post(reverse("web:plugin_git"), {"url": "ftp://x/y"}, **hx("git"))
    assert response.status_code == 422
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="git"') and "field__error" in body


# --- a plugin's page ----------------------------------------------------------------------------
def test_a_plugins_page_shows_its_manifest_components_and_parameters(
    tenant, admin, admin_user, tmp_path
):
    _tools(tenant, admin_user, tmp_path)
    html = main_of(admin.get(reverse("web:plugin_detail", args=["tools"])))
    manifest = text_of(re.search(r'<dl class="kv" id="manifest">.*?</dl>', html, re.S).group(0))
    assert "Version 1.0.0" in manifest and "Enabled Yes" in manifest
    assert "Source Archive tools.zip" in manifest
    importers = text_of(re.search(r'id="importers-table".*?</table>', html, re.S).group(0))
    assert "tools/lines" in importers and ".txt" in importers and ".log" in importers
    params = text_of(
        re.search(r'class="table table--dense params-table".*?</table>', html, re.S).group(0)
    )
    assert "count How many integer Yes — ≥ 1 ≤ 10" in params
    assert 'mode string No "safe" one of "fast" , "safe"' in params
    assert 'template string No "{dataset}/{external_id}" at most 12 characters' in params
    assert "Writes a CSV file" in html
    assert_no_inline(html)


def test_the_download_streams_the_installed_zip(tenant, admin, admin_user, tmp_path):
    _tools(tenant, admin_user, tmp_path)
    response = admin.get(reverse("web:plugin_download", args=["tools"]))
    assert response.status_code == 200 and response.streaming
    data = b"".join(response.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert "plugin.json" in zf.namelist() and "macros/hello.py" in zf.namelist()
    assert "attachment" in response["Content-Disposition"]


def test_an_update_with_no_newer_version_is_refused_in_the_form(admin):
    _store_install(admin, "coco-importer")
    response = admin.post(reverse("web:plugin_update", args=["coco-importer"]), {})
    assert response.status_code == 409
    update = re.search(r'<section id="update".*?</section>', response.content.decode(), re.S)
    assert "alert--danger" in update.group(0)
    assert Job.objects.filter(kind="plugin_install").count() == 1


def test_an_uploaded_plugins_update_asks_for_the_newer_zip(tenant, admin, admin_user, tmp_path):
    _tools(tenant, admin_user, tmp_path)
    url = reverse("web:plugin_update", args=["tools"])
    missing = admin.post(url, {})
    assert missing.status_code == 422
    assert field_error(missing, "Newer zip file") == ["This field is required."]
    newer = zip_of(tmp_path / "tools-2.zip", plugin_files("tools", "2.0.0"))
    with open(newer, "rb") as fh:
        started = admin.post(url, {"file": fh, "idempotency_key": "update-key-1"})
    job = Job.objects.filter(kind="plugin_install").latest("created_at")
    assert started["Location"] == reverse("web:job_detail", args=[job.id])
    job_run(job_id=job.id)
    assert Plugin.objects.get(plugin_id="tools").current.version == "2.0.0"


def test_remove_asks_for_the_id_then_refuses_while_in_use_and_only_then_offers_force(
    tenant, admin, admin_user, tmp_path
):
    _tools(tenant, admin_user, tmp_path)
    url = reverse("web:plugin_remove", args=["tools"])
    wrong = admin.post(url, {"confirm_name": "tool"})
    assert wrong.status_code == 422
    assert "Type the plugin’s id exactly as shown to confirm." in text_of(wrong.content.decode())
    assert 'name="force"' not in wrong.content.decode()
    # a queued macro run uses the plugin
    running = macro_run_start(
        actor=tenant.principal("OWNER"),
        plugin_id="tools",
        macro_id="keys",
        params={"dataset": "dst_1", "count": 2},
    )
    page = main_of(admin.get(reverse("web:plugin_detail", args=["tools"])))
    assert running.id in re.search(r'id="plugin-usages".*?</div>', page, re.S).group(0)
    refused = admin.post(url, {"confirm_name": "tools"}, **hx("remove"))
    assert refused.status_code == 409
    body = refused.content.decode()
    blocked = text_of(re.search(r'id="remove-blocked".*?</div>', body, re.S).group(0))
    assert "is in use (1 usage)" in blocked and running.id in blocked
    assert 'name="force" value="1"' in body and "Remove anyway" in body
    assert not Job.objects.filter(kind="plugin_delete").exists()
    forced = admin.post(url, {"confirm_name": "tools", "force": "1"})
    job = Job.objects.get(kind="plugin_delete")
    assert forced["Location"] == reverse("web:job_detail", args=[job.id])
    job_run(job_id=job.id)
    assert not Plugin.objects.filter(plugin_id="tools").exists()


def test_a_plugin_not_in_use_is_removed_as_a_job(tenant, admin, admin_user, tmp_path):
    _tools(tenant, admin_user, tmp_path)
    page = main_of(admin.get(reverse("web:plugin_detail", args=["tools"])))
    assert "Nothing uses it now." in page and 'data-confirm-text="tools"' in page
    response = admin.post(reverse("web:plugin_remove", args=["tools"]), {"confirm_name": "tools"})
    job = Job.objects.get(kind="plugin_delete")
    assert response["Location"] == reverse("web:job_detail", args=[job.id])


# --- the macros page: each form generated from its schema ---------------------------------------
def _input(html: str, name: str) -> str:
    found = re.search(rf'<(input|select)[^>]*name="params-{name}"[^>]*>', html)
    assert found, f"no input for {name}"
    return found.group(0)


def test_each_parameter_type_becomes_its_form_field(tenant, owner, admin_user, tmp_path):
    _tools(tenant, admin_user, tmp_path)
    html = main_of(owner.get(reverse("web:macros")))
    assert 'id="macro-tools-keys"' in html and "Keys from a template" in html
    dataset = _input(html, "dataset")
    assert 'type="text"' in dataset and "required" in dataset
    assert field_error_free_label(html, "tools-keys", "dataset") == "Dataset id"
    assert 'id="id_tools-keys_params-dataset_helptext"' in html and "Whose rows." in html
    template = _input(html, "template")
    assert 'value="{dataset}/{external_id}"' in template and 'maxlength="12"' in template
    assert "required" not in template  # a default: never missing
    count = _input(html, "count")
    assert 'type="number"' in count and 'step="1"' in count
    assert 'min="1"' in count and 'max="10"' in count and "required" in count
    ratio = _input(html, "ratio")
    assert 'type="number"' in ratio and 'step="any"' in ratio and 'value="0.5"' in ratio
    overwrite = _input(html, "overwrite")
    assert 'type="checkbox"' in overwrite and "checked" in overwrite
    assert field_error_free_label(html, "tools-keys", "overwrite") == "Overwrite keys"
    mode = re.search(r'<select[^>]*name="params-mode".*?</select>', html, re.S).group(0)
    assert re.findall(r'<option value="([^"]*)"', mode) == ["fast", "safe"]
    assert re.search(r'<option value="safe" selected>', mode)
    level = re.search(r'<select[^>]*name="params-level".*?</select>', html, re.S).group(0)
    assert re.findall(r'<option value="([^"]*)"', level) == ["", "1", "2", "3"]
    assert field_error_free_label(html, "tools-keys", "level") == "Level"  # no title: its name
    strict = re.search(r'<select[^>]*name="params-strict".*?</select>', html, re.S).group(0)
    assert re.findall(r'<option value="([^"]*)"', strict) == ["true", "false"]
    assert re.search(r'<option value="false" selected>', strict)
    assert_no_inline(html)


def field_error_free_label(html: str, dom: str, name: str) -> str:
    label = re.search(rf'<label for="id_{dom}_params-{name}">(.*?)</label>', html, re.S)
    return text_of(re.sub(r'<span class="muted">.*?</span>', "", label.group(1))).strip()


def test_a_disabled_plugins_macros_leave_the_page(tenant, owner, admin_user, tmp_path):
    _tools(tenant, admin_user, tmp_path)
    Plugin.objects.update(enabled=False)
    html = main_of(owner.get(reverse("web:macros")))
    assert "No macros available" in html and "macro-tools-keys" not in html


RUN = {"params-dataset": "dst_1", "params-count": "3", "params-template": "{dataset}"}


@pytest.mark.parametrize(
    ("change", "label", "message"),
    [
        # the form's own parsing
        ({"params-dataset": ""}, "Dataset id", "This field is required."),
        ({"params-count": "many"}, "How many", "Enter a whole number."),
        (
            {"params-level": "7"},
            "Level",
            "Select a valid choice. 7 is not one of the available choices.",
        ),
        # the API's rules, its params.<name> errors next to the field
        ({"params-count": "11"}, "How many", "Must be at most 10."),
        ({"params-template": "x" * 13}, "Template", None),
    ],
)
def test_a_refused_run_is_said_next_to_the_parameter(
    tenant, owner, admin_user, tmp_path, change, label, message
):
    _tools(tenant, admin_user, tmp_path)
    response = owner.post(reverse("web:macro_run", args=["tools", "keys"]), {**RUN, **change})
    assert response.status_code == 422
    errors = field_error(response, label)
    assert errors == [message] if message else len(errors) == 1
    assert not Job.objects.filter(kind="plugin_macro").exists()


def test_a_run_goes_to_its_job_with_the_params_typed_and_the_defaults(
    tenant, owner, admin_user, tmp_path
):
    _tools(tenant, admin_user, tmp_path)
    response = owner.post(
        reverse("web:macro_run", args=["tools", "keys"]),
        {**RUN, "params-level": "2", "params-strict": "true", "idempotency_key": "macro-key-1"},
    )
    job = Job.objects.get(kind="plugin_macro")
    assert response["Location"] == reverse("web:job_detail", args=[job.id])
    given = job.params["params"]
    assert given == {
        "dataset": "dst_1",
        "count": 3,
        "template": "{dataset}",
        "ratio": 0.5,
        "overwrite": False,  # unticked: sent as false, not the default
        "mode": "safe",
        "level": 2,
        "strict": True,
    }
    page = text_of(owner.get(response["Location"]).content.decode())
    assert "Keys from a template started" in page


def test_a_refused_run_with_htmx_swaps_its_card_only(tenant, owner, admin_user, tmp_path):
    _tools(tenant, admin_user, tmp_path)
    response = owner.post(
        reverse("web:macro_run", args=["tools", "keys"]),
        {**RUN, "params-count": "0"},
        **hx("macro-tools-keys"),
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="macro-tools-keys"')
    assert "Must be at least 1." in body


def test_a_macro_of_a_plugin_disabled_meanwhile_is_not_found(tenant, owner, admin_user, tmp_path):
    _tools(tenant, admin_user, tmp_path)
    Plugin.objects.update(enabled=False)
    response = owner.post(reverse("web:macro_run", args=["tools", "keys"]), RUN)
    assert response.status_code == 404
    assert "it was disabled or removed" in html_lib.unescape(response.content.decode())
