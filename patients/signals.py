"""Signals other apps listen to; `patients` never imports them (dependencies point one way)."""

from django.dispatch import Signal

# Sent inside the transaction that withdraws a patient's consent to a channel
# ("email" or "sms"), with `patient` and `channel`.
contact_consent_withdrawn = Signal()

# Sent inside the transaction that archives `patient`, before the record closes. A listener
# that knows of something still booked for the patient refuses by raising a ServiceError
# (scheduling: sessions still to come), so nothing is archived.
patient_archiving = Signal()
