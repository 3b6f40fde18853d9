from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "treatments"
    verbose_name = "Treatments"

    def ready(self) -> None:
        # The higher packages listen to the lower ones (DESIGN.md §3): connect them once.
        from .messaging import receivers as messaging_receivers

        messaging_receivers.connect()
