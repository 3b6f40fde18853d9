from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_migrate, post_save


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic"

    def ready(self) -> None:
        from . import login_limits, middleware, tokens
        from .models import User
        from .permissions import grant_manager_permissions

        post_migrate.connect(grant_manager_permissions, dispatch_uid="clinic-manager-perms")
        user_login_failed.connect(login_limits.record_failure, dispatch_uid="clinic-login-failed")
        user_logged_in.connect(login_limits.record_success, dispatch_uid="clinic-logged-in")
        user_logged_in.connect(middleware.stamp_new_session, dispatch_uid="clinic-session-stamp")
        post_save.connect(tokens.on_user_saved, sender=User, dispatch_uid="clinic-user-tokens")
