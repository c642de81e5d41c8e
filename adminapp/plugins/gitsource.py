"""Fetching a plugin from git, with the URL and every argument treated as hostile.

Refused before git runs: ``ext::`` / ``fd::`` (and every ``<transport>::``) addresses,
anything that starts with ``-`` (it would be read as an option), schemes other than
``PLUGINS_GIT_SCHEMES`` (``file://`` only with ``PLUGINS_ALLOW_FILE_GIT``), credentials in
the URL (refused, and the URL is never repeated in the message, a log line or the audit),
a checkout that is not a plain ref or sha, a subpath that climbs out of the checkout.

git itself runs with no system or global config, no terminal prompt, only the allowed
protocols (``GIT_ALLOW_PROTOCOL``), hooks pointed at /dev/null, an empty template
directory, no submodules, symlinks checked out as plain files, and a time limit on each
command (``PLUGINS_GIT_TIMEOUT_S``); ``--`` ends the options before every URL and ref.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

from adminapp.core.errors import ApplicationError, ValidationFailed

GIT = shutil.which("git") or "git"
_REF = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._/+-]{0,254}$")
_TRANSPORT = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*::")


class GitRefused(ValidationFailed):
    code = "plugin_git_refused"


class GitFailed(ApplicationError):
    status_code = 422
    code = "plugin_git_failed"


@dataclass(frozen=True)
class Fetched:
    directory: Path  # where plugin.json is (the subpath inside the checkout)
    commit: str


def allowed_schemes() -> list[str]:
    schemes = [s.lower() for s in settings.PLUGINS_GIT_SCHEMES if s.lower() != "file"]
    if settings.PLUGINS_ALLOW_FILE_GIT:
        schemes.append("file")
    return schemes


def check_url(url: str) -> str:
    """The URL if git may fetch it; GitRefused saying why otherwise (without the URL)."""
    url = url.strip()
    if not url:
        raise GitRefused("The git URL is empty.", fields={"url": ["Required."]})
    if url.startswith("-"):
        raise GitRefused(
            "The git URL starts with '-', which git would read as an option.",
            fields={"url": ["Must not start with '-'."]},
        )
    if _TRANSPORT.match(url):
        raise GitRefused(
            "Git transports such as ext:: and fd:: run commands; they are refused.",
            fields={"url": ["Use an https:// URL."]},
        )
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise GitRefused(
            "The git URL has spaces or control characters.", fields={"url": ["Invalid."]}
        )
    try:
        parts = urlsplit(url)
        has_credentials = bool(parts.username or parts.password)
    except ValueError:
        raise GitRefused("The git URL cannot be parsed.", fields={"url": ["Invalid."]}) from None
    scheme = parts.scheme.lower()
    allowed = allowed_schemes()
    if scheme not in allowed or not (parts.netloc or scheme == "file"):
        said = f"{scheme}://" if scheme else "a URL without a scheme"
        raise GitRefused(
            f"Git installs accept {', '.join(s + '://' for s in allowed)} URLs, not {said}.",
            fields={"url": [f"Use {' or '.join(s + '://' for s in allowed)}."]},
        )
    if has_credentials:
        raise GitRefused(
            "The git URL carries credentials; they are refused (and not recorded). Use a "
            "public repository or a URL without user and password.",
            fields={"url": ["Remove the user and password."]},
        )
    return url


def check_checkout(checkout: str | None) -> str | None:
    if checkout is None or checkout == "":
        return None
    if not _REF.match(checkout) or ".." in checkout or checkout.endswith((".lock", "/")):
        raise GitRefused(
            f"{checkout!r} is not a branch, tag or commit sha.",
            fields={"checkout": ["A branch, tag or sha: letters, digits, . _ / + -."]},
        )
    return checkout


def check_subpath(subpath: str | None) -> str:
    if not subpath:
        return ""
    cleaned = subpath.strip().strip("/")
    if (
        subpath.strip().startswith("/")
        or "\\" in subpath
        or re.match(r"^[A-Za-z]:", subpath)
        or any(p in ("..", ".") for p in cleaned.split("/"))
        or "\x00" in subpath
    ):
        raise GitRefused(
            "The subpath must be a folder inside the repository (no '..', no absolute path).",
            fields={"subpath": ["A relative folder inside the repository."]},
        )
    return cleaned


def _env(home: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "/bin/false",
        "SSH_ASKPASS": "/bin/false",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_ALLOW_PROTOCOL": ":".join(allowed_schemes()),
        "GIT_PROTOCOL_FROM_USER": "0",
    }


_SAFE = [
    "-c", "core.hooksPath=/dev/null",
    "-c", "core.symlinks=false",
    "-c", "core.fsmonitor=false",
    "-c", "protocol.ext.allow=never",
    "-c", "protocol.fd.allow=never",
    "-c", "submodule.recurse=false",
    "-c", "fetch.recurseSubmodules=false",
    "-c", "credential.helper=",
    "-c", "http.followRedirects=false",
]  # fmt: skip


def _git(args: list[str], *, cwd: Path, home: Path, what: str) -> str:
    timeout = settings.PLUGINS_GIT_TIMEOUT_S
    proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell, options ended by --
        [GIT, *_SAFE, *args],
        cwd=cwd,
        env=_env(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise GitFailed(
            f"git {what} took longer than {timeout} s.", code="plugin_git_timeout"
        ) from None
    if proc.returncode != 0:
        last = [line for line in err.decode("utf-8", "replace").splitlines() if line.strip()]
        said = last[-1][:300] if last else f"exit status {proc.returncode}"
        raise GitFailed(f"git {what} failed: {said}")
    return out.decode("utf-8", "replace").strip()


def fetch(url: str, checkout: str | None, subpath: str | None, work: Path) -> Fetched:
    """Clone ``url`` into ``work/repo``, check out ``checkout`` (default: the remote's
    default branch) and return the folder ``subpath`` of it."""
    url = check_url(url)
    checkout = check_checkout(checkout)
    subpath = check_subpath(subpath)
    home = work / "home"
    template = work / "template"
    home.mkdir(parents=True, exist_ok=True)
    template.mkdir(exist_ok=True)
    repo = work / "repo"
    _git(
        [
            "clone",
            "--no-checkout",
            "--no-recurse-submodules",
            f"--template={template}",
            "--",
            url,
            str(repo),
        ],
        cwd=work,
        home=home,
        what="clone",
    )
    if checkout is None:
        target = "HEAD"
    else:
        target = None
        for candidate in (f"refs/remotes/origin/{checkout}", f"refs/tags/{checkout}", checkout):
            try:
                target = _git(
                    [
                        "rev-parse",
                        "--verify",
                        "--quiet",
                        "--end-of-options",
                        f"{candidate}^{{commit}}",
                    ],
                    cwd=repo,
                    home=home,
                    what="rev-parse",
                )
                break
            except GitFailed:
                continue
        if not target:
            raise GitRefused(
                f"The repository has no branch, tag or commit {checkout!r}.",
                fields={"checkout": ["No such branch, tag or commit."]},
            )
    commit = _git(
        ["rev-parse", "--verify", "--end-of-options", f"{target}^{{commit}}"],
        cwd=repo,
        home=home,
        what="rev-parse",
    )
    _git(["checkout", "--quiet", "--detach", commit, "--"], cwd=repo, home=home, what="checkout")
    folder = repo.joinpath(*subpath.split("/")) if subpath else repo
    if not folder.resolve().is_relative_to(repo.resolve()) or folder.is_symlink():
        raise GitRefused(
            "The subpath leads outside the checkout.", fields={"subpath": ["Outside the checkout."]}
        )
    if not folder.is_dir():
        raise GitRefused(
            f"The repository has no folder {subpath!r} at {commit[:12]}.",
            fields={"subpath": ["No such folder."]},
        )
    return Fetched(directory=folder, commit=commit)
