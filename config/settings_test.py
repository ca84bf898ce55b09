"""Test settings: the real settings (and so the real database and broker from the
environment), minus what only slows tests down."""

from config.settings import *  # noqa: F403
from config.settings import STORAGES

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
