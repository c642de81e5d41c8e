"""Real git repositories for the tests: a working tree committed and pushed into a bare
repository (what a server holds)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.plugins.factories import write_dir

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(*args: str, cwd: Path, env: dict | None = None) -> str:
    return subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always", *args],
        cwd=cwd,
        env=env or ENV,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


class Repo:
    """A bare repository ``bare`` and its working tree ``work``; ``url`` is file://."""

    def __init__(self, root: Path, name: str = "plugin.git"):
        self.bare = root / name
        self.work = root / f"{name}-work"
        self.bare.mkdir(parents=True)
        git("init", "--bare", "--quiet", cwd=self.bare)
        self.work.mkdir()
        git("init", "--quiet", cwd=self.work)
        git("remote", "add", "origin", str(self.bare), cwd=self.work)
        self.url = f"file://{self.bare}"

    def commit(self, files: dict[str, bytes], message: str = "change", branch: str = "main") -> str:
        write_dir(self.work, files)
        git("add", "-A", cwd=self.work)
        git("commit", "--quiet", "-m", message, cwd=self.work)
        git("push", "--quiet", "origin", f"HEAD:refs/heads/{branch}", cwd=self.work)
        return git("rev-parse", "HEAD", cwd=self.work)

    def tag(self, name: str) -> None:
        git("tag", name, cwd=self.work)
        git("push", "--quiet", "origin", name, cwd=self.work)
