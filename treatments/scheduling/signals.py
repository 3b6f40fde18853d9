"""What scheduling announces; `treatments.messaging` (and anything above it) listens.

Each is sent inside the transaction of the change, so a listener's writes (the outbox rows)
commit or roll back with it. Scheduling never imports its listeners (import-linter checks).
"""

from dataclasses import dataclass
from datetime import datetime

from django.dispatch import Signal


@dataclass(frozen=True)
class Span:
    """Where and when a session was: what a move leaves behind (`session_rescheduled`)."""

    starts_at: datetime
    ends_at: datetime
    room_id: int
    device_id: int | None
    practitioner_id: int


# `sessions`: the sessions of a series just booked, in order.
sessions_booked = Signal()
# `session` and `previous`: moved to a new time (its `starts_at` is the new one); `previous`
# (a `Span`) is where it was before the move, so the old time can be offered again. Sent once
# per moved session, the later ones a `shift_following` move takes along included.
session_rescheduled = Signal()
# `session`: cancelled by staff, alone (`cancel_initiated_by` says who asked).
session_cancelled = Signal()
# `session`: the patient did not attend.
session_no_show = Signal()
# `session` and `course_completed`: charted and completed; `course_completed` when the course
# is now completed (`repair.course_settle`: every planned session done or dropped).
session_completed = Signal()
# `sessions`: the sessions one move by staff changed, the one asked for first and then the
# later ones of its course moved with it; the patient is told once.
sessions_moved = Signal()
# `course` and `sessions`: a course cancelled as a whole, and the sessions it cancelled.
course_cancelled = Signal()
# `course` and `session` (its last completed one): a course completed by dropping its last
# open session rather than by completing one (completing one says so in `session_completed`).
course_completed = Signal()
