"""Each row of the file checked as registration checks a patient, before anything is written.

A row's cells are turned into what the registration form takes (`patients.forms.PatientForm`,
the same validation and messages as registering one patient by hand), then matched by
registration's duplicate rule (`patients.services.duplicate_keys`) against earlier rows of the
same file. Matching against the patients already registered needs the database: the caller
passes those matches in (`services.find_duplicates_many`, one query for all the rows).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from patients import services
from patients.forms import PatientForm
from patients.models import Patient

from .csvfile import Table, column_label
from .models import PatientImportRow

Outcome = PatientImportRow.Outcome
PROGRESS_EVERY = 500  # rows checked between two moves of the progress bar


@dataclass(frozen=True)
class Target:
    name: str  # the patient's field
    label: str  # as the page names it
    required: bool
    guesses: tuple[str, ...]  # header names that mean this field, lower case, no punctuation
    hint: str = ""


TARGETS = (
    Target("first_name", "First name", True,
           ("first name", "firstname", "forename", "forenames", "given name", "first")),
    Target("last_name", "Last name", True,
           ("last name", "lastname", "surname", "family name", "last")),
    Target("date_of_birth", "Date of birth", True,
           ("date of birth", "dob", "birth date", "birthdate", "born", "birthday"),
           "Day first (14/03/1985) or year first (1985-03-14)."),
    Target("email", "E-mail address", False, ("email", "e mail", "email address", "mail")),
    Target("phone", "Mobile phone", False,
           ("phone", "mobile", "mobile phone", "telephone", "tel", "phone number", "cell")),
    Target("preferred_channel", "Preferred contact", False,
           ("preferred channel", "preferred contact", "contact by", "channel", "contact"),
           "“E-mail” or “SMS”. Empty: e-mail when there is an address, else SMS."),
    Target("email_consent", "Agrees to e-mail messages", False,
           ("email consent", "e mail consent", "consent email", "email ok"),
           "Yes or no. Not in the file: no."),
    Target("sms_consent", "Agrees to SMS messages", False,
           ("sms consent", "text consent", "consent sms", "sms ok"),
           "Yes or no. Not in the file: no."),
    Target("fitzpatrick", "Skin type (Fitzpatrick)", False,
           ("fitzpatrick", "skin type", "fitzpatrick type"), "I to VI (or 1 to 6); may be empty."),
)  # fmt: skip
TARGETS_BY_NAME = {t.name: t for t in TARGETS}
REQUIRED = tuple(t.name for t in TARGETS if t.required)

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d")
YES = {"yes", "y", "true", "1", "x", "on", "agreed", "ja", "oui"}
NO = {"no", "n", "false", "0", "off", ""}
CHANNELS = {
    "email": Patient.Channel.EMAIL, "e-mail": Patient.Channel.EMAIL, "mail": Patient.Channel.EMAIL,
    "sms": Patient.Channel.SMS, "text": Patient.Channel.SMS, "mobile": Patient.Channel.SMS,
    "phone": Patient.Channel.SMS,
}  # fmt: skip
ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV", "5": "V", "6": "VI"}
_MIDNIGHT = re.compile(r"\s+0?0:00(:00)?$")  # "14/03/1985 00:00", as Excel writes a date


def _simple(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", header.lower()).strip()


def guess_mapping(headers: list[str]) -> dict[str, int]:
    """The columns whose header names a field (`First name`, `Surname`, `DOB`, ...)."""
    found: dict[str, int] = {}
    simple = [_simple(h) for h in headers]
    for target in TARGETS:
        for index, name in enumerate(simple):
            if name in target.guesses and index not in found.values():
                found[target.name] = index
                break
    return found


# --- One row -----------------------------------------------------------------------------------


def _date(text: str) -> str:
    """A date in any of DATE_FORMATS as the form's ISO date; anything else unchanged (the
    form then says it is not a date)."""
    text = _MIDNIGHT.sub("", text.strip())
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date().isoformat()  # noqa: DTZ007 - a date
        except ValueError:
            continue
    return text


@dataclass
class Checked:
    """One row after the checks that need no database."""

    number: int
    name: str = ""  # as the file gives it, for the dry run's table
    born: str = ""
    data: dict[str, Any] | None = None  # the cleaned details, when the row is valid
    reasons: list[str] = field(default_factory=list)
    keys: tuple[tuple, ...] = ()
    same_as_row: int | None = None  # an earlier row of the file with a key in common

    @property
    def valid(self) -> bool:
        return self.data is not None


def check_row(
    number: int,
    cells: list[str],
    mapping: dict[str, int],
    headers: list[str],
    form: PatientForm | None = None,
) -> Checked:
    """A row's cells through the registration form's checks: the cleaned details, or every
    field that is wrong with the reason, named as the page names it and by its column."""

    def cell(name: str) -> str:
        index = mapping.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    def where(name: str) -> str:
        label = TARGETS_BY_NAME[name].label if name in TARGETS_BY_NAME else name
        if name in mapping:
            return f"{label} (column “{column_label(headers, mapping[name])}”)"
        return label

    checked = Checked(
        number=number,
        name=" ".join(part for part in (cell("first_name"), cell("last_name")) if part),
        born=cell("date_of_birth"),
    )
    reasons: list[str] = []
    form_data: dict[str, Any] = {
        "first_name": cell("first_name"),
        "last_name": cell("last_name"),
        "date_of_birth": _date(cell("date_of_birth")),
        "email": cell("email"),
        "phone": cell("phone"),
    }
    for name in ("email_consent", "sms_consent"):
        answer = cell(name).lower()
        if answer in YES:
            form_data[name] = "on"
        elif answer not in NO:
            reasons.append(f"{where(name)}: write yes or no.")
    channel = cell("preferred_channel").lower()
    if not channel:
        has_email = bool(form_data["email"]) or not form_data["phone"]
        form_data["preferred_channel"] = Patient.Channel.EMAIL if has_email else "sms"
    elif channel in CHANNELS:
        form_data["preferred_channel"] = CHANNELS[channel]
    else:
        reasons.append(f"{where('preferred_channel')}: write “E-mail” or “SMS”.")
        form_data["preferred_channel"] = Patient.Channel.EMAIL
    skin = cell("fitzpatrick").upper()
    form_data["fitzpatrick"] = ROMAN.get(skin, skin)
    form = form or PatientForm()
    form.data, form.is_bound, form._errors = form_data, True, None  # a fresh round of checks
    data = None
    if form.is_valid():
        data = form.details
    else:
        for name, messages in form.errors.items():
            for message in messages:
                reasons.append(f"{where(name)}: {message}" if name != "__all__" else message)
    if reasons:
        checked.reasons = reasons
        return checked
    checked.data = data
    checked.keys = services.duplicate_keys(**{k: data[k] for k in services.DUPLICATE_FIELDS})
    return checked


def to_json(checked: Checked) -> list:
    """A checked row as the job keeps it between the dry run and the import."""
    data = None
    if checked.data is not None:
        data = {**checked.data, "date_of_birth": checked.data["date_of_birth"].isoformat()}
    return [checked.number, data, checked.reasons, checked.same_as_row]


def from_json(entry: list) -> Checked:
    number, data, reasons, same_as_row = entry
    checked = Checked(number=number, reasons=reasons, same_as_row=same_as_row)
    if data is not None:
        checked.data = {**data, "date_of_birth": date.fromisoformat(data["date_of_birth"])}
        checked.keys = services.duplicate_keys(
            **{k: checked.data[k] for k in services.DUPLICATE_FIELDS}
        )
    return checked


def check_rows(
    table: Table, mapping: dict[str, int], progress: Callable[[int], None] | None = None
) -> list[Checked]:
    """Every row checked, and each valid row matched against the earlier valid rows of the
    same file by registration's duplicate rule (a row repeated three times points at the first)."""
    first_with: dict[tuple, int] = {}
    checked_rows = []
    form = PatientForm()  # one form checks every row: making one per row cost more than its checks
    for number, cells in table.rows:
        checked = check_row(number, cells, mapping, table.headers, form)
        for key in checked.keys:
            if checked.same_as_row is None and key in first_with:
                checked.same_as_row = first_with[key]
        for key in checked.keys:
            first_with.setdefault(key, number)
        checked_rows.append(checked)
        if progress is not None and len(checked_rows) % PROGRESS_EVERY == 0:
            progress(len(checked_rows))
    return checked_rows


