"""The models of the `treatments` app, which live in its three packages; Django and the
migrations find them here."""

from treatments.messaging.models import *  # noqa: F403
from treatments.portal.models import *  # noqa: F403
from treatments.portal.models import check_in_photo_path  # noqa: F401  (migrations)
from treatments.scheduling.models import *  # noqa: F403
from treatments.scheduling.models import new_calendar_token  # noqa: F401  (migrations)
from treatments.waitlist.models import *  # noqa: F403
