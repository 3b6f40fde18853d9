"""Two of everything against one PostgreSQL and one Redis (issue 13 item 6): two gunicorn web
servers, two Celery workers and two beats, as deploy/ runs them on several machines.

Front-desk requests book contested slots through both servers at once while the workers
send a backlog and the bookings' own messages, and both beats sweep every second. Then no
practitioner or room holds two overlapping sessions (each contested slot went to exactly one
request, the others were a 409, never a 500), and every message that went out was written
by the file backends exactly once. It takes about 20–35 s on two busy cores. Every wait has a
timeout (the servers' start 45 s, each request 30 s, the sending 40 s), and the
`celery_processes` and `private_redis` fixtures stop every process they started, whatever
happens; the web servers are stopped in a `finally`.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.utils import timezone

from clinic.tokens import token_issue
from patients.tests.factories import PatientFactory
from treatments.management.commands.run_clinic import gunicorn_command
from treatments.messaging.models import Message
from treatments.messaging.tests.helpers import (
    LONDON,
    bulk_due_messages,
    delivered_emails,
    delivered_sms,
    make_due,
    next_monday,
    wait_until,
)
from treatments.scheduling.models import Session
from treatments.tests.test_log_privacy import HOST, free_port, stop

pytestmark = [pytest.mark.slow, pytest.mark.worker]
Status = Message.Status
NO_QUIET_HOURS = {"SMS_QUIET_HOURS": "00:00,00:00"}  # the workers run at any real hour
# Six two-hour slots (Monday and Tuesday 09:00, 11:00, 13:00, within the practitioner's
# hours), each asked for by this many courses at once, through both servers.
CONTENDERS = 4
BACKLOG = 300  # messages already due when the workers start: the load they send under


def start_web_servers(env: dict, logs: Path, count: int) -> list[tuple[subprocess.Popen, str]]:
    """`count` gunicorn servers (one worker process each) on free ports, started together;
    returns each with its base URL once all answer /healthz (or fails within 45 s)."""
    servers = []
    for n in range(count):
        port = free_port()
        command = [*gunicorn_command(sys.executable, host=HOST, port=port, workers=1),
                   "--no-control-socket"]  # fmt: skip
        with (logs / f"web-{n}.log").open("wb") as log:
            process = subprocess.Popen(  # noqa: S603
                command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        servers.append((process, f"http://{HOST}:{port}"))

    def all_healthy():
        for process, base in servers:
            assert process.poll() is None, logs_of(logs)
            try:
                if requests.get(f"{base}/healthz", timeout=5).status_code != 200:
                    return False
            except requests.RequestException:
                return False
        return True

    try:
        wait_until(all_healthy, timeout=45, message="the web servers did not answer /healthz")
    except BaseException:
        for process, _ in servers:
            stop(process)
        raise
    return servers


def logs_of(folder: Path) -> str:
    return "\n".join(
        f"== {path.name}\n{path.read_text(errors='replace')[-2000:]}"
        for path in sorted(folder.glob("*.log"))
    )


def overlapping_active_sessions(column: str) -> list[tuple]:
    """Pairs of active sessions of one practitioner (or in one room) that overlap in time."""
    table = Session._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.id, b.id FROM {table} a JOIN {table} b "  # noqa: S608 - names from the code
            f"ON a.{column} = b.{column} AND a.id < b.id "
            "AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at "
            "WHERE a.status = ANY(%s) AND b.status = ANY(%s)",
            [list(Session.ACTIVE), list(Session.ACTIVE)],
        )
        return cursor.fetchall()


def test_two_web_servers_two_workers_and_two_beats_book_once_and_send_once(
    celery_processes, private_redis, clinic, acne_protocol, front_desk_user, practitioner_user
):
    celery_processes.use_broker(private_redis.url)  # a Redis of its own, on a free port
    monday = next_monday(timezone.now() + dt.timedelta(days=30))
    slots = [
        dt.datetime.combine(monday + dt.timedelta(days=day), dt.time(hour), tzinfo=LONDON)
        for day in (0, 1)
        for hour in (9, 11, 13)
    ]
    courses = [
        clinic.course(
            clinic.screened_patient(front_desk_user, preferred_channel=("email", "sms")[n % 2]),
            protocol=acne_protocol,
            by=practitioner_user,
            sessions=2,
        )
        for n in range(len(slots) * CONTENDERS)
    ]
    bulk_due_messages(
        BACKLOG, clinic=clinic, patient=PatientFactory(), by=front_desk_user, protocol=acne_protocol
    )
    token = token_issue(user=front_desk_user)[1]

    for _ in range(2):
        celery_processes.worker(concurrency=2, **NO_QUIET_HOURS)
        celery_processes.beat()
    env = {**celery_processes.env}
    env.pop("DEBUG", None)  # production settings, as deploy/ runs them
    servers = start_web_servers(env, celery_processes.var_dir.parent, 2)
    try:

        def book(n: int) -> int:
            course = courses[n]
            base = servers[n % 2][1]  # alternate servers: contenders meet across processes
            first = slots[n % len(slots)]
            body = {
                "sessions": [
                    {"starts_at": first.isoformat(), "room": clinic.rooms[0].pk},
                    {
                        "starts_at": (first + dt.timedelta(days=28)).isoformat(),
                        "room": clinic.rooms[0].pk,
                    },
                ]
            }
            return requests.post(
                f"{base}/api/courses/{course.public_id}/book/",
                json=body,
                headers={"Authorization": f"Token {token}"},
                timeout=30,
            ).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(book, range(len(courses))))
    finally:
        for process, _ in servers:
            stop(process)

    # Each slot (and its session 28 days later) went to exactly one of its contenders.
    assert statuses.count(201) == len(slots), statuses
    assert statuses.count(409) == len(courses) - len(slots), statuses
    assert Session.objects.filter(status=Session.Status.BOOKED).count() == 2 * len(slots)
    assert overlapping_active_sessions("practitioner_id") == []
    assert overlapping_active_sessions("room_id") == []

    # The bookings' messages: a confirmation each, and each session's check and reminders,
    # made due now; the workers were sending the backlog meanwhile.
    make_due()
    wait_until(
        lambda: not Message.objects.filter(status__in=[Status.PENDING, Status.SENDING]).exists(),
        timeout=40,
        message=celery_processes.logs(),
    )
    time.sleep(2)  # two more sweeps by each beat: nothing goes out twice
    sent = Message.objects.filter(status=Status.SENT)
    booked = sent.filter(session__status=Session.Status.BOOKED)
    assert booked.count() == len(slots) * (1 + 2 * 3), list(booked.values_list("kind", flat=True))
    assert sent.count() > len(slots) * 7  # the backlog's messages went out too
    emails = delivered_emails(celery_processes.mail_dir)
    assert set(emails.values()) == {1}, emails
    assert set(emails) == {str(m.public_id) for m in sent.filter(channel="email")}
    texts = delivered_sms(celery_processes.sms_dir)
    assert set(texts) == set(sent.filter(channel="sms").values_list("provider_id", flat=True))
    assert set(Message.objects.values_list("attempts", flat=True)) <= {0, 1}
