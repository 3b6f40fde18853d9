"""`{% load panels %}{% for panel in panels %}{% render_panel panel %}{% endfor %}`: render a
section another app added to this page (`clinic.panels`). It only renders: the view collected
the data and wrote the audit rows."""

from django import template
from django.template.loader import render_to_string

register = template.Library()


@register.simple_tag(takes_context=True)
def render_panel(context, panel) -> str:
    return render_to_string(panel.template, panel.context, request=context.get("request"))
