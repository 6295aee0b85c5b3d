"""Tribunal settings, read from the environment with safe defaults.

Two modes, chosen by environment variables only:
- embedded (default): SQLite in WAL mode, files under var/, Celery on kombu's filesystem:// broker;
- production (TRIBUNAL_MODE=production): DATABASE_URL, CELERY_BROKER_URL, S3 storage, SMTP, secure cookies.
Bad values fail fast at start-up rather than at the first request.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

TRIBUNAL_MODE = env.str("TRIBUNAL_MODE", default="embedded")
if TRIBUNAL_MODE not in {"embedded", "production"}:
    raise ImproperlyConfigured(f"TRIBUNAL_MODE must be 'embedded' or 'production', not {TRIBUNAL_MODE!r}")
PRODUCTION = TRIBUNAL_MODE == "production"

VAR_DIR = Path(env.str("TRIBUNAL_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)
if PRODUCTION:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be at least 50 characters in production")
else:
    SECRET_KEY = env.str(
        "DJANGO_SECRET_KEY", default="embedded-only-insecure-key-3f9a7c1e5b2d8f4a6c0e9b7d5f3a1c8e6b4d2f0a"
    )

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("TRIBUNAL_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_filters",
    "django_htmx",
    "rules.apps.AutodiscoverRulesConfig",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "accounts",
    "disputes",
    "evidence",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.SessionIdleTimeoutMiddleware",
    "accounts.middleware.RequireSecondFactorMiddleware",
    "disputes.views.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.tribunal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------------
# Embedded: SQLite in WAL mode so the web server and the worker can read while the other writes.
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "tribunal.sqlite3",
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Persistent connections: a new connection per request costs ~2x on the case list (docs/performance.md).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT compilation: these are short queries, yet their cost estimates (EXISTS subplans over 10 000 cases)
    # pass jit_above_cost, and compiling took 80-130 ms of a 10 ms case-list COUNT (docs/performance.md, "Load").
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    _pg_options["options"] = f"{_pg_options.get('options', '')} -c jit=off".strip()
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Auth ---------------------------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if not PRODUCTION and env.bool("TRIBUNAL_FAST_PASSWORD_HASHER", default=False):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # tests only: hashing dominates otherwise

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupProfileForm"
# Login throttling (allauth's rate limits apply per IP and per account).
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Tribunal"
# Roles whose members must enrol a second factor before they can work (comma list of: registrar, arbitrator,
# expert, counsel). Pages redirect them to TOTP enrolment; the API refuses them a token until they have one.
TRIBUNAL_MFA_REQUIRED_ROLES = env.list("TRIBUNAL_MFA_REQUIRED_ROLES", default=[])
_UNKNOWN_MFA_ROLES = set(TRIBUNAL_MFA_REQUIRED_ROLES) - {"registrar", "arbitrator", "expert", "counsel"}
if _UNKNOWN_MFA_ROLES:
    raise ImproperlyConfigured(f"TRIBUNAL_MFA_REQUIRED_ROLES: unknown role(s) {sorted(_UNKNOWN_MFA_ROLES)}")

SESSION_ENGINE = "accounts.sessions"  # database sessions that ignore malformed keys (see accounts/sessions.py)
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)

# --- Internationalisation -----------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static and media files ---------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]

MEDIA_ROOT = VAR_DIR / "media"
STORAGE_BACKEND = env.str("TRIBUNAL_STORAGE", default="local")
if STORAGE_BACKEND not in {"local", "s3"}:
    raise ImproperlyConfigured("TRIBUNAL_STORAGE must be 'local' or 's3'")
if STORAGE_BACKEND == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env.str("AWS_S3_REGION_NAME", default=None),
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": None},
    }
# Evidence originals live in their own write-once storage (evidence.storage.WriteOnceStorage refuses deletes
# and never overwrites); uploads are assembled in a local staging folder first, then moved in.
if STORAGE_BACKEND == "s3":
    _evidence_storage = {
        "BACKEND": "evidence.storage.WriteOnceS3Storage",
        "OPTIONS": {**_default_storage["OPTIONS"], "location": "evidence"},  # type: ignore[dict-item]
    }
else:
    _evidence_storage = {
        "BACKEND": "evidence.storage.WriteOnceFileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "evidence"), "base_url": None},
    }
STORAGES = {
    "default": _default_storage,
    "evidence": _evidence_storage,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
FILE_UPLOAD_PERMISSIONS = 0o640
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500
DATA_UPLOAD_MAX_NUMBER_FILES = 20
FILING_DOCUMENT_MAX_BYTES = env.int("TRIBUNAL_FILING_DOCUMENT_MAX_BYTES", default=100 * 1024 * 1024)

# --- Evidence vault ---------------------------------------------------------------------------------------------
EVIDENCE_STAGING_DIR = Path(env.str("TRIBUNAL_UPLOAD_STAGING_DIR", default=str(VAR_DIR / "uploads")))
EVIDENCE_MAX_FILE_BYTES = env.int("TRIBUNAL_MAX_FILE_BYTES", default=100 * 1024**3)  # 100 GiB
EVIDENCE_CASE_QUOTA_BYTES = env.int("TRIBUNAL_CASE_QUOTA_BYTES", default=2 * 1024**4)  # 2 TiB
EVIDENCE_MAX_CHUNK_BYTES = env.int("TRIBUNAL_MAX_CHUNK_BYTES", default=256 * 1024**2)
EVIDENCE_MAX_CONCURRENT_UPLOADS = env.int("TRIBUNAL_MAX_CONCURRENT_UPLOADS", default=4)
EVIDENCE_UPLOAD_EXPIRY_HOURS = env.int("TRIBUNAL_UPLOAD_EXPIRY_HOURS", default=72)
EVIDENCE_MAX_SAFETENSORS_HEADER_BYTES = env.int("TRIBUNAL_MAX_SAFETENSORS_HEADER_BYTES", default=100 * 1024**2)
EVIDENCE_ARCHIVE_MAX_ENTRIES = env.int("TRIBUNAL_ARCHIVE_MAX_ENTRIES", default=10_000)
# Case exports from the page/API copy originals up to this size; larger ones are listed with their SHA-256 only.
TRIBUNAL_EXPORT_MAX_FILE_BYTES = env.int("TRIBUNAL_EXPORT_MAX_FILE_BYTES", default=200 * 1024**2)
# Hearing bundles: PDFs above this size appear as a placeholder page (pypdf holds merged pages until the bundle is
# written); a bundle holds at most this many docket items and exhibits.
TRIBUNAL_BUNDLE_MAX_PDF_BYTES = env.int("TRIBUNAL_BUNDLE_MAX_PDF_BYTES", default=100 * 1024**2)
TRIBUNAL_BUNDLE_MAX_ITEMS = env.int("TRIBUNAL_BUNDLE_MAX_ITEMS", default=300)
EVIDENCE_ARCHIVE_MAX_RATIO = env.int("TRIBUNAL_ARCHIVE_MAX_RATIO", default=100)
EVIDENCE_ARCHIVE_MAX_UNPACKED_BYTES = env.int("TRIBUNAL_ARCHIVE_MAX_UNPACKED_BYTES", default=20 * 1024**3)
EVIDENCE_SEARCH_TEXT_MAX_CHARS = env.int("TRIBUNAL_SEARCH_TEXT_MAX_CHARS", default=2_000_000)
TRIBUNAL_JOB_TIME_LIMIT = env.int("TRIBUNAL_JOB_TIME_LIMIT", default=4 * 3600)
TRIBUNAL_JOB_MAX_ATTEMPTS = env.int("TRIBUNAL_JOB_MAX_ATTEMPTS", default=3)
TRIBUNAL_JOB_STALE_SECONDS = env.int("TRIBUNAL_JOB_STALE_SECONDS", default=120)
TRIBUNAL_CHARTER_VOLUME_THRESHOLD = env.int("TRIBUNAL_CHARTER_VOLUME_THRESHOLD", default=100_000)

# --- Email ----------------------------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Tribunal Registry <registry@tribunal.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_FILE_PATH = VAR_DIR / "mail"
if PRODUCTION or env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL", default="smtp://localhost:25"))
else:
    # Embedded: every message is written to var/mail/ and listed on the dev outbox page.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
DEV_OUTBOX_ENABLED = not PRODUCTION and EMAIL_BACKEND.endswith("filebased.EmailBackend")

# --- Celery ----------------------------------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    # kombu's filesystem transport does not create its folders; a bare `manage.py runserver` must queue too.
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    # Remote control (celery inspect/revoke) broadcasts through one shared fanout-exchange file, which two workers
    # starting at once can read half-written (JSONDecodeError, worker dies). Jobs are cancelled through their rows.
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Redis re-delivers an unacknowledged message after the visibility timeout: keep it above the longest job.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=6 * 3600)}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# Heavy jobs (ingest hashing, analyses) go to their own queue so that e-mail and the deadline sweep never wait
# behind a 40 GB weight comparison; run dedicated workers for it (`celery -A config worker -Q analysis`).
TRIBUNAL_ANALYSIS_QUEUE = env.str("TRIBUNAL_ANALYSIS_QUEUE", default="analysis")
CELERY_TASK_ROUTES = {"evidence.tasks.run_job": {"queue": TRIBUNAL_ANALYSIS_QUEUE}}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "deadline-sweep": {
        "task": "disputes.tasks.sweep_deadlines",
        "schedule": timedelta(minutes=env.int("TRIBUNAL_DEADLINE_SWEEP_MINUTES", default=15)),
    },
    # Re-queues jobs whose worker died (no heartbeat) or whose message was lost: no job is ever lost.
    "job-recovery": {"task": "evidence.tasks.recover_jobs", "schedule": timedelta(seconds=60)},
    "hearing-bundle-recovery": {"task": "evidence.tasks.recover_hearing_bundles", "schedule": timedelta(seconds=60)},
    "upload-expiry": {"task": "evidence.tasks.expire_uploads", "schedule": timedelta(hours=1)},
    # Hourly: each digest user gets the digest at the first run after TRIBUNAL_DIGEST_HOUR in their own time zone.
    "daily-digest": {"task": "disputes.tasks.send_digests", "schedule": timedelta(hours=1)},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Django REST framework --------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's own JSON parser has no size limit and turns deep nesting into a 500 (see config.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.DefaultCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env.str("TRIBUNAL_API_USER_RATE", default="2000/hour"),
        "anon": env.str("TRIBUNAL_API_ANON_RATE", default="60/hour"),
    },
    "EXCEPTION_HANDLER": "config.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tribunal API",
    "DESCRIPTION": "Case management for arbitrating intellectual-property disputes about AI models.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # A case's state appears as state, from_state and to_state: one enum, one name.
    # Deadlines, exhibits, their files and jobs all have a `status`: one name per choice set.
    "ENUM_NAME_OVERRIDES": {
        "CaseStateEnum": "disputes.lifecycle.states.State",
        "DeadlineStatusEnum": "disputes.models.DeadlineStatus",
        "JobStatusEnum": "evidence.models.JobStatus",  # analysis jobs and hearing bundles
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "disputes.api.schema.path_integers_are_non_negative",  # <int:> path parameters take digits only
    ],
}

# --- Cache (throttling, rate limits) -----------------------------------------------------------------------------
if env.str("REDIS_CACHE_URL", default=""):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env.str("REDIS_CACHE_URL")}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Case rules ------------------------------------------------------------------------------------------------
TRIBUNAL_DEADLINE_CUTOFF = env.str("TRIBUNAL_DEADLINE_CUTOFF", default="17:00")
TRIBUNAL_DEADLINE_TIME_ZONE = "Europe/London"
TRIBUNAL_REMINDER_DAYS = [7, 3, 1]
TRIBUNAL_RETENTION_YEARS = env.int("TRIBUNAL_RETENTION_YEARS", default=10)
TRIBUNAL_INVITATION_DAYS = env.int("TRIBUNAL_INVITATION_DAYS", default=30)
# Daily-digest users get their one email at the first hourly run at or after this hour of their own time zone.
TRIBUNAL_DIGEST_HOUR = env.int("TRIBUNAL_DIGEST_HOUR", default=7)

# --- Security --------------------------------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
