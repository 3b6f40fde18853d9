"""The reports page in Chromium: the charts draw under the strict Content-Security-Policy
(the `page` fixture fails on anything it blocks) and print without the page's controls."""

from __future__ import annotations

import pytest

from .conftest import PERIOD

pytestmark = pytest.mark.browser


def test_a_manager_reads_the_charts_and_prints_them(transactional_db, known, manager_user,
                                                    login, page, live_server):  # fmt: skip
    login(manager_user)
    page.goto(
        f"{live_server.url}/reports/?since={PERIOD.first.isoformat()}&until={PERIOD.last.isoformat()}"
    )
    charts = page.locator("svg.chart")
    assert charts.count() == 9
    people = page.get_by_role("img", name="Practitioners: booked hours as a share of working hours")
    assert people.is_visible()
    box = people.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 40
    assert page.get_by_role("link", name="Reports").is_visible()
    assert page.locator("form.report-filters").is_visible()

    page.emulate_media(media="print")
    assert not page.locator("header.topbar").is_visible()
    assert not page.locator("form.report-filters").is_visible()
    assert not page.get_by_role("link", name="Download “Courses” as CSV").is_visible()
    assert people.is_visible()
    assert page.get_by_role("table", name="Courses").is_visible()
    pdf = page.pdf()
    assert pdf.startswith(b"%PDF")
