"""A real S3-compatible server on loopback (moto's standalone server, a separate process),
and Django's default storage pointed at a bucket of the test's own in it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import wait_for

CREDENTIALS = {"access_key": "testing", "secret_key": "testing"}  # noqa: S105 - moto's fake
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class S3Server:
    url: str
    process: subprocess.Popen

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=CREDENTIALS["access_key"],
            aws_secret_access_key=CREDENTIALS["secret_key"],
        )

    def new_bucket(self) -> str:
        name = f"test-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=bucket)
        return sorted(o["Key"] for o in listed.get("Contents", []))

    def read(self, bucket: str, key: str) -> bytes:
        return self.client().get_object(Bucket=bucket, Key=key)["Body"].read()


def start(log_dir: Path, name: str = "moto") -> S3Server:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(log_dir / f"{name}.log", "wb")  # noqa: SIM115 - the process's, closed with it
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def ready() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"moto server exited: {(log_dir / f'{name}.log').read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/moto-api/", timeout=1):  # noqa: S310 - loopback
                return True
        except OSError:
            return False

    try:
        wait_for(ready, timeout=30, message="the moto server")
    except BaseException:
        process.kill()
        raise
    return S3Server(url, process)


def storages_for(server: S3Server, bucket: str, base: dict) -> dict:
    """``STORAGES`` with the default storage in ``bucket`` (as settings.py builds it from
    STORAGE_S3_BUCKET and friends)."""
    return {
        **base,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": server.url,
                "region_name": REGION,
                **CREDENTIALS,
                "default_acl": None,
                "file_overwrite": False,
                "querystring_auth": True,
            },
        },
    }


# --- a server that checks credentials -------------------------------------------------------
ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}
LIST_ONLY = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}


@dataclass
class AuthS3Server:
    """A moto server that authenticates and authorizes every request like AWS (moto's
    ``reset-auth``), with IAM users made before it started to: ``admin`` (may do anything:
    the tests' own setup), ``reader`` (may list buckets' objects) and ``outsider`` (may do
    nothing). ``users[name]`` is its (access key id, secret access key)."""

    url: str
    process: subprocess.Popen
    users: dict[str, tuple[str, str]]

    def client(self, user: str = "admin"):
        import boto3

        key, secret = self.users[user]
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=key,
            aws_secret_access_key=secret,
        )

    def new_bucket(self) -> str:
        name = f"test-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name


def start_authenticated(log_dir: Path) -> AuthS3Server:
    import boto3

    server = start(log_dir, name="moto-auth")
    try:
        iam = boto3.client(
            "iam",
            endpoint_url=server.url,
            region_name=REGION,
            aws_access_key_id=CREDENTIALS["access_key"],
            aws_secret_access_key=CREDENTIALS["secret_key"],
        )
        users = {}
        for user, statement in (("admin", ALLOW_ALL), ("reader", LIST_ONLY), ("outsider", None)):
            iam.create_user(UserName=user)
            if statement:
                policy = {"Version": "2012-10-17", "Statement": [statement]}
                iam.put_user_policy(
                    UserName=user, PolicyName="test", PolicyDocument=json.dumps(policy)
                )
            key = iam.create_access_key(UserName=user)["AccessKey"]
            users[user] = (key["AccessKeyId"], key["SecretAccessKey"])
        # From the next request on, every request is checked (0 more without).
        request = urllib.request.Request(  # noqa: S310 - loopback
            f"{server.url}/moto-api/reset-auth",
            data=b"0",
            method="POST",
            headers={"Content-Type": "text/plain"},
        )
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - loopback
            pass
    except BaseException:
        server.process.kill()
        raise
    return AuthS3Server(server.url, server.process, users)
