"""What staff accounts announce, sent inside the service's transaction. The clinic layer
sends no message itself: `treatments.messaging` listens and writes the outbox row in the
same transaction (DESIGN.md §3)."""

from django.dispatch import Signal

# A StaffInvite was written and its link must go out: `invite=` (a clinic.StaffInvite).
staff_invited = Signal()
