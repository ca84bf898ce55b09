"""Settings, read from the environment (django-environ).

With nothing set, Wangge runs embedded: a SpatiaLite file under var/ and a Celery broker on the
filesystem, so a real worker and beat run with no server. Setting DATABASE_URL and
CELERY_BROKER_URL switches it to PostgreSQL/PostGIS and Redis.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Embedded = SpatiaLite (the default): a single-machine install for evaluation and development.
# An empty DATABASE_URL= (as an .env template leaves it) means the default too.
DATABASE_URL = env("DATABASE_URL", default="") or f"spatialite:///{VAR_DIR / 'wangge.sqlite3'}"
EMBEDDED = not DATABASE_URL.startswith(("postgis:", "postgres"))
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
    "layers",
    "cases",
    "dispatch",
    "citizens",
    "analysis",
    "exchange",
]

MIDDLEWARE = [
    # First: whatever the layers below answer or raise under /api/ leaves as the error body.
    "config.api.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.replica.ReplicaMiddleware",  # removes itself without DATABASE_REPLICA_URL
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
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("spatialite"):
    # Web, worker and beat write to one file. Every transaction takes the write lock when it
    # begins (IMMEDIATE) and waits up to the timeout for it: a transaction that began as a
    # reader and then writes (the version-guarded UPDATE of a transition) cannot wait for the
    # lock and failed at once with "database is locked", an HTTP 500 (issue 14).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE",
        timeout=env.int("SQLITE_TIMEOUT_SECONDS", default=20),
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A PostGIS-enabled template lets the test database be created by a role that is not a
# superuser (CREATE EXTENSION postgis needs one). .ci/run makes it.
if env("DATABASE_TEST_TEMPLATE", default=""):
    DATABASES["default"]["TEST"] = {"TEMPLATE": env("DATABASE_TEST_TEMPLATE")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# A streaming replica of the primary for the read-only heavy pages (config/replica.py,
# docs/deployment.md). Only the views named here read it, and only while their client has not
# written in the last REPLICA_STICKY_SECONDS (read-your-writes); `fnmatch` patterns of URL names.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
REPLICA_STICKY_SECONDS = env.int("REPLICA_STICKY_SECONDS", default=10)
REPLICA_RETRY_SECONDS = env.float("REPLICA_RETRY_SECONDS", default=30.0)
REPLICA_READ_VIEWS = env.list(
    "REPLICA_READ_VIEWS",
    default=[
        "dispatch:home",  # the overview's page
        "dispatch:overview",
        "dispatch:map",
        "api-cases",  # the map's box (and the dispatcher's list: GET only)
        "inspector-positions",
        "dispatch:evaluation*",
        "api-evaluation-*",
        "analysis:*",
        "api-analysis-*",
        "api-patrol-*",
        "open311-*",
    ],
)
DATABASE_ROUTERS: list[str] = []
if DATABASE_REPLICA_URL:
    if EMBEDDED:
        raise environ.ImproperlyConfigured("DATABASE_REPLICA_URL needs a PostgreSQL DATABASE_URL.")
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    DATABASES["replica"].update(
        ATOMIC_REQUESTS=False,
        CONN_MAX_AGE=DATABASES["default"]["CONN_MAX_AGE"],
        CONN_HEALTH_CHECKS=True,
        # Tests: the replica streams the primary's test database; Django creates none for it.
        TEST={"MIRROR": "default"},
    )
    DATABASE_ROUTERS = ["config.replica.ReplicaRouter"]

# --- Celery ---------------------------------------------------------------------------------
# Embedded default: kombu's filesystem transport, so a real worker and beat run with no server.
# It writes each message atomically (config/broker.py); `make run` restarts a worker that dies
# (config/respawn.py in the Procfile).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = env.path("CELERY_FILESYSTEM_DIR", default=VAR_DIR / "celery")
    _queue_dir = Path(_broker_dir) / "queue"
    _processed_dir = Path(_broker_dir) / "processed"
    # Broadcast/control exchanges (inspect, remote control); kombu's default is ./control.
    _control_dir = Path(_broker_dir) / "control"
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
ANALYSIS_RUN_SECONDS = env.float("ANALYSIS_RUN_SECONDS", default=300.0)
# Month partitions kept ready ahead of the current month (PostgreSQL; cases.partitions). A row
# whose month has none still lands (in DEFAULT) and is moved when its month is created.
PARTITION_MONTHS_AHEAD = env.int("PARTITION_MONTHS_AHEAD", default=3)
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
    # Webhooks to other agencies' systems: kicked after each commit, swept here for retries
    # and whatever a lost kick or a dead worker left behind.
    "deliver-webhooks": {
        "task": "exchange.delivery.deliver_webhooks_task",
        "schedule": NOTIFICATION_SWEEP_SECONDS,
        "options": {"expires": NOTIFICATION_SWEEP_SECONDS},
    },
    # Hot spots, unusual rises and repeat places (analysis.services.run_analysis). A run lost
    # with the broker is caught up by the next: it looks at the windows as they stand.
    "analysis": {
        "task": "analysis.tasks.run_analysis_task",
        "schedule": ANALYSIS_RUN_SECONDS,
        "options": {"expires": max(10.0, ANALYSIS_RUN_SECONDS - 10)},
    },
    # Evaluation statistics of the day that just closed (local time); late events of earlier
    # days are caught by the same run (it re-sums every day whose facts changed). The day's
    # patrols are summed first (grids.tracks), so the inspectors' patrol part is in it.
    "evaluation-daily-stats": {
        "task": "dispatch.tasks.rebuild_evaluation_stats_task",
        "schedule": crontab(hour=0, minute=30),
    },
    # Month partitions of the case events and evaluation facts (PostgreSQL; cases.partitions):
    # this month and PARTITION_MONTHS_AHEAD more exist before anything is written to them.
    "partitions-ensure": {
        "task": "cases.tasks.ensure_partitions_task",
        "schedule": crontab(hour=3, minute=10),
    },
    # The data centre's row counts and "updated in the past year" shares.
    "layer-stats": {
        "task": "layers.import_jobs.refresh_layer_stats_task",
        "schedule": crontab(minute=15),
    },
    # The population picture's nightly count per grid (the district's roll-up reads it).
    "registry-nightly-figures": {
        "task": "citizens.stats.rebuild_registry_stats_task",
        "schedule": crontab(hour=2, minute=0),
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
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
# Case photos (and every other uploaded file) go through Django's storage API only. The default
# keeps them under MEDIA_ROOT on this machine; several web machines share an S3-compatible store
# (AWS S3, MinIO, Ceph RGW, OSS…) with MEDIA_STORAGE=s3 (django-storages; docs/deployment.md).
# The bucket stays private: photos are served by the API after its permission check.
MEDIA_STORAGE = env("MEDIA_STORAGE", default="filesystem")
if MEDIA_STORAGE == "filesystem":
    _media_storage: dict[str, Any] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif MEDIA_STORAGE == "s3":
    _media_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("MEDIA_S3_BUCKET"),
            "location": env("MEDIA_S3_PREFIX", default="media"),
            # Empty: AWS itself; set for MinIO and other S3-compatible stores.
            "endpoint_url": env("MEDIA_S3_ENDPOINT_URL", default=None),
            "region_name": env("MEDIA_S3_REGION", default=None),
            # Empty: boto3's own chain (instance role, AWS_* variables, ~/.aws).
            "access_key": env("MEDIA_S3_ACCESS_KEY_ID", default=None),
            "secret_key": env("MEDIA_S3_SECRET_ACCESS_KEY", default=None),
            "addressing_style": env("MEDIA_S3_ADDRESSING_STYLE", default=None),  # path: MinIO
            "signature_version": "s3v4",
            "default_acl": None,  # the bucket's own (private)
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    raise environ.ImproperlyConfigured("MEDIA_STORAGE is filesystem or s3.")
# Admin imports wait as files between the check and the confirmation (LAYER_IMPORT_DIR,
# REGISTRY_IMPORT_DIR); shared, they are also staged in the default storage, so a worker on
# another machine can read them (config/staging.py).
IMPORT_STAGING_SHARED = env.bool("IMPORT_STAGING_SHARED", default=MEDIA_STORAGE != "filesystem")
STORAGES = {
    "default": _media_storage,
    "staticfiles": {"BACKEND": "config.storage.StaticFilesStorage"},
}

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "cases.api.auth.ExpiringTokenAuthentication",
        "cases.api.auth.AgencyKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "EXCEPTION_HANDLER": "config.api.api_exception_handler",
    # DRF's parsers, with a JSON parser that answers 400 to hostile nesting (config.api).
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Per user (a handheld's token, a browser session), and per agency key at the key's own
    # rate or the agency default (cases.api.throttles).
    "DEFAULT_THROTTLE_CLASSES": [
        "cases.api.throttles.ClientRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env("API_RATE_USER", default="3000/hour"),
        # Another agency's system (the 12345 hotline) posts for many callers through one key.
        "agency": env("API_RATE_AGENCY", default="20/second"),
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
        # A moving map asks for each shown layer's features in view, per user.
        "layer_features": env("API_RATE_LAYER_FEATURES", default="20000/hour"),
    },
    # Throttles key anonymous clients by address. Without this DRF trusts the client's own
    # X-Forwarded-For, so a client could pick a new "address" per request. 0: the server faces
    # the clients; 1: behind one reverse proxy (which must set X-Forwarded-For), and so on.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    # Staff endpoints need an active post (issue 14: citizens read internal notes through
    # them); the citizen API, log-out, photos, the inbox and the catalogue say who else may.
    "DEFAULT_PERMISSION_CLASSES": ["grids.permissions.IsStaff"],
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
        # A case's level, a supervision's levels: one choice set, one name.
        "HandlingLevelEnum": "cases.models.HandlingLevel",
        "SupervisionKindEnum": "cases.models.Supervision.Kind",
    },
}

API_TOKEN_LIFETIME_SECONDS = env.int("API_TOKEN_LIFETIME_SECONDS", default=7 * 24 * 3600)

# Throttle counters must be shared by every web process: Redis in production. Redis down must
# not take the API down with it: the backend turns its errors into misses, logs a warning, and
# the API runs without rate limits until Redis is back (config/cache.py).
CACHE_URL = env("CACHE_URL", default="")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "config.cache.FailOpenRedisCache", "LOCATION": CACHE_URL}}
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
    # Shown on the tiles (a licence usually requires it); MAP_TILES_URL="" gives the dashboard
    # map a styled offline base of the district's own regions instead of tiles.
    "ATTRIBUTION": env("MAP_TILES_ATTRIBUTION", default="© OpenStreetMap contributors"),
}

# The intake desk's address search: a dotted path to a callable
# geocode(query, *, user, limit) -> [{"label", "lon", "lat", "kind", "detail"?}, …] (a city's
# address service). The default searches the regions' names and the registry's places.
GEOCODER = env("GEOCODER", default="dispatch.geocoding.registry_geocode")

# --- Security (production) ------------------------------------------------------------------
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# A production install (DEBUG off, PostgreSQL) is served over HTTPS only: plain HTTP is
# redirected and browsers are told to remember that (HSTS, a year by default). The embedded
# default and development serve plain HTTP on the loopback address, so these are off there.
# Behind a TLS-terminating proxy, the proxy must set X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER).
PRODUCTION = not DEBUG and not EMBEDDED
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer's probe speaks plain HTTP
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Preloading (browsers ship the host as HTTPS-only) is the operator's commitment for the whole
# domain: off unless set, and its deploy-check reminder (W021) silenced below.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# No page of ours is framed, not even by our own (CSP's frame-ancestors is the fallback).
X_FRAME_OPTIONS = env("X_FRAME_OPTIONS", default="DENY")

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
SILENCED_SYSTEM_CHECKS = ["gis.W001", "security.W021"]

# A case may name the city component it is about if it stands at most this far (metres) from
# the reported point.
CASE_ASSET_MAX_DISTANCE_M = env.float("CASE_ASSET_MAX_DISTANCE_M", default=100.0)
# Imported layer files wait here between the admin's check and the confirmed import; files
# left unconfirmed are removed after a day.
LAYER_IMPORT_DIR = env.path("LAYER_IMPORT_DIR", default=VAR_DIR / "layer-imports")
# Origins of external map services and video gateways the pages may load from, beyond those of
# the registered external layers and cameras (layers.csp): comma-separated https://host:port.
LAYER_EXTERNAL_ORIGINS = env.list("LAYER_EXTERNAL_ORIGINS", default=[])
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
        "dispatch.webpush.WebPushBackend",
    ],
)
# Web Push to the handheld apps (dispatch/webpush.py). Off without a private key; make a key
# pair with `manage.py webpush_keys`. The subject is how a push service reaches the operator.
WEBPUSH_VAPID_PRIVATE_KEY = env("WEBPUSH_VAPID_PRIVATE_KEY", default="")
WEBPUSH_VAPID_SUBJECT = env("WEBPUSH_VAPID_SUBJECT", default="mailto:wangge@localhost")
WEBPUSH_TTL_SECONDS = env.int("WEBPUSH_TTL_SECONDS", default=86400)
WEBPUSH_TIMEOUT_SECONDS = env.float("WEBPUSH_TIMEOUT_SECONDS", default=10.0)
# The server posts to the endpoints browsers name: https only, and only to these push
# services' hosts (and subdomains); an empty list allows any https host.
WEBPUSH_ENDPOINT_HOSTS = env.list(
    "WEBPUSH_ENDPOINT_HOSTS",
    default=[
        "fcm.googleapis.com",
        "push.services.mozilla.com",
        "notify.windows.com",
        "push.apple.com",
    ],
)
WEBPUSH_ALLOW_HTTP = env.bool("WEBPUSH_ALLOW_HTTP", default=False)
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=6)
NOTIFICATION_RETRY_BASE_SECONDS = env.int("NOTIFICATION_RETRY_BASE_SECONDS", default=30)
NOTIFICATION_RETRY_MAX_SECONDS = env.int("NOTIFICATION_RETRY_MAX_SECONDS", default=3600)
NOTIFICATION_LEASE_SECONDS = env.int("NOTIFICATION_LEASE_SECONDS", default=300)
NOTIFICATION_BATCH_SIZE = env.int("NOTIFICATION_BATCH_SIZE", default=100)
# Enqueue a delivery task when a transaction writing outbox rows commits (beat is the backstop).
NOTIFICATION_KICK_ON_COMMIT = env.bool("NOTIFICATION_KICK_ON_COMMIT", default=True)
# Webhooks to other agencies (exchange.delivery): tries, backoff (base × 2^(n-1), capped),
# the lease a worker holds a delivery for, and the HTTP timeouts.
EXCHANGE_MAX_ATTEMPTS = env.int("EXCHANGE_MAX_ATTEMPTS", default=8)
EXCHANGE_RETRY_BASE_SECONDS = env.float("EXCHANGE_RETRY_BASE_SECONDS", default=30)
EXCHANGE_RETRY_MAX_SECONDS = env.float("EXCHANGE_RETRY_MAX_SECONDS", default=3600)
EXCHANGE_LEASE_SECONDS = env.int("EXCHANGE_LEASE_SECONDS", default=120)
EXCHANGE_BATCH_SIZE = env.int("EXCHANGE_BATCH_SIZE", default=100)
# POSTs in flight at once per worker (a batch holds at most one event per case).
EXCHANGE_SEND_CONCURRENCY = env.int("EXCHANGE_SEND_CONCURRENCY", default=8)
EXCHANGE_CONNECT_TIMEOUT_SECONDS = env.float("EXCHANGE_CONNECT_TIMEOUT_SECONDS", default=5)
EXCHANGE_READ_TIMEOUT_SECONDS = env.float("EXCHANGE_READ_TIMEOUT_SECONDS", default=10)
# The CloudEvents `source` of our events: a URI reference naming this platform.
EXCHANGE_EVENT_SOURCE = env("EXCHANGE_EVENT_SOURCE", default="/wangge/cases")
# Embedded installs have no mail server: mail goes to the console unless one is configured.
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if EMBEDDED
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="wangge@localhost")

# --- Log-in lockout (django-axes; issue 14, config/lockout.py) ---------------------------------
# Every log-in form and both API token log-ins count failures per account and per address
# (the address DRF's NUM_PROXIES gives); past a limit, log-ins are refused for a while.
INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # last, as axes asks
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", *AUTHENTICATION_BACKENDS]
AXES_HANDLER = "config.lockout.LoginAttempts"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
LOGIN_FAILURES_PER_ACCOUNT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=30)
AXES_FAILURE_LIMIT = LOGIN_FAILURES_PER_ACCOUNT
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_CLIENT_IP_CALLABLE = "config.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "config.lockout.lockout_response"
# A successful log-in does not wipe the counts: it would wipe the address's too, which an
# attacker holding any account (a citizen's) could use to reset their own.
AXES_RESET_ON_SUCCESS = False
# Failures are kept for the lockout window; successful log-ins are not recorded by axes.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
LOGGING["loggers"] = {"axes": {"level": "WARNING"}}  # its every failure at INFO is noise

# --- Content-Security-Policy (django-csp; issue 14) --------------------------------------------
# Scripts, styles, fonts and data come from our own origin only; images also from the map's tile
# server (MAP_TILES_URL) and data: URIs (Leaflet's and Swagger UI's icons). No inline script or
# on*= attribute anywhere in our templates, and no style attribute or <style> block; data for
# scripts goes through json_script, which is not executed. The one nonce is django-leaflet's
# admin map widget, whose start-up script is inline and carries the request's nonce.
# style-src needs no 'unsafe-inline': Leaflet, Chart.js and Swagger UI set styles through the
# CSSOM (element.style), which CSP does not restrict; our JS colours pins with classes.
from urllib.parse import urlsplit  # noqa: E402

from csp.constants import NONCE, NONE, SELF  # noqa: E402


def _origin_of(url_template: str) -> str | None:
    """The origin of a tile URL template, for img-src. A {s} (or other placeholder) in the
    first label of the host becomes CSP's *. wildcard; anywhere else, the scheme stands."""
    parts = urlsplit(url_template)
    if not parts.scheme or not parts.netloc:
        return None  # a path on our own server: 'self' covers it
    host, port = parts.hostname or "", parts.port
    labels = host.split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    if any("{" in label for label in labels[1:]):
        return f"{parts.scheme}:"
    return f"{parts.scheme}://{'.'.join(labels)}" + (f":{port}" if port else "")


