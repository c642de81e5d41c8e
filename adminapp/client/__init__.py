"""The adminapp Python SDK.

    from adminapp.client import AdminClient
    client = AdminClient()          # ADMINAPP_API_KEY, ADMINAPP_BASE_URL
    print(client.me.get().organization.name)

Importing this package never imports Django or Celery: it is usable from any script.
"""

from adminapp.client import models
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
from adminapp.client._jobs import Job
from adminapp.client._transport import HTTPTransport, Response, Transport
from adminapp.client._version import __version__
from adminapp.client.models import (
    CustomSpaceRole,
    PredefinedSpaceRole,
    Space,
    SpaceMembership,
    SpaceMembershipPage,
    SpacePage,
    SpacePermission,
    SpaceRef,
    SpaceRole,
    SpaceRoleName,
    SpaceRolePage,
    SpaceToken,
    SpaceTokenCreated,
    SpaceTokenPage,
)

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AdminClient",
    "AdminError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "CustomSpaceRole",
    "HTTPTransport",
    "InternalServerError",
    "Job",
    "JobTimeoutError",
    "NotFoundError",
    "PermissionDeniedError",
    "PredefinedSpaceRole",
    "RateLimitError",
    "RequestTooLargeError",
    "Response",
    "Space",
    "SpaceMembership",
    "SpaceMembershipPage",
    "SpacePage",
    "SpacePermission",
    "SpaceRef",
    "SpaceRole",
    "SpaceRoleName",
    "SpaceRolePage",
    "SpaceToken",
    "SpaceTokenCreated",
    "SpaceTokenPage",
    "Transport",
    "UnprocessableEntityError",
    "__version__",
    "models",
]
