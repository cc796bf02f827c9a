"""EmDash settings: one module, every knob read from the environment.

Nothing else in the project reads the environment at import time; code that needs a
setting reads ``django.conf.settings`` when it runs.
"""

import os
import secrets
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import dj_database_url

from emdash.paths import themes_dir

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str) -> list[str]:
    return [
        item.strip() for item in os.environ.get(name, "").split(",") if item.strip()
    ]


def load_or_create_secret(path: Path) -> str:
    """Read the secret key from the data dir, creating it (mode 0600) on first use.

    The key is written to a temporary file and then hard-linked into place, so a
    process starting at the same moment sees either no file or a complete one.
    """
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret-")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process won the race: use its key
    finally:
        Path(temporary).unlink()
    return path.read_text().strip()


DATA_DIR = Path(os.environ.get("EMDASH_DATA_DIR", "var")).resolve()
DEBUG = env_bool("EMDASH_DEBUG", False)
SECRET_KEY = os.environ.get("EMDASH_SECRET_KEY") or load_or_create_secret(
    DATA_DIR / "secret_key"
)

SITE_URL = os.environ.get("EMDASH_SITE_URL", "http://localhost:8000").rstrip("/")
_site = urlsplit(SITE_URL)
SITE_HOST = _site.hostname or "localhost"
ALLOWED_HOSTS = env_list("EMDASH_ALLOWED_HOSTS") or list(
    dict.fromkeys([SITE_HOST, "localhost", "127.0.0.1"])
)
# Origins passkey ceremonies may come from (comma-separated), when the admin is
# reached under more than SITE_URL's origin, e.g. https://www.example.com beside
# https://example.com. Each must be SITE_URL's host or a subdomain of it.
WEBAUTHN_ORIGINS = env_list("EMDASH_WEBAUTHN_ORIGINS")
CSRF_TRUSTED_ORIGINS = list(dict.fromkeys([SITE_URL, *WEBAUTHN_ORIGINS]))
DEMO_CONTENT = env_bool("EMDASH_DEMO", True)

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "emdash.core",
    "emdash.accounts",
    "emdash.media",
    "emdash.content",
    "emdash.plugins",
    "emdash.site",
    "emdash.admin",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before sessions, CSRF and auth: a cached public page needs none of them.
    "emdash.site.cache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "emdash.urls"
WSGI_APPLICATION = "emdash.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
# People have no passwords; this hashes the passwords of password-protected entries.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.ScryptPasswordHasher"]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "emdash.admin.context_processors.admin",
            ],
        },
    },
]


def database_config(url: str | None) -> dict:
    if not url:
        url = f"sqlite:///{DATA_DIR / 'emdash.sqlite3'}"
    config = dj_database_url.parse(url, conn_max_age=600, conn_health_checks=True)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON;"
            ),
        }
    return config


