"""Git installs from real bare repositories over file:// and ``git daemon`` on loopback,
and every hostile URL, argument and repository refused."""

from __future__ import annotations

import logging
import subprocess

import pytest

from adminapp.audit.models import AuditEvent
from adminapp.jobs.models import Job
from adminapp.plugins import gitsource, selectors, services
from adminapp.plugins.models import Plugin
from tests.plugins.factories import instance_admin, plugin_files, run
from tests.plugins.gitrepos import Repo, git
from tests.plugins.servers import GitDaemon, Silent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(tenant):
    return instance_admin(tenant)[0]


@pytest.fixture
def file_git(settings):
    settings.PLUGINS_ALLOW_FILE_GIT = True


@pytest.fixture
def repo(tmp_path):
    repo = Repo(tmp_path / "server")
    repo.commit(plugin_files(version="1.0.0"), "first")
    return repo


def installed_code() -> str:
    found = selectors.component_get(plugin_id="demo", component_id="lines", type="importer")
    return (found.path() / "lines.py").read_text()


def refused(call, field: str, words: str):
    with pytest.raises(gitsource.GitRefused) as caught:
        call()
    assert words in caught.value.message
    assert field in caught.value.fields
    assert Job.objects.filter(kind="plugin_install").count() == 0
    return caught.value


def test_install_from_file_git_takes_the_default_branch(admin, repo, file_git):
    head = repo.commit({"lines.py": b"VERSION = 'head'\n"}, "second")
    job = run(services.plugin_install_from_git(actor=admin, url=repo.url))
    assert job.state == "SUCCEEDED", job.error_message
    assert installed_code() == "VERSION = 'head'\n"
    plugin = Plugin.objects.get()
    assert plugin.source == {
        "kind": "git",
        "url": repo.url,
        "checkout": None,
        "commit": head,
        "subpath": None,
    }


def test_checkout_of_a_branch_a_tag_and_a_sha_with_a_subpath(admin, tmp_path, file_git):
    repo = Repo(tmp_path / "server")
    first = repo.commit({f"plugins/demo/{k}": v for k, v in plugin_files(version="1.0.0").items()})
    repo.tag("v1.0.0")
    repo.commit({f"plugins/demo/{k}": v for k, v in plugin_files(version="2.0.0").items()})
    repo.commit(
        {f"plugins/demo/{k}": v for k, v in plugin_files(version="3.0.0").items()},
        branch="next",
    )
    job = run(
        services.plugin_install_from_git(
            actor=admin, url=repo.url, checkout=first, subpath="plugins/demo"
        )
    )
    assert (job.state, job.result["version"]) == ("SUCCEEDED", "1.0.0"), job.error_message
    job = run(services.plugin_update(actor=admin, plugin_id="demo", checkout="next"))
    assert (job.state, job.result["version"]) == ("SUCCEEDED", "3.0.0"), job.error_message
    job = run(
        services.plugin_install_from_git(
            actor=admin,
            url=repo.url,
            checkout="v1.0.0",
            subpath="plugins/demo/",
            allow_downgrade=True,
        )
    )
    assert (job.result["action"], installed_code()) == ("downgraded", "VERSION = '1.0.0'\n")
    job = run(
        services.plugin_install_from_git(
            actor=admin, url=repo.url, checkout="no-such-branch", subpath="plugins/demo"
        )
    )
    assert (job.state, job.error_code) == ("FAILED", "plugin_git_refused")
    assert "no branch, tag or commit 'no-such-branch'" in job.error_message
    job = run(
        services.plugin_install_from_git(actor=admin, url=repo.url, subpath="plugins/missing")
    )
    assert "has no folder 'plugins/missing'" in job.error_message


def test_git_daemon_on_loopback(admin, tmp_path, settings):
    repo = Repo(tmp_path / "served", "demo.git")
    repo.commit(plugin_files(version="1.0.0"))
    daemon = GitDaemon(tmp_path / "served", tmp_path / "daemon.log")
    settings.PLUGINS_GIT_SCHEMES = ["https", "git"]
    try:
        job = run(services.plugin_install_from_git(actor=admin, url=f"{daemon.url}/demo.git"))
    finally:
        daemon.close()
    assert job.state == "SUCCEEDED", job.error_message
    assert installed_code() == "VERSION = '1.0.0'\n"


def test_file_urls_need_the_instance_setting(admin, repo):
    refused(
        lambda: services.plugin_install_from_git(actor=admin, url=repo.url),
        "url",
        "accept https:// URLs, not file://",
    )


@pytest.mark.parametrize(
    "url",
    ["ext::sh -c touch% /tmp/pwned", "fd::17", "EXT::ssh -o ProxyCommand=x host"],
)
def test_ext_and_fd_transports_are_refused(admin, url, file_git):
    refused(
        lambda: services.plugin_install_from_git(actor=admin, url=url),
        "url",
        "ext:: and fd:: run commands",
    )


