"""Macros as jobs: ``POST /plugins/{plugin_id}/macros/{macro_id}/run`` checks who and what
up front (403, 404, 422 per field), and a real worker runs the macro in the sandbox, where it
talks to the live server through the SDK with a credential of its own — its owner's
permissions, gone when the job ends — and leaves a result file to download."""

from __future__ import annotations

import pytest

from adminapp.accounts.models import ApiKey
from adminapp.authz.vocabulary import ACCOUNT_ROLE_GRANTS
from adminapp.client import AdminClient
from adminapp.jobs.models import Job
from adminapp.plugins.models import Plugin
from adminapp.plugins.runtime import credential
from adminapp.plugins.runtime.registry import running_jobs
from tests.helpers import wait_for
from tests.plugins.runtime.helpers import install, macro_plugin

URL = "/api/v1/plugins/{}/macros/{}/run"

PARAMS = {
    "type": "object",
    "required": ["dataset_id", "template"],
    "properties": {
        "dataset_id": {"type": "string", "title": "Dataset"},
        "template": {"type": "string", "default": "{dataset}/{external_id}", "maxLength": 30},
        "limit": {"type": "integer", "minimum": 1, "maximum": 10},
        "mode": {"type": "string", "enum": ["fast", "safe"]},
        "overwrite": {"type": "boolean", "default": False},
    },
}

WHOAMI = """
import csv
def run(ctx):
    me = ctx.client.me.get()
    ctx.log(f"running as {me.user.email}")
    ctx.progress(1, 2, "asked who I am")
    with ctx.result_file() as fh:
        writer = csv.writer(fh)
        writer.writerow(["email", "role"])
        writer.writerow([me.user.email, me.role])
    ctx.progress(2, 2, "wrote the file")
    return {"email": me.user.email, "params": ctx.params, "permissions": sorted(me.permissions)}
"""


@pytest.fixture
def tools(tenant, tmp_path):
    return install(tmp_path, macro_plugin(tmp_path / "tools", WHOAMI, params=PARAMS, result="csv"))


def test_a_member_may_not_run_a_macro(client, tenant, tools):
    response = client.post(
        URL.format("tools", "m"),
        {"params": {}},
        content_type="application/json",
        **tenant.auth("MEMBER"),
    )
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "Only org owners and admins can run macros."
    assert not Job.objects.exists()


