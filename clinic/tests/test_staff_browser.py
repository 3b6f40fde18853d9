"""A manager runs staff accounts in a real browser, without JavaScript being needed."""

import re

import pytest
from playwright.sync_api import expect

from clinic.models import Role, StaffInvite, User
from clinic.staff import links
from clinic.tests.factories import UserFactory

from .staff_helpers import PASSWORD


@pytest.mark.browser
def test_a_manager_invites_a_receptionist_who_sets_a_password_then_is_deactivated(
    transactional_db, login, page, live_server
):
    boss = UserFactory(username="boss", role=Role.MANAGER, is_staff=True, first_name="Bo")
    login(boss)
    page.get_by_role("link", name="Staff", exact=True).click()
    page.get_by_role("link", name="Invite a member of staff").click()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("alert")).to_contain_text("There are 4 problems")
    page.get_by_label("First name").fill("Rita")
    page.get_by_label("Last name").fill("Reception")
    page.get_by_label("E-mail address").fill("rita@example.com")
    page.get_by_role("checkbox", name=re.compile("Front desk")).check()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("status")).to_contain_text("will be e-mailed to rita@example.com")

    # The worker's part (tested with the outbox in treatments/messaging): the link is minted.
    token = links.invite_mint(str(StaffInvite.objects.get().public_id))
    rita = page.context.browser.new_context().new_page()
    rita.goto(f"{live_server.url}/staff/welcome/{token}/")
    rita.get_by_label("New password", exact=True).fill(PASSWORD)
    rita.get_by_label("New password again").fill(PASSWORD)
    rita.get_by_role("button", name="Set password and log in").click()
    expect(rita.get_by_role("status")).to_contain_text("Your password is set")

    page.goto(f"{live_server.url}/staff/")
    page.get_by_role("link", name="Rita Reception").click()
    page.get_by_role("link", name="Deactivate this account…").click()
    page.get_by_role("button", name="Yes, deactivate this account").click()
    expect(page.get_by_role("status")).to_contain_text("deactivated: they are logged out")
    assert not User.objects.get(username="rita@example.com").is_active

    rita.goto(f"{live_server.url}/patients/")
    expect(rita).to_have_url(re.compile("/login/"))
