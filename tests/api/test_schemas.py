"""The API's request bodies are the SDK's ``*Params`` models, so the two cannot drift."""

from __future__ import annotations

import inspect

from adminapp.api.api import api
from adminapp.client import types
from adminapp.client.types import ParamsModel

# Free-form by design: a custom audit event's params are any JSON object (up to 8 KiB).
FREE_FORM = {("post", "/api/v1/audit/custom/{event_type}")}
# File uploads: multipart/form-data, a file and form fields (no JSON body to share).
UPLOADS = {
    ("post", "/api/v1/datasets/{dataset_id}/imports"),
    ("post", "/api/v1/global-keys/assign/file"),
    ("post", "/api/v1/global-keys/clear/file"),
    ("post", "/api/v1/global-keys/lookup/file"),
    ("post", "/api/v1/plugins/install/archive"),
    ("post", "/api/v1/plugins/{plugin_id}/update/archive"),
}


def test_every_request_body_is_a_params_model_of_the_sdks_types():
    params_models = {
        name
        for name, obj in vars(types).items()
        if inspect.isclass(obj) and issubclass(obj, ParamsModel) and obj is not ParamsModel
    }
    bodies = {}
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                content = operation["requestBody"]["content"]
                if (method, path) in UPLOADS:
                    assert set(content) == {"multipart/form-data"}, (method, path)
                    continue
                schema = content["application/json"]["schema"]
                bodies[(method, path)] = schema.get("$ref", "").rsplit("/", 1)[-1]
    assert len(bodies) >= 12  # the check still finds them
    free_form = {op for op, ref in bodies.items() if not ref}
    assert free_form == FREE_FORM
    assert {ref for ref in bodies.values() if ref} <= params_models


def test_every_operation_declares_its_error_statuses_with_the_error_body():
    schema = api.get_openapi_schema()
    assert set(schema["components"]["schemas"]["ErrorBody"]["properties"]) == {"error"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            errors = {int(s) for s in operation["responses"] if int(s) >= 400}
            assert {401, 403, 404, 422, 500} <= errors, (method, path)
            if method in ("post", "patch", "delete"):
                assert {400, 409, 411, 413} <= errors, (method, path)
            for status in errors:
                content = operation["responses"][status]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
    login = schema["paths"]["/api/v1/auth/login"]["post"]["responses"]
    keys = schema["paths"]["/api/v1/api-keys"]["post"]["responses"]
    me = schema["paths"]["/api/v1/me"]["get"]["responses"]
    assert 429 in login and 429 in keys and 429 not in me and 409 not in me
