"""/api/v1/datasets, /api/v1/data-rows and /api/v1/global-keys. Each endpoint: input schema
→ service or selector → output schema.

``adminapp.api`` mounts the three routers with space-token authentication, so space tokens
can call them, confined to their own space by the permission resolver.
"""

from __future__ import annotations

from ninja import Router

datasets_router = Router(tags=["datasets"])
data_rows_router = Router(tags=["data rows"])
global_keys_router = Router(tags=["global keys"])

# --- datasets and data rows -----------------------------------------------------------------

# --- global keys ----------------------------------------------------------------------------
