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
    "ninja",  # serves Swagger UI from its own static files instead of a CDN
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
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Django's session, CSRF, authentication and message middleware, in that order; API requests with a
    # personal token and no cookie pass them by (dure/core/middleware.py).
    "dure.core.middleware.BrowserMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dure.web.middleware.DureErrorPages",
]
# The admin looks for the session, authentication and message middleware in MIDDLEWARE by name; they are
# inside BrowserMiddleware.
SILENCED_SYSTEM_CHECKS = ["admin.E408", "admin.E409", "admin.E410"]

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
        # django.db.backends.sqlite3, with writers of one process queued on a lock (see the module)
        "ENGINE": "dure.core.backends.sqlite3",
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
        # Keep connections: opening one re-runs the PRAGMAs and starts with a cold page cache every request.
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
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
    # A project's review queue is backing up (its managers are told) when the oldest submission waited
    # this many hours, or this many submissions wait; it is over at half of both.
    "REVIEW_BACKLOG_HOURS": float(os.environ.get("DURE_REVIEW_BACKLOG_HOURS", 24)),
    "REVIEW_BACKLOG_COUNT": int(os.environ.get("DURE_REVIEW_BACKLOG_COUNT", 500)),
    "MAX_ITEMS_PER_REQUEST": int(os.environ.get("DURE_MAX_ITEMS_PER_REQUEST", 100_000)),
    # The smallest payout a person may request, in won.
    "PAYOUT_MINIMUM": int(os.environ.get("DURE_PAYOUT_MINIMUM", 10_000)),
    # How many approved items (and decided reviews) the price advisor waits for before it suggests a price.
    "PRICE_ADVICE_MIN_ITEMS": int(os.environ.get("DURE_PRICE_ADVICE_MIN_ITEMS", 20)),
    "VAT_PERCENT": int(os.environ.get("DURE_VAT_PERCENT", 10)),
}

# Crowd installations let people sign up; on-premise installations often switch this off.
DURE_SIGNUP_OPEN = os.environ.get("DURE_SIGNUP_OPEN", "1").lower() in {"1", "true", "yes"}


# --- Operating an organization: audit log, webhooks, sign-in protection, single sign-on, headers ----------
from typing import Any  # noqa: E402

INSTALLED_APPS += ["dure.audit", "dure.webhooks"]
INSTALLED_APPS += ["dure.academy", "dure.quality"]
INSTALLED_APPS += ["dure.notices"]
INSTALLED_APPS += ["dure.matching"]
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "django.middleware.csp.ContentSecurityPolicyMiddleware")  # fmt: skip
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "dure.core.security.SecurityHeaders")  # fmt: skip
MIDDLEWARE.append("dure.audit.services.AuditMiddleware")
AUTHENTICATION_BACKENDS = ["dure.accounts.throttle.LockoutModelBackend"]


def _flag(name: str, default: str = "0") -> bool:
    return os.environ.get(name, default).lower() in {"1", "true", "yes"}


DURE_SECURITY: dict[str, Any] = {
    # wrong passwords (or authenticator codes) per account before it is locked, and for how long
    "LOCKOUT_FAILURES": int(os.environ.get("DURE_LOCKOUT_FAILURES", 5)),
    "LOCKOUT_SECONDS": int(os.environ.get("DURE_LOCKOUT_SECONDS", 15 * 60)),
    # sign-in and token requests per client address per minute
    "SIGNIN_PER_MINUTE_PER_IP": int(os.environ.get("DURE_SIGNIN_PER_MINUTE_PER_IP", 30)),
    "MFA_REQUIRED_FOR_MANAGERS": _flag("DURE_MFA_REQUIRED_FOR_MANAGERS"),
    # where invitation links point
    "PUBLIC_URL": os.environ.get("DURE_PUBLIC_URL", "http://127.0.0.1:8000"),
    # webhooks to private, loopback and link-local addresses (on-premise pipelines) are refused unless set
    "WEBHOOK_ALLOW_PRIVATE": _flag("DURE_WEBHOOK_ALLOW_PRIVATE"),
}

