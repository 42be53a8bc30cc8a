"""End to end in a real headless browser (Debian's chromium through Selenium)."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from db.models import UserSession
from components.frame import admin_entries
from tests.utils import PASSWORD, a_user, an_admin, an_org_with

pytestmark = pytest.mark.browser


def test_developer_signs_in_and_sees_the_dashboard(screen) -> None:
    screen.open('/login')
    a_user('dev@consumer.test', first='Dana')
    screen.should_contain('Forgot Password?')
    inputs = screen.selenium.find_elements(By.CSS_SELECTOR, '.nicegui-content input')
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


def test_table_cells_stay_in_their_column_and_chips_fit_their_text(screen, browser) -> None:
    """A table row's cells are the grid's items themselves (no wrapper each): a status chip keeps the width of
    its text, and an address with no place to break is broken inside its column instead of running over the
    next one."""
    screen.open('/login')
    an_admin()
    org = an_org_with('Averyveryveryverylongorganisationnamewithoutanyplacetobreakit', super_admin='')
    a_user('averyveryveryverylongaddresswithoutanybreaks@averyveryverylongdomainname.example', first='Priya' * 10,
           organisation=org)
    browser.log_in('admin@provider.test')
    screen.open('/admin/users')
    row = browser.row('averyveryvery')
    layout = browser.driver.execute_script("""
        const row = arguments[0];
        const columns = getComputedStyle(row).gridTemplateColumns.split(' ').map(parseFloat);
        const cells = [...row.children].map(cell => cell.getBoundingClientRect());
        const chip = row.querySelector('.q-chip, .q-badge') || [...row.querySelectorAll('*')].find(
            e => e.children.length === 0 && e.textContent.trim() === 'active');
        return {columns, cells: cells.map(r => [r.left, r.right]), row: row.getBoundingClientRect().right,
                chip: chip.getBoundingClientRect().width,
                overflowing: [...row.querySelectorAll('*')].filter(e => e.scrollWidth > e.clientWidth + 1).length};
    """, row())
    assert len(layout['cells']) == len(layout['columns']) == 6, layout  # one grid item per column
    for (left, right), (next_left, _) in zip(layout['cells'], layout['cells'][1:]):
        assert right <= next_left + 0.5, layout  # no cell runs into the next column
    assert layout['cells'][-1][1] <= layout['row'] + 0.5, layout
    assert layout['overflowing'] == 0, layout  # no text runs out of its box either
    assert layout['chip'] < layout['columns'][2] / 2, layout  # the 'active' chip is not stretched over its column


def test_the_header_and_the_admin_menu_are_made_of_links(screen, browser) -> None:
    """Each entry of the header and of the admin menu is a link to its page (it opens in a new tab as well), and
    the admin page it is on is marked as the current one."""
    screen.open('/')
    header = "return [...document.querySelectorAll('header a[href]')].map(a => a.getAttribute('href'))"
    assert browser.until(lambda: browser.driver.execute_script(header), 'no links in the header') == \
        ['/', '/catalogs', '/login', '/register']
    an_admin()
    browser.log_in('admin@provider.test')
    screen.open('/admin')
    assert browser.until(lambda: browser.driver.execute_script(header), 'no links in the header') == \
        ['/', '/catalogs', '/dashboard', '/apps', '/admin', '/cart']
    paths = [path for _, path, _, _ in admin_entries({})]
    links = browser.until(lambda: browser.driver.execute_script(
        "return [...document.querySelectorAll('nav[aria-label=Admin] a[href]')].map(a => a.getAttribute('href'))"),
        'the admin menu has no links')
    assert links == paths
    browser.click('Invite codes', within=browser.driver.find_element(By.CSS_SELECTOR, 'nav[aria-label=Admin]'))
    browser.at('/admin/invite-codes')
    browser.sees('Add invite code')
    current = browser.until(lambda: browser.driver.execute_script(
        "return [...document.querySelectorAll('nav[aria-label=Admin] [aria-current=page]')].map(a => a.href)"),
        'no entry is marked as the current page')
    assert [href.split('/', 3)[3] for href in current] == ['admin/invite-codes']
    colours = browser.driver.execute_script(
        "return [...document.querySelectorAll('nav[aria-label=Admin] a[href]')].map(a => getComputedStyle(a).color)")
    current_colour = colours[paths.index('/admin/invite-codes')]
    assert colours.count(current_colour) == 1, colours  # the current entry alone stands out (not every link blue)
