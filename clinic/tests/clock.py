"""Times for tests that run on the real clock (browser tests against a live server)."""

import datetime as dt

from clinic.clock import localize, to_local


def later_today(now: dt.datetime) -> dt.datetime:
    """Half an hour from `now`, or, that close to midnight, a minute before it: a start on
    today's date on the clinic's clock, whenever the test runs."""
    tomorrow = to_local(now).date() + dt.timedelta(days=1)
    midnight = localize(dt.datetime.combine(tomorrow, dt.time()))  # noqa: DTZ001 - wall clock
    return min(now + dt.timedelta(minutes=30), midnight - dt.timedelta(minutes=1))
