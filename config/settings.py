"""Settings for the 双随机、一公开 system.

Everything that differs between a laptop and a bureau's servers comes from environment
variables. Without any, the app runs in the embedded default: SQLite, background jobs inline,
no Redis. ``SSJ_ENV=production`` switches on the strict production defaults and makes the
secrets mandatory.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envstr(name: str, default: str = "") -> str:
    """Read a string; ``NAME_FILE`` (a path, e.g. a Docker/systemd secret) wins over ``NAME``."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean, not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from exc


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in envstr(name, default).split(",") if item.strip()]


SSJ_ENV = envstr("SSJ_ENV", "development")
if SSJ_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("SSJ_ENV must be 'development' or 'production'")
PRODUCTION = SSJ_ENV == "production"

DEBUG = envbool("DEBUG", not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production")

SECRET_KEY = envstr("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY is required in production")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required in production")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

# Public base URL, used in QR codes and links printed on paper.
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_rq",
    "core",
    "enterprises",
    "inspectors",
    "sampling",
    "inspections",
    "followup",
    "disclosure",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Body size, NUL bytes, Content-Security-Policy, no-store for signed-in users (outside the public cache).
    "core.middleware.HardeningMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Whole public pages from the cache, before the session, language and authentication middleware.
    "disclosure.middleware.PublicPageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "core.middleware.BureauMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "core.context_processors.navigation",
            ],
        },
    },
]

# --- Database: DATABASE_URL, else an embedded SQLite file. ---
DATABASE_URL = envstr("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # The planner's cost of a random page read (PostgreSQL's default, 4, is for spinning disks): with the
        # working set in memory or on SSD, 1.1 lets it walk an index that matches a filter (the public search
        # by quarter: 107 ms → 1 ms) instead of the newest-first index through every newer quarter.
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
            f"-c random_page_cost={float(envstr('DB_RANDOM_PAGE_COST', '1.1'))}"
        )
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and envbool("DB_POOL", True):
        # psycopg 3's pool is per process and refuses CONN_MAX_AGE > 0.
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": envint("DB_POOL_MIN", 1),
            "max_size": envint("DB_POOL_MAX", 8),
            "timeout": 10,
        }
else:
    if PRODUCTION:
        raise ImproperlyConfigured("DATABASE_URL is required in production")
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": envstr("SQLITE_PATH", str(BASE_DIR / "var" / "db.sqlite3")),
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"},
        }
    }
for _db in DATABASES.values():
    _db["CONN_HEALTH_CHECKS"] = True
    _db.setdefault("TEST", {})

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background jobs: RQ on Redis when REDIS_URL is set, otherwise run inline. ---
REDIS_URL = envstr("REDIS_URL")
JOBS_INLINE = not REDIS_URL
RQ_QUEUES = {
    name: {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 1800} for name in ("default", "low")
}
RQ_SHOW_ADMIN_LINK = False

if REDIS_URL:
    # A cache that answers without Redis (core.redis_cache): a host that does not answer costs at most a
    # second, once per pause, instead of the operating system's connection timeout on every request.
    CACHES = {
        "default": {
            "BACKEND": "core.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rendered template fragments that depend only on the values they are keyed on (the public pages' header,
# footer and filter choices: ``{% cache … using="fragments" %}``), in each process's memory.
CACHES["fragments"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "fragments",
    "TIMEOUT": 3600,
    "OPTIONS": {"MAX_ENTRIES": 5000},
}

# --- Authentication ---
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Argon2id first; PBKDF2 kept so that older hashes still verify, rehashed to Argon2id at the next login.
PASSWORD_HASHERS = [
    "core.hashers.BureauArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "login"

# Lock an account after repeated failures (django-axes).
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username"]
# Lock the account, not the address: a county office sits behind one NAT address, and locking by
# address would lock every colleague out after one person's typos.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_IPWARE_PROXY_COUNT = envint("AXES_PROXY_COUNT", 0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# Sessions expire after this many idle seconds.
SESSION_COOKIE_AGE = envint("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True

# --- Security (strict in production) ---
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", PRODUCTION)
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", PRODUCTION)
if envbool("BEHIND_PROXY", PRODUCTION):
    # nginx sets X-Forwarded-Proto; see docs/deployment.md.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Internationalisation: Chinese first, English available. ---
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- Static and uploaded files ---
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(BASE_DIR / "var" / "static")))
# Uploaded evidence is private: never served by URL, only through permission-checked views.
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
# The prebuilt open-data files (disclosure.opendata): written by the RQ worker, served by the web server
# (OPEN_DATA_ACCEL_PREFIX: an nginx ``internal`` location aliased to this directory) or by Django.
OPEN_DATA_ROOT = Path(envstr("OPEN_DATA_ROOT", str(BASE_DIR / "var" / "open-data")))
OPEN_DATA_ACCEL_PREFIX = envstr("OPEN_DATA_ACCEL_PREFIX", "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The largest spreadsheet an import accepts.
# The operator's append-only file of audit chain heads (one JSON line a day, manage.py audit_anchor); copy it
# off the host. verify_audit --anchors FILE checks the chain against it. Empty: the database and public site only.
AUDIT_ANCHOR_FILE = envstr("AUDIT_ANCHOR_FILE", str(BASE_DIR / "var" / "audit-anchors.jsonl"))
IMPORT_MAX_BYTES = envint("IMPORT_MAX_BYTES", 30 * 1024 * 1024)
# What a sheet may reach before anything parses it (the templates have 13-15 columns), and the child
# process that parses it: its address-space limit and its time limit.
IMPORT_MAX_ROWS = envint("IMPORT_MAX_ROWS", 100_000)
IMPORT_MAX_COLUMNS = envint("IMPORT_MAX_COLUMNS", 50)
IMPORT_MAX_CELLS = envint("IMPORT_MAX_CELLS", 2_500_000)
IMPORT_PARSE_MAX_MEMORY = envint("IMPORT_PARSE_MAX_MEMORY", 2 * 1024 * 1024 * 1024)
IMPORT_PARSE_TIMEOUT = envint("IMPORT_PARSE_TIMEOUT", 60)
# The largest request body, refused (413) from its Content-Length before it is read: the largest
# spreadsheet plus the form around it; several evidence files may go up at once (10 MB each).
REQUEST_MAX_BYTES = envint("REQUEST_MAX_BYTES", IMPORT_MAX_BYTES + 2 * 1024 * 1024)
REQUEST_MAX_BYTES_BY_VIEW = {
    "inspections:attachment-add": envint("EVIDENCE_REQUEST_MAX_BYTES", 200 * 1024 * 1024),
    "inspections:result": envint("EVIDENCE_REQUEST_MAX_BYTES", 200 * 1024 * 1024),
}
# Above this many rows an import runs as a background job with progress.
IMPORT_INLINE_MAX_ROWS = envint("IMPORT_INLINE_MAX_ROWS", 2000)

# E-mail (core.notify): the console in the embedded default; SMTP in production (docs/deployment.md).
EMAIL_HOST = envstr("EMAIL_HOST")
EMAIL_BACKEND = envstr(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")  # or EMAIL_HOST_PASSWORD_FILE
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)  # STARTTLS (port 587)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)  # implicit TLS (port 465)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 30)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL exclude each other")
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "ssj@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