# --- With the patients already registered ------------------------------------------------------


@dataclass
class Result:
    """What a row will do (the dry run) or did (the import)."""

    checked: Checked
    outcome: str
    existing: Patient | None = None  # the registered patient it duplicates

    @property
    def number(self) -> int:
        return self.checked.number

    @property
    def outcome_label(self) -> str:
        if self.outcome == Outcome.CREATED:
            return "New patient"
        return Outcome(self.outcome).label

    @property
    def reasons(self) -> list[str]:
        if self.outcome == Outcome.DUPLICATE_IN_FILE:
            return [f"The same person as row {self.checked.same_as_row} of this file."]
        if self.outcome == Outcome.DUPLICATE and self.existing is not None:
            theirs = services.duplicate_keys(
                **{k: getattr(self.existing, k) for k in services.DUPLICATE_FIELDS}
            )
            shared = {key[0] for key in theirs if key in self.checked.keys}
            if shared == {"email"}:
                return ["The same e-mail address as a registered patient."]
            if shared == {"name"}:
                return ["The same name and date of birth as a registered patient."]
            return ["The same name, date of birth and e-mail as a registered patient."]
        return self.checked.reasons


def decide(checked: list[Checked], existing: list[list[Patient]]) -> list[Result]:
    """Each row's outcome: refused when invalid; a duplicate of a registered patient (the
    first, in the patient list's order) before a repeat of an earlier row; else new.
    `existing` holds the registered matches of each valid row, in order."""
    matches = iter(existing)
    results = []
    for row in checked:
        if not row.valid:
            results.append(Result(row, Outcome.INVALID))
            continue
        found = next(matches)
        if found:
            results.append(Result(row, Outcome.DUPLICATE, existing=found[0]))
        elif row.same_as_row is not None:
            results.append(Result(row, Outcome.DUPLICATE_IN_FILE))
        else:
            results.append(Result(row, Outcome.CREATED))
    return results
