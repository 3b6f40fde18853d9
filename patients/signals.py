"""Signals other apps listen to; `patients` never imports them (dependencies point one way)."""

from django.dispatch import Signal

# Sent inside the transaction that withdraws a patient's consent to a channel
# ("email" or "sms"), with `patient` and `channel`.
contact_consent_withdrawn = Signal()
