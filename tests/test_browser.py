"""End to end in a real headless browser (Debian's chromium through Selenium)."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from db.models import UserSession
from tests.utils import PASSWORD, a_user

pytestmark = pytest.mark.browser


def test_developer_signs_in_and_sees_the_dashboard(screen) -> None:
    screen.open('/login')
    a_user('dev@consumer.test', first='Dana')
    screen.should_contain('Forgot Password?')
    inputs = screen.selenium.find_elements(By.CSS_SELECTOR, 'input')
    inputs[0].send_keys('dev@consumer.test')
    inputs[1].send_keys(PASSWORD + Keys.ENTER)
    screen.should_contain('Welcome, Dana!')
    screen.should_contain('My apps')
    assert screen.current_path == '/dashboard'
    assert UserSession.select().count() == 1


def test_visitor_sees_the_landing_page_and_no_admin_link(screen) -> None:
    screen.open('/')
    screen.should_contain('APIs for your next integration')
    screen.should_contain('Create an Account')
    screen.should_not_contain('Admin')
