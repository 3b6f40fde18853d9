"""The patient's side of the clinic: invitations, aftercare, check-ins and reaction reports, the
pre-session check, change requests, booking for yourself, preferences, and the staff pages that
act on them."""
