"""What staff accounts announce, sent inside the service's transaction. The clinic layer
sends no message itself: `treatments.messaging` listens and writes the outbox row in the
same transaction (DESIGN.md §3)."""

from django.dispatch import Signal

# A StaffInvite was written and its link must go out: `invite=` (a clinic.StaffInvite).
staff_invited = Signal()

# An account's roles were set (at its invitation, or changed by a manager): `user=`, `roles=`
# (the role names it now has), `by=` and `request=`. `treatments.resources` links an account
# with the practitioner role as a practitioner, so it can be booked.
staff_roles_set = Signal()
