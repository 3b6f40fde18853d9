from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "treatments"
    verbose_name = "Treatments"

    def ready(self) -> None:
        # The higher packages listen to the lower ones (DESIGN.md §3): connect them once.
        from .exchange import panels as exchange_panels
        from .messaging import panels as messaging_panels
        from .messaging import receivers as messaging_receivers
        from .portal import panels as portal_panels
        from .portal import receivers as portal_receivers
        from .resources import receivers as resources_receivers
        from .scheduling import archive as scheduling_archive
        from .scheduling import panels as scheduling_panels
        from .waitlist import panels as waitlist_panels
        from .waitlist import receivers as waitlist_receivers

        messaging_receivers.connect()
        portal_receivers.connect()
        scheduling_archive.connect()
        resources_receivers.connect()
        scheduling_panels.connect()
        messaging_panels.connect()
        portal_panels.connect()
        exchange_panels.connect()
        waitlist_receivers.connect()
        waitlist_panels.connect()
