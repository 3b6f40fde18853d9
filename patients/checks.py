"""Start-up checks: a misspelt screening policy must fail loudly, never fall back silently."""

from django.conf import settings
from django.core.checks import Error, register

from .screening import Policy


@register()
def screening_policy_check(app_configs, **kwargs):
    try:
        Policy.from_mapping(settings.SCREENING_POLICY)
    except (TypeError, ValueError) as exc:
        return [Error(f"SCREENING_POLICY is invalid: {exc}", id="patients.E001")]
    return []
