"""The adminapp Python SDK.

    from adminapp.client import AdminClient
    client = AdminClient()          # ADMINAPP_API_KEY, ADMINAPP_BASE_URL
    print(client.me.get().organization.name)
    for space in client.spaces.list():   # every page, fetched as you go
        print(space.name)

Importing this package never imports Django or Celery: it is usable from any script. The
wire types are in ``adminapp.client.types`` (one module per domain).
"""

from adminapp.client import types
from adminapp.client._client import AdminClient
from adminapp.client._errors import (
    AdminError,
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    JobTimeoutError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestTooLargeError,
    UnprocessableEntityError,
)
from adminapp.client._pagination import CursorPage
from adminapp.client._transport import FileUpload, HTTPTransport, Request, Response, Transport
from adminapp.client._version import __version__
from adminapp.client.resources.jobs import Job
from adminapp.client.types import (
    AccountRole,
    CustomSpaceRole,
    JobOutcome,
    JobState,
    Permission,
    PredefinedSpaceRole,
    Space,
    SpaceMembership,
    SpacePermission,
    SpaceRef,
    SpaceRole,
    SpaceRoleName,
    SpaceToken,
    SpaceTokenCreated,
)

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AccountRole",
    "AdminClient",
    "AdminError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "CursorPage",
    "CustomSpaceRole",
    "FileUpload",
    "HTTPTransport",
    "InternalServerError",
    "Job",
    "JobOutcome",
    "JobState",
    "JobTimeoutError",
    "NotFoundError",
    "Permission",
    "PermissionDeniedError",
    "PredefinedSpaceRole",
    "RateLimitError",
    "Request",
    "RequestTooLargeError",
    "Response",
    "Space",
    "SpaceMembership",
    "SpacePermission",
    "SpaceRef",
    "SpaceRole",
    "SpaceRoleName",
    "SpaceToken",
    "SpaceTokenCreated",
    "Transport",
    "UnprocessableEntityError",
    "__version__",
    "types",
]
