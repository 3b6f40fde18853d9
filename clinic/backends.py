"""The authentication backend of password logins and sessions.

Django's `ModelBackend` checks the password; this one also reads a logged-in session's
account with its role groups in one query (`tokens.account_with_roles`), where the ORM
takes two (the account, then its groups on the first role check): every staff page pays it.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from .tokens import account_with_roles

# The dotted path stored in a session at login (`login(request, user, backend=PATH)`).
PATH = "clinic.backends.AccountBackend"


class AccountBackend(ModelBackend):
    def get_user(self, user_id):
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        user = account_with_roles(pk)
        return user if user is not None and self.user_can_authenticate(user) else None
