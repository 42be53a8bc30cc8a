"""A person at a real browser: finds fields by their label and buttons by their name, as a user reads
them, and waits for what the page shows. Built on NiceGUI's Selenium `screen` (Debian's chromium)."""
from __future__ import annotations

import time

from selenium.common.exceptions import (ElementClickInterceptedException, ElementNotInteractableException,
                                        StaleElementReferenceException, WebDriverException)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement

from db.models import User
from domain import i18n
from tests.utils import PASSWORD, an_admin

WAIT = 30.0  # seconds, only spent when the outcome never comes: a loaded 2-core machine (four workers, other
# processes; load average 18) took more than 15 s to open a dialog
RETRYABLE = (StaleElementReferenceException, ElementClickInterceptedException, ElementNotInteractableException)


def _literal(text: str) -> str:
    """`text` as an XPath string literal (quotes included)."""
    if "'" not in text:
        return f"'{text}'"
    parts = text.split("'")
    return 'concat(' + ', "\'", '.join(f"'{part}'" for part in parts) + ')'


# One script per look: each Selenium command costs a round trip through chromedriver and the browser (about 3 ms
# of CPU), and Selenium's visible-text and is-displayed atoms walk the page again each time (the body's text of a
# page: 17 ms of CPU); the page's own innerText and checkVisibility answer the same questions in one call.
_VISIBLE = """
function visible(element) {
  return element.checkVisibility({opacityProperty: true, visibilityProperty: true})
    && element.getClientRects().length > 0;
}
"""
# a dialog or a menu that is appearing or going away (Quasar's transition classes), as a CSS selector in JS quotes
_IN_MOTION = ("'.q-dialog [class*=\"-enter-active\"], .q-dialog [class*=\"-leave-active\"], "
              ".q-menu[class*=\"-enter-active\"]'")
_MOVING = f'return document.querySelector({_IN_MOTION}) !== null'

# the dialog on top (the last one Quasar put in the page), whether or not it has finished appearing
_DIALOG = """
const dialogs = document.querySelectorAll('.q-dialog__inner > *');
return dialogs.length ? dialogs[dialogs.length - 1] : null;
"""
# where to look, once nothing moves: the dialog on top, else the page (null while a dialog or menu still moves, or
# a dialog is there but not yet seen: innerText, unlike Selenium's text, reads an element at opacity 0)
_SCOPE = _VISIBLE + f"""
function scope() {{
  if (document.querySelector({_IN_MOTION})) return null;
  const dialogs = [...document.querySelectorAll('.q-dialog__inner > *')];
  if (!dialogs.every(visible)) return null;
  return dialogs.length ? dialogs[dialogs.length - 1] : document.body;
}}
"""
_OPEN_DIALOG = _SCOPE + """
const found = scope();
return found === document.body ? null : found;
"""
# does `within` (or where to look) show `text`: one script, so that the place and its text are read together
_SEES = _SCOPE + """
const [within, text] = arguments;
const where = within || scope();
return where !== null && where.isConnected && where.innerText.replace(/\\u00a0/g, ' ').includes(text);
"""
_FIND_VISIBLE = _VISIBLE + """
const [scope, xpath] = arguments;
const found = document.evaluate(xpath, scope || document, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null);
const shown = [];
for (let i = 0; i < found.snapshotLength; i++) if (visible(found.snapshotItem(i))) shown.push(found.snapshotItem(i));
return shown;
"""
_TEXT = "return arguments[0].innerText.replace(/\\u00a0/g, ' ')"
_PAGE_TEXT = """
let text = document.body.innerText;
for (const toast of document.querySelectorAll('.q-notification')) text = text.replace(toast.innerText, '');
return text.replace(/\\u00a0/g, ' ');
"""
_FIND_BUTTON = """
const [scope, name] = arguments;
const candidates = scope.querySelectorAll('button, a, [role=button], [role=menuitem], [role=tab], .q-item');
const found = [...candidates].filter(element => {
  if (!element.offsetParent && getComputedStyle(element).position !== 'fixed') return false;
  if (element.getAttribute('aria-label') === name) return true;
  const copy = element.cloneNode(true);
  copy.querySelectorAll('.q-icon, .material-icons, .q-badge').forEach(icon => icon.remove());
  return copy.textContent.replace(/\\s+/g, ' ').trim() === name;
});
return found.length ? found[found.length - 1] : null;
"""


