"""The outbox with its real parts: Celery worker and beat processes on Redis and PostgreSQL.

Each message must reach the patient once: these tests count what the file backends wrote
(CLINIC_VAR_DIR of the worker) against the rows marked sent. Dates are booked in the real
future (the worker runs on the real clock) and made due by moving `due_at` into the past.
"""

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from treatments.messaging import tasks
from treatments.messaging.models import Message

from .helpers import (
    LONDON,
    book,
    bulk_due_messages,
    complete,
    delivered_emails,
    delivered_sms,
    make_due,
    next_monday,
    wait_until,
)

pytestmark = [pytest.mark.worker, pytest.mark.slow]
Kind = Message.Kind
Status = Message.Status
NO_QUIET_HOURS = {"SMS_QUIET_HOURS": "00:00,00:00"}  # the worker runs at any real hour


@pytest.fixture(autouse=True)
def no_quiet_hours(settings):
    settings.SMS_QUIET_HOURS = ("00:00", "00:00")


@pytest.fixture
def two_courses(clinic, front_desk_user, practitioner_user, acne_protocol):
    """Two patients (e-mail and SMS), two sessions each, booked 10 days before the first."""
    monday = next_monday(timezone.now() + dt.timedelta(days=30))

    def starts(hour):
        first = dt.datetime.combine(monday, dt.time(hour), tzinfo=LONDON)
        return [first, dt.datetime.combine(monday + dt.timedelta(days=28), dt.time(hour),
                                           tzinfo=LONDON)]  # fmt: skip

    booked_at = dt.datetime.combine(monday - dt.timedelta(days=10), dt.time(8), tzinfo=LONDON)
    courses = {}
    for channel, hour in (("email", 10), ("sms", 13)):
        courses[channel] = book(
            clinic,
            by=front_desk_user,
            practitioner_user=practitioner_user,
            protocol=acne_protocol,
            starts=starts(hour),
            booked_at=booked_at,
            preferred_channel=channel,
        )
    return courses


def complete_first_sessions(courses, front_desk_user, practitioner_user):
    for sessions in courses.values():
        first = sessions[0]
        complete(first, by=front_desk_user, practitioner_user=practitioner_user,
                 when=first.starts_at + dt.timedelta(minutes=5))  # fmt: skip


def assert_each_sent_message_delivered_once(processes):
    sent = Message.objects.filter(status=Status.SENT)
    emails = delivered_emails(processes.mail_dir)
    assert set(emails.values()) <= {1}, emails
    assert set(emails) == {str(m.public_id) for m in sent.filter(channel="email")}
    texts = delivered_sms(processes.sms_dir)
    assert set(texts) == {m.provider_id for m in sent.filter(channel="sms")}
    return len(emails), len(texts)


def sent_count() -> int:
    return Message.objects.filter(status=Status.SENT).count()


def test_worker_and_beat_send_each_booked_and_aftercare_message_once(
    celery_processes, two_courses, front_desk_user, practitioner_user
):
    # 2 patients × (confirmation + 2 sessions × (check + 2 reminders))
    assert make_due() == 14
    celery_processes.worker(**NO_QUIET_HOURS)
    celery_processes.beat()
    wait_until(lambda: sent_count() == 14, timeout=45, message=celery_processes.logs())
    assert assert_each_sent_message_delivered_once(celery_processes) == (7, 7)

    complete_first_sessions(two_courses, front_desk_user, practitioner_user)
    # each: aftercare + check-ins at 24 h, 72 h, 7 days (no reviews: a session is left)
    assert make_due() == 8
    wait_until(lambda: sent_count() == 22, timeout=45, message=celery_processes.logs())
    time.sleep(2)  # two more sweeps: nothing goes out twice
    assert Message.objects.exclude(status=Status.SENT).count() == 0
    assert assert_each_sent_message_delivered_once(celery_processes) == (11, 11)
    by_kind = sorted(Message.objects.filter(channel="sms").values_list("kind", flat=True))
    assert by_kind == sorted(
        [Kind.BOOKING_CONFIRMATION]
        + [Kind.PRE_SESSION_CHECK, Kind.REMINDER_48H, Kind.REMINDER_24H] * 2
        + [Kind.AFTERCARE, Kind.CHECKIN_24H, Kind.CHECKIN_72H, Kind.CHECKIN_7D]
    )


def test_booking_and_completing_succeed_while_redis_is_down_and_nothing_is_lost(
    celery_processes,
    private_redis,
    clinic,
    front_desk_user,
    practitioner_user,
    acne_protocol,
):
    celery_processes.use_broker(private_redis.url)
    env = {**NO_QUIET_HOURS, "MESSAGE_LEASE_SECONDS": "10"}
    celery_processes.worker(**env)
    celery_processes.beat(**env)
    private_redis.stop()

    monday = next_monday(timezone.now() + dt.timedelta(days=30))
    first = dt.datetime.combine(monday, dt.time(10), tzinfo=LONDON)
    sessions = book(
        clinic,
        by=front_desk_user,
        practitioner_user=practitioner_user,
        protocol=acne_protocol,
        starts=[first, first + dt.timedelta(days=28)],
        booked_at=first - dt.timedelta(days=10),
        preferred_channel="sms",
    )
    complete(sessions[0], by=front_desk_user, practitioner_user=practitioner_user,
             when=first + dt.timedelta(minutes=5))  # fmt: skip
    # 1 + 3 + 3 before; session 1's check and reminders were never sent: they are now
    # too late and will be skipped; aftercare and 3 check-ins.
    assert make_due() == 11

    started = time.monotonic()
    claimed = tasks.sweep()  # its after-commit publish fails: no error, nothing lost
    assert len(claimed) == 11 and time.monotonic() - started < 10
    assert not Message.objects.filter(enqueued_at__isnull=False).exists()

    private_redis.start()
    wait_until(
        lambda: not Message.objects.filter(status__in=[Status.PENDING, Status.SENDING]).exists(),
        timeout=60,
        message=celery_processes.logs(),
    )
    statuses = dict(Message.objects.values_list("kind", "status").filter(session=sessions[0]))
    assert statuses[Kind.AFTERCARE] == Status.SENT
    assert statuses[Kind.REMINDER_24H] == Status.SKIPPED
    assert sent_count() == 8
    time.sleep(2)
    assert assert_each_sent_message_delivered_once(celery_processes) == (0, 8)


