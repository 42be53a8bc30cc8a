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
