"""`GET /healthz`: is the database up, is the broker up. No login, no patient data.

Probed every few seconds by a load balancer, so each check is cheap and bounded: the
database through Django's connection (persistent, health-checked), a Redis broker through
one client per process and URL (a pooled connection, a PING, a one-second timeout) rather
than a new connection per probe.
"""

from __future__ import annotations

from functools import lru_cache

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection
from redis.backoff import NoBackoff
from redis.retry import Retry

BROKER_TIMEOUT_SECONDS = 1.0


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001 - any failure means "down"
        return False


@lru_cache(maxsize=4)
def redis_client(url: str) -> redis.Redis:
    """This process's client for `url`. Its pool drops a connection the server closed (a
    restarted Redis) before reuse, so it recovers without a restart of ours; it does not
    retry, so a Redis that is down costs one refused connect, a hung one the timeout."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
        socket_timeout=BROKER_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
    )


def broker_ok() -> bool:
    url = settings.CELERY_BROKER_URL
    try:
        if url.startswith(("redis://", "rediss://")):
            return bool(redis_client(url).ping())
        # Other transports (the embedded filesystem broker): kombu's own check.
        options = dict(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}))
        with Connection(url, connect_timeout=2, transport_options=options) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)
        return True
    except Exception:  # noqa: BLE001 - any failure means "down"
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": database_ok(), "broker": broker_ok()}
    healthy = all(checks.values())
    body = {
        "status": "ok" if healthy else "unavailable",
        "checks": {name: "ok" if up else "down" for name, up in checks.items()},
    }
    return JsonResponse(body, status=200 if healthy else 503)
