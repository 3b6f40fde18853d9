import pytest
from playwright.sync_api import expect

from clinic.models import Role
from clinic.tests.factories import UserFactory


@pytest.mark.browser
def test_a_front_desk_user_logs_in_and_sees_the_dashboard(transactional_db, login, page):
    user = UserFactory(username="frances", role=Role.FRONT_DESK, first_name="Frances")
    login(user)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("heading", name="Front desk")).to_be_visible()
    expect(page.get_by_role("heading", name="Manager")).to_have_count(0)
    expect(page.get_by_text("Welcome, Frances")).to_be_visible()


@pytest.mark.browser
def test_a_wrong_password_keeps_the_user_on_the_login_page(transactional_db, login, page):
    user = UserFactory(username="frances", role=Role.FRONT_DESK)
    login(user, password="not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("did not match")
