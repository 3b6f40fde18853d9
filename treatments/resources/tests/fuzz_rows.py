"""The Clinic setup forms and a practitioner's own hours in the form fuzz test
(`treatments/portal/tests/test_form_fuzz.py`, which walks every URL that takes a POST): what
they act on (`make`, called by its world, with no booked session on any of it, so that no post
strands one) and one row per form (`forms`, given that test's `Form` class and field kinds)."""

import datetime as dt
from zoneinfo import ZoneInfo

from clinic.models import Role, User
from clinic.tests.factories import UserFactory
from treatments.resources.forms import ProtocolForm
from treatments.scheduling.models import Device, Practitioner, Protocol, Room
from treatments.scheduling.tests.factories import DeviceFactory, PractitionerFactory, RoomFactory

LONDON = ZoneInfo("Europe/London")
SPARE = "Sam Spare"


def make() -> None:
    UserFactory(username="ada", role=Role.PRACTITIONER)  # an account to link
    spare = PractitionerFactory(display_name=SPARE)
    spare.working_hours.create(weekday=5, start=dt.time(9), end=dt.time(13))
    june = [dt.datetime(2026, 6, day, 9, tzinfo=LONDON) for day in (1, 2, 3)]
    spare.time_off.create(starts_at=june[0], ends_at=june[2])
    RoomFactory(name="Room C")
    device = DeviceFactory(name="Pen 9", serial="SN-SPARE")
    device.outages.create(starts_at=june[0], ends_at=june[1])
    # The practitioner's own Sunday, for "My working hours" (no session is ever on it).
    mine = Practitioner.objects.get(user__username="prac")
    mine.working_hours.create(weekday=6, start=dt.time(9), end=dt.time(13))


def _spare(w) -> dict:
    return {"id": Practitioner.objects.get(display_name=SPARE).pk}


def _hours(w) -> dict:
    return {"id": Practitioner.objects.get(display_name=SPARE).working_hours.get().pk}


def _time_off(w) -> dict:
    return {"id": Practitioner.objects.get(display_name=SPARE).time_off.get().pk}


def _my_sunday(w) -> dict:
    return {"id": Practitioner.objects.get(user__username="prac").working_hours.get(weekday=6).pk}


def _device(w) -> dict:
    return {"id": Device.objects.get(serial="SN-SPARE").pk}


def _outage(w) -> dict:
    return {"id": Device.objects.get(serial="SN-SPARE").outages.get().pk}


def _protocol(w) -> dict:
    return {"id": Protocol.objects.current().get(indication="texture").pk}


def _protocol_form(w) -> dict:
    protocol = Protocol.objects.current().get(indication="texture")
    return {k: v for k, v in ProtocolForm.initial_for(protocol).items() if v is not None}


def forms(Form, *, TEXT, VALUE, OPTIONAL, FLAG) -> list:  # noqa: N803 - the test's names
    window = {"starts_at": VALUE, "ends_at": VALUE, "reason": TEXT, "move_affected": FLAG}
    hours = {"weekday": VALUE, "start": VALUE, "end": VALUE}
    device = {"name": TEXT, "manufacturer": TEXT, "model": TEXT, "serial": TEXT,
              "regulatory_status": TEXT, "active": FLAG}  # fmt: skip
    device_base = {"name": "Pen 9", "model": "SkinPen", "serial": "SN-SPARE", "active": "on"}
    june = {"starts_at": "2026-06-01T09:00", "ends_at": "2026-06-04T09:00"}
    july = {"starts_at": "2026-07-01T09:00", "ends_at": "2026-07-02T09:00"}
    return [
        Form("treatments:setup_practitioner_new", "manager",
             {"user": VALUE, "display_name": TEXT, "active": FLAG},
             base=lambda w: {"user": User.objects.get(username="ada").pk,
                             "display_name": "Dr Ada"}),
        Form("treatments:setup_practitioner", "manager", {"display_name": TEXT, "active": FLAG},
             kwargs=_spare, base=lambda w: {"display_name": SPARE, "active": "on"}),
        Form("treatments:setup_hours_new", "manager", hours, kwargs=_spare,
             base=lambda w: {"weekday": "6", "start": "10:00", "end": "12:00"}),
        Form("treatments:setup_hours", "manager", {**hours, "move_affected": FLAG},
             kwargs=_hours, base=lambda w: {"weekday": "5", "start": "09:00", "end": "12:00"}),
        Form("treatments:setup_hours_remove", "manager", {"move_affected": FLAG}, kwargs=_hours),
        Form("treatments:setup_time_off_new", "manager", window, kwargs=_spare,
             base=lambda w: july),
        Form("treatments:setup_time_off", "manager", window, kwargs=_time_off,
             base=lambda w: june),
        Form("treatments:setup_time_off_remove", "manager", {}, kwargs=_time_off),
        Form("treatments:setup_room_new", "manager", {"name": TEXT, "active": FLAG},
             base=lambda w: {"name": "Room D", "active": "on"}),
        Form("treatments:setup_room", "manager",
             {"name": TEXT, "active": FLAG, "move_affected": FLAG},
             kwargs=lambda w: {"id": Room.objects.get(name="Room C").pk},
             base=lambda w: {"name": "Room C", "active": "on"}),
        Form("treatments:setup_device_new", "manager", device,
             base=lambda w: {**device_base, "serial": "SN-NEW"}),
        Form("treatments:setup_device", "manager", {**device, "move_affected": FLAG},
             kwargs=_device, base=lambda w: device_base),
        Form("treatments:setup_outage_new", "manager", window, kwargs=_device,
             base=lambda w: july),
        Form("treatments:setup_outage", "manager", window, kwargs=_outage, base=lambda w: june),
        Form("treatments:setup_outage_remove", "manager", {}, kwargs=_outage),
        Form("treatments:setup_protocol", "manager",
             {"name": TEXT, "default_sessions": VALUE, "session_minutes": VALUE, "notes": TEXT,
              "depth-cheeks-max": OPTIONAL},
             kwargs=_protocol, base=_protocol_form),
        Form("treatments:my_hours_new", "practitioner", hours,
             base=lambda w: {"weekday": "5", "start": "10:00", "end": "12:00"}),
        Form("treatments:my_hours_change", "practitioner", {**hours, "move_affected": FLAG},
             kwargs=_my_sunday, base=lambda w: {"weekday": "6", "start": "10:00", "end": "12:00"}),
        Form("treatments:my_hours_remove", "practitioner", {"move_affected": FLAG},
             kwargs=_my_sunday),
    ]  # fmt: skip
