"""`{% portal_alerts %}`: the dashboard's tile of what patients reported through the portal."""

from django import template

from treatments.portal import services as portal

register = template.Library()


@register.inclusion_tag("portal/staff/_alerts.html", takes_context=True)
def portal_alerts(context) -> dict:
    """Counts only (no patient data on the dashboard); the staff page has the details."""
    user = context["request"].user
    return {"alerts": portal.staff_alerts(user), "user": user}