MAP_TILES_ORIGIN = _origin_of(LEAFLET_CONFIG["TILES"])
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "config.csp.CSPMiddleware",  # django-csp's, plus registered layers' and cameras' origins
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        # blob: the handheld apps show photos as object URLs: a preview of what the camera took
        # (it is compressed on the device) and case photos fetched with the login token.
        "img-src": [SELF, "data:", "blob:", *([MAP_TILES_ORIGIN] if MAP_TILES_ORIGIN else [])],
        "font-src": [SELF],
        # The handheld apps' service workers fetch (and cache) map tiles themselves.
        "connect-src": [SELF, *([MAP_TILES_ORIGIN] if MAP_TILES_ORIGIN else [])],
        # Camera players: hls.js plays a MediaSource (blob:) and runs its worker from our
        # static files; stream origins are added per page from the cameras (config/csp.py).
        "media-src": [SELF, "blob:"],
        "worker-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    },
}
# Swagger UI would show a badge from validator.swagger.io: not our origin.
SPECTACULAR_SETTINGS["SWAGGER_UI_SETTINGS"] = {"deepLinking": True, "validatorUrl": None}
# The schema documents the 403 of the staff endpoints (config/schema.py).
REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "config.schema.AutoSchema"

# --- Metrics (Prometheus; config/metrics.py, docs/deployment.md) --------------------------------
# /metrics answers a scraper holding `Authorization: Bearer METRICS_TOKEN`, or one from an address
# in METRICS_ALLOWED_NETWORKS (CIDRs, as NUM_PROXIES sees the client); with neither, a 404
# (a development install, DEBUG on, answers the machine itself).
INSTALLED_APPS += ["django_prometheus"]
# django-prometheus's request counters and latency histograms (per view, method, status): a few
# counter increments per request; METRICS_REQUESTS=0 leaves only the gauges below.
METRICS_REQUESTS = env.bool("METRICS_REQUESTS", default=True)
if METRICS_REQUESTS:
    MIDDLEWARE.insert(0, "django_prometheus.middleware.PrometheusBeforeMiddleware")
    MIDDLEWARE.insert(
        MIDDLEWARE.index("axes.middleware.AxesMiddleware"),
        "django_prometheus.middleware.PrometheusAfterMiddleware",
    )
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list(
    "METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"] if DEBUG else []
)
METRICS_CELERY_QUEUES = env.list("METRICS_CELERY_QUEUES", default=["celery"])

