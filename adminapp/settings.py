"""Django settings for adminapp, read only from environment variables.

Every variable read here is documented in README.md ("Configuration"). With none set, the
project runs on the embedded default: SQLite and a filesystem Celery broker under ``var/``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import csp.constants
import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


# --- mode -------------------------------------------------------------------------------
# ADMINAPP_ENV=production turns on the hardened settings below and requires real secrets.
ENVIRONMENT = env_str("ADMINAPP_ENV", "development").lower()
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured("ADMINAPP_ENV must be 'development' or 'production'")
PRODUCTION = ENVIRONMENT == "production"

VAR_DIR = Path(env_str("ADMINAPP_VAR_DIR", str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _dev_secret(filename: str, factory) -> str:
    """A secret generated once and kept under var/ (development only)."""
    path = VAR_DIR / filename
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(factory())
    return path.read_text().strip()


def _new_fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


DEBUG = env_bool("DEBUG", not PRODUCTION)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when ADMINAPP_ENV=production")
    SECRET_KEY = _dev_secret("secret_key", lambda: secrets.token_urlsafe(50))

# Fernet key(s) for secrets at rest; comma-separated, first one encrypts (rotation).
ENCRYPTION_KEYS = env_list("ADMINAPP_ENCRYPTION_KEYS", [])
if not ENCRYPTION_KEYS:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "ADMINAPP_ENCRYPTION_KEYS must be set when ADMINAPP_ENV=production"
        )
    ENCRYPTION_KEYS = [_dev_secret("encryption_key", _new_fernet_key)]

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when ADMINAPP_ENV=production")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# --- applications ---------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "django_htmx",
    "template_partials",
    "csp",
    "adminapp.core",
    "adminapp.accounts",
    "adminapp.audit",
    "adminapp.jobs",
    "adminapp.spaces",
    "adminapp.exports",
    "adminapp.catalog",
    "adminapp.storage",
    "adminapp.plugins",
    "adminapp.web",
    "adminapp.ops",
]

# The API's own middleware, innermost last: settings.MIDDLEWARE ends with it, and the
# in-process transport the dashboard uses wraps the API view in the same list.
API_MIDDLEWARE = [
    "adminapp.api.middleware.ApiBodyLimitMiddleware",
    "adminapp.api.middleware.ApiErrorMiddleware",
]

MIDDLEWARE = [
    "adminapp.core.middleware.RequestContextMiddleware",
    "adminapp.core.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "adminapp.accounts.middleware.SessionActivityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    *API_MIDDLEWARE,
]

ROOT_URLCONF = "adminapp.urls"
WSGI_APPLICATION = "adminapp.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:overview"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

# --- data -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one SQLite file: wait for locks instead of failing, and
    # take the write lock at BEGIN so concurrent writers queue instead of deadlocking.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# (The test suite's database names are in tests/settings.py.)
# Services own their transactions (STYLE 11a): never wrap whole requests.
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # A file cache is shared by every process on the machine (rate limits need that).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Celery -----------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
CELERY_BROKER_TRANSPORT = None  # the URL's scheme names it
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Kombu's filesystem transport, with messages written whole (adminapp.core.broker).
    CELERY_BROKER_TRANSPORT = "adminapp.core.broker:Transport"
    _broker_dir = Path(env_str("ADMINAPP_BROKER_DIR", str(VAR_DIR / "broker"))).resolve()
    for sub in ("queue", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
# A job that outlives this is failed by Celery; the broker must not redeliver before it.
JOB_SOFT_TIME_LIMIT = env_int("JOB_SOFT_TIME_LIMIT", 3300)
JOB_HARD_TIME_LIMIT = env_int("JOB_HARD_TIME_LIMIT", 3600)
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3900)
if CELERY_BROKER_URL.startswith("redis://"):
    # Kombu's Redis transport with one redis-py client per channel (adminapp.core.redis_broker).
    CELERY_BROKER_TRANSPORT = "adminapp.core.redis_broker:Transport"
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        # Publishing while Redis is down fails fast; the job row stays QUEUED for the reaper.
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.5,
    }
# A worker keeps its database connections from one task to the next (CONN_MAX_AGE and
# health checks decide, as for requests); false: closed around every task (Celery's way).
WORKER_KEEP_DB_CONNECTIONS = env_bool("WORKER_KEEP_DB_CONNECTIONS", True)
JOB_HEARTBEAT_TIMEOUT = env_int("JOB_HEARTBEAT_TIMEOUT", 120)
JOB_QUEUED_GRACE = env_int("JOB_QUEUED_GRACE", 60)
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 3)
# How often beat starts the purge of repos deleted more than 7 days ago (seconds).
STORAGE_PURGE_INTERVAL = env_int("STORAGE_PURGE_INTERVAL", 3600)
JOB_REAPER_INTERVAL = env_int("JOB_REAPER_INTERVAL", 30)
# Rows per chunk of an audit export (each chunk is one checkpoint).
AUDIT_EXPORT_CHUNK = env_int("AUDIT_EXPORT_CHUNK", 1000)
# Items per chunk of a global key job (assign, clear, lookup, revert): each chunk is one
# transaction with its outcomes and checkpoint; swaps succeed within one chunk.
GLOBAL_KEYS_CHUNK = env_int("GLOBAL_KEYS_CHUNK", 20_000)
GLOBAL_KEYS_LOOKUP_JOIN_CHUNK = env_int("GLOBAL_KEYS_LOOKUP_JOIN_CHUNK", 1_000_000)
# The largest input file a global key job accepts (CSV or JSONL, up to 5,000,000 items).
GLOBAL_KEYS_FILE_MAX_BYTES = env_int("GLOBAL_KEYS_FILE_MAX_BYTES", 1024 * 1024 * 1024)
# Test/benchmark knob: sleep this many ms between job chunks (0 in production).
JOB_CHUNK_DELAY_MS = env_int("JOB_CHUNK_DELAY_MS", 0)
# Put in front of every job queue's name (jobs.default, jobs.bulk, jobs.io) when several
# installations share one broker. Workers must be started with the same value.
JOB_QUEUE_PREFIX = env_str("JOB_QUEUE_PREFIX", "")

# --- files ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Job outputs (exports) and uploaded import files. Web and workers must share it (a volume
# in compose.yaml), or use S3 below.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
# Uploaded files (data-row imports) go through Django's storage API (``default_storage``):
# the filesystem under MEDIA_ROOT by default; an S3-compatible bucket (django-storages) when
# STORAGE_S3_BUCKET is set, so a worker on another machine reads the same file.
STORAGE_S3_BUCKET = env_str("STORAGE_S3_BUCKET")
if STORAGE_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": STORAGE_S3_BUCKET,
            "endpoint_url": env_str("STORAGE_S3_ENDPOINT_URL") or None,
            "region_name": env_str("STORAGE_S3_REGION") or None,
            "access_key": env_str("STORAGE_S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("STORAGE_S3_SECRET_ACCESS_KEY") or None,
            "location": env_str("STORAGE_S3_PREFIX").strip("/"),
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
# Data-row imports: the largest file accepted (bytes; refused with 413 before it is read),
# the most rows one file may hold (the job stops at the next one), and rows per chunk (one
# transaction and checkpoint each).
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 2 * 1024**3)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 5_000_000)
IMPORT_CHUNK_ROWS = env_int("IMPORT_CHUNK_ROWS", 5000)
# Rows per JSON request of POST /datasets/{id}/data-rows/async (written to a JSONL file and
# imported by the same job), and the body size that request may have.
IMPORT_JSON_MAX_ROWS = env_int("IMPORT_JSON_MAX_ROWS", 100_000)
IMPORT_JSON_MAX_BYTES = env_int("IMPORT_JSON_MAX_BYTES", 64 * 1024 * 1024)

# --- plugins (README "Plugins") -----------------------------------------------------------
# Where this machine unpacks installed versions (one folder per archive sha256); local to
# each worker, never shared.
PLUGINS_CACHE_DIR = Path(env_str("PLUGINS_CACHE_DIR", str(VAR_DIR / "plugin-cache")))
# The store: a directory or an https:// URL holding index.json and the archives. Default:
# the store shipped inside adminapp.
PLUGINS_STORE_URL = env_str("PLUGINS_STORE_URL", str(BASE_DIR / "adminapp" / "plugins" / "store"))
# Hostile archives: the largest upload or download, how many entries, how many bytes once
# unpacked, how much one entry may grow, and how long unpacking may take.
PLUGINS_MAX_ARCHIVE_BYTES = env_int("PLUGINS_MAX_ARCHIVE_BYTES", 50 * 1024 * 1024)
PLUGINS_MAX_ENTRIES = env_int("PLUGINS_MAX_ENTRIES", 2000)
PLUGINS_MAX_UNPACKED_BYTES = env_int("PLUGINS_MAX_UNPACKED_BYTES", 200 * 1024 * 1024)
PLUGINS_MAX_RATIO = env_int("PLUGINS_MAX_RATIO", 100)
PLUGINS_EXTRACT_TIMEOUT_S = env_int("PLUGINS_EXTRACT_TIMEOUT_S", 60)
# Downloads from an https store: seconds per connect/read, and the whole download.
PLUGINS_DOWNLOAD_TIMEOUT_S = env_int("PLUGINS_DOWNLOAD_TIMEOUT_S", 60)
PLUGINS_STORE_CA_BUNDLE = env_str("PLUGINS_STORE_CA_BUNDLE")  # a CA file for a private https store
# Git installs: the URL schemes accepted (file:// only with PLUGINS_ALLOW_FILE_GIT, for
# tests and air-gapped installs), and the time limit of each git command.
PLUGINS_GIT_SCHEMES = env_list("PLUGINS_GIT_SCHEMES", ["https"])
PLUGINS_ALLOW_FILE_GIT = env_bool("PLUGINS_ALLOW_FILE_GIT", False)
PLUGINS_GIT_TIMEOUT_S = env_int("PLUGINS_GIT_TIMEOUT_S", 120)

# --- plugin runtime (adminapp/plugins/runtime: the sandbox plugin code runs in) ------------
# Each run of a plugin's code: wall-clock seconds, address space, CPU seconds, the largest
# file it may write, open files. See docs/plugins-runtime.md.
PLUGINS_TIMEOUT = env_int("PLUGINS_TIMEOUT", 600)
PLUGINS_MEMORY_MB = env_int("PLUGINS_MEMORY_MB", 1024)
PLUGINS_CPU_SECONDS = env_int("PLUGINS_CPU_SECONDS", 300)
PLUGINS_FILE_SIZE_MB = env_int("PLUGINS_FILE_SIZE_MB", 1024)
PLUGINS_OPEN_FILES = env_int("PLUGINS_OPEN_FILES", 64)
# An importer's wall-clock limit: it streams while the import job inserts its rows.
PLUGINS_IMPORT_TIMEOUT = env_int("PLUGINS_IMPORT_TIMEOUT", 3600)
# Refuse to run plugin code where the kernel has no Landlock (filesystem and network
# confinement); false runs it with limits and a scrubbed environment only.
PLUGINS_REQUIRE_CONFINEMENT = env_bool("PLUGINS_REQUIRE_CONFINEMENT", True)
# The portal's API as plugin code reaches it (over HTTP, with its job's credential).
PLUGINS_API_BASE_URL = env_str("PLUGINS_API_BASE_URL", "http://127.0.0.1:8000")
# Start each run's process from a pre-started zygote per worker process (a clean process
# that has imported the SDK once and forks; see docs/plugins-runtime.md); false: exec
# ``python -I -B runner.py`` for every run (~0.3-0.5 s of CPU more each).
PLUGINS_ZYGOTE = env_bool("PLUGINS_ZYGOTE", True)
# Where each run's temporary working directory is made (None: the system's).
PLUGINS_TMP = env_str("PLUGINS_TMP") or None
# How long a job's credential lives at most (it is revoked when the job ends anyway).
PLUGINS_CREDENTIAL_TTL = env_int("PLUGINS_CREDENTIAL_TTL", 3600)

# --- API --------------------------------------------------------------------------------
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
RATE_LIMIT_LOGIN = env_str("RATE_LIMIT_LOGIN", "10/60")  # attempts per seconds, per IP+email
RATE_LIMIT_LOGIN_IP = env_str("RATE_LIMIT_LOGIN_IP", "50/300")  # per IP, whatever the emails
RATE_LIMIT_KEY_CREATE = env_str("RATE_LIMIT_KEY_CREATE", "20/60")  # per user or key
# Two-factor codes tried per user (sign-in's second step, setup, turning it off).
RATE_LIMIT_TWO_FACTOR = env_str("RATE_LIMIT_TWO_FACTOR", "10/300")
# How long sign-in's second step waits for the code after the password was right.
TWO_FACTOR_CHALLENGE_SECONDS = env_int("TWO_FACTOR_CHALLENGE_SECONDS", 300)
# Trust X-Forwarded-For for the client IP only behind a proxy you control.
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", False)

# --- auth -------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600)
# How long a mailed password reset link works (seconds); it also dies once used.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- email ------------------------------------------------------------------------------
# Mail (invitations) goes out through Django's email API, from a Celery task
# (``adminapp.accounts.mail``). With EMAIL_HOST set it goes to that SMTP server; without it
# each message is written to a file under var/mail/ (``manage.py up`` prints where).
EMAIL_HOST = env_str("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "adminapp <adminapp@localhost>"
# How links in mail start (e.g. https://admin.example.com); by default the address the
# request that sent the mail came to.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "").rstrip("/")
# A mail task retries an unreachable or refusing server this many times, backing off up to
# EMAIL_RETRY_BACKOFF_MAX seconds between attempts, then gives up (logged).
EMAIL_MAX_RETRIES = env_int("EMAIL_MAX_RETRIES", 5)
EMAIL_RETRY_BACKOFF_MAX = env_int("EMAIL_RETRY_BACKOFF_MAX", 600)
INVITATION_TTL_DAYS = env_int("INVITATION_TTL_DAYS", 7)

# --- security (production) -----------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every response (django-csp): scripts, styles, images and
# fonts come from our own static files only; no inline script or style attribute, no eval
# (htmx runs with allowEval off), no framing, forms post only to us. The API docs page is
# served from the same static files (django-ninja's bundled Swagger UI), so it needs no
# exception.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.constants.SELF],
        "script-src": [csp.constants.SELF],
        "style-src": [csp.constants.SELF],
        "img-src": [csp.constants.SELF, "data:"],
        "font-src": [csp.constants.SELF],
        "connect-src": [csp.constants.SELF],
        "object-src": [csp.constants.NONE],
        "base-uri": [csp.constants.SELF],
        "form-action": [csp.constants.SELF],
        "frame-ancestors": [csp.constants.NONE],
    }
}
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    if not SECURE_SSL_REDIRECT:
        # Switched off on purpose (plain http on localhost, or a proxy that redirects to
        # https itself): the deploy check's warning about it says nothing new.
        SILENCED_SYSTEM_CHECKS = ["security.W008"]
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- i18n / time ------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

# "text" (a line a person reads) or "json" (one object per line, for a log collector); both
# carry the request id, organization, principal and job id of the line (adminapp.core.logs).
LOG_FORMAT = env_str("LOG_FORMAT", "text").lower()
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be 'text' or 'json'")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "adminapp.core.logs.ContextFilter"}},
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s org=%(org_id)s "
            "by=%(principal)s job=%(job_id)s] %(message)s"
        },
        "json": {"()": "adminapp.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
