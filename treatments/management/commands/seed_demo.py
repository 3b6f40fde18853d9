"""`python manage.py seed_demo`: demo staff, patients and reference data. Idempotent.

Running it twice changes nothing: every row is looked up by a natural key and created
only when missing. `--patients N` tops the demo patients up to N (for benchmarks).
"""

from __future__ import annotations

from datetime import date, time, timedelta

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from clinic.clock import clinic_today
from clinic.models import Role, User
from patients import selectors as patient_selectors
from patients import services as patient_services
from patients import vocabulary
from patients.models import Patient
from treatments.scheduling import services as treatment_services
from treatments.scheduling.models import Device, Practitioner, Protocol, Room, WorkingHours
from treatments.scheduling.protocols import seed_protocols

# username, password, role, first name, last name
DEMO_STAFF = [
    ("frontdesk", "frontdesk-demo-2026", Role.FRONT_DESK, "Fran", "Desk"),
    ("practitioner", "practitioner-demo-2026", Role.PRACTITIONER, "Priya", "Shah"),
    ("practitioner2", "practitioner-demo-2026", Role.PRACTITIONER, "Tom", "Okafor"),
    ("manager", "manager-demo-2026", Role.MANAGER, "Morgan", "Lee"),
]
DEMO_PATIENT_LOGIN = ("patient", "patient-demo-2026")

# practitioner username -> (weekdays, start, end)
DEMO_HOURS = {
    "practitioner": ((0, 1, 2, 3, 4), time(9, 0), time(17, 0)),
    "practitioner2": ((1, 2, 3, 4, 5), time(10, 0), time(18, 0)),
}

DEMO_PATIENTS = [
    ("Alice", "Morgan", date(1988, 4, 12), "alice.morgan@example.com", "+447400123101", "III"),
    ("Ben", "Carter", date(1979, 11, 3), "ben.carter@example.com", "+447400123102", "II"),
    ("Chloe", "Nguyen", date(1995, 7, 21), "chloe.nguyen@example.com", "+447400123103", "IV"),
    ("Dev", "Patel", date(1990, 1, 30), "dev.patel@example.com", "+447400123104", "V"),
    ("Emma", "Walsh", date(2001, 9, 9), "emma.walsh@example.com", "+447400123105", "I"),
]

FIRST = ["Amy", "Ben", "Cara", "Dan", "Eve", "Finn", "Gail", "Hugo", "Isla", "Jack", "Kara", "Liam"]
LAST = ["Adams", "Brown", "Clark", "Davis", "Evans", "Fox", "Green", "Hill", "Irwin", "Jones"]


