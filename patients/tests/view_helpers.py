"""What the patient page tests share: a new patient's form, URLs, the intake form's POST and
the visible text of a page."""

import re

from django.urls import reverse

from patients import services, vocabulary
from patients.tests.helpers import clear_answers

NEW_PATIENT = {
    "first_name": "Alice",
    "last_name": "Morgan",
    "date_of_birth": "1988-04-12",
    "email": "alice@example.com",
    "phone": "07400 123456",
    "preferred_channel": "sms",
    "sms_consent": "on",
}


def url(name, patient=None, **kwargs):
    if patient is not None:
        kwargs["public_id"] = patient.public_id
    return reverse(f"patients:{name}", kwargs=kwargs or None)


def archive_url(patient):
    """The archive page: scheduling's, because it cancels the sessions still to come."""
    return reverse("treatments:patient_archive", kwargs={"public_id": patient.public_id})


def form_data(answers, areas=("cheeks",)):
    """The intake page's POST for a full answers dict, as a receptionist would tick it."""
    data = {"areas": list(areas)}
    for key, value in answers.items():
        kind = vocabulary.QUESTIONS[key].kind
        if kind == "bool":
            data[key] = "yes" if value else "no"
        elif kind == "int":
            data[key] = "no" if value is None else "yes"
            data[f"{key}__days"] = "" if value is None else str(value)
        elif kind == "date":
            data[key] = value.isoformat() if value else ""
        else:
            data[key] = value
    return data


def screen(patient, by, **answers):
    """An intake and its screening, through the service (never a bare save)."""
    return services.intake_submit(
        patient=patient, answers=clear_answers(**answers), areas=["cheeks"], by=by
    ).screening


def text(response) -> str:
    """The page's visible words, whitespace collapsed (for phrases that span markup)."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
