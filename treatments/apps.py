from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "treatments"
    verbose_name = "Treatments"

    def ready(self) -> None:
        from patients.signals import contact_consent_withdrawn

        from . import outbox

        def stop_channel(sender, *, patient, channel, **kwargs):
            outbox.on_consent_withdrawn(patient, channel)

        # weak=False: a function defined here has no other reference and would be collected.
        contact_consent_withdrawn.connect(
            stop_channel, dispatch_uid="outbox-consent-withdrawn", weak=False
        )
