"""Tests: real PostgreSQL (test database created per run) and a separate Redis DB index."""

import os
import sys

from config.settings.base import *
from config.settings.base import CACHES, DATABASES, REDIS_URL, REST_FRAMEWORK
from config.settings.env import env_str, redis_url_with_db

DEBUG = False

# A test database per run (so concurrent runs on one machine never collide); with
# ``--reuse-db`` a stable name so it really is reused.
_reuse = "--reuse-db" in sys.argv
DATABASES["default"]["TEST"] = {
    "NAME": env_str("ALLOT_TEST_DB_NAME", "test_allot" if _reuse else f"test_allot_{os.getpid()}"),
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; Argon2 tested explicitly
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOT_WEBHOOK_ALLOW_PRIVATE_TARGETS = True

# A Redis DB index of its own (flushed at session start by tests/conftest.py), so tests
# never touch a developer's or the running service's keys.
_TEST_REDIS_URL = env_str("ALLOT_TEST_REDIS_URL", redis_url_with_db(REDIS_URL, 13))
CACHES["default"]["LOCATION"] = _TEST_REDIS_URL
CACHES["default"]["KEY_PREFIX"] = f"allot-test-{os.getpid()}"
CELERY_BROKER_URL = env_str("ALLOT_TEST_BROKER_URL", redis_url_with_db(REDIS_URL, 14, broker=True))

# Generous default rates so tests that are not about throttling never trip them.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],  # type: ignore[dict-item]
    "anon": "100000/min",
    "user": "100000/min",
    "login_ip": "100000/min",
    "login_account": "100000/min",
    "booking": "100000/min",
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
