"""Wire types of the API, one module per domain (STYLE 7)."""

from adminapp.client.types.authz import Permission, Scope

__all__ = ["Permission", "Scope"]
