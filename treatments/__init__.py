"""What is planned, done and sent, as packages of one Django app.

- `scheduling`: protocols, practitioners, hours, time off, rooms, devices, courses, sessions,
  charting, the planner, the calendar and `.ics`.
- `resources`: the manager's Clinic setup of those resources and protocol versions, moving
  the booked sessions a change would strand.
- `messaging`: the outbox cadence, rendering, sending, SMS backends, tasks and the message log.
- `portal`: invitations, aftercare, check-ins, the pre-session check, change requests,
  preferences, and the staff pages that act on them.

Dependencies point one way (`scheduling` ← `resources` ← `messaging` ← `portal`), checked by
import-linter; a lower package announces what happened with a signal and a higher one listens.
"""
