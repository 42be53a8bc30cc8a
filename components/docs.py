"""Product documentation: sanitised Markdown and plan summaries. (The API reference is Swagger UI on a page
of its own: pages/product.py.)

Markdown is converted by NiceGUI's ui.markdown (markdown2 with fenced code blocks, highlighted by Pygments, whose
`.codehilite` styles NiceGUI serves from this portal) and then cleaned with nh3, so no script, event handler,
style attribute, frame or javascript: link reaches the page. nh3's defaults drop every `class`, which the
highlighting needs: `class` is kept on `<span>` for Pygments' own token names only and on `<div>` for
`codehilite` only. Images load from this portal (`/static/...`) or from the text itself (a `data:` PNG, JPEG, GIF
or WebP); an image from another host is dropped here, as the Content-Security-Policy would block it anyway
(hardening.py: img-src 'self' data:) and a broken image would show in its place.
"""
from __future__ import annotations

import re

import nh3
from nicegui import ui
from pygments.token import STANDARD_TYPES

from domain.i18n import _
from workflows import guides
from workflows.browse import plan_summary  # noqa: F401 - the one-line plan, read as docs.plan_summary

MARKDOWN_CSS = """
.portico-markdown h1 { font-size: 1.5rem; font-weight: 600; margin: 0.75rem 0 0.5rem; }
.portico-markdown h2 { font-size: 1.25rem; font-weight: 600; margin: 0.75rem 0 0.5rem; }
.portico-markdown h3 { font-size: 1.1rem; font-weight: 600; margin: 0.5rem 0 0.25rem; }
.portico-markdown pre { background: #f6f8fa; border: 1px solid #e5e7eb; border-radius: 6px; padding: 0.75rem 1rem;
  overflow-x: auto; font-size: 0.875rem; line-height: 1.45; }
.portico-markdown :not(pre) > code { background: #f1f3f5; border-radius: 4px; padding: 0.1rem 0.3rem;
  font-size: 0.875em; }
.portico-markdown .codehilite { margin: 0.5rem 0; }
"""

TOKEN_CLASSES = frozenset(name for name in STANDARD_TYPES.values() if name)  # k, nf, s2, c1 ... (Pygments)
ALLOWED_CLASSES = {'span': set(TOKEN_CLASSES), 'div': {'codehilite'}}
# an <img> whose address is another host's (or protocol-relative): removed before cleaning, so no broken image
# shows; nh3 below is what makes the page safe, this only tidies (the attribute filter drops such a src anyway)
_REMOTE_IMAGE = re.compile(r'''<img\b[^>]*?\ssrc\s*=\s*["']?\s*(?:[a-z][a-z0-9+.\-]*:|//|\\)(?!image/)[^>]*>''',
                           re.I)
# what nh3 leaves of an image whose source it dropped (its serialiser writes `"` in a value as &quot;, so the
# pattern matches whole tags only): removed, so no empty image frame shows
_IMAGE_WITHOUT_SOURCE = re.compile(r'<img((?: (?:alt|width|height|align)="[^"]*")*)>')
_DATA_IMAGE = re.compile(r'^data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*$', re.I)


def _attribute(tag: str, attribute: str, value: str) -> str | None:
    """nh3's last word on each attribute it would keep: image sources from this portal or inline images only,
    and no data: link (a link may lead to another host; it loads nothing by itself)."""
    address = value.strip()
    if tag == 'img' and attribute == 'src':
        local = address.startswith('/static/') and '\\' not in address and '..' not in address
        return value if local or _DATA_IMAGE.match(address) else None
    if attribute == 'href' and address.lower().startswith('data:'):
        return None
    return value


def clean(html: str) -> str:
    """Converted Markdown made safe to show: nh3's allow-list of tags and attributes, with the classes of code
    highlighting and the image rule above."""
    html = _REMOTE_IMAGE.sub('', html)
    html = nh3.clean(html, allowed_classes=ALLOWED_CLASSES, attribute_filter=_attribute,
                     url_schemes=nh3.ALLOWED_URL_SCHEMES | {'data'},
                     # a code block scrolls sideways: the keyboard reaches it too (WCAG 2.1.1)
                     set_tag_attribute_values={'pre': {'tabindex': '0'}})
    return _IMAGE_WITHOUT_SOURCE.sub('', html)


def markdown(text: str) -> ui.markdown:
    """User-provided Markdown, converted on the server and cleaned (`clean`) before it reaches the page."""
    ui.add_css(MARKDOWN_CSS)
    return ui.markdown(text or '', sanitize=clean).classes('w-full portico-markdown')


def guide(body: str, values: guides.Values, *, login_next: str) -> None:
    """A guide as its readers see it (the product page's tab, the guide's own page, the admin's preview): a note
    about the key when the guide shows one, then its Markdown with the placeholders filled for this reader."""
    if guides.uses_key(body):
        with ui.row().classes('w-full items-center gap-2 p-3 rounded bg-blue-1 text-grey-9 no-wrap') \
                .mark('guide-key-note'):
            ui.icon('key', color='primary').classes('text-xl')
            if values.sample:
                ui.label(_('Preview: {prefix} stands for the first characters of the reader\'s key; visitors and '
                           'developers without a key see {hint}.', prefix=guides.SAMPLE_KEY_PREFIX,
                           hint=guides.KEY_HINT)).classes('text-sm')
            elif values.key_prefix:
                with ui.row().classes('gap-1 items-center text-sm'):
                    ui.label(_('The examples show the start of your key for {app}, {prefix}…; copy the whole key from',
                               app=values.key_app, prefix=values.key_prefix))
                    ui.link(_('My apps'), '/apps')
            elif values.signed_in:
                ui.label(_('Get access to fill in your key: the examples show {hint} until you have one.',
                           hint=guides.KEY_HINT)).classes('text-sm')
            else:
                with ui.row().classes('gap-1 items-center text-sm'):
                    ui.link(_('Log in'), f'/login?next={login_next}')
                    ui.label(_('and get access to fill in your key: the examples show {hint} until then.',
                               hint=guides.KEY_HINT))
    markdown(guides.fill(body, values))
