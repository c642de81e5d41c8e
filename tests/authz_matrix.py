"""What every authorization matrix does (``tests/spaces/test_authz_matrix.py``,
``tests/catalog/test_authz_matrix.py``, ``tests/catalog/test_global_keys_authz.py``): call one
endpoint as each kind of principal, each call in a transaction rolled back afterwards, and
compare the statuses with the row's; a refusal must carry the error body."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction


def filled(value: Any, fill: Callable[[str], str]) -> Any:
    """``value`` with ``fill`` applied to every string in it (dicts and lists walked)."""
    if isinstance(value, str):
        return fill(value)
    if isinstance(value, dict):
        return {k: filled(v, fill) for k, v in value.items()}
    if isinstance(value, list):
        return [filled(v, fill) for v in value]
    return value


def status_of(response) -> int:
    """The response's status; a 4xx/5xx must say why (``code`` and ``message``)."""
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error["code"] and error["message"], response.content
    return response.status_code


def assert_names_every_principal_once(matrix: Sequence[tuple], principals: Sequence[str]) -> None:
    assert all(len(row) == len(principals) + 1 for row in matrix)
    assert len({row[0] for row in matrix}) == len(matrix)


def assert_row(row: tuple, principals: Sequence[str], call: Callable[[str, str], int]) -> None:
    """``call(endpoint, who)`` for each principal gives the status the row says."""
    endpoint, *expected = row
    got = {}
    for who in principals:
        with transaction.atomic():
            got[who] = call(endpoint, who)
            transaction.set_rollback(True)
    wrong = {
        who: f"expected {want}, got {got[who]}"
        for who, want in zip(principals, expected, strict=True)
        if got[who] != want
    }
    assert not wrong, f"{endpoint}: {wrong}"


def account_keys(tenant, other_tenant) -> dict[str, str]:
    """Bearer keys of the org-level principals the accounts matrices call as: another org's
    owner, the tenant's four roles' personal keys, and an ADMIN and a MEMBER service key."""
    from adminapp.accounts import services

    keys = {
        "other": other_tenant.keys["OWNER"],
        "owner": tenant.keys["OWNER"],
        "admin": tenant.keys["ADMIN"],
        "mem": tenant.keys["MEMBER"],
        "ann": tenant.keys["ANNOTATOR"],
    }
    for who, role in (("svcA", "ADMIN"), ("svcM", "MEMBER")):
        _, keys[who] = services.api_key_create(
            actor=tenant.principal(), label=who, kind="SERVICE", role=role
        )
    return keys
