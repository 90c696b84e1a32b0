"""Otklik settings. Every value comes from an environment variable documented in
docs/configuration.md; defaults give the embedded single-machine install (SQLite, SqliteHuey)."""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


VAR_DIR = Path(os.environ.get("OTKLIK_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    # Embedded install: a random key generated once and kept under var/ so sessions survive
    # restarts. Production sets DJANGO_SECRET_KEY (settings_production refuses to start without).
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        import secrets

        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
OTKLIK_BASE_URL = os.environ.get("OTKLIK_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_htmx",
    "huey.contrib.djhuey",
    "core",
    "accounts",
    "customers",
    "assets",
    "contracts",
    "imports",
    "sla",
    "notifications",
    "tickets",
    "intake",
    "channels",
    "automation",
    "portal",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
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
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.unread_notifications",
            ],
            # `{% url %}` remembering the paths it reversed (core/templatetags/fast_url.py).
            "builtins": ["core.templatetags.fast_url"],
            # Django's i18n library with a literal `{% translate %}` kept per language (core/templatetags/fast_i18n.py).
            "libraries": {"i18n": "core.templatetags.fast_i18n"},
        },
    }
]

# The `i18n` template library above is ours on purpose (Django's, with literals kept): the check that
# warns of two modules under one library name would flag exactly that.
SILENCED_SYSTEM_CHECKS = ["templates.W003"]

# <input>s and <textarea>s written in Python, everything else through the templates (core/form_renderer.py).
FORM_RENDERER = "core.form_renderer.FastWidgetRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'otklik.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Iterating a queryset with .iterator() (form choices do) would otherwise DECLARE a cursor
    # WITH HOLD per list; plain fetches are faster here and work behind PgBouncer.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    # Parameters bound by the server, and a statement run 5 times on a connection prepared there
    # (psycopg's prepare_threshold): PostgreSQL then parses and plans it once per connection
    # instead of once per run, a third of its CPU on the inbound path. DATABASE_PREPARE=0 turns
    # both off (client-side binding, Django's default) for a pooler that cannot keep prepared
    # statements (PgBouncer in transaction mode before 1.21; docs/configuration.md).
    if os.environ.get("DATABASE_PREPARE", "1") != "0":
        DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            # WAL lets the web server read while the worker writes; IMMEDIATE transactions
            # make concurrent writers wait for the lock instead of failing mid-transaction.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
            ),
        }
    )
    # A file (not :memory:) so live-server threads share it; per-process so parallel runs don't clash.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # ModelBackend reading the signed-in user in one hand-written statement (accounts/backends.py).
    "accounts.backends.UserBackend",
    # Sessions signed in before it came keep working until they end.
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "ru"
# English dates written as in Russian: d.m.Y, 24-hour clock (config/formats/en/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("OTKLIK_TIME_ZONE", "Europe/Moscow")
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "attachments"), "base_url": None},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Attachments are never served as static media: only through views that check access.
MEDIA_ROOT = VAR_DIR / "attachments"
MEDIA_URL = "/attachments-are-not-served-directly/"  # no route serves it; a prefix Django's helpers need

OTKLIK_ATTACHMENT_MAX_BYTES = int(os.environ.get("OTKLIK_ATTACHMENT_MAX_BYTES", str(25 * 1024 * 1024)))
# Largest CSV/XLSX file accepted for import (imports app).
OTKLIK_IMPORT_MAX_BYTES = int(os.environ.get("OTKLIK_IMPORT_MAX_BYTES", str(50 * 1024 * 1024)))
# Automation rules (docs/architecture/automation-rules.md): off pauses every rule, event and time
# rules alike (a bulk import, an incident) without editing them.
OTKLIK_AUTOMATION_RULES = env_bool("OTKLIK_AUTOMATION_RULES", True)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 14 * 24 * 3600
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Otklik <noreply@localhost>")
# With EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend (what `make run` uses when no
# EMAIL_HOST is given) every outgoing message is written here as a file instead of being sent.
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "sent-mail"))
# The domain of the Message-IDs Otklik gives its mail; empty: the sending mailbox's domain.
EMAIL_MESSAGE_ID_DOMAIN = os.environ.get("EMAIL_MESSAGE_ID_DOMAIN", "")

