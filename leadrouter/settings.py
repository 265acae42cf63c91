"""LeadRouter settings, read from the environment.

With nothing set, the product runs on one machine: SQLite under var/, Celery on an
embedded file transport (no broker server), console e-mail. Production sets
DATABASE_URL, REDIS_URL and SECRET_KEY; with DEBUG off it refuses to start without a key.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from leadrouter.environment import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off (production). "
            "For a local run set DEBUG=1 or use `make run`."
        )
    SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "django_scopes",
    "leadrouter.tenancy",
    "partners",
    "leads",
    "matching",
    "feedback",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "leadrouter.api_input.ApiInputGuardMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Opens the tenant scope for the rest of the request (session membership or API key).
    "leadrouter.tenancy.middleware.TenantScopeMiddleware",
    # The language: the person's preference, else the tenant's locale, else the browser's.
    "leadrouter.tenancy.language.LanguageMiddleware",
]

ROOT_URLCONF = "leadrouter.urls"
WSGI_APPLICATION = "leadrouter.wsgi.application"

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
                "leadrouter.tenancy.context_processors.tenancy",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'leadrouter.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 0))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat write at once on the embedded default: WAL lets readers proceed,
    # IMMEDIATE takes the write lock at BEGIN (no upgrade deadlock), the timeout waits it out.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not :memory:, so a Celery worker started by a test sees the same data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USES_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# --- Cache (rate limits, engine tables) ---------------------------------------------------
if env_str("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": env_str("REDIS_URL"), "KEY_PREFIX": "lr",
                          "KEY_FUNCTION": "leadrouter.cache_keys.make_key"}}
else:
    # Shared by the web, worker and beat processes of the embedded default.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(VAR_DIR / "cache"),
                          "KEY_FUNCTION": "leadrouter.cache_keys.make_key"}}

# --- Celery ---------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
# The broker re-delivers an unacknowledged task after this long; countdowns stay below it.
BROKER_VISIBILITY_TIMEOUT = env_int("BROKER_VISIBILITY_TIMEOUT", 3600)
# The sweep re-routes leads still `new` this long after arrival (their task was lost with a
# broker restart or a killed worker): the bound on a lost task's delay, plus one sweep.
ROUTING_STUCK_SECONDS = env_int("ROUTING_STUCK_SECONDS", 60)
# A backlog of due offers larger than one batch is swept by this many tasks side by side
# (the beat's sweep and helpers it sends, sharing the offers through SKIP LOCKED): set it to
# the worker's concurrency (Celery's default is the number of CPUs, as here).
SWEEP_PARALLELISM = env_int("SWEEP_PARALLELISM", os.cpu_count() or 1)
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": BROKER_VISIBILITY_TIMEOUT}
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": BROKER_VISIBILITY_TIMEOUT}
    CELERY_VISIBILITY_TIMEOUT = BROKER_VISIBILITY_TIMEOUT
else:
    # Embedded transport: messages are files under var/broker, shared by the web, worker
    # and beat processes of a single machine. No server to install.
    _broker_dir = VAR_DIR / "broker"
    for sub in ("queue", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The sweeps are the guarantee behind SLAs, webhooks and lost tasks; countdowns are only
# a fast path (see matching/dispatch.py).
CELERY_BEAT_SCHEDULE = {
    "matching-sweep": {"task": "matching.sweep", "schedule": 60.0},
    # Statistics rebuilt, tiers recomputed, threshold rules evaluated: every night.
    "feedback-nightly": {"task": "feedback.nightly", "schedule": crontab(hour=2, minute=30)},
    # The dashboard's rollup of outcome events: yesterday added, late events folded in.
    "feedback-rollup": {"task": "feedback.rollup_sweep", "schedule": crontab(minute=7)},
    # GDPR: closed leads past the tenant's retention period lose their personal data.
    "leads-anonymise-expired": {"task": "leads.anonymise_expired",
                                "schedule": crontab(hour=3, minute=17)},
}

# --- Auth -----------------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- I18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English with day-first dates and a 24-hour clock (leadrouter/formats/en/formats.py).
FORMAT_MODULE_PATH = ["leadrouter.formats"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

# --- Static ---------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "LeadRouter <noreply@leadrouter.local>")

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "leadrouter.tenancy.authentication.ApiKeyAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "leadrouter.api_errors.exception_handler",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LeadRouter API",
    "DESCRIPTION": "Push leads, read routing decisions, answer offers and report outcomes.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI assets from the installed sidecar package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "leadrouter.api_schema.add_error_responses",
    ],
    # One name per choice set, so generated clients get stable enum types.
    "ENUM_NAME_OVERRIDES": {
        "RejectReasonEnum": "matching.models.RejectReason",
        "LossReasonEnum": "feedback.models.LossReason",
        "OfferStatusEnum": "matching.models.OfferStatus",
        "LeadStatusEnum": "leads.models.LeadStatus",
        "OutcomeStatusEnum": "feedback.services.REPORTABLE",
        "WebhookEventEnum": "matching.models.WebhookEvent",
        "PartnerStatusEnum": "partners.models.PartnerStatus",
        "ChangeRequestStatusEnum": "partners.models.ChangeStatus",
    },
}

# --- Webhooks -------------------------------------------------------------------------------
# Receivers on private or loopback addresses are refused unless this is on (tests, intranets).
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", False)

# --- Security (production: DEBUG off) ---------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# --- Security baseline (begin) ----------------------------------------------------------------
# Login throttling (django-axes), Content-Security-Policy, API rate limits per key, and no
# personal data in logs. See leadrouter/security/.
from datetime import timedelta  # noqa: E402

from django.utils.csp import CSP  # noqa: E402

INSTALLED_APPS += ["axes", "leadrouter.security"]
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "leadrouter.security.csp.ContentSecurityPolicyMiddleware")
MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # last, as django-axes requires
TEMPLATES[0]["OPTIONS"]["context_processors"].append("django.template.context_processors.csp")

# Login throttling: 5 failures of one username from one IP lock that pair out for 15 minutes;
# a successful login resets the count. Our backend skips request-less authenticate() calls.
AUTHENTICATION_BACKENDS = [
    "leadrouter.security.backends.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "leadrouter.security.lockout.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # successful logins are in the audit trail already

# Content-Security-Policy (Django's own middleware). Scripts only from us or with the
# per-request nonce ({% htmx_script %} takes it from `csp_nonce`); no inline styles.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
# Pages marked @xframe_options_exempt (the public lead form) may be framed by these sites.
CSP_EMBED_FRAME_ANCESTORS = env_list("CSP_EMBED_FRAME_ANCESTORS", ["https:", "http:"])
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = True  # htmx sends the token from the page (hx-headers), not the cookie

# API rate limit per API key, counted atomically in Redis when REDIS_URL is set. Empty: off.
# Unset: 600/minute; set to the empty string: no limit (load tests, fuzzing).
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600/minute")
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "leadrouter.security.throttling.ApiKeyRateThrottle",
]

# No personal data in logs: e-mail addresses and phone numbers are masked on the console
# handler, and Django's own loggers are routed through it (instead of Django's handlers).
LOGGING.setdefault("filters", {})["personal_data"] = {
    "()": "leadrouter.security.log_filters.PersonalDataFilter"}
LOGGING["handlers"]["console"]["filters"] = [
    *LOGGING["handlers"]["console"].get("filters", []), "personal_data"]
LOGGING["loggers"].setdefault("django", {"handlers": [], "level": "INFO"})
LOGGING["loggers"].setdefault("django.server",
                              {"handlers": ["console"], "level": "INFO", "propagate": False})
# `check --deploy --fail-level WARNING` must stay clean: one name for the tier choice set.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"].setdefault("TierEnum", "feedback.models.Tier")
# --- Security baseline (end) ------------------------------------------------------------------
