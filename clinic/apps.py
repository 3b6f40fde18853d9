from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self) -> None:
        from .permissions import grant_manager_permissions

        post_migrate.connect(grant_manager_permissions, dispatch_uid="clinic-manager-perms")