def test_unknown_and_disabled_macros_are_404(client, tenant, tools):
    response = client.post(
        URL.format("tools", "nope"), {}, content_type="application/json", **tenant.auth("ADMIN")
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "plugin_component_not_found"
    Plugin.objects.update(enabled=False)
    response = client.post(
        URL.format("tools", "m"),
        {"params": {"dataset_id": "dst_1"}},
        content_type="application/json",
        **tenant.auth("ADMIN"),
    )
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No enabled plugin 'tools' is installed."


def test_bad_params_are_a_422_naming_each_field(client, tenant, tools):
    response = client.post(
        URL.format("tools", "m"),
        {
            "params": {
                "template": "x" * 31,
                "limit": 11,
                "mode": "slow",
                "overwrite": "yes",
                "extra": 1,
            }
        },
        content_type="application/json",
        **tenant.auth("ADMIN"),
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["message"] == "The macro's parameters are not valid."
    assert error["fields"] == {
        "params.extra": ["This macro has no such parameter."],
        "params.dataset_id": ["This field is required."],
        "params.template": ["At most 30 characters."],
        "params.limit": ["Must be at most 10."],
        "params.mode": ["Must be one of 'fast', 'safe'."],
        "params.overwrite": ["Must be true or false."],
    }
    assert not Job.objects.exists()


def test_a_valid_run_is_queued_with_its_defaults_filled_in(client, tenant, tools):
    response = client.post(
        URL.format("TOOLS", "m"),  # the plugin id case-insensitively
        {"params": {"dataset_id": "dst_1", "limit": 3.0}},
        content_type="application/json",
        **tenant.auth("ADMIN"),
    )
    assert response.status_code == 202
    job = response.json()
    assert (job["kind"], job["state"]) == ("plugin_macro", "QUEUED")
    assert job["params"] == {
        "plugin_id": "tools",
        "macro_id": "m",
        "params": {
            "dataset_id": "dst_1",
            "template": "{dataset}/{external_id}",
            "limit": 3,
            "overwrite": False,
        },
    }
    # A queued run is a usage of the plugin (a delete lists it).
    assert [u.id for u in running_jobs(tools.plugin)] == [job["id"]]


@pytest.mark.worker
@pytest.mark.live
def test_a_macro_runs_on_a_worker_as_its_owner_and_its_file_downloads(
    live_server, tenant, tools, celery_workers, tmp_path
):
    celery_workers.start(
        {
            "PLUGINS_API_BASE_URL": live_server.url,
            "PLUGINS_CACHE_DIR": str(tmp_path / "worker-cache"),
        }
    )
    with AdminClient(api_key=tenant.keys["ADMIN"], base_url=live_server.url) as sdk:
        job = sdk.plugins.run_macro("tools", "m", {"dataset_id": "dst_1"})
        done = job.wait(timeout=60)
        assert done.state == "SUCCEEDED", done.error
        assert done.result["result"] == {
            "email": tenant.admin.email,
            # The credential holds exactly what its owner (an org ADMIN) holds.
            "permissions": sorted(ACCOUNT_ROLE_GRANTS["ADMIN"]),
            "params": {
                "dataset_id": "dst_1",
                "template": "{dataset}/{external_id}",
                "overwrite": False,
            },
        }
        assert done.result["log"] == [f"running as {tenant.admin.email}"]
        assert done.result["file"] == f"macro-{job.id}.csv"
        assert (done.progress.done, done.progress.total) == (100, 100)
        assert done.download() == f"email,role\r\n{tenant.admin.email},ADMIN\r\n".encode()
    # Its credential: a personal key of the owner, short-lived, revoked once the job ended.
    key = ApiKey.objects.get(label=credential.credential_label(job.id))
    assert key.user_id == tenant.admin.id
    assert key.revoked_at is not None
    assert (key.expires_at - key.created_at).total_seconds() <= 3600


@pytest.mark.worker
@pytest.mark.live
def test_a_failing_macro_fails_its_job_with_the_plugins_message(
    live_server, tenant, tmp_path, celery_workers
):
    install(
        tmp_path,
        macro_plugin(
            tmp_path / "broken",
            """
            def run(ctx):
                ctx.client.datasets.get(ctx.params["dataset_id"])
            """,
            plugin_id="broken",
            params={"type": "object", "properties": {"dataset_id": {"type": "string"}}},
        ),
    )
    celery_workers.start({"PLUGINS_API_BASE_URL": live_server.url})
    with AdminClient(api_key=tenant.keys["OWNER"], base_url=live_server.url) as sdk:
        job = sdk.plugins.run_macro("broken", "m", {"dataset_id": "dst_nope"}).wait(60)
    assert job.state == "FAILED"
    assert job.error.code == "plugin_error"
    assert job.error.message.startswith("broken/m: failed with NotFoundError: ")
    assert "dst_nope" in job.error.message.splitlines()[0]
    assert ApiKey.objects.get(label=f"plugin job {job.id}").revoked_at is not None


@pytest.mark.worker
@pytest.mark.live
def test_an_aborted_macro_is_stopped_and_its_credential_revoked(
    live_server, tenant, tmp_path, celery_workers
):
    install(
        tmp_path,
        macro_plugin(
            tmp_path / "slow",
            """
            import time
            def run(ctx):
                for i in range(1, 10_000):
                    ctx.progress(i, 10_000, f"step {i}")
                    time.sleep(0.2)
            """,
            plugin_id="slow",
        ),
    )
    celery_workers.start({"PLUGINS_API_BASE_URL": live_server.url})
    with AdminClient(api_key=tenant.keys["OWNER"], base_url=live_server.url) as sdk:
        job = sdk.plugins.run_macro("slow", "m", {})
        # A step is saved every 2 s at least, moved or not (here under 1 % in 20 s).
        wait_for(
            lambda: sdk.jobs.get(job.id).progress.stage.startswith("step "),
            timeout=60,
            message="the macro's first saved step",
        )
        key = ApiKey.objects.get(label=credential.credential_label(job.id))
        assert key.revoked_at is None  # live while the macro runs
        job.abort()
        done = job.wait(timeout=60)
    assert done.state == "ABORTED"
    key.refresh_from_db()
    assert key.revoked_at is not None
