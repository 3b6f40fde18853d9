"""ONE browser test of the importer: a manager uploads a small CSV, checks the columns and
the dry run, imports, watches the progress bar finish (htmx, under the strict CSP: the page
fixture fails on any violation), and finds the new patients in search."""

import re

import pytest
from playwright.sync_api import expect

from clinic.models import Role
from clinic.tests.factories import UserFactory
from patients.tests.factories import PatientFactory

from .factories import csv_bytes, row

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.slow]


def test_a_manager_imports_a_csv_watches_it_finish_and_finds_the_patients(
    celery_worker_process, live_server, login, page, tmp_path
):
    manager = UserFactory(username="maria", role=Role.MANAGER, first_name="Maria")
    PatientFactory(first_name="Rita", last_name="Registered", email="rita@example.com")
    path = tmp_path / "old-system.csv"
    path.write_bytes(
        csv_bytes(
            [
                row(first="Zoë", last="Quillfeather", email="zoe@example.com"),
                row(first="Omar", last="Quillfeather", born="02/07/1979", email="omar@example.com"),
                row(first="Rita", last="Registered", email="RITA@example.com"),
                row(first="Nobody", last="", email="nobody@example.com"),
            ],
            delimiter=";",
            encoding="cp1252",
        )
    )

    login(manager)
    page.get_by_role("link", name="Import patients").first.click()
    page.get_by_label("The file from your previous system (CSV)").set_input_files(str(path))
    page.get_by_role("button", name="Upload and choose the columns").click()

    expect(page.get_by_role("heading", name="2. Choose the columns")).to_be_visible()
    expect(page.get_by_label("First name")).to_have_value("0")
    expect(page.get_by_label("Date of birth")).to_have_value("2")
    page.get_by_role("button", name="Check every row").click()

    # The worker checks the rows while a progress bar shows; htmx then reloads the page.
    expect(page.get_by_role("heading", name="3. Check every row, then import")).to_be_visible()
    rows = page.get_by_role("row")
    expect(rows.filter(has_text="Zoë Quillfeather")).to_contain_text("New patient", timeout=45_000)
    expect(rows.filter(has_text="Rita Registered").first).to_contain_text("Already registered")
    expect(rows.filter(has_text="Nobody")).to_contain_text("Last name (column “Surname”)")
    page.get_by_role("button", name="Import 2 new patients").click()

    expect(page.get_by_role("heading", name="Import finished")).to_be_visible(timeout=45_000)
    expect(page.locator("#import-progress progress")).to_have_attribute("value", "4")
    expect(page.get_by_text(re.compile(r"2\s+new patients imported"))).to_be_visible()
    expect(page.get_by_role("link", name="Download the result of every row (CSV)")).to_be_visible()

    page.get_by_label("Find a patient").fill("Quillfeather")
    page.get_by_role("button", name="Find", exact=True).click()
    expect(page.get_by_role("link", name="Quillfeather, Zoë")).to_be_visible()
    expect(page.get_by_role("link", name="Quillfeather, Omar")).to_be_visible()
    expect(page.get_by_text("No intake yet")).to_have_count(2)
