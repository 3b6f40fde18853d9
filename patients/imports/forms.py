"""Forms of the import pages: the upload, the column mapping, and the buttons."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadhandler import MemoryFileUploadHandler

from clinic.forms import ClinicForm

from .csvfile import column_label
from .rows import TARGETS

NOT_IN_FILE = "Not in this file"
# What a multipart body adds around the file itself (boundaries, the CSRF token's field).
UPLOAD_OVERHEAD = 64 * 1024


class InMemoryUpload(MemoryFileUploadHandler):
    """The upload stays in memory up to the import's limit, never in a temporary file on disk
    (it holds patient data); a larger body is not read into a file at all, and the form says
    the file is too large."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):  # noqa: N803
        self.activated = content_length <= settings.PATIENT_IMPORT_MAX_BYTES + UPLOAD_OVERHEAD


class UploadForm(ClinicForm):
    file = forms.FileField(
        label="The file from your previous system (CSV)",
        help_text="Save the spreadsheet as “CSV UTF-8” or “CSV”; commas or semicolons both "
        "work. The first row must name the columns. One patient per row.",
        error_messages={
            "required": "Choose the CSV file to upload.",
            "empty": "This file is empty.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class MappingForm(ClinicForm):
    """For each of the patient's details, the file's column that holds it."""

    def __init__(self, *args, headers: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        columns = [(str(i), column_label(headers, i)) for i in range(len(headers))]
        for target in TARGETS:
            choices = [("", "Choose a column" if target.required else NOT_IN_FILE)] + columns
            self.fields[target.name] = forms.ChoiceField(
                label=target.label + ("" if target.required else " (optional)"),
                choices=choices,
                required=target.required,
                help_text=target.hint,
                error_messages={"required": "Choose the column that holds this."},
            )


class ButtonForm(ClinicForm):
    """A button that only posts (start the import, cancel it)."""
