// Portico's small browser helpers, loaded on every page (served locally, no inline script needed).

// A dialog keeps the keyboard inside: Tab on its last control goes to its first, Shift+Tab on its first
// goes to its last (Quasar returns focus that wanders off, but lets Tab leave for the browser itself).
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Tab') return;
  const dialog = [...document.querySelectorAll('.q-dialog')].pop();
  if (!dialog) return;
  const controls = [...dialog.querySelectorAll(
    'a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), textarea:not([disabled]), ' +
    'select:not([disabled]), [tabindex]:not([tabindex="-1"])')].filter((el) => el.offsetParent !== null);
  if (!controls.length) return;
  const first = controls[0];
  const last = controls[controls.length - 1];
  const inside = dialog.contains(document.activeElement);
  if (!inside || (!event.shiftKey && document.activeElement === last)) {
    event.preventDefault();
    first.focus();
  } else if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  }
}, true);

// Text is sent to the server over the page's live connection, which drops a message larger than its
// limit: without a bound, a huge paste would silently never arrive and Save would store the old text.
// Every field without its own maxlength gets one; the server then refuses the too long text with a
// message next to the field (its limits are far below this one).
const DEFAULT_MAX_LENGTH = 200000;
document.addEventListener('focusin', (event) => {
  const field = event.target;
  if ((field.tagName === 'INPUT' || field.tagName === 'TEXTAREA') && !field.hasAttribute('maxlength')) {
    field.setAttribute('maxlength', String(DEFAULT_MAX_LENGTH));
  }
}, true);

// A page whose connection dropped tries again at most about a second apart (socket.io's default backs off to
// 5 s, and spreads each wait by half again): the server keeps a page 10 s after its connection drops
// (RECONNECT_SECONDS in main.py), so a network back within about 8 s finds the page, and a half-filled
// dialog, as they were, where a wait of up to 7.5 s could outlast those 10 s. NiceGUI makes the connection
// once the page is mounted; this sets the limit as soon as it exists.
const RECONNECT_DELAY_MAX_MS = 1000;
(function limitReconnectDelay(tries) {
  if (window.socket && window.socket.io) {
    window.socket.io.reconnectionDelayMax(RECONNECT_DELAY_MAX_MS);
  } else if (tries > 0) {
    setTimeout(() => limitReconnectDelay(tries - 1), 50);
  }
})(400);