class Command(BaseCommand):
    help = "Load demo staff, practitioners, rooms, devices, protocols and patients (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--patients", type=int, default=0, help="Top the demo patients up to this many."
        )

    @transaction.atomic
    def handle(self, *args, patients: int = 0, **options):
        created = seed_protocols(Protocol)
        users = {}
        for username, password, role, first, last in DEMO_STAFF:
            user, was_created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@clinic.example",
                    "is_staff": role == Role.MANAGER,  # the manager works in Django admin
                    "is_superuser": role == Role.MANAGER,
                },
            )
            if was_created:
                user.set_password(password)
                user.save(update_fields=["password"])
                user.groups.add(Group.objects.get(name=role))
                created += 1
            users[username] = user

        for username, (weekdays, start, end) in DEMO_HOURS.items():
            user = users[username]
            practitioner, was_created = Practitioner.objects.get_or_create(
                user=user, defaults={"display_name": user.get_full_name()}
            )
            created += was_created
            for weekday in weekdays:
                _, was_created = WorkingHours.objects.get_or_create(
                    practitioner=practitioner,
                    weekday=weekday,
                    start=start,
                    defaults={"end": end},
                )
                created += was_created

        for name in ("Room 1", "Room 2"):
            created += Room.objects.get_or_create(name=name)[1]
        for name, serial in (("Pen A", "SP-0001"), ("Pen B", "SP-0002")):
            created += Device.objects.get_or_create(
                serial=serial,
                defaults={
                    "name": name,
                    "manufacturer": "Crown Aesthetics",
                    "model": "SkinPen Precision",
                    "regulatory_status": "FDA De Novo DEN160029",
                },
            )[1]

        front_desk = users["frontdesk"]
        for first, last, born, email, phone, fitz in DEMO_PATIENTS:
            created += Patient.objects.get_or_create(
                email=email,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "date_of_birth": born,
                    "phone": phone,
                    "email_consent": True,
                    "sms_consent": True,
                    "fitzpatrick": fitz,
                    "created_by": front_desk,
                },
            )[1]

        created += self._portal_account()
        created += self._screen_demo_patients(front_desk)
        created += self._demo_course(users["practitioner"], front_desk)
        created += self._bulk_patients(patients, front_desk)
        self.stdout.write(f"Demo data ready ({created} rows created).")

    def _screen_demo_patients(self, front_desk: User) -> int:
        """Each named demo patient has a clear intake and a signed treatment consent."""
        created = 0
        for _, _, _, email, _, _ in DEMO_PATIENTS:
            patient = Patient.objects.get(email=email)
            if not patient.intakes.exists():
                patient_services.intake_submit(
                    patient=patient,
                    answers=vocabulary.negative_answers(),
                    areas=["cheeks", "forehead"],
                    by=front_desk,
                )
                created += 1
            if not patient_selectors.has_current_treatment_consent(patient):
                patient_services.consent_sign(
                    patient=patient,
                    kind="treatment",
                    signed_name=patient.full_name,
                    agreed=True,
                    by=front_desk,
                )
                created += 1
        return created

    def _demo_course(self, practitioner_user: User, front_desk: User) -> int:
        """Alice has a booked acne-scar course, so the calendar shows something."""
        alice = Patient.objects.get(email=DEMO_PATIENTS[0][3])
        if alice.courses.exists():
            return 0
        course = treatment_services.course_create(
            patient=alice,
            practitioner=practitioner_user.practitioner,
            protocol=Protocol.objects.current().get(indication="acne_scars"),
            areas=["cheeks"],
            sessions=None,
            interval_days=None,
            by=practitioner_user,
        )
        slots = treatment_services.course_proposal(
            course=course, start=clinic_today() + timedelta(days=2)
        )
        rooms = {room.pk: room for room in Room.objects.all()}
        treatment_services.course_book(
            course=course,
            slots=[
                treatment_services.SlotRequest(starts_at=s.starts_at, room=rooms[s.room_id])
                for s in slots
            ],
            by=front_desk,
        )
        return 1 + len(slots)

    def _portal_account(self) -> int:
        username, password = DEMO_PATIENT_LOGIN
        if User.objects.filter(username=username).exists():
            return 0
        user = User.objects.create_user(
            username=username, password=password, is_patient=True, first_name="Alice"
        )
        Patient.objects.filter(email=DEMO_PATIENTS[0][3]).update(portal_user=user)
        return 1

    def _bulk_patients(self, target: int, created_by: User) -> int:
        existing = Patient.objects.filter(email__startswith="demo.patient.").count()
        missing = max(0, target - existing)
        rows = []
        for n in range(existing, existing + missing):
            rows.append(
                Patient(
                    first_name=FIRST[n % len(FIRST)],
                    last_name=f"{LAST[(n // len(FIRST)) % len(LAST)]}{n}",
                    date_of_birth=date(1960 + n % 40, 1 + n % 12, 1 + n % 28),
                    email=f"demo.patient.{n}@example.com",
                    phone=f"+447400{n:06d}",
                    email_consent=True,
                    created_by=created_by,
                )
            )
        Patient.objects.bulk_create(rows, batch_size=1000)
        return missing
