from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        from clinic import audit_log

        from . import checks  # noqa: F401 - registers the system checks
        from . import panels as patient_panels
        from . import selectors as patient_selectors

        # The audit log page names patients and finds them (clinic cannot import patients).
        audit_log.register_patients(
            by_id=patient_selectors.patients_by_public_id,
            search=patient_selectors.audit_search,
        )
        patient_panels.connect()