class Found:
    """A row or card found by what it shows, looked up again at each use: a table refresh replaces the
    elements, and a reference kept from before would be stale."""

    def __init__(self, find) -> None:
        self.find = find
        find()  # it is there now (or the test stops here, with the reason)

    def __call__(self) -> WebElement:
        return self.find()

    def find_elements(self, *args):
        return self.find().find_elements(*args)


class Browser:
    def __init__(self, screen) -> None:
        self.screen = screen
        self.driver = screen.selenium

    # --- waiting ------------------------------------------------------------------------------------
    def until(self, condition, what: str, timeout: float = WAIT):
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            try:
                result = condition()
                if result:
                    return result
            except RETRYABLE as error:
                last_error = error
            except WebDriverException as error:  # a node handed to a script was replaced meanwhile
                if 'does not belong to the document' not in str(error):
                    raise
                last_error = error
            time.sleep(0.05)
        raise AssertionError(f'{what} (waited {timeout} s){": " + str(last_error) if last_error else ""}'
                             f'{self._reloads()}')

    def _reloads(self) -> str:
        """NiceGUI's own console lines about the connection (a reload after a lost connection replaces the page
        and everything typed into it), for the message of a failed wait."""
        try:
            lines = [entry['message'] for entry in self.driver.get_log('browser')
                     if 'reload' in entry['message'] or 'connection' in entry['message']]
        except Exception:  # noqa: BLE001 - a diagnosis must not hide the failure it explains
            return ''
        return ('; the browser said: ' + ' | '.join(lines)) if lines else ''

    # --- where to look ------------------------------------------------------------------------------
    def dialog(self) -> WebElement | None:
        """The dialog on top, if one is open (or still appearing or going away): while it is open, the page
        behind it is out of reach."""
        return self.driver.execute_script(_DIALOG)

    def open_dialog(self) -> WebElement:
        """The dialog on top, waiting for one to open and finish appearing (a button inside it is never looked
        for on the page behind it while the dialog is still appearing)."""
        return self.until(lambda: self.driver.execute_script(_OPEN_DIALOG), 'no dialog opened')

    def settled(self) -> None:
        """Wait while a dialog or a menu is still appearing or going away. Quasar moves the focus into a
        dialog as it opens, so keys typed or a select clicked meanwhile are lost (a menu opened then closes
        on the blur); CI's Chromium 156 showed both."""
        self.until(lambda: not self.driver.execute_script(_MOVING), 'a dialog or menu never stopped moving')

    def _scope(self, within: WebElement | Found | None) -> WebElement:
        if isinstance(within, Found):
            return within()
        if within is not None:
            self.settled()
            return within
        return self.until(lambda: self.driver.execute_script(_SCOPE + 'return scope();'),
                          'a dialog or menu never stopped moving')

    def _visible(self, scope: WebElement, xpath: str) -> list[WebElement]:
        """The elements under `scope` that `xpath` finds and a person can see."""
        return self.driver.execute_script(_FIND_VISIBLE, None if scope is self.driver else scope, xpath)

    def text_of(self, element: WebElement) -> str:
        """What a person reads in `element` (as rendered: hidden parts left out, no-break spaces as spaces)."""
        return self.driver.execute_script(_TEXT, element)

    # --- reading ------------------------------------------------------------------------------------
    def text(self) -> str:
        """What the page shows, its notifications left out (`notified` reads those): a toast that names what was
        just removed is not the removed row still on the page."""
        return self.driver.execute_script(_PAGE_TEXT)

    def sees(self, text: str, within: WebElement | Found | None = None) -> None:
        def shown() -> bool:
            if within is not None and not isinstance(within, Found):
                self.settled()
            return self.driver.execute_script(_SEES, within() if isinstance(within, Found) else within, text)
        self.until(shown, f'the page never showed {text!r}')

    def does_not_see(self, text: str) -> None:
        self.until(lambda: text not in self.text(), f'the page still shows {text!r}')

    def notifications(self) -> list[str]:
        return self.driver.execute_script(
            "return [...document.querySelectorAll('.q-notification')].map(n => n.innerText)")

    def notified(self, text: str, timeout: float = WAIT) -> None:
        """A notification (Quasar's toast) says `text`."""
        self.until(lambda: any(text in shown for shown in self.notifications()),
                   f'no notification saying {text!r}', timeout)

    def at(self, path: str) -> None:
        self.until(lambda: self.screen.current_path == path,
                   f'the browser is not at {path} but at {self.screen.current_path}')

    def row(self, text: str, within: WebElement | Found | None = None) -> Found:
        """The table row (or list row) that shows `text`."""
        xpath = (f".//div[contains(@class, 'border-t')][.//*[contains(normalize-space(text()), {_literal(text)})]]")
        return Found(lambda: self.until(
            lambda: (self._visible(self._scope(within) if within else self.driver.find_element(By.TAG_NAME, 'body'),
                                   xpath) or [None])[-1], f'no row showing {text!r}'))

    def card(self, text: str) -> Found:
        """The innermost card that shows `text` (a product in the catalog, a group in the cart, a form)."""
        xpath = (f"//div[contains(@class, 'q-card')][.//*[contains(normalize-space(text()), {_literal(text)})"
                 f" or @aria-label={_literal(text)}]]")
        return Found(lambda: self.until(lambda: (self._visible(self.driver, xpath) or [None])[-1],
                                        f'no card showing {text!r}'))

    def field(self, label: str, within: WebElement | Found | None = None) -> WebElement:
        xpath = (f".//*[(self::input or self::textarea) and @aria-label={_literal(label)}]")
        return self.until(lambda: (self._visible(self._scope(within), xpath) or [None])[0],
                          f'no field labelled {label!r}')

    def field_error(self, label: str, within: WebElement | Found | None = None) -> str:
        """The message shown under the field labelled `label`."""
        def message() -> str:
            field = self.field(label, within)
            outer = field.find_element(By.XPATH, "./ancestor::label[contains(@class, 'q-field')]")
            alerts = outer.find_elements(By.CSS_SELECTOR, '.q-field__messages [role=alert]')  # not a hint
            return self.text_of(alerts[0]).strip() if alerts else ''
        return self.until(message, f'no message under {label!r}')

    def value(self, label: str, within: WebElement | Found | None = None) -> str:
        return self.field(label, within).get_property('value')

    # --- acting -------------------------------------------------------------------------------------
    def fill(self, label: str, text: str, within: WebElement | Found | None = None) -> None:
        """Select what the field holds and type `text` over it; again if something took the focus meanwhile
        (a dialog that is still opening moves the focus to its first field)."""
        def typed() -> bool:
            field = self.field(label, within)
            field.send_keys(Keys.CONTROL, 'a')
            field.send_keys(Keys.DELETE)
            if text:
                field.send_keys(text)
            time.sleep(0.05)
            return self.field(label, within).get_property('value') == text
        self.until(typed, f'{label!r} did not take the text')

    def fills(self, values: dict[str, str], within: WebElement | Found | None = None) -> None:
        """Fill in each field (by its label) with its text, in this order."""
        for label, text in values.items():
            self.fill(label, text, within)

    def paste(self, label: str, text: str, within: WebElement | Found | None = None) -> None:
        """Select what the field holds and paste `text` over it, as a person puts a document in: the browser
        inserts it in one input (Chromium's Input.insertText, which keeps the field's maxlength), where typing
        it would send the server one message per character."""
        def pasted() -> bool:
            field = self.field(label, within)
            field.send_keys(Keys.CONTROL, 'a')
            self.driver.execute_cdp_cmd('Input.insertText', {'text': text})
            time.sleep(0.05)
            return self.field(label, within).get_property('value') == text
        self.until(pasted, f'{label!r} did not take the pasted text')

    def button(self, name: str, within: WebElement | Found | None = None) -> WebElement:
        """A button, link or menu item by its accessible name: its aria-label, or its text without icons."""
        def find():
            return self.driver.execute_script(_FIND_BUTTON, self._scope(within), name)
        return self.until(find, f'no button {name!r}')

    def click(self, name: str, within: WebElement | Found | None = None) -> None:
        def clicked() -> bool:
            element = self.button(name, within)
            self.driver.execute_script('arguments[0].scrollIntoView({block: "center"})', element)
            element.click()
            return True
        self.until(clicked, f'could not click {name!r}')

    def choose(self, label: str, *options: str, within: WebElement | Found | None = None) -> None:
        """Open the select labelled `label` and pick `options` (several for a multiple select)."""
        xpath = f".//label[contains(@class, 'q-select')][.//*[@aria-label={_literal(label)}]]"
        select = self.until(lambda: (self._visible(self._scope(within), xpath) or [None])[0], f'no select {label!r}')
        select.click()
        for option in options:
            item = f"//div[contains(@class, 'q-menu')]//div[contains(@class, 'q-item')][normalize-space(.)={_literal(option)}]"
            self.until(lambda: self._visible(self.driver, item), f'{label!r} offers no {option!r}')
            self.until(lambda: self._visible(self.driver, item)[0].click() or True, f'could not pick {option!r}')
        if len(options) > 1 or 'q-select--multiple' in (select.get_attribute('class') or ''):
            self.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
        self.until(lambda: not self._visible(self.driver, "//div[contains(@class, 'q-menu')]"),
                   f'the options of {label!r} stayed open')

    def tick(self, label: str, *, roles: tuple[str, ...] = ('checkbox', 'switch')) -> None:
        """Click a checkbox or switch by its label."""
        role = ' or '.join(f"@role='{role}'" for role in roles)
        xpath = (f".//*[({role}) and (@aria-label={_literal(label)}"
                 f" or normalize-space(.)={_literal(label)})]")

        def clicked() -> bool:
            element = self._visible(self._scope(None), xpath)[0]
            self.driver.execute_script('arguments[0].scrollIntoView({block: "center"})', element)
            element.click()
            return True
        self.until(clicked, f'no checkbox {label!r}')

    def pick(self, option: str) -> None:
        """Choose the radio button `option`."""
        self.tick(option, roles=('radio',))

    def dialog_closed(self) -> None:
        self.until(lambda: self.dialog() is None, 'the dialog stayed open')

    def confirm(self, action: str, within: WebElement | Found, *, asks: str | None = None) -> None:
        """Click `action` in `within` (a row), then the button of the same name in the dialog that asks first
        (after reading its question `asks`, when given)."""
        self.click(action, within=within)
        if asks:
            self.sees(asks, within=self.open_dialog())
        self.click(action, within=self.open_dialog())

    def log_in(self, email: str, password: str = PASSWORD, *, lands_on: str | None = None) -> None:
        if self.screen.current_path != '/login':  # a test that started the server on it needs no second load
            self.screen.open('/login')
        # the labels in the page's language (issue 28): a test in German signs in as a German reader does
        self.until(lambda: self.driver.execute_script('return document.readyState') == 'complete', 'no Log in page')
        with i18n.use(self.driver.execute_script('return document.documentElement.lang') or 'en'):
            labels = i18n._('Email'), i18n._('Password'), i18n._('Log in')
        self.fill(labels[0], email)
        self.fill(labels[1], password)
        self.click(labels[2])
        if lands_on:
            self.at(lands_on)
        else:
            self.until(lambda: self.screen.current_path != '/login', 'signing in did not leave the Log in page')

    def reject(self, row: str, reason: str) -> None:
        """Click Reject in the row that shows `row`, give the reason the email will carry, and Reject in the dialog."""
        self.click('Reject', within=self.row(row))
        self.fill('Reason (optional, sent in the email)', reason)
        self.click('Reject', within=self.open_dialog())

    def opens_as(self, email: str, path: str) -> None:
        """The person with this address signs in and opens `path`."""
        self.log_in(email)
        self.screen.open(path)

    def edit(self, row: str, values: dict[str, str], *, button: str = 'Edit') -> None:
        """Click `button` in the row that shows `row`, fill in the dialog it opens, and Save."""
        self.click(button, within=self.row(row))
        self.fills(values)
        self.click('Save')

    def admin_opens(self, path: str) -> User:
        """A portal admin (admin@provider.test, whose account is made here) signs in and opens `path`; the portal
        starts on Log in, so a test may make what the admin will find before this."""
        if self.screen.current_path != '/login':
            self.screen.open('/login')
        admin = an_admin()
        self.opens_as(admin.email, path)
        return admin
