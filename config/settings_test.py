"""Test settings: the real settings (and so the real database and broker from the
environment), minus what only slows tests down."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from config.settings import *  # noqa: F403
from config.settings import DATABASES, STORAGES

# Tests run without collectstatic.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Throttle counters per test process, never shared with a running server or another run.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tests that need the after-commit delivery kick turn it on themselves; the others must not
# leave task messages on the broker.
NOTIFICATION_KICK_ON_COMMIT = False
# One-time codes are read from citizens.sms.outbox.
CITIZEN_SMS_BACKEND = "citizens.sms.LocmemSmsBackend"
# Tests derive the personal-data keys from SECRET_KEY when the environment gives none, on
# PostgreSQL too (DEBUG off); production never does (citizens.apps).
PERSONAL_DATA_DEV_KEYS = True
# The test client and the live server speak plain HTTP, on PostgreSQL too (DEBUG off).
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0

# SpatiaLite: the test database is a file, as the embedded install's is, never Django's default
# in-memory one. With an in-memory database the live server hands the test's one connection to
# every request thread, and one sqlite3 connection used from two threads deadlocks as soon as a
# query calls one of Django's Python SQL functions (the date functions): the thread inside
# sqlite3_step holds the connection's mutex and waits for the GIL, while the other holds the GIL
# and waits for the mutex to read a row. That hung the browser tests now and then (issue 14).
# One file per test process, in a private folder on tmpfs where there is one (commits there
# cost no fsync), removed when the process ends.
if DATABASES["default"]["ENGINE"].endswith("spatialite"):
    _shm = Path("/dev/shm")  # noqa: S108 - only the parent of a private mkdtemp folder
    _test_dir = tempfile.mkdtemp(
        prefix="wangge-test-",
        dir=os.environ.get("SQLITE_TEST_DIR") or (_shm if os.access(_shm, os.W_OK) else None),
    )
    atexit.register(shutil.rmtree, _test_dir, ignore_errors=True)
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(_test_dir, "test.sqlite3")}
