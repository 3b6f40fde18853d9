"""What scheduling announces; `treatments.messaging` (and anything above it) listens.

Each is sent inside the transaction of the change, so a listener's writes (the outbox rows)
commit or roll back with it. Scheduling never imports its listeners (import-linter checks).
"""

from django.dispatch import Signal

# `sessions`: the sessions of a series just booked, in order.
sessions_booked = Signal()
# `session`: moved to a new time (its `starts_at` is the new one).
session_rescheduled = Signal()
# `session`: cancelled by staff.
session_cancelled = Signal()
# `session`: the patient did not attend.
session_no_show = Signal()
# `session` and `course_completed`: charted and completed; `course_completed` when it was the
# course's last active session.
session_completed = Signal()
