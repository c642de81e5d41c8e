"""Property-based tests of the whole API from its own OpenAPI document (schemathesis).

Every operation of ``/api/v1/openapi.json`` is called with generated inputs over real HTTP
(pytest-django's live server), once with an OWNER's API key and once with a MEMBER's, and
every answer must be no server error, a status code the document declares for the
operation, and a body that matches the declared schema.

Bounded for the suite (``EXAMPLES`` per operation and key: ≥ 300 cases in well under 90 s);
``pytest --deep tests/api/test_schemathesis.py`` generates ``DEEP_EXAMPLES`` instead.

Path parameters name the test organization's real objects three times in four (its id, a
space by id or name, a token, a custom role, a job) and something made up otherwise, so the
calls reach the code behind the 404s. The run cannot end itself early: no ``key_id`` it is
offered is a real key's (a revoke answers 404), and the only user id it is offered is the
annotator's, so it may remove or demote that one but never the owner or member whose keys
it calls with. Each operation's test gets a fresh organization.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import make_tenant

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

EXAMPLES = 5  # 48 operations x 2 keys: about 480 cases
DEEP_EXAMPLES = 100
CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)


@dataclass
class World:
    """One organization with one of everything the path parameters can name."""

    keys: dict[str, str]
    ids: dict[str, list[str]]


@pytest.fixture
def world(db) -> World:
    from adminapp.client.types import AuditFilterParams
    from adminapp.exports.services import audit_export_start
    from adminapp.spaces.services import space_role_create
    from adminapp.storage.services import bucket_config_create, repo_create
    from tests.spaces.factories import join, make_space, make_token, predefined

    tenant = make_tenant()
    owner = tenant.principal("OWNER")
    space = make_space(tenant, "Fuzzed space")
    join(tenant, space, tenant.member, predefined("MEMBER"))
    token, _ = make_token(tenant, space)
    role = space_role_create(actor=owner, name="Fuzzed role", permissions=["dataset.read"])
    job = audit_export_start(actor=owner, filters=AuditFilterParams())
    # gs://: browsing it answers 409 without a network call; the repo keeps the config from
    # being pointed elsewhere.
    config = bucket_config_create(actor=owner, nickname="fuzz-config", uri="gs://fuzz-bucket")
    repo = repo_create(actor=owner, name="fuzz-repo")
    return World(
        keys=tenant.keys,
        ids={
            "org_id": [tenant.org.id],
            "space": [space.id, space.name],
            # Not the owner's or the member's: the run may remove or demote this one.
            "user_id": [tenant.annotator.id],
            "token_id": [token.id],
            "role_id": [role.id],
            "job_id": [job.id],
            "nickname": [config.nickname],
            "name": [repo.name],
        },
    )


def _config(request, world: World) -> SchemathesisConfig:
    deep = request.config.getoption("--deep")
    return SchemathesisConfig.from_dict(
        {
            "phases": {
                # Fuzzing with valid and invalid inputs; the coverage phase (hundreds of
                # boundary cases per operation) runs with --deep only.
                "coverage": {"enabled": deep},
                "stateful": {"enabled": False},
            },
            "generation": {"max-examples": DEEP_EXAMPLES if deep else EXAMPLES},
            # Path parameters name this organization's real objects most of the time (and
            # something made up the rest), so the calls reach the code behind the 404s.
            "dictionaries": {name: {"values": values} for name, values in world.ids.items()},
            "parameters": {
                f"path.{name}": {"dictionary": name, "probability": 0.75} for name in world.ids
            },
        }
    )


@pytest.fixture
def api_schema(request, world, live_server):
    return schemathesis.openapi.from_url(
        f"{live_server.url}/api/v1/openapi.json", config=_config(request, world)
    )


api = schemathesis.pytest.from_fixture("api_schema")


def _call(case, key: str, base_url: str) -> None:
    case.call_and_validate(
        base_url=base_url, headers={"Authorization": f"Bearer {key}"}, checks=CHECKS
    )


HYPOTHESIS = settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))


@api.parametrize()
@HYPOTHESIS
def test_every_operation_answers_as_documented_to_an_owner(case, world, live_server):
    _call(case, world.keys["OWNER"], live_server.url)


@api.parametrize()
@HYPOTHESIS
def test_every_operation_answers_as_documented_to_a_member(case, world, live_server):
    _call(case, world.keys["MEMBER"], live_server.url)