def test_option_looking_arguments_are_refused(admin, repo, file_git):
    refused(
        lambda: services.plugin_install_from_git(actor=admin, url="--upload-pack=touch /tmp/pwned"),
        "url",
        "git would read as an option",
    )
    refused(
        lambda: services.plugin_install_from_git(
            actor=admin, url=repo.url, checkout="--upload-pack=touch"
        ),
        "checkout",
        "is not a branch, tag or commit sha",
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/p.git",
        "ssh://git@example.com/p.git",
        "git@example.com:p.git",
        "/srv/p.git",
    ],
)
def test_disallowed_schemes_are_refused(admin, url, file_git):
    refused(
        lambda: services.plugin_install_from_git(actor=admin, url=url),
        "url",
        "Git installs accept https://, file:// URLs",
    )


def test_credentials_in_the_url_are_refused_and_never_recorded(admin, caplog):
    url = "https://deploy:hunter2-secret@example.com/p.git"
    with caplog.at_level(logging.DEBUG):
        error = refused(
            lambda: services.plugin_install_from_git(actor=admin, url=url),
            "url",
            "carries credentials",
        )
    assert "hunter2" not in error.message and "hunter2" not in str(error.fields)
    assert "hunter2" not in caplog.text
    assert not any("hunter2" in str(e.details) for e in AuditEvent.objects.all())


def test_a_subpath_escaping_the_checkout_is_refused(admin, repo, tmp_path, file_git):
    for subpath in ("../outside", "/etc", "a/../../b", "C:/x"):
        refused(
            lambda s=subpath: services.plugin_install_from_git(
                actor=admin, url=repo.url, subpath=s
            ),
            "subpath",
            "must be a folder inside the repository",
        )
    (repo.work / "link").symlink_to(tmp_path)  # a symlink to outside, committed as a link
    repo.commit({}, "a link out")
    job = run(services.plugin_install_from_git(actor=admin, url=repo.url, subpath="link"))
    assert (job.state, job.error_code) == ("FAILED", "plugin_git_refused")
    assert "has no folder 'link'" in job.error_message  # checked out as a plain file


def test_hooks_never_run(admin, repo, tmp_path, monkeypatch, file_git):
    marker = tmp_path / "hook-ran"
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for name in ("post-checkout", "post-merge", "reference-transaction"):
        hook = hooks / name
        hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
        hook.chmod(0o755)
    config = tmp_path / "gitconfig"
    config.write_text(f"[core]\n\thooksPath = {hooks}\n[init]\n\ttemplateDir = {tmp_path}/tpl\n")
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "hooks").symlink_to(hooks)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_TEMPLATE_DIR", str(tmp_path / "tpl"))
    # the control: a plain clone with this environment runs the hook
    subprocess.run(
        ["git", "clone", "--quiet", repo.url, str(tmp_path / "plain")],
        check=True,
        capture_output=True,
    )
    assert marker.exists()
    marker.unlink()
    job = run(services.plugin_install_from_git(actor=admin, url=repo.url))
    assert job.state == "SUCCEEDED", job.error_message
    assert not marker.exists()


def test_submodules_are_not_fetched(admin, tmp_path, file_git):
    inner = Repo(tmp_path / "server", "inner.git")
    inner.commit({"secret.py": b"print('from the submodule')\n"})
    outer = Repo(tmp_path / "server", "outer.git")
    outer.commit(plugin_files(version="1.0.0"))
    git("submodule", "add", "--quiet", inner.url, "vendor", cwd=outer.work)
    outer.commit({}, "add a submodule")
    job = run(services.plugin_install_from_git(actor=admin, url=outer.url))
    assert job.state == "SUCCEEDED", job.error_message
    found = selectors.component_get(plugin_id="demo", component_id="lines", type="importer")
    root = found.path()
    assert not (root / "vendor" / "secret.py").exists()
    assert (root / ".gitmodules").is_file()  # the plugin's own file, nothing fetched for it


def test_a_git_server_that_never_answers_times_out(admin, settings):
    silent = Silent()
    settings.PLUGINS_GIT_SCHEMES = ["https", "git"]
    settings.PLUGINS_GIT_TIMEOUT_S = 1
    url = silent.url.replace("https://", "git://")
    try:
        job = run(services.plugin_install_from_git(actor=admin, url=url))
    finally:
        silent.close()
    assert (job.state, job.error_code) == ("FAILED", "plugin_git_timeout")
    assert "git clone took longer than 1 s" in job.error_message


def test_the_api_refuses_a_hostile_url_with_422(tenant, client, settings):
    _, auth = instance_admin(tenant)
    response = client.post(
        "/api/v1/plugins/install/git",
        {"url": "ext::sh -c id"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "plugin_git_refused"
    assert response.json()["error"]["fields"] == {"url": ["Use an https:// URL."]}