DATABASES = {"default": database_config(os.environ.get("DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def cache_config(url: str | None) -> dict:
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": os.environ.get("EMDASH_CACHE_PREFIX", "emdash"),
        }
    if url and not url.startswith("locmem://"):
        raise ValueError(f"EMDASH_CACHE_URL must be redis:// or locmem://, got {url!r}")
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


CACHES = {"default": cache_config(os.environ.get("EMDASH_CACHE_URL"))}
# True when the cache is shared by every process (Redis); locmem is a per-process memo.
# Reverse proxies whose forwarding header is believed (comma-separated CIDRs); none
# by default, so a client cannot claim another address.
TRUSTED_PROXIES = env_list("EMDASH_TRUSTED_PROXIES")
CLIENT_IP_HEADER = os.environ.get("EMDASH_CLIENT_IP_HEADER", "X-Forwarded-For")
CACHE_IS_SHARED = CACHES["default"]["BACKEND"].endswith("RedisCache")
# Where rate-limit counters live. A per-process cache would let each process count
# alone (N workers, N times the limit), so without Redis they go to the database.
RATE_LIMIT_BACKEND = os.environ.get("EMDASH_RATE_LIMIT_BACKEND") or (
    "cache" if CACHE_IS_SHARED else "database"
)
if RATE_LIMIT_BACKEND not in ("cache", "database"):
    raise ValueError(
        "EMDASH_RATE_LIMIT_BACKEND must be cache or database, "
        f"got {RATE_LIMIT_BACKEND!r}"
    )
# How long a process may trust its memo of the content epoch before asking again.
EPOCH_MEMO_SECONDS = float(os.environ.get("EMDASH_EPOCH_MEMO_SECONDS", "1"))
PAGE_CACHE_SECONDS = int(os.environ.get("EMDASH_PAGE_CACHE_SECONDS", "300"))

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _site.scheme == "https"
CSRF_COOKIE_SECURE = _site.scheme == "https"

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("EMDASH_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# WhiteNoise serves from finders; an existing (possibly empty) root keeps it quiet.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "media"},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# The default theme's static files; the theme system proper will register each theme.
STATICFILES_DIRS = [themes_dir() / "default" / "static"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "/media/"

# Security headers.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:", "https:"],
    "frame-src": ["https://www.youtube-nocookie.com", "https://player.vimeo.com"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
if _site.scheme == "https":
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Request bodies: the API refuses anything bigger with 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(
    os.environ.get("EMDASH_MAX_BODY_BYTES", 2 * 1024 * 1024)
)
NINJA_PAGINATION_MAX_LIMIT = 100


def mailer_config(url: str) -> dict[str, Any]:
    """Django's default mailer from one URL: ``console:`` (the default: mail is
    printed), ``file:///dir``, ``locmem:`` (tests), or
    ``smtp://user:password@host:port`` / ``smtps://...`` (TLS from the first byte);
    ``?starttls=1`` upgrades a plain SMTP connection."""
    parts = urlsplit(url)
    backends = "django.core.mail.backends."
    if parts.scheme in ("console", "locmem"):
        return {"BACKEND": f"{backends}{parts.scheme}.EmailBackend"}
    if parts.scheme == "file":
        return {
            "BACKEND": f"{backends}filebased.EmailBackend",
            "OPTIONS": {"file_path": unquote(parts.path)},
        }
    if parts.scheme in ("smtp", "smtps"):
        query = dict(parse_qsl(parts.query))
        return {
            "BACKEND": f"{backends}smtp.EmailBackend",
            "OPTIONS": {
                "host": parts.hostname or "localhost",
                "port": parts.port or (465 if parts.scheme == "smtps" else 25),
                "username": unquote(parts.username or ""),
                "password": unquote(parts.password or ""),
                "use_ssl": parts.scheme == "smtps",
                "use_tls": query.get("starttls") in ("1", "true"),
                "timeout": 10,
            },
        }
    raise ValueError(
        f"EMDASH_EMAIL_URL must start with console:, file://, locmem: or smtp(s)://, "
        f"got {parts.scheme!r}"
    )


MAILERS = {"default": mailer_config(os.environ.get("EMDASH_EMAIL_URL", "console:"))}
DEFAULT_FROM_EMAIL = os.environ.get(
    "EMDASH_EMAIL_FROM", f"EmDash <noreply@{SITE_HOST}>"
)

# Plugins. Compiled modules are cached here, in a directory only EmDash writes.
PLUGIN_CACHE_DIR = DATA_DIR / "plugin-cache"
# Capabilities no plugin may be granted on this site, e.g. network:request:unrestricted.
PLUGIN_FORBIDDEN_CAPABILITIES = env_list("EMDASH_PLUGIN_FORBIDDEN_CAPABILITIES")
# The longest any one plugin hook call may run, whatever its manifest asks (the
# sandbox's own ceiling, 30 s, bounds this too).
PLUGIN_MAX_TIMEOUT_MS = int(os.environ.get("EMDASH_PLUGIN_MAX_TIMEOUT_MS", "5000"))


def host_map(text: str) -> dict[str, str]:
    """``intranet.example.com=10.0.0.5,hooks.example.com=127.0.0.1``: host names a
    plugin's requests reach at an operator-chosen (even private) address. Never
    something a manifest can ask for; the host must still be in its allowed_hosts."""
    mapped: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        host, separator, address = item.partition("=")
        if not separator or not host.strip() or not address.strip():
            raise ValueError(
                f"EMDASH_PLUGIN_HOST_MAP items are host=address, got {item.strip()!r}"
            )
        mapped[host.strip().lower().rstrip(".")] = address.strip()
    return mapped


PLUGIN_HOST_MAP = host_map(os.environ.get("EMDASH_PLUGIN_HOST_MAP", ""))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": os.environ.get("EMDASH_LOG_LEVEL", "WARNING"),
    },
}
