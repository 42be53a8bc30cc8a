"""The portal's brand (Admin -> Appearance, issue 25): its name, colours, footer links, logo and favicon, checked and
saved. A colour is refused when text where it is used would fail WCAG AA (4.5:1): the header's text is black or
white, whichever reads better on the header colour; buttons, links and badges use the primary and accent colours on
the white page and carry white or black text themselves."""
from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from db import clock
from db.connection import database
from db.models import BrandAsset, User
from db.settings import load, put
from domain import brand as looks
from domain import events
from domain.errors import DomainError
from domain.i18n import Lazy, lazy, lazy_number
from permissions import ensure
from workflows import brand_images

NAME_MAX = 100
FOOTER_MAX = 6
LABEL_MAX = 40
URL_MAX = 500
URL_SCHEMES = ('https', 'http', 'mailto')
COLOURS = {'header': 'brand_header_color', 'primary': 'brand_primary_color', 'accent': 'brand_accent_color'}
ASSET_SETTING = {'logo': 'brand_logo', 'favicon': 'brand_favicon'}


def clean_portal_name(value: Any) -> str:
    """The portal's name as stored (Settings and Appearance both change it): one line of text, 1-100 characters."""
    name = ' '.join(str(value or '').split())
    if not name:
        raise DomainError('The portal needs a name.', 'portal_name')
    if len(name) > NAME_MAX:
        raise DomainError('The portal name is too long ({limit} characters at most).', 'portal_name', limit=NAME_MAX)
    if any(unicodedata.category(ch).startswith('C') for ch in name):
        raise DomainError('The portal name may not contain control characters.', 'portal_name')
    return name


@dataclass(frozen=True)
class Contrast:
    """One pair of colours the brand puts text on, and whether it reaches AA."""
    field: str
    what: Lazy
    ratio: float

    @property
    def passes(self) -> bool:
        return self.ratio >= looks.AA


def clean_colour(value: Any, field: str) -> str:
    text = str(value or '').strip().lower()
    if len(text) == 4 and text.startswith('#'):
        text = '#' + ''.join(ch * 2 for ch in text[1:])
    if not looks.HEX.fullmatch(text):
        raise DomainError('Enter a colour as #rrggbb, e.g. #3949ab.', field)
    return text


def contrasts(header: str, primary: str, accent: str) -> list[Contrast]:
    """Every text the brand's colours carry, with its ratio (the live preview shows them; `save` refuses a failing
    one)."""
    return [
        Contrast('header', lazy('Header text ({colour}) on the header', colour=_name(looks.text_on(header))),
                 looks.contrast(header, looks.text_on(header))),
        Contrast('primary', lazy('Links in the primary colour on the page'),
                 min(looks.contrast(primary, looks.WHITE), looks.contrast(primary, looks.PAGE))),
        Contrast('primary', lazy('Button text ({colour}) on the primary colour', colour=_name(looks.text_on(primary))),
                 looks.contrast(primary, looks.text_on(primary))),
        Contrast('accent', lazy('Highlights in the accent colour on the page'),
                 min(looks.contrast(accent, looks.WHITE), looks.contrast(accent, looks.PAGE))),
        Contrast('accent', lazy('Badge text ({colour}) on the accent colour', colour=_name(looks.text_on(accent))),
                 looks.contrast(accent, looks.text_on(accent))),
    ]


def _name(colour: str) -> Lazy:
    return lazy('black') if colour == looks.BLACK else lazy('white')


def clean_footer_links(links: Any) -> list[dict[str, str]]:
    """Up to six links of a label and an http(s) or mailto address; rows left wholly empty are dropped. A refusal
    names its row's field: `footer_<row number>_label` or `_url`."""
    cleaned = []
    for number, link in enumerate(links or [], start=1):
        label = ' '.join(str(link.get('label') or '').split())
        url = str(link.get('url') or '').strip()
        if not label and not url:
            continue
        field = f'footer_{number}'
        if not label or len(label) > LABEL_MAX:
            raise DomainError('Give the link a label of 1 to {limit} characters.', f'{field}_label', limit=LABEL_MAX)
        parts = urlsplit(url)
        if (len(url) > URL_MAX or parts.scheme.lower() not in URL_SCHEMES or any(ch.isspace() for ch in url)
                or (parts.scheme.lower() != 'mailto' and not parts.netloc)):
            raise DomainError('A link must be a full https://, http:// or mailto: address.', f'{field}_url')
        cleaned.append({'label': label, 'url': url})
    if len(cleaned) > FOOTER_MAX:
        raise DomainError('{limit} footer links at most.', 'footer', limit=FOOTER_MAX)
    return cleaned


def save(*, portal_name: Any, header: Any, primary: Any, accent: Any, footer_links: Any, by: User) -> dict[str, Any]:
    """Check the whole brand and save it in one transaction; the settings that changed are returned (and
    audited). Nothing is saved when any part is refused."""
    ensure(by, 'manage_settings')
    wanted = {'portal_name': clean_portal_name(portal_name)}
    for field, value in (('header', header), ('primary', primary), ('accent', accent)):
        wanted[COLOURS[field]] = clean_colour(value, field)
    for pair in contrasts(wanted[COLOURS['header']], wanted[COLOURS['primary']], wanted[COLOURS['accent']]):
        if not pair.passes:
            raise DomainError('{what} would be {ratio}:1; WCAG AA needs at least 4.5:1. '
                              'Choose a darker or lighter colour.', pair.field, what=pair.what,
                              ratio=lazy_number(pair.ratio, '0.00'))
    wanted['brand_footer_links'] = clean_footer_links(footer_links)
    with database.atomic():
        stored = load()
        changes = {key: value for key, value in wanted.items() if stored.get(key) != value}
        for key, value in changes.items():
            put(key, value)
        if changes:
            events.announce(by, 'brand.update', None, changes=changes)
    return changes


def upload(kind: str, data: bytes, by: User) -> BrandAsset:
    """Store a new logo or favicon once it passed brand_images.check (an SVG as sanitised)."""
    ensure(by, 'manage_settings')
    image = brand_images.check(kind, data)
    digest = hashlib.sha256(image.data).hexdigest()
    with database.atomic():
        row = {'content_type': image.content_type, 'data': image.data, 'sha256': digest,
               'width': image.width, 'height': image.height, 'updated_at': clock.now()}
        BrandAsset.insert(kind=kind, **row).on_conflict(conflict_target=[BrandAsset.kind], update=row).execute()
        put(ASSET_SETTING[kind], digest)
        if kind == 'logo':
            put('brand_logo_type', image.content_type)
        events.announce(by, 'brand.upload', None, kind=kind, content_type=image.content_type, sha256=digest,
                        width=image.width, height=image.height, size=len(image.data))
    return BrandAsset.get(BrandAsset.kind == kind)


def remove(kind: str, by: User) -> bool:
    """Back to the default logo or favicon; False when there was none."""
    ensure(by, 'manage_settings')
    if kind not in ASSET_SETTING:
        raise DomainError('Unknown kind of image.')
    with database.atomic():
        removed = BrandAsset.delete().where(BrandAsset.kind == kind).execute()
        put(ASSET_SETTING[kind], '')
        if kind == 'logo':
            put('brand_logo_type', '')
        if removed:
            events.announce(by, 'brand.remove', None, kind=kind)
    return bool(removed)


def current_look() -> looks.Look:
    return looks.Look.of(load())
