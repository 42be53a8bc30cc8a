"""The portal's brand as every layer shows it (the frame, the API reference page, the emails): colours and their
WCAG contrast, and the look derived from the stored settings. Pure functions; the rules of changing the brand are
in workflows/brand.py."""
from __future__ import annotations

import re
from dataclasses import dataclass

HEX = re.compile(r'#[0-9a-f]{6}')
WHITE, BLACK = '#ffffff', '#000000'
PAGE = '#fafafa'  # the page's background (Quasar's grey-1) around the white cards
AA = 4.5  # WCAG 2.x level AA for normal text

DEFAULT_HEADER = '#ffffff'
DEFAULT_PRIMARY = '#3949ab'
DEFAULT_ACCENT = '#8e24aa'


def luminance(colour: str) -> float:
    """WCAG relative luminance of '#rrggbb'."""
    channels = []
    for start in (1, 3, 5):
        value = int(colour[start:start + 2], 16) / 255
        channels.append(value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(one: str, other: str) -> float:
    """The WCAG contrast ratio of two colours, from 1 to 21."""
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_on(background: str) -> str:
    """Black or white, whichever reads better on `background`."""
    return BLACK if contrast(background, BLACK) >= contrast(background, WHITE) else WHITE


def colour_or(value: object, default: str) -> str:
    """A stored colour, or the default when the stored value is not one (never trusted blindly into CSS)."""
    text = str(value or '').strip().lower()
    return text if HEX.fullmatch(text) else default


@dataclass(frozen=True)
class Look:
    """What a page or an email shows of the brand."""
    portal_name: str
    header: str
    header_text: str
    primary: str
    primary_text: str
    accent: str
    accent_text: str
    logo: str  # the logo's hash ('' without a logo): part of its URL, so that a new logo is fetched at once
    logo_type: str
    favicon: str
    footer_links: tuple[tuple[str, str], ...]

    @property
    def logo_url(self) -> str:
        return f'/brand/logo?v={self.logo}' if self.logo else ''

    @property
    def favicon_url(self) -> str:
        return f'/brand/favicon?v={self.favicon}' if self.favicon else '/static/favicon.svg'

    @classmethod
    def of(cls, values: dict) -> Look:
        """The look from the settings as db.settings.load() reads them."""
        header = colour_or(values.get('brand_header_color'), DEFAULT_HEADER)
        primary = colour_or(values.get('brand_primary_color'), DEFAULT_PRIMARY)
        accent = colour_or(values.get('brand_accent_color'), DEFAULT_ACCENT)
        links = tuple((str(link.get('label', '')), str(link.get('url', '')))
                      for link in values.get('brand_footer_links') or [] if isinstance(link, dict))
        return cls(portal_name=str(values.get('portal_name') or 'Portico'), header=header, header_text=text_on(header),
                   primary=primary, primary_text=text_on(primary), accent=accent, accent_text=text_on(accent),
                   logo=str(values.get('brand_logo') or ''), logo_type=str(values.get('brand_logo_type') or ''),
                   favicon=str(values.get('brand_favicon') or ''), footer_links=links)
