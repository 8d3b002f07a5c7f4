"""Settings shared by every environment. Everything that differs comes from the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext

from config.settings.env import env_bool, env_int, env_list, env_str

# Lets ``admin.ModelAdmin[Model]`` and friends be subscripted at runtime for typing.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-insecure-secret-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "common",
    "accounts",
    "vendors",
    "resources",
    "bookings",
    "notifications",
    "disputes",
    "waitlist",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "common.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "common.middleware.DatabaseUnavailableMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
APPEND_SLASH = False  # API paths have no trailing slash; a redirect would drop POST bodies.

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
    },
]

# --- Database: PostgreSQL through psycopg 3 with Django's connection pool -------------
DATABASE_URL = env_str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/allot")
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
# django-prometheus's backend (query metrics) whose pool tests each connection as it leaves the
# pool (one round trip) and, at the first dead one after a PostgreSQL restart, sweeps the
# pool (common/db.py, tests/faults/test_pool_recovery.py).
_db["ENGINE"] = "common.postgresql"
_db["OPTIONS"] = {
    **_db.get("OPTIONS", {}),
    # Fail fast when PostgreSQL is down instead of hanging a worker.
    "connect_timeout": env_int("ALLOT_DB_CONNECT_TIMEOUT", 3),
    "pool": {
        "min_size": env_int("ALLOT_DB_POOL_MIN", 1),
        "max_size": env_int("ALLOT_DB_POOL_MAX", 10),
        "timeout": env_int("ALLOT_DB_POOL_TIMEOUT", 5),
    },
}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache (django-redis) and Celery broker ------------------------------------
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("ALLOT_CACHE_PREFIX", "allot"),
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 0.5,
            "SOCKET_TIMEOUT": 0.5,
            # Redis is an optimisation, never the source of truth: when it is down the
            # cache misses and PostgreSQL answers (see DESIGN.md, Safety).
            "IGNORE_EXCEPTIONS": True,
        },
    }
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "allot.redis"

# --- Auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",  # Argon2id
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/api-auth/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve straight from the apps when collectstatic has not run

DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # 1 MiB is plenty for any JSON body we accept.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# --- REST framework -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["common.parsers.JSONParser"],  # DRF's, plus nesting and NUL limits
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "common.pagination.CursorPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.exception_handler.problem_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "common.throttling.AnonRateThrottle",  # DRF's scopes, one Redis round trip each
        "common.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("ALLOT_THROTTLE_ANON", "120/min"),
        "user": env_str("ALLOT_THROTTLE_USER", "600/min"),
        "login_ip": env_str("ALLOT_THROTTLE_LOGIN_IP", "20/min"),
        "login_account": env_str("ALLOT_THROTTLE_LOGIN_ACCOUNT", "5/min"),
        "booking": env_str("ALLOT_THROTTLE_BOOKING", "60/min"),
    },
    "NUM_PROXIES": env_int("ALLOT_NUM_PROXIES", 0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("ALLOT_ACCESS_TOKEN_MINUTES", 5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("ALLOT_REFRESH_TOKEN_DAYS", 14)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "LEEWAY": 0,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Allot API",
    "DESCRIPTION": "One booking backend for every kind of vendor.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Every operation also documents its problem+json error answers (common/openapi.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "common.openapi.add_problem_responses",
    ],
    # One name per choice set, so clients get stable enum types.
    "ENUM_NAME_OVERRIDES": {
        "BookingStatusEnum": "bookings.models.BookingStatus",
        "VendorStatusEnum": "vendors.models.VendorStatus",
        "MembershipRoleEnum": "vendors.models.MembershipRole",
        "BookingModeEnum": "resources.models.BookingMode",
        "PriceUnitEnum": "resources.models.PriceUnit",
        "ExceptionKindEnum": "resources.models.ExceptionKind",
        "WaitlistStatusEnum": "waitlist.models.WaitlistStatus",
    },
}

# --- Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A producer facing a dead broker gives up fast (the outbox relay covers it) instead of hanging a request.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# With late acks, a message whose worker died unacknowledged is handed out again once the
# visibility timeout has passed (it must exceed the longest ETA/countdown; the fault tests
# lower it to watch a redelivery). Workers look for such messages every few seconds: kombu's
# default sweep (every 10 s, scanning on every 10th) would add up to 100 s on top.
_VISIBILITY_TIMEOUT = env_int("ALLOT_CELERY_VISIBILITY_TIMEOUT", 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _VISIBILITY_TIMEOUT,
    "unacked_restore_interval": max(1, min(10, _VISIBILITY_TIMEOUT // 4)),
    "unacked_restore_throttle": 1,
    "socket_connect_timeout": 2,
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
# Queues, routes, retry defaults and the beat schedule are code: config/celery.py.

# --- Email ----------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Allot <no-reply@allot.local>")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))  # the filebased backend's folder

# --- Allot ----------------------------------------------------------------------------
ALLOT_WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("ALLOT_WEBHOOK_ALLOW_PRIVATE_TARGETS", False)

# --- Allot: jobs, outbox, notifications, webhooks (notifications/README.md) -----------
ALLOT_OUTBOX_RELAY_GRACE_SECONDS = 5  # the relay leaves younger rows to the on-commit enqueue
ALLOT_OUTBOX_REDISPATCH_SECONDS = 300  # re-enqueue a dispatched but unprocessed event after this
ALLOT_OUTBOX_MAX_ATTEMPTS = 10  # then the relay stops retrying it (logged; visible in the admin)
ALLOT_OUTBOX_RETENTION_DAYS = env_int("ALLOT_OUTBOX_RETENTION_DAYS", 14)
ALLOT_IDEMPOTENCY_RETENTION_HOURS = env_int("ALLOT_IDEMPOTENCY_RETENTION_HOURS", 48)  # never below 24
ALLOT_EMAIL_TIMEOUT_SECONDS = 10
ALLOT_EMAIL_MAX_ATTEMPTS = 5
ALLOT_EMAIL_RETRY_BASE_SECONDS = 60
ALLOT_EMAIL_RETRY_MAX_SECONDS = 3600
ALLOT_NOTIFICATION_LEASE_SECONDS = 300  # > send_notification's hard time limit
ALLOT_NOTIFICATION_REDISPATCH_SECONDS = 300
ALLOT_WEBHOOK_CONNECT_TIMEOUT_SECONDS = 3
ALLOT_WEBHOOK_READ_TIMEOUT_SECONDS = 5
ALLOT_WEBHOOK_MAX_ATTEMPTS = env_int("ALLOT_WEBHOOK_MAX_ATTEMPTS", 8)
ALLOT_WEBHOOK_RETRY_BASE_SECONDS = 30  # 30 s, 1 min, 2 min … (+ up to 25 % jitter)
ALLOT_WEBHOOK_RETRY_MAX_SECONDS = 6 * 3600
ALLOT_WEBHOOK_LEASE_SECONDS = 120  # > deliver_webhook's hard time limit
ALLOT_WEBHOOK_REDISPATCH_SECONDS = 300
ALLOT_WEBHOOK_MAX_ENDPOINTS = 10  # per vendor
ALLOT_REMINDER_LEAD_MINUTES = env_int("ALLOT_REMINDER_LEAD_MINUTES", 24 * 60)  # bookings.tasks.send_reminders

# --- Logging: JSON lines with the request id ------------------------------------------
LOG_LEVEL = env_str("ALLOT_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "common.logging.RequestIdFilter"},
        "exception_summary": {"()": "common.logging.ExceptionSummaryFilter"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "allot.redis": {"level": "WARNING", "filters": ["exception_summary"]},
    },
}
