"""The clinic's setup, kept by its manager: practitioners with their working hours and time off,
rooms, devices with their outages, and protocol versions; a change that would strand booked
sessions lists them and, when the manager confirms, moves each to its next free time.

It sits right above `scheduling` (import-linter layers): it changes scheduling's rows and moves
sessions through scheduling's own services, and nothing below it knows it exists.
"""
