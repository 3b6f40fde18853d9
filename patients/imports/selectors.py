"""Reads of the import pages, with their joins, in a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from patients.models import Patient

from . import runner
from .models import PatientImport, PatientImportRow

Outcome = PatientImportRow.Outcome
OUTCOME_LABELS = {**dict(Outcome.choices), Outcome.CREATED: "New patient"}


def jobs() -> QuerySet[PatientImport]:
    """Jobs without their file and dry run (large), with who uploaded and started them."""
    return PatientImport.objects.select_related("created_by", "started_by").defer(
        "content", "preview"
    )


def recent_jobs(limit: int = 20) -> list[PatientImport]:
    return list(jobs()[:limit])


def job_with_file(public_id) -> PatientImport:
    return PatientImport.objects.select_related("created_by", "started_by").get(public_id=public_id)


@dataclass
class PreviewRow:
    number: int
    outcome: str
    label: str
    name: str
    born: str
    reasons: list[str]
    existing: Patient | None
    same_as_row: int | None


def preview_rows(job: PatientImport, entries: list[list]) -> list[PreviewRow]:
    """The dry run's rows `entries` (a page of `job.preview`) with the name and date of birth
    the file gives for each and the registered patient each duplicates: the file is read
    once, the patients in one query."""
    names: dict[int, tuple[str, str]] = {}
    if job.content:
        table = runner.table_of(job)
        mapping = job.mapping
        wanted = {entry[0] for entry in entries}

        def cell(cells, name):
            index = mapping.get(name)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        for number, cells in table.rows:
            if number in wanted:
                first, last = cell(cells, "first_name"), cell(cells, "last_name")
                names[number] = (f"{first} {last}".strip(), cell(cells, "date_of_birth"))
    public_ids = {entry[3] for entry in entries if entry[3]}
    patients = {
        str(p.public_id): p
        for p in Patient.objects.filter(public_id__in=public_ids).only(
            "public_id", "first_name", "last_name", "date_of_birth", "archived_at"
        )
    }
    found = []
    for number, outcome, same_as_row, public_id, reasons in entries:
        name, born = names.get(number, ("", ""))
        found.append(
            PreviewRow(
                number=number,
                outcome=outcome,
                label=OUTCOME_LABELS[outcome],
                name=name,
                born=born,
                reasons=reasons,
                existing=patients.get(public_id) if public_id else None,
                same_as_row=same_as_row,
            )
        )
    return found


def result_rows(job: PatientImport) -> QuerySet[PatientImportRow]:
    """Every row's result, in file order, with its patient's public id (one query)."""
    return (
        PatientImportRow.objects.filter(job=job)
        .select_related("patient")
        .only("number", "outcome", "same_as_row", "reasons", "patient__public_id", "job_id")
        .order_by("number")
    )
