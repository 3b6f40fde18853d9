"""What the clinic sends: the outbox cadence, one renderer, e-mail and SMS sending, the worker's
tasks and the message log."""
