"""Settings, read from the environment (django-environ).

With nothing set, Wangge runs embedded: a SpatiaLite file under var/ and a Celery broker on the
filesystem, so a real worker and beat run with no server. Setting DATABASE_URL and
CELERY_BROKER_URL switches it to PostgreSQL/PostGIS and Redis.
"""

from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Embedded = SpatiaLite (the default): a single-machine install for evaluation and development.
EMBEDDED = not env("DATABASE_URL", default="").startswith(("postgis:", "postgres"))
DEBUG = env.bool("DEBUG", default=False)
# A production deployment (DATABASE_URL set, DEBUG off) must provide its own key.
SECRET_KEY = env(
    "SECRET_KEY",
    default="insecure-development-key-only" if (DEBUG or EMBEDDED) else environ.Env.NOTSET,
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework_gis",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "leaflet",
    "grids",
    "cases",
    "dispatch",
    "citizens",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dispatch.inbox.inbox_badge",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Embedded default: SpatiaLite. PostgreSQL/PostGIS with DATABASE_URL=postgis://user@host/db.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"spatialite:///{VAR_DIR / 'wangge.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("spatialite"):
    # Writers queue instead of failing at once with "database is locked" (web + worker + beat).
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A PostGIS-enabled template lets the test database be created by a role that is not a
# superuser (CREATE EXTENSION postgis needs one). .ci/run makes it.
if env("DATABASE_TEST_TEMPLATE", default=""):
    DATABASES["default"]["TEST"] = {"TEMPLATE": env("DATABASE_TEST_TEMPLATE")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Celery ---------------------------------------------------------------------------------
# Embedded default: kombu's filesystem transport, so a real worker and beat run with no server.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    # Broadcast/control exchanges (inspect, remote control); kombu's default is ./control.
    _control_dir = VAR_DIR / "celery" / "control"
    for _d in (_queue_dir, _processed_dir, _control_dir):
        _d.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "control_folder": str(_control_dir),
        "store_processed": False,
    }
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Intervals in seconds: the sweep every 30 s, outbox delivery every 10 s. The broker-loss test
# runs a real beat with them shortened.
DEADLINE_SWEEP_SECONDS = env.float("DEADLINE_SWEEP_SECONDS", default=30.0)
NOTIFICATION_SWEEP_SECONDS = env.float("NOTIFICATION_SWEEP_SECONDS", default=10.0)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # The sweep is driven by the database: a run lost with the broker or the worker is caught
    # up by the next one, so a run that waited longer than its interval is dropped, not piled.
    "sweep-deadlines": {
        "task": "dispatch.tasks.sweep_deadlines_task",
        "schedule": DEADLINE_SWEEP_SECONDS,
        "options": {"expires": max(1.0, DEADLINE_SWEEP_SECONDS - 5)},
    },
    # Outbox delivery: kicked after each commit, and swept here for whatever a lost kick,
    # a dead worker or a retry delay left behind.
    "deliver-notifications": {
        "task": "dispatch.notifications.deliver_outbox_task",
        "schedule": NOTIFICATION_SWEEP_SECONDS,
        "options": {"expires": NOTIFICATION_SWEEP_SECONDS},
    },
    # Evaluation statistics of the day that just closed (local time); late events of earlier
    # days are caught by the same run (it re-sums every day whose facts changed).
    "evaluation-daily-stats": {
        "task": "dispatch.tasks.rebuild_evaluation_stats_task",
        "schedule": crontab(hour=0, minute=30),
    },
}

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
ANONYMOUS_USER_NAME = (
    None  # guardian: no anonymous user row; anonymous users get no per-object rights
)

# --- i18n: Chinese first, English too --------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cases.api.auth.ExpiringTokenAuthentication",
        "cases.api.auth.AgencyKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "EXCEPTION_HANDLER": "cases.api.errors.api_exception_handler",
    # Per user (a handheld's token, a browser session) and per agency key (its account).
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env("API_RATE_USER", default="3000/hour"),
        "anon": env("API_RATE_ANON", default="120/hour"),
        "login": env("API_RATE_LOGIN", default="20/minute"),
        # Citizens (per address before login, per account after) and Open311 (per address for
        # reads, per client key for posts).
        "citizen_otp": env("API_RATE_CITIZEN_OTP", default="10/hour"),
        "citizen_auth": env("API_RATE_CITIZEN_AUTH", default="30/hour"),
        "citizen_report": env("API_RATE_CITIZEN_REPORT", default="20/hour"),
        "open311": env("API_RATE_OPEN311", default="600/hour"),
        "open311_post": env("API_RATE_OPEN311_POST", default="120/hour"),
        # Person lookups by ID number, per user: a masked number leaves few candidates.
        "registry_lookup": env("API_RATE_REGISTRY_LOOKUP", default="60/hour"),
    },
    # Throttles key anonymous clients by address. Without this DRF trusts the client's own
    # X-Forwarded-For, so a client could pick a new "address" per request. 0: the server faces
    # the clients; 1: behind one reverse proxy (which must set X-Forwarded-For), and so on.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "config.pagination.BoundedLimitOffsetPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Wangge 网格 API",
    "DESCRIPTION": "Grid-based urban governance: regions, cases, dispatch and citizens.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs describe the API; using it still needs credentials.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "BuildingUseEnum": "citizens.models.BuildingUse",
        "DwellingUseEnum": "citizens.models.DwellingUse",
    },
}

API_TOKEN_LIFETIME_SECONDS = env.int("API_TOKEN_LIFETIME_SECONDS", default=7 * 24 * 3600)