# Inbound mail listener (channels/email/lmtp.py, `manage.py lmtp_server`, started by `make run`).
LMTP_HOST = os.environ.get("LMTP_HOST", "127.0.0.1")
LMTP_PORT = int(os.environ.get("LMTP_PORT", "8025"))
# A second listener speaking plain SMTP (for an MTA that cannot speak LMTP); off when empty.
LMTP_SMTP_PORT = int(os.environ["LMTP_SMTP_PORT"]) if os.environ.get("LMTP_SMTP_PORT") else None
LMTP_MAX_BYTES = int(os.environ.get("LMTP_MAX_BYTES", str(64 * 1024 * 1024)))
LMTP_WORKERS = int(os.environ.get("LMTP_WORKERS", "4"))
# IMAP intake (channels/email/imap.py; docs/architecture/email.md, "IMAP intake").
# A CA bundle trusted besides the system's, for IMAP servers with a private CA ("" = system only).
OTKLIK_IMAP_CA_FILE = os.environ.get("OTKLIK_IMAP_CA_FILE", "")
OTKLIK_IMAP_TIMEOUT = float(os.environ.get("OTKLIK_IMAP_TIMEOUT", "60"))
# Oversize mail is quarantined with its full raw bytes up to this size, above it with its headers only.
OTKLIK_IMAP_QUARANTINE_KEEP_BYTES = int(os.environ.get("OTKLIK_IMAP_QUARANTINE_KEEP_BYTES", str(64 * 1024 * 1024)))
# Longest single IDLE before the listener re-reads the mailbox's settings and idles again (RFC 2177: < 29 min).
OTKLIK_IMAP_IDLE_SECONDS = int(os.environ.get("OTKLIK_IMAP_IDLE_SECONDS", "300"))

# Telegram (channels/telegram/; docs/architecture/telegram.md). The Bot API's base URL (tests point
# it at a local stand-in), and the address Telegram reaches this installation at (webhooks).
TELEGRAM_API_URL = os.environ.get("TELEGRAM_API_URL", "https://api.telegram.org")
OTKLIK_PUBLIC_URL = os.environ.get("OTKLIK_PUBLIC_URL", "")
# Public web form and widget (channels/webform/; docs/architecture/webform-telephony.md).
# Origins allowed to frame the form's embed view (?embed=1): "*" any, else comma separated.
OTKLIK_WEBFORM_FRAME_ANCESTORS = env_list("OTKLIK_WEBFORM_FRAME_ANCESTORS", "*")
# File name extensions the public form accepts (each file also within OTKLIK_ATTACHMENT_MAX_BYTES).
OTKLIK_WEBFORM_ALLOWED_EXTENSIONS = env_list(
    "OTKLIK_WEBFORM_ALLOWED_EXTENSIONS", "jpg,jpeg,png,gif,webp,heic,pdf,txt,csv,doc,docx,xls,xlsx,odt,ods,zip,mp4,mov"
)
OTKLIK_WEBFORM_MAX_FILES = int(os.environ.get("OTKLIK_WEBFORM_MAX_FILES", "5"))
OTKLIK_WEBFORM_MAX_FILE_BYTES = int(os.environ.get("OTKLIK_WEBFORM_MAX_FILE_BYTES", str(10 * 1024 * 1024)))
# Posts allowed per hour from one client address, and about one email/phone.
OTKLIK_WEBFORM_PER_IP_HOUR = int(os.environ.get("OTKLIK_WEBFORM_PER_IP_HOUR", "10"))
OTKLIK_WEBFORM_PER_CONTACT_HOUR = int(os.environ.get("OTKLIK_WEBFORM_PER_CONTACT_HOUR", "5"))
# How long a request's tracking link (/request/<token>/) stays valid.
OTKLIK_WEBFORM_TRACK_DAYS = int(os.environ.get("OTKLIK_WEBFORM_TRACK_DAYS", "365"))
OTKLIK_NOTICE_LINK_DAYS = int(os.environ.get("OTKLIK_NOTICE_LINK_DAYS", "90"))

