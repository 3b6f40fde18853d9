"""Settings for Clinic: one module, every value from the environment with a safe default.

Production differs from development by environment values alone (see README.md and
.env.example). Unset, the app runs on the embedded default: SQLite, a filesystem Celery
broker, and e-mail/SMS written under var/.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

# Where the embedded default keeps its SQLite file, broker queue, e-mail and SMS.
VAR_DIR = Path(env("CLINIC_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)
# The default key only serves development and tests; `check --deploy` rejects it.
SECRET_KEY = env(
    "SECRET_KEY", default="django-insecure-development-only-set-SECRET_KEY-in-production"
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "clinic",
    "patients",
    "treatments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "clinic.middleware.PrivateResponsesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "clinic.middleware.SessionRenewalMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "clinic.middleware.RefuseNulMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "clinic.two_factor.TwoFactorMiddleware",  # staff pages need the second step too
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    # Innermost: the audit rows of a request are written in one INSERT (clinic/audit.py).
    "clinic.middleware.AuditBatchMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"
AUTH_USER_MODEL = "clinic.User"

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
                "clinic.roles.context_processor",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Unset: a SQLite file under var/, opened so that the web server, the worker and beat can
# share it (WAL, BEGIN IMMEDIATE, a busy timeout) without "database is locked" errors.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'clinic.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    # A persistent connection is checked before a request reuses it: one the server dropped
    # (a restart, a failover) is replaced, never kept (README "Operations").
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A database host that does not answer costs a request this long, then a 503, rather
    # than the operating system's minutes-long TCP timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
    # Behind PgBouncer in transaction mode (deploy/pgbouncer.ini) a connection is lent per
    # transaction: no server-side cursors (they outlive one), and no persistent connection
    # to the pooler is needed (it is local and cheap).
    if env.bool("DATABASE_POOLER", default=False):
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
        DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication and sessions ------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # an address that failed too often waits
    "clinic.login_limits.AccountDelayBackend",  # a username that failed too often waits
    "clinic.backends.AccountBackend",  # ModelBackend, reading a session's account in one query
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Staff sessions expire after 30 minutes idle: the cookie's age is renewed on every request.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
# Activity renews the idle time, but a session is saved at most this often
# (clinic.middleware.SessionRenewalMiddleware), not on every request.
SESSION_RENEW_SECONDS = 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# A manager's invitation link (to set a staff password) works once, for this many hours
# from its sending.
STAFF_INVITE_HOURS = env.int("STAFF_INVITE_HOURS", default=72)

# Failed logins (clinic/login_limits.py; README "Security"). Per address, across accounts and
# whatever the User-Agent (django-axes): AXES_FAILURE_LIMIT failures pause the address for
# AXES_COOLOFF_MINUTES from its latest failure; a success does not wipe its count (a sprayer
# holding one real account cannot reset it).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_RESET_ON_SUCCESS = False
AXES_CLIENT_IP_CALLABLE = "clinic.audit.client_ip"
AXES_LOCKOUT_CALLABLE = "clinic.login_limits.lockout_response"
AXES_VERBOSE = False
# Not in the admin: its lists show the usernames tried (a portal account's is the patient's
# e-mail) to anyone with the admin. Unlock with `manage.py axes_reset_ip <address>`.
AXES_ENABLE_ADMIN = False
# Per account: after LOGIN_ACCOUNT_FAILURE_LIMIT failures (within LOGIN_FAILURE_WINDOW_HOURS
# of each other), each try waits LOGIN_DELAY_SECONDS, doubling per failure up to
# LOGIN_DELAY_MAX_SECONDS; not from an address the account logged in from in the last
# LOGIN_KNOWN_ADDRESS_DAYS, so a stranger cannot lock its owner out.
LOGIN_ACCOUNT_FAILURE_LIMIT = env.int("LOGIN_ACCOUNT_FAILURE_LIMIT", default=5)
LOGIN_DELAY_SECONDS = env.int("LOGIN_DELAY_SECONDS", default=30)
LOGIN_DELAY_MAX_SECONDS = env.int("LOGIN_DELAY_MAX_SECONDS", default=15 * 60)
LOGIN_FAILURE_WINDOW_HOURS = env.int("LOGIN_FAILURE_WINDOW_HOURS", default=24)
LOGIN_KNOWN_ADDRESS_DAYS = env.int("LOGIN_KNOWN_ADDRESS_DAYS", default=30)
# An API token from POST /api/auth/token/ works this many hours (clinic/tokens.py), or less:
# revoked, or the account's password changed, or the account deactivated.
API_TOKEN_HOURS = env.int("API_TOKEN_HOURS", default=12)
# Staff sign in with a password and a code from an authenticator app (clinic/two_factor.py,
# django-otp); patients never. On unless DEBUG: `make run`'s demo and the tests leave it off.
REQUIRE_STAFF_2FA = env.bool("REQUIRE_STAFF_2FA", default=not DEBUG)
OTP_TOTP_ISSUER = env("CLINIC_NAME", default="Clinic")  # the name the app shows

# --- Security (production unless DEBUG) ------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
# Behind a reverse proxy that terminates TLS (and overwrites these headers), set
# TRUST_PROXY_HEADERS=true; otherwise any client could claim HTTPS with X-Forwarded-Proto.
TRUST_PROXY_HEADERS = env.bool("TRUST_PROXY_HEADERS", default=False)
if TRUST_PROXY_HEADERS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Scripts, styles, fonts and images come from static/ only: no inline script or style, no
# other origin (htmx is served from static/ too). Photos are served by the app itself.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Browser features no page of the clinic uses (a file input may still take a photo).
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), bluetooth=(), serial=()"
)
CSRF_FAILURE_VIEW = "clinic.api.csrf_failure"
# /healthz is probed over plain HTTP by load balancers and the test harness.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Internationalisation and time ----------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"  # storage and the ORM; wall-clock rules use CLINIC_TIME_ZONE
USE_I18N = True
USE_TZ = True
CLINIC_TIME_ZONE = env("CLINIC_TIME_ZONE", default="Europe/London")
CLINIC_NAME = env("CLINIC_NAME", default="Clinic")
CLINIC_PHONE = env("CLINIC_PHONE", default="+44 20 7946 0000")
# National phone numbers typed without a country code are read in this region.
CLINIC_PHONE_REGION = env("CLINIC_PHONE_REGION", default="GB")
# Screening policy overrides (clinical reference: the [Conv]/[Inference] windows), as JSON,
# e.g. {"recent_procedure_defer_days": 21}. Unknown names fail at start-up.
SCREENING_POLICY = env.json("SCREENING_POLICY", default={})

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"

# --- Importing patients from the previous system (patients/imports) ------------------------
# The largest CSV a manager may upload, and the most patients in one file.
PATIENT_IMPORT_MAX_BYTES = env.int("PATIENT_IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
PATIENT_IMPORT_MAX_ROWS = env.int("PATIENT_IMPORT_MAX_ROWS", default=20_000)
# An upload nobody imported or cancelled is abandoned, and its file deleted, after this long.
PATIENT_IMPORT_ABANDON_HOURS = env.int("PATIENT_IMPORT_ABANDON_HOURS", default=24)

# --- E-mail and SMS -------------------------------------------------------------------------
# Unset: e-mail is written as files under var/mail; set EMAIL_URL=smtp://... in production.
_email_url = env("EMAIL_URL", default="")
if _email_url:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="clinic@localhost")
# "file" writes each SMS under var/sms; a provider adapter is named by its dotted path.
SMS_BACKEND = env("SMS_BACKEND", default="file")
SMS_FILE_PATH = VAR_DIR / "sms"
# The HTTP SMS provider adapter (SMS_BACKEND=treatments.messaging.sms.HttpSmsBackend).
SMS_HTTP_URL = env("SMS_HTTP_URL", default="")
SMS_HTTP_TOKEN = env("SMS_HTTP_TOKEN", default="")
SMS_SENDER = env("SMS_SENDER", default="Clinic")
# The portal's address in messages (links only: never patient data in query strings).
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000")
# The FHIR API's own code systems, extensions and identifiers live under this address
# (treatments/exchange/codes.py): <base>/CodeSystem/..., <base>/StructureDefinition/...
FHIR_SYSTEM_BASE = env("FHIR_SYSTEM_BASE", default="https://clinic.example/fhir")
# Sending: attempts before `failed`, backoff base, the `sending` lease, the sweep's batch.
MESSAGE_MAX_ATTEMPTS = env.int("MESSAGE_MAX_ATTEMPTS", default=5)
MESSAGE_RETRY_BASE_SECONDS = env.int("MESSAGE_RETRY_BASE_SECONDS", default=60)
MESSAGE_LEASE_SECONDS = env.int("MESSAGE_LEASE_SECONDS", default=300)
MESSAGE_BATCH_SIZE = env.int("MESSAGE_BATCH_SIZE", default=500)
# Message ids per send task (one task per message spent more on Celery than on sending).
MESSAGE_SEND_BATCH = env.int("MESSAGE_SEND_BATCH", default=50)
# Stop retinoids and acids this many hours before a session (reference §3: 24 h per the
# SkinPen handout; many clinics use 3-7 days). Used in the reminders.
RETINOID_STOP_HOURS = env.int("RETINOID_STOP_HOURS", default=24)
# SMS waits for the morning when due in these local hours (clinic zone).
# When the front desk opens, clinic time: check-in opens then on the session's day (or at the
# day's first working hours, if earlier).
CLINIC_OPENS_AT = env("CLINIC_OPENS_AT", default="08:00")
# How far ahead a session may be booked; query dates may name as far (and ten years back).
BOOKING_HORIZON_DAYS = env.int("BOOKING_HORIZON_DAYS", default=730)
# Patients booking for themselves in the portal (treatments/portal/booking.py): "off" (call
# the clinic), "next_session_only" (book or move the next session of a booked course) or
# "full" (that, and ask for a review or a new course of a protocol allowed online). A move of
# a session that starts within PORTAL_MOVE_NOTICE_HOURS becomes a request for the front desk.
PORTAL_BOOKING = env("PORTAL_BOOKING", default="next_session_only")
if PORTAL_BOOKING not in ("off", "next_session_only", "full"):
    raise ImproperlyConfigured(
        f"PORTAL_BOOKING must be off, next_session_only or full, not {PORTAL_BOOKING!r}."
    )
PORTAL_MOVE_NOTICE_HOURS = env.int("PORTAL_MOVE_NOTICE_HOURS", default=48)
# The indications (protocols) a patient may ask for a new course of online, with "full".
PORTAL_BOOKING_INDICATIONS = tuple(
    env.list(
        "PORTAL_BOOKING_INDICATIONS",
        default=["acne_scars", "fine_lines", "stretch_marks", "texture"],
    )
)
SMS_QUIET_HOURS = tuple(env.list("SMS_QUIET_HOURS", default=["20:00", "09:00"]))
# The waitlist (treatments/waitlist): how long a patient has to take an offered time (the
# window never runs in SMS quiet hours), and how many patients are offered one at once.
WAITLIST_OFFER_MINUTES = env.int("WAITLIST_OFFER_MINUTES", default=60)
WAITLIST_OFFER_BATCH = env.int("WAITLIST_OFFER_BATCH", default=1)

# The message cadence (DESIGN.md §5, clinical reference §4), relative to the session's start
# (before), to completion (after), or to the course's last session (reviews). Wall clock.
MESSAGE_OFFSETS = {
    "pre_session_check": {"days": -7},
    "reminder_48h": {"hours": -48},
    "reminder_24h": {"hours": -24},
    "checkin_24h": {"hours": 24},
    "checkin_72h": {"hours": 72},
    "checkin_7d": {"days": 7},
    "review_4w": {"days": 28},
    "review_3m": {"months": 3},
    "review_6m": {"months": 6},
    **env.json("MESSAGE_OFFSETS", default={}),
}

# --- Celery ---------------------------------------------------------------------------------
# Unset: kombu's filesystem transport under var/broker, so worker and beat run as real
# processes on a machine with nothing but Python.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=None)
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("out", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        # kombu keeps its exchange tables here; its default is ./control in the working dir.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The worker keeps its PostgreSQL connection across tasks: Celery's Django fixup otherwise
# closes it after every task (a new connection per task halved the outbox's throughput).
# It still closes it every this many tasks, and clinic/celery.py drops one that failed or
# outlived CONN_MAX_AGE before each task, as Django does between requests.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The outbox sweep: claims due messages every minute and enqueues send tasks of
# MESSAGE_SEND_BATCH ids each.
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {"task": "treatments.sweep_outbox", "schedule": 60.0},
    # Patient imports: deletes abandoned uploads' files, resumes an import whose worker died.
    "patient-imports-sweep": {"task": "patients.sweep_imports", "schedule": 300.0},
    # The waitlist: offers that ran out move on to the next patients (treatments/waitlist).
    "waitlist-sweep": {"task": "treatments.sweep_waitlist", "schedule": 60.0},
}

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous request is answered 401 with WWW-Authenticate.
        "clinic.tokens.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["clinic.roles.IsStaff"],
    "DEFAULT_PAGINATION_CLASS": "clinic.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "clinic.api.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["clinic.parsers.BoundedJSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# bench/run.py serves a bare Django JSON view at /bench/bare/ as its yardstick.
BENCH_BARE_VIEW = env.bool("BENCH_BARE_VIEW", default=False)
# Bounds on what an API request may send (clinic/parsers.py): larger is 413, deeper is 400.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1_000_000)
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=20)
SPECTACULAR_SETTINGS = {
    "TITLE": "Clinic API",
    "DESCRIPTION": "Patients, screening, courses and sessions of a microneedling clinic.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["clinic.roles.IsStaff"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "IntakeKindEnum": "patients.models.IntakeSubmission.Kind",
        "ConsentKindEnum": "patients.models.Consent.Kind",
        "AreaEnum": "patients.vocabulary.AREAS",
        "SessionStatusEnum": "treatments.models.Session.Status",
        "ChannelEnum": "patients.models.Patient.Channel",
        "RoleEnum": "clinic.models.Role",
        "CancelledByEnum": "treatments.scheduling.models.CancelledBy",
    },
}

# --- Logging: no patient data in logs; request lines carry paths only ----------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Link and calendar-feed tokens in paths, and every query string, become "…" in whatever
    # the console writes (clinic/logs.py; gunicorn's access log: clinic/gunicorn_logger.py).
    "filters": {"secrets": {"()": "clinic.logs.HideSecrets"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Also on the loggers, for any handler added beside the console.
        "django.request": {"filters": ["secrets"]},
        # runserver's request lines (development), through the same console.
        "django.server": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
            "filters": ["secrets"],
        },
        # weasyprint (the aftercare sheet) narrates every step of every PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