# --- Analysis and patrols ---------------------------------------------------------------------
# The service a new repeat place is handed to when AnalysisSettings.repeat_supervise is on: a
# dotted path to a callable taking place=, case_ids=, now= (the supervision service, 督办).
ANALYSIS_REPEAT_PLACE_SUPERVISE = env("ANALYSIS_REPEAT_PLACE_SUPERVISE", default="")
# Cleaning patrol tracks (grids.tracks; docs/analysis.md): a fix farther from the last good
# one than walking at this speed allows (plus the slack) is a GPS jump; worse accuracy is no
# position; a longer silence ends a stretch on duty; the smoothing window and simplification
# tolerance; how near the line a grid's ground counts as covered.
PATROL_MAX_SPEED_MPS = env.float("PATROL_MAX_SPEED_MPS", default=6.0)
PATROL_JUMP_SLACK_M = env.float("PATROL_JUMP_SLACK_M", default=25.0)
PATROL_MAX_ACCURACY_M = env.float("PATROL_MAX_ACCURACY_M", default=50.0)
PATROL_MAX_GAP_S = env.float("PATROL_MAX_GAP_S", default=600.0)
PATROL_RELOCK_FIXES = env.int("PATROL_RELOCK_FIXES", default=3)
PATROL_SMOOTH_SECONDS = env.float("PATROL_SMOOTH_SECONDS", default=30.0)
PATROL_SIMPLIFY_M = env.float("PATROL_SIMPLIFY_M", default=5.0)
PATROL_COVER_M = env.float("PATROL_COVER_M", default=30.0)
