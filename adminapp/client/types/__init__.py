"""The API's wire types, one module per domain (STYLE 7): response models, and the
``*Params`` request bodies the server validates with. Importing them never imports Django.

Every public name of ``accounts``, ``audit``, ``authz``, ``catalog``, ``common``, ``jobs``, ``plugins``, ``plugin_runtime``, ``spaces`` and ``storage`` is
importable from here as well."""

from adminapp.client.types import (
    accounts,
    audit,
    authz,
    catalog,
    common,
    jobs,
    plugin_runtime,
    plugins,
    spaces,
    storage,
)
from adminapp.client.types.accounts import *  # noqa: F403
from adminapp.client.types.audit import *  # noqa: F403
from adminapp.client.types.authz import *  # noqa: F403
from adminapp.client.types.catalog import *  # noqa: F403
from adminapp.client.types.common import *  # noqa: F403
from adminapp.client.types.jobs import *  # noqa: F403
from adminapp.client.types.plugin_runtime import *  # noqa: F403
from adminapp.client.types.plugins import *  # noqa: F403
from adminapp.client.types.spaces import *  # noqa: F403
from adminapp.client.types.storage import *  # noqa: F403

__all__ = [
    *accounts.__all__,
    *audit.__all__,
    *authz.__all__,
    *catalog.__all__,
    *common.__all__,
    *jobs.__all__,
    *plugin_runtime.__all__,
    *plugins.__all__,
    *spaces.__all__,
    *storage.__all__,
]
