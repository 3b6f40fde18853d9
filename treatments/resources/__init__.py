"""The clinic's setup, kept by its manager: who works when, rooms, devices and protocol
versions, changed without stranding a booked session.

A layer of its own right above `scheduling` (import-linter): it changes scheduling's rows and
moves stranded sessions through scheduling's own reschedule service, and nothing below it
knows it exists, so the booking core stays as it was.
"""
