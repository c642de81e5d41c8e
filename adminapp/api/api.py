"""``/api/v1``: one NinjaAPI assembled from the domain routers (STYLE 5)."""

from __future__ import annotations

from adminapp.accounts.api import instance_router as accounts_instance_router
from adminapp.accounts.api import router as accounts_router
from adminapp.api.auth import AUTH, SPACE_AUTH
from adminapp.api.errors import JsonParser, install_error_handlers
from adminapp.api.openapi import DocumentedAPI
from adminapp.api.renderers import ORJSONRenderer
from adminapp.audit.api import router as audit_router
from adminapp.catalog.api import data_rows_router, datasets_router, global_keys_router
from adminapp.exports.api import audit_exports_router, org_exports_router
from adminapp.jobs.api import instance_router
from adminapp.jobs.api import router as jobs_router
from adminapp.plugins.api import router as plugins_router
from adminapp.plugins.runtime.api import router as plugin_runtime_router
from adminapp.spaces.api import roles_router
from adminapp.spaces.api import router as spaces_router
from adminapp.storage.api import router as storage_router

api = DocumentedAPI(
    title="adminapp API",
    version="1",
    description=(
        "The team admin portal's REST API. Authenticate with `Authorization: Bearer <API key>`."
        ' Every error is `{"error": {"code", "message", "fields", "details", "request_id"}}`;'
        " lists are `{items, pagination: {has_more, next_cursor}}`."
    ),
    auth=AUTH,
    parser=JsonParser(),
    renderer=ORJSONRenderer(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)

# operation_ids: the prefix of each router's published operationIds (<prefix>_<function>),
# written here so that moving an endpoint to another module cannot rename it (api/openapi.py).
ACCOUNTS, CATALOG, SPACES = "adminapp_accounts_api", "adminapp_catalog_api", "adminapp_spaces_api"
EXPORTS, JOBS, PLUGINS = "adminapp_exports_api", "adminapp_jobs_api", "adminapp_plugins_api"
api.add_router("/", accounts_router, operation_ids=ACCOUNTS)
api.add_router("/audit", audit_router, operation_ids="adminapp_audit_api")
api.add_router("/audit/exports", audit_exports_router, operation_ids=EXPORTS)
# A space token sees its own jobs, spaces, datasets, rows and keys.
api.add_router("/jobs", jobs_router, auth=SPACE_AUTH, operation_ids=JOBS)
api.add_router("/spaces", spaces_router, auth=SPACE_AUTH, operation_ids=SPACES)
api.add_router("/roles", roles_router, operation_ids=SPACES)
api.add_router("/datasets", datasets_router, auth=SPACE_AUTH, operation_ids=CATALOG)
api.add_router("/data-rows", data_rows_router, auth=SPACE_AUTH, operation_ids=CATALOG)
api.add_router("/global-keys", global_keys_router, auth=SPACE_AUTH, operation_ids=CATALOG)
api.add_router("/storage", storage_router, operation_ids="adminapp_storage_api")
api.add_router("/instance", instance_router, operation_ids=JOBS)
api.add_router("/instance", accounts_instance_router, operation_ids=ACCOUNTS)  # orgs and users
# Beside accounts' /organizations/…
api.add_router("/organizations", org_exports_router, operation_ids=EXPORTS)
api.add_router("/plugins", plugins_router, operation_ids=PLUGINS)
# Macros run (issue 11, runtime side).
api.add_router("/plugins", plugin_runtime_router, operation_ids="adminapp_plugins_runtime_api")
