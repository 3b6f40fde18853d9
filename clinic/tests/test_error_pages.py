"""403, 404 and 500 pages in the site's layout, each with a way back (issue 11 item 9)."""

import pytest
from django.template import loader
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_missing_page_is_a_friendly_404_in_the_layout_with_a_way_back(front_desk_client):
    response = front_desk_client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'class="topbar"' in html and "/static/css/clinic" in html
    assert "<h1>Page not found</h1>" in html
    assert '<a class="button big" href="/">Go to the dashboard</a>' in html


def test_a_staff_page_refuses_a_patient_with_a_403_that_leads_back_to_the_portal(patient_client):
    response = patient_client.get("/patients/")
    assert response.status_code == 403
    html = response.content.decode()
    assert 'class="topbar"' in html
    assert "<h1>You cannot open this page</h1>" in html
    assert "Your account does not have access to this page." in html
    assert 'href="/portal/">Go to your portal home page</a>' in html


def test_an_anonymous_visitor_gets_both_ways_back(client):
    response = client.get("/courses/not-a-course/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Staff: go to the dashboard" in html and "Patients: go to the patient portal" in html


@pytest.mark.urls("clinic.tests.error_urls")
def test_a_failure_is_a_friendly_500_in_the_layout_with_a_way_back(front_desk_user):
    client = Client(raise_request_exception=False)
    client.force_login(front_desk_user)
    response = client.get("/fails/")
    assert response.status_code == 500
    html = response.content.decode()
    assert 'class="topbar"' in html and "/static/css/clinic" in html
    assert "Something went wrong on our side" in html
    assert 'href="/portal/"' in html and 'href="/"' in html


def test_the_500_page_needs_no_database_and_no_request(django_assert_num_queries):
    with django_assert_num_queries(0):
        html = loader.get_template("500.html").render()
    assert "Something went wrong on our side" in html