# Telephony webhooks (channels/telephony/; /channels/telephony/<provider>/). A provider is off
# until its secret is set.
OTKLIK_TELEPHONY_MANGO_API_KEY = os.environ.get("OTKLIK_TELEPHONY_MANGO_API_KEY", "")
OTKLIK_TELEPHONY_MANGO_API_SALT = os.environ.get("OTKLIK_TELEPHONY_MANGO_API_SALT", "")
OTKLIK_TELEPHONY_ZADARMA_SECRET = os.environ.get("OTKLIK_TELEPHONY_ZADARMA_SECRET", "")
OTKLIK_TELEPHONY_GENERIC_SECRET = os.environ.get("OTKLIK_TELEPHONY_GENERIC_SECRET", "")

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
        if os.environ.get("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(VAR_DIR / "cache")}
    )
}

# With Redis as the cache, sessions are read from it (one query less on every page a person
# loads) and still written through to the database, so a flushed cache logs nobody out.
if os.environ.get("REDIS_URL"):
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

_huey_backend = os.environ.get("HUEY_BACKEND", "sqlite")
HUEY = {
    "name": "otklik",
    "immediate": _huey_backend == "immediate",
    "utc": True,
    "consumer": {"workers": int(os.environ.get("HUEY_WORKERS", "2")), "worker_type": "thread"},
}
if _huey_backend == "redis":
    HUEY.update(
        {
            "huey_class": "huey.PriorityRedisHuey",
            "connection": {"url": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")},
        }
    )
elif _huey_backend == "sqlite":
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(VAR_DIR / "huey.sqlite3")})
else:
    HUEY.update({"huey_class": "huey.MemoryHuey", "immediate_use_memory": True})

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.IdCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.AnonWindowRateThrottle",
        "api.throttling.UserWindowRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("OTKLIK_API_THROTTLE_ANON", "60/min"),
        "user": os.environ.get("OTKLIK_API_THROTTLE_USER", "20000/hour"),
        "login": os.environ.get("OTKLIK_LOGIN_THROTTLE", "10/min"),
    },
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Otklik API",
    "DESCRIPTION": "Service desk REST API (v1). Token authentication: `Authorization: Token <token>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name (`role`: users', contacts'; `kind`: articles', calendar
    # days'): name each one.
    "ENUM_NAME_OVERRIDES": {
        "UserRoleEnum": "accounts.choices.Role",
        "ContactRoleEnum": "customers.models.ContactRole",
        "ChannelEnum": "tickets.choices.Channel",
        "ArticleKindEnum": "tickets.choices.ArticleKind",
        "CalendarDayKindEnum": "sla.models.DayKind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("OTKLIK_LOG_LEVEL", "INFO")},
    # httpx logs each request's URL at INFO, and Telegram's URLs carry the bot token.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}

# Repeated complaints (automation/repeats; docs/architecture/assignment.md): similar tickets from
# one site within the window; how many make a potential incident; the text-similarity threshold.
OTKLIK_REPEAT_WINDOW_HOURS = float(os.environ.get("OTKLIK_REPEAT_WINDOW_HOURS", "24"))
OTKLIK_REPEAT_MIN_TICKETS = int(os.environ.get("OTKLIK_REPEAT_MIN_TICKETS", "3"))
OTKLIK_REPEAT_SIMILARITY = float(os.environ.get("OTKLIK_REPEAT_SIMILARITY", "0.5"))
