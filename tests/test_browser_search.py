"""Issue 25, item 5, in Chromium: find an operation from the header search. A visitor types part of an operationId
into the header box, sees the operation in the dropdown, clicks it and lands in the API reference with that
operation's heading shown below the bar; Enter opens the full results page."""
from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from db.models import Visibility
from tests.test_site_search import WEATHER, a_guide, a_page, document
from tests.utils import an_admin
from workflows import catalog

pytestmark = pytest.mark.browser
SHOTS = '/tmp'

MANY = document('Radar API', [('get', f'/v1/radar/{n}', f'getRadarFrame{n}', f'Radar frame number {n}', 'Radar')
                              for n in range(40)])


def a_public_weather_product() -> tuple:
    admin = an_admin()
    api = catalog.save_api(None, 'Weather API', '/weather/', '', WEATHER, by=admin)
    radar = catalog.save_api(None, 'Radar API', '/radar/', '', MANY, by=admin)
    public = catalog.save_catalog(None, 'Public', Visibility.PUBLIC, [], [], by=admin)
    weather = catalog.save_product(None, 'Weather', 'weather', 'Forecasts for your apps', '', [api.id, radar.id],
                                   'climate', [public.id], by=admin)
    a_guide(weather, 'Radar quickstart', 'Fetch a **radar** frame with your key.', admin)
    a_page('Radar coverage', 'Where the radar sees storms.', admin)
    return api, radar


def header_field(driver):
    return driver.find_element(By.CSS_SELECTOR, 'header input[aria-label="Search"]')


def open_header_search(driver, browser):
    """Click the header's search (below 1440 px its magnifier alone) and wait for it to widen; the field."""
    browser.until(lambda: header_field(driver), 'no search field in the header')
    driver.find_element(By.CSS_SELECTOR, 'header .portico-search').click()
    browser.until(lambda: driver.execute_script(
        'const input = document.activeElement; return input && input.getAttribute("aria-label") === "Search" '
        '&& input.closest(".portico-search-field").getBoundingClientRect().width > 300;'),
        'the search field did not take the focus and widen')
    return header_field(driver)


def test_a_visitor_finds_an_operation_from_the_header_and_lands_on_its_heading(screen, browser) -> None:
    screen.open('/catalogs')
    api, _ = a_public_weather_product()
    driver = screen.selenium
    driver.set_window_size(1280, 900)
    screen.open('/catalogs')
    field = open_header_search(driver, browser)
    assert field.get_attribute('placeholder') == 'Search APIs, operations, guides'
    field.send_keys('getForecastH')  # a fragment of an operationId
    dropdown = browser.until(lambda: [e for e in driver.find_elements(By.CSS_SELECTOR, '.portico-search-result')
                                      if 'getForecastHistory' in e.text], 'the operation is not in the dropdown')
    box = driver.find_element(By.CSS_SELECTOR, '[role=region][aria-label="Search results"]')
    assert 'Operation' in box.text and 'GET /v1/forecast/history' in box.text
    driver.save_screenshot(f'{SHOTS}/search-dropdown.png')
    dropdown[0].click()
    browser.until(lambda: '/reference/' in driver.current_url, 'the result did not open the reference')
    assert driver.current_url.endswith(f'/products/weather/reference/{api.id}#/Forecasts/getForecastHistory')
    target = 'operations-Forecasts-getForecastHistory'
    browser.until(lambda: driver.execute_script(
        'const b = document.getElementById(arguments[0]); return b && b.classList.contains("is-open");', target),
        'the operation did not open in the reference', 30)
    time.sleep(1.5)  # Swagger UI scrolls smoothly
    place = driver.execute_script(
        'const bar = document.querySelector(".portico-bar").getBoundingClientRect();'
        'const s = document.getElementById(arguments[0]).querySelector(".opblock-summary").getBoundingClientRect();'
        'return {top: s.top, bottom: s.bottom, bar: bar.bottom, height: window.innerHeight};', target)
    assert place['bar'] <= place['top'] and place['bottom'] <= place['height'], place  # the heading is shown
    heading = driver.find_element(By.CSS_SELECTOR, f'#{target} .opblock-summary').text.replace('\u200b', '')
    assert 'GET' in heading and '/v1/forecast/history' in heading


def test_keys_move_through_the_dropdown_and_enter_opens_the_full_results(screen, browser) -> None:
    screen.open('/catalogs')
    a_public_weather_product()
    driver = screen.selenium
    driver.set_window_size(1280, 900)
    screen.open('/')
    field = open_header_search(driver, browser)
    field.send_keys('radar')
    browser.until(lambda: len(driver.find_elements(By.CSS_SELECTOR, '.portico-search-result')) > 3, 'no results')
    box = driver.find_element(By.CSS_SELECTOR, '[role=region][aria-label="Search results"]')
    # forty operations match, and the dropdown keeps room for the guide and the page (each labelled)
    browser.until(lambda: 'Radar quickstart' in box.text and 'Radar coverage' in box.text, 'no guide or page')
    assert box.text.count('Operation\n') == 4 and 'Guide\nRadar quickstart' in box.text \
        and 'Page\nRadar coverage' in box.text, box.text
    driver.save_screenshot(f'{SHOTS}/search-dropdown-kinds.png')
    field.send_keys(Keys.ARROW_DOWN)
    first = driver.switch_to.active_element
    assert 'portico-search-result' in first.get_attribute('class')
    first.send_keys(Keys.ARROW_DOWN)
    assert driver.switch_to.active_element != first
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    browser.until(lambda: not driver.find_element(By.CSS_SELECTOR, '[aria-label="Search results"]').is_displayed(),
                  'Escape did not close the results')
    field = header_field(driver)
    assert driver.switch_to.active_element == field
    field.send_keys(Keys.ENTER)
    browser.until(lambda: '/search?q=radar' in driver.current_url, 'Enter did not open the results page')
    browser.sees('Search: radar')
    browser.sees('getRadarFrame0')
    browser.sees('Results 1–20')
    driver.save_screenshot(f'{SHOTS}/search-results.png')
    browser.click('Next')
    browser.until(lambda: 'page=2' in driver.current_url, 'Next did not page on')
    browser.sees('Results 21–40')
    browser.click('Products')
    browser.until(lambda: 'kind=product' in driver.current_url, 'the kinds filter did not apply')
    browser.sees('No results for “radar” among products — try fewer words or browse the Catalogs.')
    driver.save_screenshot(f'{SHOTS}/search-empty.png')