# Throttle counters must be shared by every web process: Redis in production.
CACHE_URL = env("CACHE_URL", default="")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Map ------------------------------------------------------------------------------------
# Shibei district. Tiles come from MAP_TILES_URL; command centres on closed networks point it at
# their own tile server. Leaflet itself is served from our static files.
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (36.105, 120.37),
    "DEFAULT_ZOOM": 13,
    "MIN_ZOOM": 3,
    "MAX_ZOOM": 19,
    "TILES": env("MAP_TILES_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
    "ATTRIBUTION_PREFIX": "Wangge",
}

# --- Security (production) ------------------------------------------------------------------
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "SAMEORIGIN"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

AUTH_USER_MODEL = "grids.User"

# Debian 12 ships GDAL 3.6; the check asks for 3.9 to block GDAL file/network access from
# malicious spatial references. We only build geometries from GeoJSON we validate ourselves.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# Emergency linkage: an inspector whose latest GPS fix is older than this is not on duty.
EMERGENCY_INSPECTOR_FRESH_MINUTES = env.int("EMERGENCY_INSPECTOR_FRESH_MINUTES", default=30)
# --- Personal data ----------------------------------------------------------------------------
# ID numbers in the population registry are encrypted (Fernet; the first key encrypts, all of
# them decrypt, so a new key is put first and the old ones kept until rotate_personal_data_keys
# has run) and found by an HMAC-SHA256 under a separate key. Generate a key with
# `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.
# Without them, only a development install (DEBUG, or the embedded SpatiaLite one) and the
# tests derive keys from SECRET_KEY; a production install refuses to start (citizens.apps).
PERSONAL_DATA_KEYS = env.list("PERSONAL_DATA_KEYS", default=[])
PERSONAL_DATA_HASH_KEY = env("PERSONAL_DATA_HASH_KEY", default="")
PERSONAL_DATA_DEV_KEYS = DEBUG or EMBEDDED
# Registry files uploaded in the admin wait here between the check and the confirmation; not
# under MEDIA_ROOT, which DEBUG serves. Files left unconfirmed are removed after a day.
REGISTRY_IMPORT_DIR = env.path("REGISTRY_IMPORT_DIR", default=VAR_DIR / "registry-imports")

# Case photos: the largest upload accepted, in bytes (after that, 413).
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=15 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)

# --- Citizens -------------------------------------------------------------------------------
# One-time codes go through this SMS gateway (dotted path); the default logs them (the code
# itself only in development).
CITIZEN_SMS_BACKEND = env("CITIZEN_SMS_BACKEND", default="citizens.sms.LoggingSmsBackend")
CITIZEN_OTP_TTL_SECONDS = env.int("CITIZEN_OTP_TTL_SECONDS", default=300)
CITIZEN_OTP_MAX_ATTEMPTS = env.int("CITIZEN_OTP_MAX_ATTEMPTS", default=5)
CITIZEN_OTP_RESEND_SECONDS = env.int("CITIZEN_OTP_RESEND_SECONDS", default=60)
CITIZEN_OTP_MAX_PER_HOUR = env.int("CITIZEN_OTP_MAX_PER_HOUR", default=5)
# A citizen's report: how many photos, and how large each (smaller than staff uploads).
CITIZEN_REPORT_MAX_PHOTOS = env.int("CITIZEN_REPORT_MAX_PHOTOS", default=6)
CITIZEN_PHOTO_MAX_BYTES = env.int("CITIZEN_PHOTO_MAX_BYTES", default=8 * 1024 * 1024)

# --- Open311 GeoReport v2 (/open311/) ---------------------------------------------------------
# Empty: one jurisdiction, jurisdiction_id is optional and ignored; set, it must match.
OPEN311_JURISDICTION_ID = env("OPEN311_JURISDICTION_ID", default="")
OPEN311_CONTACT = env("OPEN311_CONTACT", default="")
OPEN311_KEY_SERVICE = env(
    "OPEN311_KEY_SERVICE", default="Ask the district command centre for an api_key."
)
OPEN311_CHANGESET = env("OPEN311_CHANGESET", default="2026-11-27T00:00:00+08:00")

# --- Notifications --------------------------------------------------------------------------
# Channels the outbox is delivered through (dispatch/notifications.py). A real SMS or WeChat
# gateway replaces the logging one by dotted path.
NOTIFICATION_BACKENDS = env.list(
    "NOTIFICATION_BACKENDS",
    default=[
        "dispatch.notifications.InboxBackend",
        "dispatch.notifications.EmailBackend",
        "dispatch.notifications.LoggingSmsBackend",
        "dispatch.notifications.LoggingWechatBackend",
    ],
)
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=6)
NOTIFICATION_RETRY_BASE_SECONDS = env.int("NOTIFICATION_RETRY_BASE_SECONDS", default=30)
NOTIFICATION_RETRY_MAX_SECONDS = env.int("NOTIFICATION_RETRY_MAX_SECONDS", default=3600)
NOTIFICATION_LEASE_SECONDS = env.int("NOTIFICATION_LEASE_SECONDS", default=300)
NOTIFICATION_BATCH_SIZE = env.int("NOTIFICATION_BATCH_SIZE", default=100)
# Enqueue a delivery task when a transaction writing outbox rows commits (beat is the backstop).
NOTIFICATION_KICK_ON_COMMIT = env.bool("NOTIFICATION_KICK_ON_COMMIT", default=True)
# Embedded installs have no mail server: mail goes to the console unless one is configured.
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if EMBEDDED
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="wangge@localhost")