# Behind TLS (DURE_HTTPS=1): cookies only over HTTPS, HSTS, and redirects from http://.
DURE_HTTPS = _flag("DURE_HTTPS")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = DURE_HTTPS
SECURE_SSL_REDIRECT = DURE_HTTPS and _flag("DURE_SSL_REDIRECT", "1")
SECURE_HSTS_SECONDS = 31_536_000 if DURE_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = DURE_HTTPS
if _flag("DURE_BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_AGE = int(os.environ.get("DURE_SESSION_SECONDS", 12 * 3600))
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Every script, style, font and picture comes from this server (htmx and the workspace bundle are vendored).
# Inline style *attributes* are allowed for progress bars; inline <script>/<style> elements are not.
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "style-src-attr": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "media-src": [CSP.SELF, "blob:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# OpenID Connect single sign-on (mozilla-django-oidc), on when DURE_OIDC_CLIENT_ID is set. The identity
# provider's "groups" claim maps to a role in DURE_OIDC_ORGANIZATION (a slug), e.g.
# DURE_OIDC_GROUP_ROLES="dure-owners=owner,dure-managers=manager,labelers=worker".
OIDC_RP_CLIENT_ID = os.environ.get("DURE_OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("DURE_OIDC_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("DURE_OIDC_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("DURE_OIDC_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("DURE_OIDC_USERINFO_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("DURE_OIDC_JWKS_ENDPOINT", "")
OIDC_OP_ISSUER = os.environ.get("DURE_OIDC_ISSUER", "")
OIDC_RP_SIGN_ALGO = os.environ.get("DURE_OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("DURE_OIDC_SCOPES", "openid email profile")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
DURE_OIDC_ORGANIZATION = os.environ.get("DURE_OIDC_ORGANIZATION", "")
DURE_OIDC_GROUP_ROLES = dict(
    pair.split("=", 1) for pair in os.environ.get("DURE_OIDC_GROUP_ROLES", "").split(",") if "=" in pair
)
LOGIN_REDIRECT_URL_FAILURE = "/login/?sso=failed"
if OIDC_RP_CLIENT_ID:
    AUTHENTICATION_BACKENDS += ["dure.accounts.sso.DureOIDCBackend"]
TEMPLATES[0]["OPTIONS"]["context_processors"].append("django.template.context_processors.csp")  # type: ignore[index]

# Notifications: the bell's unread count on every page.
TEMPLATES[0]["OPTIONS"]["context_processors"].append("dure.notices.context.unread")  # type: ignore[index]

# Email (notifications): DURE_EMAIL_URL=smtp://user:password@host:587?tls=1 (or smtps://… for SSL), or
# DURE_SMTP_HOST/DURE_SMTP_PORT/DURE_SMTP_USER/DURE_SMTP_PASSWORD/DURE_SMTP_TLS; without either, mail is
# written to the console (development).
from urllib.parse import unquote, urlsplit  # noqa: E402

DEFAULT_FROM_EMAIL = os.environ.get("DURE_EMAIL_FROM", "Dure <noreply@localhost>")
_email_url = urlsplit(os.environ.get("DURE_EMAIL_URL", ""))
if _email_url.scheme in {"smtp", "smtps"}:
    _smtp: dict[str, Any] = {
        "host": _email_url.hostname or "localhost",
        "port": _email_url.port or (465 if _email_url.scheme == "smtps" else 25),
        "username": unquote(_email_url.username or ""),
        "password": unquote(_email_url.password or ""),
        "use_ssl": _email_url.scheme == "smtps",
        "use_tls": "tls=1" in _email_url.query,
    }
elif os.environ.get("DURE_SMTP_HOST"):
    _smtp = {
        "host": os.environ["DURE_SMTP_HOST"],
        "port": int(os.environ.get("DURE_SMTP_PORT", 25)),
        "username": os.environ.get("DURE_SMTP_USER", ""),
        "password": os.environ.get("DURE_SMTP_PASSWORD", ""),
        "use_tls": _flag("DURE_SMTP_TLS"),
    }
else:
    _smtp = {}
MAILERS = {
    "default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": {**_smtp, "timeout": 10}}
    if _smtp
    else {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
}

# --- AI assistance (dure/assist): model backends run as jobs; nothing is fetched from a hub --------------
INSTALLED_APPS += ["dure.assist"]
DURE_ASSIST: dict[str, Any] = {
    # name → backend class; a project chooses one by name (ProjectAssist.backend)
    "BACKENDS": {
        "ocr": "dure.assist.backends.ocr.OcrBackend",
        "minilm": "dure.assist.backends.embeddings.EmbeddingBackend",
        "http": "dure.assist.backends.http.HttpBackend",
    },
    "HTTP_TIMEOUT_SECONDS": float(os.environ.get("DURE_ASSIST_HTTP_TIMEOUT_SECONDS", 10)),
    "HTTP_MAX_TIMEOUT_SECONDS": 120,
    # client model servers usually live inside the client's network, unlike webhook receivers
    "HTTP_ALLOW_PRIVATE": _flag("DURE_ASSIST_HTTP_ALLOW_PRIVATE", "1"),
    "JOB_MAX_ATTEMPTS": 3,
    # RapidOCR options, e.g. a Korean recognition model already on disk (rec_model_path, rec_keys_path)
    "OCR_OPTIONS": {
        "rec_model_path": os.environ.get("DURE_ASSIST_OCR_REC_MODEL", ""),
        "rec_keys_path": os.environ.get("DURE_ASSIST_OCR_REC_KEYS", ""),
    },
    # a submission whose answer keeps less than this of the model's suggestion is flagged
    "DISAGREE_BELOW": 0.5,
    # the worker's own history must hold this many submissions before it is used to flag
    "HISTORY_MIN_COUNT": 10,
    # two perceptual hashes this close (bits of 64) are the same picture or recording
    "DUPLICATE_MAX_BITS": 3,
}
