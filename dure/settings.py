"""Settings come from environment variables with defaults that work on a laptop.

Every variable is prefixed ``DURE_``. Unsafe production defaults (the secret key, DEBUG) are warned about
at start-up by ``dure.core.checks``.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("DURE_VAR_DIR", PROJECT_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

INSECURE_SECRET_KEY = "dure-insecure-development-key-change-me-in-production"
SECRET_KEY = os.environ.get("DURE_SECRET_KEY", INSECURE_SECRET_KEY)
DEBUG = os.environ.get("DURE_DEBUG", "0").lower() in {"1", "true", "yes"}
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("DURE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("DURE_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks_db",
    "django_rq",
    "dure.core",
    "dure.accounts",
    "dure.projects",
    "dure.work",
    "dure.payments",
    "dure.datasets",
    "dure.web",
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
    "dure.web.middleware.DureErrorPages",
]

ROOT_URLCONF = "dure.urls"
WSGI_APPLICATION = "dure.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database() -> dict[str, object]:
    url = os.environ.get("DURE_DATABASE_URL", "").strip()
    if url:
        config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
        if config["ENGINE"] == "django.db.backends.postgresql":
            config.setdefault("OPTIONS", {})
        return config
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(VAR_DIR / "dure.sqlite3"),
        # IMMEDIATE takes the write lock at BEGIN, so two writers never both read a slot as open.
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA busy_timeout=30000;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA cache_size=-65536;"
            ),
        },
        # A file (not :memory:) so threads in tests share one database with WAL semantics.
        "TEST": {"NAME": str(VAR_DIR / "test.sqlite3")},
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", _("Korean")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("DURE_TIME_ZONE", "Asia/Seoul")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("DURE_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True

# Item bodies sent as one JSON array or JSONL request may be large; streamed imports come with datasets.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DURE_MAX_REQUEST_BYTES", 64 * 1024 * 1024))

TASKS = {
    "default": {
        # django_tasks_db.DatabaseBackend (default, `dure worker`) or django_tasks_rq.RQBackend (RQ on Redis,
        # `dure manage rqworker --job-class django_tasks_rq.Job default`).
        "BACKEND": os.environ.get("DURE_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
RQ_QUEUES = {"default": {"URL": os.environ.get("DURE_REDIS_URL", "redis://127.0.0.1:6379/0")}}
# Where `format=s3` imports list objects: any S3-compatible service (empty values use boto3's defaults).
DURE_IMPORT_S3 = {
    "endpoint_url": os.environ.get("DURE_IMPORT_S3_ENDPOINT_URL", ""),
    "access_key": os.environ.get("DURE_IMPORT_S3_ACCESS_KEY", ""),
    "secret_key": os.environ.get("DURE_IMPORT_S3_SECRET_KEY", ""),
    "region_name": os.environ.get("DURE_IMPORT_S3_REGION", ""),
}

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["DURE_REDIS_URL"]}
        if os.environ.get("DURE_REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DURE_LOG_LEVEL", "WARNING")},
}

# Dure's own knobs.
DURE = {
    # Heartbeats closer than this are counted whole; a longer silence counts only this much.
    "HEARTBEAT_MAX_GAP_SECONDS": int(os.environ.get("DURE_HEARTBEAT_MAX_GAP_SECONDS", 60)),
    # How often (at most) one process sweeps expired leases while dispatching.
    "LEASE_SWEEP_INTERVAL_SECONDS": float(os.environ.get("DURE_LEASE_SWEEP_INTERVAL_SECONDS", 5)),
    "REVIEW_LEASE_SECONDS": int(os.environ.get("DURE_REVIEW_LEASE_SECONDS", 15 * 60)),
    "MAX_ITEMS_PER_REQUEST": int(os.environ.get("DURE_MAX_ITEMS_PER_REQUEST", 100_000)),
    # The smallest payout a person may request, in won.
    "PAYOUT_MINIMUM": int(os.environ.get("DURE_PAYOUT_MINIMUM", 10_000)),
    # How many approved items (and decided reviews) the price advisor waits for before it suggests a price.
    "PRICE_ADVICE_MIN_ITEMS": int(os.environ.get("DURE_PRICE_ADVICE_MIN_ITEMS", 20)),
    "VAT_PERCENT": int(os.environ.get("DURE_VAT_PERCENT", 10)),
}

# Crowd installations let people sign up; on-premise installations often switch this off.
DURE_SIGNUP_OPEN = os.environ.get("DURE_SIGNUP_OPEN", "1").lower() in {"1", "true", "yes"}
