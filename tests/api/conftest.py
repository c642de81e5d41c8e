from tests.api.helpers import fast_password_hashing  # noqa: F401