def test_a_worker_killed_while_sending_is_recovered_with_at_most_one_send_per_kill(
    celery_processes, two_courses, settings, tmp_path
):
    """The worst moment: the provider has the SMS, the worker dies before recording it.

    Bound: sends of one message <= kills + 1. Each kill can lose the record of one send that
    did happen; the lease (3 s here) then hands the message to the next worker.
    """
    settings.MESSAGE_LEASE_SECONDS = 3
    target = Message.objects.get(
        channel="sms", kind=Kind.BOOKING_CONFIRMATION
    )  # the only message made due
    make_due(Message.objects.filter(pk=target.pk))
    markers = tmp_path / "markers"
    slow = {
        **NO_QUIET_HOURS,
        "MESSAGE_LEASE_SECONDS": "3",
        "SMS_BACKEND": "treatments.messaging.tests.slow_sms.SlowSmsBackend",
        "SLOW_SMS_MARKERS": str(markers),
        "SLOW_SMS_SECONDS": "60",
    }
    kills = 0
    for _ in range(2):
        worker = celery_processes.worker(**slow)
        assert tasks.sweep() == [target.pk]  # after the lease: recovered and claimed again
        wait_until(lambda k=kills: markers.exists() and len(list(markers.iterdir())) > k,
                   timeout=30, message=celery_processes.logs())  # fmt: skip
        celery_processes.kill(worker)
        kills += 1
        target.refresh_from_db()
        assert (target.status, target.attempts) == (Status.SENDING, kills)
        time.sleep(settings.MESSAGE_LEASE_SECONDS + 0.5)

    celery_processes.worker(**{**slow, "SLOW_SMS_SECONDS": "0"})
    assert tasks.sweep() == [target.pk]
    wait_until(
        lambda: Message.objects.filter(pk=target.pk, status=Status.SENT).exists(),
        timeout=30,
        message=celery_processes.logs(),
    )
    target.refresh_from_db()
    sends = len(delivered_sms(celery_processes.sms_dir))
    assert target.attempts == kills + 1
    assert sends == kills + 1  # the bound, reached: each killed attempt had been delivered
    assert target.provider_id in delivered_sms(celery_processes.sms_dir)


def test_two_sweeps_at_the_same_moment_claim_disjoint_sets(
    celery_processes, clinic, front_desk_user, acne_protocol
):
    """Two sweeps in two threads, each with its own connection: the first holds its claim
    uncommitted while the second runs, which must skip the locked rows, not wait for them."""
    from patients.tests.factories import PatientFactory

    bulk_due_messages(
        50, clinic=clinic, patient=PatientFactory(), by=front_desk_user, protocol=acne_protocol
    )
    claimed: dict[str, list[int]] = {}
    first_claimed = threading.Event()
    second_done = threading.Event()
    errors: list[BaseException] = []

    def first():
        try:
            with transaction.atomic():
                claimed["first"] = tasks.sweep(batch_size=30)
                first_claimed.set()
                assert second_done.wait(timeout=20), "the second sweep waited for our locks"
        except BaseException as exc:
            errors.append(exc)
            first_claimed.set()
        finally:
            connection.close()

    def second():
        try:
            assert first_claimed.wait(timeout=20)
            claimed["second"] = tasks.sweep(batch_size=30)
        except BaseException as exc:
            errors.append(exc)
        finally:
            second_done.set()
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert len(claimed["first"]) == 30 and len(claimed["second"]) == 20
    assert not set(claimed["first"]) & set(claimed["second"])
    assert Message.objects.filter(enqueued_at__isnull=False).count() == 50


def test_a_batch_task_delivered_three_times_sends_each_message_once(
    celery_processes, two_courses, tmp_path
):
    """A broker may deliver a task more than once (a lost ack, a visibility timeout): three
    copies of one batch, run by two worker processes at once while each SMS takes a moment,
    still send each of its messages once, because each message is claimed on its own."""
    assert make_due() == 14
    celery_processes.worker(
        concurrency=2,
        **NO_QUIET_HOURS,
        SMS_BACKEND="treatments.messaging.tests.slow_sms.SlowSmsBackend",
        SLOW_SMS_MARKERS=str(tmp_path / "markers"),
        SLOW_SMS_SECONDS="0.2",
    )
    claimed = tasks.sweep()  # publishes the batch once, after its commit
    assert len(claimed) == 14
    for _ in range(2):  # and the broker delivers it twice more
        tasks.send_messages.apply_async((claimed,))
    wait_until(lambda: sent_count() == 14, timeout=45, message=celery_processes.logs())
    time.sleep(2)  # the copies still running find nothing left to claim
    assert assert_each_sent_message_delivered_once(celery_processes) == (7, 7)
    assert set(Message.objects.values_list("attempts", flat=True)) == {1}
